import { defineProject } from "vitest/config";
import { alias } from "../../vitest.shared.js";

export default defineProject({
  resolve: { alias },
  test: { name: "@aioloop/epoll-loop", include: ["test/**/*.test.ts"], testTimeout: 30_000 },
});
