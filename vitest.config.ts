import { defineConfig } from "vitest/config";

// One vitest run over the whole workspace: a project per package (each package's own config).
export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "apps/*/vitest.config.ts",
      "tools/*/vitest.config.ts",
    ],
  },
});
