import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built into console/dist (served by the API at /); hashed file names under /assets are cached for a year.
// Nothing is inlined as a data: URL: the console's CSP loads fonts from itself only, and the small
// Chinese font subsets Vite would inline were refused (their glyphs showed as boxes).
export default defineConfig({
  root: __dirname,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800, assetsInlineLimit: 0 },
  server: { proxy: { "/v1": "http://127.0.0.1:8080", "/demo": "http://127.0.0.1:8080" } },
});
