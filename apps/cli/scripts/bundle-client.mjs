// Bundles src/client-main.ts (through the compiled dist/client-main.js) into one self-contained ESM file,
// dist/client/pancode.mjs, plus a `pancode` launcher next to it. Workers mount that directory read-only into agent
// containers (which have node but no pancode), so a run can dispatch sub-runs without any download at run time.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "client");
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [join(root, "dist", "client-main.js")],
  outfile: join(outDir, "pancode.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __pancodeRequire } from 'node:module'; const require = __pancodeRequire(import.meta.url);",
  },
});
const launcher = join(outDir, "pancode");
await writeFile(launcher, '#!/bin/sh\nexec node "$(dirname "$0")/pancode.mjs" "$@"\n');
await chmod(launcher, 0o755);
