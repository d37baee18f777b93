// The browser UI is built into static/dist/; the server's jinja2 shell page reads the
// manifest to link the hashed files.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  base: "/static/dist/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    rollupOptions: { input: "src/main.tsx" },
    chunkSizeWarningLimit: 2000,
  },
});
