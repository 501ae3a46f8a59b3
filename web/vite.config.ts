import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const webRoot = fileURLToPath(new URL(".", import.meta.url));

// The app is served by the Seller Pilot server under a strict Content Security Policy
// (script-src 'self'; style-src 'self'; font-src 'self'; no inline code, no third-party origins).
// Every build option below keeps the output compatible with it.
export default defineConfig({
  root: webRoot,
  base: "/",
  publicDir: "public",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be injected as code that some setups inline; modern browsers do not need it.
    modulePreload: { polyfill: false },
    // No data: URIs for assets: font-src does not allow them, and files are cacheable.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: true,
    target: "es2022",
  },
});
