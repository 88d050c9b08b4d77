import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The dashboard: built into dist/dashboard (served by src/web/dashboard.ts),
 * and the vitest project of its component and hook tests (happy-dom).
 */
export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    // No inline scripts or data: URLs for assets: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
  test: {
    name: "dashboard",
    root,
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "happy-dom",
  },
});
