#!/usr/bin/env node
// Launcher of the pancode CLI. It runs, in order of preference: the single-file bundle through V8's code cache (in
// a private per-user directory; PANCODE_CODE_CACHE=0 turns it off), the split bundle (dist/bundle), the compiled
// entry point, or says how to build it. With OTEL_* variables (telemetry) it takes the split bundle: the telemetry
// SDK is an ES module loaded with import(), which code compiled through vm.Script cannot do.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));

async function runCached() {
  const single = path("../dist/pancode.cjs");
  if (process.env.PANCODE_CODE_CACHE === "0" || !existsSync(single)) return false;
  // The same test as main.ts's startTracing.
  if (Object.entries(process.env).some(([key, value]) => key.startsWith("OTEL_") && value)) return false;
  const { codeCacheDir } = await import("../dist/launcher/private-dir.js");
  const dir = codeCacheDir(process.env);
  if (dir === undefined) return false;
  const { runBundle } = await import("../dist/launcher/run-bundle.js");
  return runBundle(single, dir);
}

if (!(await runCached())) {
  const bundled = path("../dist/bundle/main.js");
  const compiled = path("../dist/main.js");
  const entry = existsSync(bundled) ? bundled : compiled;
  if (!existsSync(entry)) {
    process.stderr.write("pancode is not built yet: run `npm run build` in the repository root\n");
    process.exit(2);
  }
  await import(entry);
}
