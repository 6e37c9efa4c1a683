import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";
import { alias } from "../../vitest.shared.js";

// Subpath exports first: the shared "@aioloop/selector-loop" alias would also catch
// "@aioloop/selector-loop/examples" and point it inside src/index.ts.
const subpaths = [
  {
    find: "@aioloop/selector-loop/examples",
    replacement: fileURLToPath(
      new URL("../../packages/selector-loop/src/examples/index.ts", import.meta.url),
    ),
  },
];

export default defineProject({
  resolve: {
    alias: [
      ...subpaths,
      ...Object.entries(alias).map(([find, replacement]) => ({ find, replacement })),
    ],
  },
  test: { name: "@aioloop/demo", include: ["test/**/*.test.ts"], testTimeout: 20_000 },
});
