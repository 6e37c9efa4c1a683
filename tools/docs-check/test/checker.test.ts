/**
 * The checker itself, on a made-up document: it finds the blocks a reader would run, reports a
 * type error at its line in the document, type-checks a marked fragment inside its wrapper, and
 * fails a block that throws or never ends.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Project,
  buildProject,
  checkShell,
  extractBlocks,
  extractShellBlocks,
  removeProject,
  runBlock,
} from "../src/docs-check.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const fence = "```";
const md = [
  "# A document", // 1
  "", // 2
  `${fence}sh`, // 3
  "npm install @aioloop/core", // 4
  fence, // 5
  "", // 6
  `${fence}ts`, // 7: complete, runs
  'import { sleep } from "@aioloop/core";', // 8
  'import { runSync } from "@aioloop/timer-loop";', // 9
  "runSync(function* () { yield* sleep(1); });", // 10
  fence, // 11
  "", // 12
  `${fence}typescript`, // 13: a type error on line 15
  'import { sleep } from "@aioloop/core";', // 14
  'const n: number = "one";', // 15
  fence, // 16
  "", // 17
  `${fence}ts`, // 18: top-level yield*, not marked as a fragment
  'import { sleep } from "@aioloop/core";', // 19
  "yield* sleep(1);", // 20
  fence, // 21
  "", // 22
  "<!-- fragment: handle is the reader's", // 23
  'import type { Coro } from "@aioloop/core";', // 24
  "declare function handle(item: number): Coro<void>;", // 25
  "-->", // 26
  `${fence}ts`, // 27: a fragment, with what it leaves out declared
  'import { sleep } from "@aioloop/core";', // 28
  "yield* sleep(1);", // 29
  "yield* handle(1);", // 30
  fence, // 31
  "", // 32
  `${fence}js`, // 33: throws
  'throw new Error("boom");', // 34
  fence, // 35
  "", // 36
  `${fence}ts`, // 37: never ends
  "setInterval(() => {}, 1000);", // 38
  fence, // 39
].join("\n");

const blocks = extractBlocks("fixture.md", md);
let project: Project;

beforeAll(() => {
  project = buildProject(root, blocks);
});
afterAll(() => {
  if (project) removeProject(project);
});

it("extracts the ts, typescript and js blocks, not sh", () => {
  expect(blocks.map((b) => [b.line, b.lang, b.fragment])).toEqual([
    [7, "ts", false],
    [13, "ts", false],
    [18, "ts", false],
    [27, "ts", true],
    [33, "js", false],
    [37, "ts", false],
  ]);
  expect(blocks[3]!.prelude).toContain("declare function handle");
});

it("reports type errors at their line in the document", () => {
  const errs = (line: number) => project.errors.get(`fixture.md:${line}`)!;
  expect(errs(7)).toEqual([]);
  expect(errs(13).join("\n")).toMatch(/^fixture\.md:15: Type 'string' is not assignable/);
  expect(errs(18).join("\n")).toMatch(/fixture\.md:20: /);
  expect(errs(27)).toEqual([]);
  expect(errs(33)).toEqual([]);
});

it("runs a complete block, and fails one that throws or never ends", async () => {
  const w = (line: number) => project.written.find((x) => x.block.line === line)!;
  const [ok, boom, stuck] = await Promise.all([
    runBlock(project.dir, w(7), 20_000),
    runBlock(project.dir, w(33), 20_000),
    runBlock(project.dir, w(37), 1_000),
  ]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(boom.code).not.toBe(0);
  expect(boom.stderr).toContain("boom");
  expect(stuck.timedOut).toBe(true);
});

it("checks that a shell block's scripts, directories and files exist", () => {
  const sh = [
    `${fence}sh`,
    "npx -y pnpm@10 install --frozen-lockfile && npx -y pnpm@10 test",
    "pnpm no-such-script --quick # a comment",
    "npm install @aioloop/core @aioloop/no-such-package",
    "cd packages/selector-loop && npx tsc -b",
    "npx -y tsx@4.23.15 bench/echo.ts",
    "npx -y tsx@4.23.15 bench/no-such-file.ts",
    fence,
  ].join("\n");
  const [b] = extractShellBlocks("shell.md", sh);
  expect(checkShell(root, b!)).toEqual([
    `shell.md:3: no script "no-such-script" in the root's package.json`,
    "shell.md:4: no workspace package @aioloop/no-such-package",
    "shell.md:7: no file bench/no-such-file.ts",
  ]);
});
