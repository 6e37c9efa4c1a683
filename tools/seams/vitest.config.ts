import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@aioloop/seams",
    // test/fixtures/ holds a mini workspace whose files the check reads, not tests to run.
    include: ["test/*.test.ts"],
    // One TypeScript program over a fixture workspace: a few seconds on a busy machine.
    testTimeout: 120_000,
  },
});
