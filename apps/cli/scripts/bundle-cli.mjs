// Bundles the pancode command (dist/main.js and every command module it loads lazily) twice:
// - dist/pancode.cjs: one CommonJS file, which bin/pancode.js compiles through vm.Script with V8's code cache (kept
//   per user, see src/launcher/): with the cache, a command's start-up skips parsing and compiling. Its first line
//   carries the SHA-256 of the rest, the cache's key, so bytecode of one build never runs with another's source.
// - dist/bundle/: one ESM entry file plus one chunk per command and shared chunks (esbuild splits along main.ts's
//   dynamic imports), for when no private cache directory can be had: without a cache, reading only the invoked
//   command's chunks is faster than parsing the single file.
// Either way Node reads a handful of files instead of resolving some 350 modules one by one. dist/main.js stays the
// unbundled equivalent.
import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "bundle");
const single = join(root, "dist", "pancode.cjs");

const common = {
  entryPoints: [join(root, "dist", "main.js")],
  bundle: true,
  platform: "node",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  // Telemetry loads only when OTEL_* variables are set, and the OpenTelemetry SDK expects to be loaded by Node from
  // its own package (it does not survive bundling); @opentelemetry/api keeps one global state across copies.
  // grpc-js requires @grpc/proto-loader (and protobufjs under it, ~290 KB) only when a server enables channelz or
  // ORCA, which a client never does: left out, it is never parsed at start-up.
  external: ["@pancode/telemetry", "@grpc/proto-loader"],
};

await rm(outDir, { recursive: true, force: true });
await build({
  ...common,
  outdir: outDir,
  splitting: true,
  format: "esm",
  // Some bundled CommonJS dependencies call require(); give every ESM chunk one.
  banner: {
    js: "import { createRequire as __pancodeRequire } from 'node:module'; const require = __pancodeRequire(import.meta.url);",
  },
});

// CommonJS has no import.meta: src/launcher/run-bundle.ts passes the file's URL in as __pancodeImportMetaUrl.
const cjs = await build({
  ...common,
  format: "cjs",
  write: false,
  outfile: single,
  define: { "import.meta.url": "__pancodeImportMetaUrl" },
});
// Wrapped here, not at start-up, so the launcher hands V8 the file's text as it is (no 3 MB string copy): the
// CommonJS wrapper Node would add, plus import.meta.url as a parameter.
const wrapped = `(function (exports, require, module, __filename, __dirname, __pancodeImportMetaUrl) {${cjs.outputFiles[0].text}\n})`;
assertAsciiCode(wrapped);
assertOnlyTelemetryImport(wrapped);
const hash = createHash("sha256").update(wrapped).digest("hex");
await writeFile(single, `// pancode-cli-bundle sha256:${hash}\n${wrapped}`);

/**
 * The launcher reads the bundle as latin1, a plain copy (UTF-8 decoding took ~7 ms, and one non-ASCII character
 * makes V8 hold all 3 MB as a two-byte string). That is the same program as long as code is ASCII, which esbuild's
 * default charset ensures by escaping strings, regexps and identifiers; only comments keep other characters, and a
 * comment read as latin1 is still the same comment (no byte of a UTF-8 sequence ends a line or a block comment).
 * This refuses a build where a non-ASCII character is on a line that is not plainly a comment.
 */
function assertAsciiCode(text) {
  for (const line of text.split("\n")) {
    const first = line.search(/[\u0080-\uffff]/);
    if (first < 0) continue;
    const before = line.slice(0, first);
    if (before.includes("//") || /^\s*(\/\*|\*)/.test(line)) continue;
    throw new Error(`dist/pancode.cjs: non-ASCII character outside a comment: ${line.trim().slice(0, 120)}`);
  }
}

/**
 * Code compiled through vm.Script cannot run import() (see src/launcher/run-bundle.ts): the one allowed is the
 * telemetry SDK's, which the launcher avoids by taking the split bundle when OTEL_* variables are set. Any other
 * would fail only at run time, so it fails the build here.
 */
function assertOnlyTelemetryImport(text) {
  // A call has an argument; `import()` with none is prose in a comment.
  const imports = [...text.matchAll(/(?<![\w$.])import\(([^)]+)\)/g)].map((match) => match[1]);
  const others = imports.filter((specifier) => specifier !== '"@pancode/telemetry"');
  if (others.length > 0) throw new Error(`dist/pancode.cjs: import() of ${others.join(", ")} cannot run there`);
}
