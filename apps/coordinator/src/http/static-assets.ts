import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, resolve, sep } from "node:path";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** The file under `root` a URL path names; undefined for a path that leaves it or cannot be decoded. */
function fileUnder(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const file = resolve(root, `.${decoded}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Serves the console's built assets. A GET of a path that is no file gets index.html, so client-side routes
 * (`/runs/<id>`) load the app. Without an assets directory every page is a plain-text 404 naming the setting.
 */
export async function serveAsset(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  assetsDir: string | undefined,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
    res.end("method not allowed\n");
    return;
  }
  const root = assetsDir ? resolve(assetsDir) : undefined;
  const index = root ? resolve(root, "index.html") : undefined;
  const named = root ? fileUnder(root, pathname) : undefined;
  const file = named && (await isFile(named)) ? named : index && (await isFile(index)) ? index : undefined;
  if (!file) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("console assets not found: build @pancode/console or set PANCODE_CONSOLE_ASSETS\n");
    return;
  }
  res.writeHead(200, {
    "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    // index.html must be fetched again after an upgrade; the bundles it names carry content hashes.
    "Cache-Control": file === index ? "no-cache" : "public, max-age=3600",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}
