import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built into console/dist (served by the API at /); hashed file names under /assets are cached for a year.
export default defineConfig({
  root: __dirname,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { "/v1": "http://127.0.0.1:8080", "/demo": "http://127.0.0.1:8080" } },
});
