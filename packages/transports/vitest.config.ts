import { defineProject } from "vitest/config";
import { alias } from "../../vitest.shared.js";

export default defineProject({
  resolve: { alias },
  test: { name: "@aioloop/transports", include: ["test/**/*.test.ts"], testTimeout: 20_000 },
});
