// Sums every package's vitest JSON report (written by each package's `test` script) into the
// plain closing line CI reads: "tests: N passed, N failed, N skipped". Exits 1 when a report is
// missing, failed tests were counted, or no test ran at all.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const workspaces = ["packages", "apps", "tools"];
const { readdirSync } = await import("node:fs");
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const ws of workspaces) {
  for (const name of readdirSync(join(root, ws))) {
    const pkg = join(root, ws, name);
    if (!existsSync(join(pkg, "vitest.config.ts"))) continue;
    const file = join(pkg, ".vitest-results.json");
    if (!existsSync(file)) {
      missing.push(`${ws}/${name}`);
      continue;
    }
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
}
if (missing.length > 0) console.log(`no test report from: ${missing.join(", ")}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = missing.length > 0 || failed > 0 || passed === 0 ? 1 : 0;
