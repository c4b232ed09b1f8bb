// Bundles the pancode command (dist/main.js and every command module it loads lazily) into dist/bundle/: one entry
// file plus one chunk per command and shared chunks, which esbuild splits along main.ts's dynamic imports. Node then
// reads a handful of files instead of resolving some 350 modules one by one, which is most of a command's start-up.
// bin/pancode.js runs the bundle when it exists; dist/main.js stays the unbundled equivalent.
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "bundle");
await rm(outDir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, "dist", "main.js")],
  outdir: outDir,
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  // Telemetry loads only when OTEL_* variables are set, and the OpenTelemetry SDK expects to be loaded by Node from
  // its own package (it does not survive bundling); @opentelemetry/api keeps one global state across copies.
  // grpc-js requires @grpc/proto-loader (and protobufjs under it, ~290 KB) only when a server enables channelz or
  // ORCA, which a client never does: left out, it is never parsed at start-up.
  external: ["@pancode/telemetry", "@grpc/proto-loader"],
  // Some bundled CommonJS dependencies call require(); give every ESM chunk one.
  banner: {
    js: "import { createRequire as __pancodeRequire } from 'node:module'; const require = __pancodeRequire(import.meta.url);",
  },
});
