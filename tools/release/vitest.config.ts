import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "@aioloop/release-check",
    include: ["test/**/*.test.ts"],
    // Each hook and test sets its own timeout from the steps it runs (STEP_MS in the test).
  },
});
