import { defineConfig } from "vitest/config";

export default defineConfig({
  logLevel: "error",
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30000,
    pool: "forks",
  },
});
