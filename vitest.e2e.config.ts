import { defineConfig } from "vitest/config";

// Browser end-to-end tests: they start the built product (dist/src/main.js) and drive Debian Chromium.
// Run `npm run build` first, then `npm run test:e2e`.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    passWithNoTests: false,
  },
});
