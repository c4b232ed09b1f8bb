#!/usr/bin/env node
// Launcher of the pancode CLI: runs the bundled entry point (dist/bundle, fastest to start), else the compiled one,
// or says how to build it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundled = fileURLToPath(new URL("../dist/bundle/main.js", import.meta.url));
const compiled = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const entry = existsSync(bundled) ? bundled : compiled;
if (!existsSync(entry)) {
  process.stderr.write("pancode is not built yet: run `npm run build` in the repository root\n");
  process.exit(2);
}
await import(entry);
