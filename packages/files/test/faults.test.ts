/**
 * Issue 11's file faults: each test failed before its fix. Every one ends with as many
 * descriptors open in the process as it began with.
 */
import { CancelledError, type Coro, createTask, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { open } from "../src/index.js";
import { fixture, newPool, openFds, runSync, tmpDir, usePool } from "./support.js";

usePool();
const JOBS = new URL("./fixtures/jobs.mjs", import.meta.url);

/** Wait (real clock) until `pred` holds (it is called once per millisecond). */
function* until(pred: () => boolean): Coro<void> {
  for (let i = 0; i < 5000; i++) {
    if (pred()) return;
    yield* sleep(1);
  }
  throw new Error("condition never held");
}

describe("issue 11: file faults", () => {
  it("a. an open() cancelled after the worker opened the file, before its task resumed, closes the descriptor", async () => {
    const p = fixture(tmpDir(), "a.txt", "hello");
    const pool = newPool({ size: 1 });
    await runSync.run(() => pool.runInWorker(JOBS, "add", 0, 0)); // the worker is up
    const before = openFds();
    const out = await runSync.run(function* () {
      const answered = pool.statistics().completed;
      const t = createTask(open(p, "rb", { pool }));
      // This task was queued before `t` is woken, so it runs first in the iteration whose poll
      // delivered the open()'s answer: `t` has its file but has not resumed yet.
      while (pool.statistics().completed === answered) yield;
      const resumed = t.done();
      t.cancel();
      let err: unknown;
      try {
        yield* t;
      } catch (e) {
        err = e;
      }
      yield* until(() => pool.statistics().inFlight === 0 && pool.statistics().queued === 0);
      return { resumed, err };
    });
    expect(out.resumed).toBe(false);
    expect(out.err).toBeInstanceOf(CancelledError);
    expect(openFds()).toBe(before);
  });
});
