import { defineConfig } from "vitest/config";

export default defineConfig({
  logLevel: "error",
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30000,
    pool: "forks",
    // GitHub's workflow parser imports JSON without an import attribute: let Vite load it.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
