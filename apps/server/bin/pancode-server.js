#!/usr/bin/env node
// Launcher of the PanCode service host: runs the compiled entry point, or says how to build it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../dist/main.js", import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write("pancode-server is not built yet: run `npm run build` in the repository root\n");
  process.exit(2);
}
await import(entry);
