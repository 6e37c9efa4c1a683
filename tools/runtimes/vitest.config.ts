import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@aioloop/runtimes",
    include: ["test/*.test.ts"],
    // One test starts the scenario program under Node (a child process over the built packages).
    testTimeout: 60_000,
  },
});
