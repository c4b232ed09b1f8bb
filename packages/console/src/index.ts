import { fileURLToPath } from "node:url";

/**
 * Absolute path of the console's built static assets (index.html and its hashed scripts and styles), which the
 * coordinator serves on its HTTP listener. Built by this package's `build` script; never a path guess elsewhere.
 */
export function consoleAssetsDir(): string {
  // One level below the package root whether this runs as dist/index.js or (in tests) as src/index.ts.
  return fileURLToPath(new URL("../dist/web", import.meta.url));
}
