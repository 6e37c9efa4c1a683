import { defineProject } from "vitest/config";
import { alias } from "../../vitest.shared.js";

export default defineProject({
  resolve: { alias },
  test: { name: "@aioloop/bench", include: ["test/**/*.test.ts"], testTimeout: 120_000 },
});
