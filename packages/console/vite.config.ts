import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The browser app lives in web/; the coordinator serves dist/web (see src/index.ts). Preact's JSX runtime is all
// the compile step needs, so esbuild handles it without a framework plugin.
export default defineConfig({
  root: fileURLToPath(new URL("./web", import.meta.url)),
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  // `npm run dev`: the API of a running coordinator's console listener, e.g. PANCODE_CONSOLE_API=http://127.0.0.1:7701
  server: process.env.PANCODE_CONSOLE_API
    ? { proxy: { "/api": { target: process.env.PANCODE_CONSOLE_API, changeOrigin: true } } }
    : {},
  build: {
    outDir: fileURLToPath(new URL("./dist/web", import.meta.url)),
    emptyOutDir: true,
    // A strict CSP (script-src 'self') forbids inline script: the module preload polyfill would be one.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
