import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@aioloop/docs-check",
    include: ["test/*.test.ts"],
    // One TypeScript program over every block, then the blocks run a few at a time: a few
    // seconds each on a busy 2-core machine. Each block's run has its own timeout (RUN_MS).
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
