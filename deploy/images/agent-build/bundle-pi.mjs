// Bundles Pi's CLI at image build time (agent.Dockerfile), so that `pi` starts by reading a few files instead of
// Node finding, reading and lexing the several hundred modules of Pi and its dependencies (about 1.2 s of CPU on
// this machine's 2 cores, before Pi does anything).
//
//   node bundle-pi.mjs <pi package dir>   ->   <pi package dir>/dist/pancode/bundle/cli.js (+ chunks)
//
// The bundle lives inside Pi's own package, two levels below dist/ like dist/core/extensions/, so every path Pi
// derives from its own location (package.json, themes, docs, the extension loader's aliases) resolves as before.
// The original package stays in place: native addons and anything loaded by path at run time come from it.
import { build } from "esbuild";

const [pkg] = process.argv.slice(2);
if (!pkg) {
  process.stderr.write("usage: node bundle-pi.mjs <pi package dir>\n");
  process.exit(2);
}

/**
 * Modules Pi imports at start but uses only on paths a headless run never takes, replaced by stand-ins that load
 * the real package from node_modules on first use: jiti's static build carries Babel (2.3 MB, only for TypeScript
 * extensions, which runs disable), cli-highlight carries every highlight.js language (1.4 MB, only for the
 * interactive TUI's code blocks). A name the stand-in does not export fails the bundle, not a run.
 */
const LAZY = {
  "jiti/static": ["createJiti"],
  "cli-highlight": ["highlight", "supportsLanguage"],
};

function lazyModule(specifier, names, realSpecifier) {
  const lines = [
    'import { createRequire } from "node:module";',
    "let real;",
    `const load = () => (real ??= createRequire(import.meta.url)(${JSON.stringify(realSpecifier)}));`,
    ...names.map((n) => `export function ${n}(...args) { return load().${n}(...args); }`),
  ];
  if (specifier === "jiti/static") lines.push("export default createJiti;");
  return lines.join("\n");
}

const lazyPlugin = {
  name: "pancode-lazy",
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "pancode-lazy" }));
    b.onLoad({ filter: /.*/, namespace: "pancode-lazy" }, (args) => ({
      // jiti/static is ESM only; jiti's CommonJS entry is the same createJiti with Babel loaded on first use.
      contents: lazyModule(args.path, LAZY[args.path], args.path === "jiti/static" ? "jiti" : args.path),
      resolveDir: pkg,
      loader: "js",
    }));
  },
};

await build({
  entryPoints: [`${pkg}/dist/cli.js`],
  outdir: `${pkg}/dist/pancode/bundle`,
  bundle: true,
  // Provider SDKs stay behind Pi's own dynamic imports, in chunks loaded only by a run that uses them.
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  plugins: [lazyPlugin],
  // Native addons (koffi, clipboard), photon (reads its .wasm next to its own __dirname) and an optional peer
  // that is not installed (Mistral's OpenTelemetry hook): loaded by Node from node_modules, as before.
  external: ["*.node", "koffi", "@mariozechner/clipboard", "@silvia-odwyer/photon-node", "@opentelemetry/api"],
  // Bundled CommonJS dependencies call require(); give every chunk one.
  banner: {
    js: "import { createRequire as __pancodeRequire } from 'node:module'; const require = __pancodeRequire(import.meta.url);",
  },
});
