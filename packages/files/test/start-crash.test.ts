import { createTask } from "@aioloop/core";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_START_CRASHES, WorkerCrashedError } from "../src/index.js";
import { REAL_RUNNERS, newPool, until, usePool } from "./support.js";

usePool();
const JOBS = new URL("./fixtures/jobs.mjs", import.meta.url);
/** Test-only switch read by worker.js: the worker exits (code 1) on its first batch of jobs. */
const DIE_AT_START = "AIOLOOP_FILES_TEST_DIE_AT_START";

afterEach(() => {
  delete process.env[DIE_AT_START];
});

describe.each(REAL_RUNNERS)("a worker that dies before running any job, on $name", (runner) => {
  it("fails the waiting jobs with WorkerCrashedError after MAX_START_CRASHES deaths", async () => {
    // Worker threads copy the environment when they start: every worker of this pool dies.
    process.env[DIE_AT_START] = "1";
    const pool = newPool({ size: 2 });
    const out = await runner.run(function* () {
      const a = createTask(pool.runInWorker<number>(JOBS, "add", 1, 1));
      const b = createTask(pool.runInWorker<number>(JOBS, "add", 2, 2));
      // Bounded: fails after about 5 s instead of waiting on replacements forever.
      yield* until(() => a.done() && b.done());
      return [a.exception(), b.exception()];
    });
    for (const e of out) {
      expect(e).toBeInstanceOf(WorkerCrashedError);
      expect((e as WorkerCrashedError).exitCode).toBe(1);
      expect((e as Error).message).toMatch(
        new RegExp(`died ${MAX_START_CRASHES} times in a row before running any job`),
      );
    }
    expect(pool.statistics()).toMatchObject({
      crashed: MAX_START_CRASHES,
      started: MAX_START_CRASHES,
      workers: 0,
      failed: 2,
      queued: 0,
      inFlight: 0,
    });

    // Workers that can start again: the pool tries anew, and a crash of a worker that ran
    // jobs keeps the usual behaviour (only its running job fails).
    delete process.env[DIE_AT_START];
    const again = await runner.run(function* () {
      const n = yield* pool.runInWorker<number>(JOBS, "add", 2, 3);
      let crash: unknown;
      try {
        yield* pool.runInWorker(JOBS, "exit", 3);
      } catch (e) {
        crash = e;
      }
      return { n, crash, after: yield* pool.runInWorker<number>(JOBS, "add", 1, 2) };
    });
    expect(again.n).toBe(5);
    expect(again.crash).toBeInstanceOf(WorkerCrashedError);
    expect((again.crash as Error).message).toMatch(/while running runInWorker/);
    expect(again.after).toBe(3);
    expect(pool.statistics().crashed).toBe(MAX_START_CRASHES + 1);
  });
});
