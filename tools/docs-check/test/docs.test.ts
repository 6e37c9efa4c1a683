/**
 * Every code block of the documentation, one test each (named `doc:line`): it type-checks, and a
 * complete block (not marked as a fragment) runs with node and exits 0 within RUN_MS. The
 * packages are imported as built (dist/): turbo builds them before this test.
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Block,
  type Project,
  type RunResult,
  buildProject,
  checkShell,
  documents,
  extractBlocks,
  extractShellBlocks,
  pool,
  removeProject,
  runBlock,
} from "../src/docs-check.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
/** What one block may take to run: they sleep a few seconds at most (README's count: 3 s). */
const RUN_MS = 30_000;
/** Blocks running at once: a small pool, CI runs every package's tests beside this one. */
const WIDTH = Math.max(2, Math.min(4, availableParallelism()));

const blocks: Block[] = documents(root).flatMap((doc) =>
  extractBlocks(doc, readFileSync(join(root, doc), "utf8")),
);
let project: Project;
const runs = new Map<string, Promise<RunResult>>();

beforeAll(() => {
  project = buildProject(root, blocks);
  const complete = project.written.filter((w) => !w.block.fragment && !w.block.testFile);
  const started = pool(
    WIDTH,
    complete.map((w) => () => runBlock(project.dir, w, RUN_MS)),
  );
  complete.forEach((w, i) => {
    runs.set(w.block.id, started[i]!);
  });
});

afterAll(async () => {
  await Promise.allSettled(runs.values());
  if (project) removeProject(project);
});

it("finds the documentation's blocks, and the packages built", () => {
  for (const p of ["core", "timer-loop", "selector-loop", "files", "backend-tests"]) {
    const dts = join(root, "packages", p, "dist", "index.d.ts");
    expect(existsSync(dts), `${dts} is missing: build the packages first (pnpm build)`).toBe(true);
  }
  expect(blocks.length).toBeGreaterThan(20);
  expect(project.global).toEqual([]);
});

describe.each(documents(root))("%s", (doc) => {
  const mine = blocks.filter((b) => b.doc === doc);
  if (mine.length === 0) it.skip("has no ts/js block", () => {});
  for (const sh of extractShellBlocks(doc, readFileSync(join(root, doc), "utf8"))) {
    it(`${sh.id} (sh: not run; the scripts and files it names exist)`, () => {
      expect(checkShell(root, sh)).toEqual([]);
    });
  }
  for (const b of mine) {
    const only = b.fragment
      ? " (fragment: type-checked only)"
      : b.testFile
        ? " (test file: type-checked only)"
        : "";
    it(`${b.id}${only}`, async () => {
      const errors = project.errors.get(b.id) ?? [];
      expect(errors, `type errors in ${b.id}:\n${errors.join("\n")}`).toEqual([]);
      if (only) return;
      const r = await runs.get(b.id)!;
      const why = r.timedOut ? `still running after ${RUN_MS / 1000} s, killed` : `exit ${r.code}`;
      expect(r.code, `${b.id}: ${why}\n${r.stdout}\n${r.stderr}`).toBe(0);
    });
  }
});
