import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // PGlite instances are heavy; two workers fit the 2-core machine.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
  },
});
