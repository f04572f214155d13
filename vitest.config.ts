import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the worker once and trains the fixture models once for every file.
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: each worker-test file runs its own workerd; more forks only thrash.
    maxWorkers: 2,
  },
});
