import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";
import { cacheFileName, readCodeCache, writeCodeCache } from "./code-cache.js";

/** First line of the single-file bundle (scripts/bundle-cli.mjs): the SHA-256 of the rest, written at build time. */
const HEADER = /^\/\/ pancode-cli-bundle sha256:([0-9a-f]{64})\n/;

/** The command's name as a cache key: each command keeps the bytecode of the functions it ran. */
function commandKey(argv: readonly string[]): string {
  const first = argv[2] ?? "";
  return /^[a-z][a-z-]{0,23}$/.test(first) ? first : "default";
}

/**
 * Runs the single-file CommonJS bundle at `bundlePath` through `vm.Script` with V8's code cache from `cacheDir`:
 * with the cache, Node neither parses nor compiles the code a command ran last time. A missing, corrupted or
 * rejected cache (another V8, other flags) is written again when the process exits, with whatever functions the
 * command compiled by then. Returns false, having run nothing, when the bundle has no valid header.
 */
export function runBundle(bundlePath: string, cacheDir: string): boolean {
  // ASCII only (checked when it is built), so latin1 reads the same text without decoding UTF-8.
  const source = readFileSync(bundlePath, "latin1");
  const hash = HEADER.exec(source)?.[1];
  if (hash === undefined) return false;
  const name = cacheFileName(hash.slice(0, 32), commandKey(process.argv));
  const cachedData = readCodeCache(cacheDir, name);
  // The file is one function expression (the CommonJS wrapper plus import.meta.url as a parameter), evaluated below.
  // No import() works in it: Node 20 drops the dynamic-import callback of code that comes from the cache, and a
  // callback of our own needs --experimental-vm-modules. Its one import(), of the telemetry SDK, is never reached
  // (bin/pancode.js takes the split bundle when OTEL_* variables are set; scripts/bundle-cli.mjs allows no other).
  const script = new Script(source, { filename: bundlePath, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => writeCodeCache(cacheDir, name, script.createCachedData(), hash.slice(0, 32)));
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(
    module.exports,
    createRequire(bundlePath),
    module,
    bundlePath,
    dirname(bundlePath),
    pathToFileURL(bundlePath).href,
  );
  return true;
}
