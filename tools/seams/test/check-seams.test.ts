/**
 * check-seams over a fixture workspace (test/fixtures/workspace): `base` publishes a loop with
 * @internal members, `good` uses only its public API (and its own `_`-members, type-only
 * cycles, casts of its own values), `bad` breaks each rule, `leaky` (published) exposes what
 * stripInternal removes, `loose` (published) does not strip, and docs/examples/ is held to the
 * rules like a package of its own. Every line that must be reported ends with
 * `// expect: <rule>[, <rule>]`; the check must report exactly those.
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM JavaScript without type declarations
import { checkSeams, formatReport } from "../src/check-seams.mjs";

interface Violation {
  file: string;
  line: number;
  col: number;
  rule: string;
  pkg: string;
  message: string;
}

const FIXTURE = fileURLToPath(new URL("./fixtures/workspace", import.meta.url));
const CLI = fileURLToPath(new URL("../../check-seams.mjs", import.meta.url));
const run = promisify(execFile);

/** `file:line rule` for every `// expect:` marker under `dir`. */
function expected(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) {
        readFileSync(p, "utf8")
          .split("\n")
          .forEach((line, i) => {
            const m = /\/\/ expect: (.*)$/.exec(line);
            // A marker alone on its line (the formatter moves it there after a `{`) means the line above.
            const at = /^\s*\/\//.test(line) ? i : i + 1;
            for (const rule of m ? m[1]!.split(",") : []) {
              out.push(`${relative(FIXTURE, p)}:${at} ${rule.trim()}`);
            }
          });
      }
    }
  };
  walk(dir);
  return out.sort();
}

const found = (vs: Violation[]) => vs.map((v) => `${v.file}:${v.line} ${v.rule}`).sort();

describe("check-seams", () => {
  const result = checkSeams({ root: FIXTURE }) as {
    violations: Violation[];
    packages: string[];
    files: number;
  };
  const of = (pkg: string) => result.violations.filter((v) => v.pkg === pkg);

  it("reads every package of the workspace", () => {
    expect(result.packages.sort()).toEqual([
      "@fx/bad",
      "@fx/base",
      "@fx/good",
      "@fx/leaky",
      "@fx/loose",
      "@fx/other",
      "docs/examples",
    ]);
  });

  it("passes clean code: public API, own and public `_`-members, type-only cycles", () => {
    expect(of("@fx/good")).toEqual([]);
    expect(of("@fx/base")).toEqual([]);
    expect(of("@fx/other")).toEqual([]);
  });

  it.each([
    ["@fx/bad", "packages/bad"],
    ["@fx/leaky", "packages/leaky"],
    ["docs/examples", "docs/examples"],
  ])("reports exactly the marked lines of %s", (pkg, dir) => {
    expect(found(of(pkg))).toEqual(expected(join(FIXTURE, dir)));
  });

  it("reports a published package whose build keeps @internal declarations", () => {
    expect(of("@fx/loose")).toMatchObject([
      {
        file: "packages/loose/tsconfig.json",
        rule: "published-types",
        message: expect.stringMatching(/add "stripInternal": true to packages\/loose\/tsconfig/),
      },
    ]);
  });

  it.each([
    ["internal", "internals.ts:6", /`_schedule` is @internal in @fx\/base/],
    ["internal", "internals.ts:3", /import `enterContext` is @internal/],
    ["internal", "internals.ts:16", /`_tick` overrides an @internal member/],
    ["internal", "internals.ts:22", /`_attach` fills an @internal member/],
    ["internal-comment", "leaky/src/index.ts:20", /mentions "@internal" in passing/],
    ["underscore-member", "casts.ts:9", /read through a cast/],
    ["underscore-member", "casts.ts:11", /nothing declares it/],
    ["underscore-member", "casts.ts:29", /read through a cast/],
    ["cast-member", "casts.ts:23", /`addSource` is read through a cast of another package's Loop/],
    [
      "import-cycle",
      "cycle-a.ts:1",
      /cycle-a\.ts:1 imports cycle-b\.ts, .*cycle-b\.ts:1 imports cycle-a\.ts/,
    ],
    [
      "undeclared-dependency",
      "bad.test.ts:1",
      /add "@fx\/other": "workspace:\*" to its devDependencies/,
    ],
    ["published-types", "leaky/src/index.ts:3", /has no exported member 'Slot'/],
    ["published-types", "leaky/src/index.ts:11", /Door \(dist\/index\.d\.ts:\d+\).*'close'/],
  ])("%s at %s says what is wrong and what to do", (rule, at, message) => {
    const v = result.violations.find(
      (x) => x.rule === rule && `${x.file}:${x.line}`.endsWith(at) && message.test(x.message),
    );
    expect(v, `${rule} at ${at}`).toBeDefined();
    expect(v!.message).toMatch(/use |add |break it|reword|make that part public/);
  });

  it("reports only the packages asked for", () => {
    const only = checkSeams({ root: FIXTURE, only: ["packages/good"] });
    expect(only.packages).toEqual(["@fx/good"]);
    expect(only.violations).toEqual([]);
    expect(formatReport(only)).toMatch(/^check-seams: 1 package, \d+ files: no cross-package/);
  });

  it("prints file:line:col [rule] per violation and exits 1; exits 0 when clean", async () => {
    const bad = await run(process.execPath, [CLI, "--root", FIXTURE]).then(
      () => null,
      (e: { code: number; stdout: string }) => e,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stdout).toMatch(/^ {2}packages\/bad\/src\/cycle-a\.ts:1:19 \[import-cycle\] /m);
    expect(bad?.stdout).toMatch(/^check-seams: 26 violations in 4 of 7 packages/m);
    const good = await run(process.execPath, [CLI, "--root", FIXTURE, "packages/good"]);
    expect(good.stdout).toMatch(/no cross-package use of internals, no import cycles/);
  });
});
