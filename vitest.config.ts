import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: too short a wait for I/O on a loaded 2-core CI machine.
    expect: { poll: { timeout: 10_000 } },
    pool: "forks",
    // PGlite instances are heavy; two workers fit the 2-core machine.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: { name: "server", include: ["src/**/*.test.ts", "test/**/*.test.ts"] },
      },
      // The dashboard's component and hook tests (happy-dom, React plugin).
      "dashboard/vite.config.ts",
    ],
  },
});
