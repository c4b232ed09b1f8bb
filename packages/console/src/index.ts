import { fileURLToPath } from "node:url";

/**
 * Absolute path of the console's built static assets (index.html and its hashed scripts and styles), which the
 * coordinator serves on its HTTP listener. Built by this package's `build` script; never a path guess elsewhere.
 */
export function consoleAssetsDir(): string {
  // This file runs as dist/index.js; the assets are built next to it in dist/web.
  return fileURLToPath(new URL("./web", import.meta.url));
}
