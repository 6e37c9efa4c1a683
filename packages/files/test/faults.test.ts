/**
 * Issue 11's file faults: each test failed before its fix. Every one ends with as many
 * descriptors open in the process as it began with.
 */
import { CancelledError, type Coro, createTask, gather, sleep, waitFor } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { OSError, WorkerCrashedError, type WorkerPool, open } from "../src/index.js";
import {
  RUNNERS,
  expectFdsBack,
  fixture,
  newPool,
  openFds,
  runSync,
  steadyFds,
  tmpDir,
  until,
  usePool,
  waitUntil,
} from "./support.js";

usePool();
const JOBS = new URL("./fixtures/jobs.mjs", import.meta.url);

describe("issue 11: file faults", () => {
  it("a. an open() cancelled after the worker opened the file, before its task resumed, closes the descriptor", async () => {
    const p = fixture(tmpDir(), "a.txt", "hello");
    const pool = newPool({ size: 1 });
    await runSync.run(() => pool.runInWorker(JOBS, "add", 0, 0)); // the worker is up
    const before = await steadyFds();
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
    await expectFdsBack(before);
  });

  it.each(["crashes", "is terminated"])(
    "b. closes sent to a worker that %s before it took them on still happen",
    async (how) => {
      const dir = tmpDir();
      const paths = [1, 2, 3].map((i) => fixture(dir, `b${i}.txt`, "x"));
      const pool = newPool({ size: 1 });
      // Compared with the pool in the same state: a worker thread has descriptors of its own.
      const crash = how === "crashes";
      if (crash) await runSync.run(() => pool.runInWorker(JOBS, "add", 0, 0)); // the worker is up
      const before = await steadyFds();
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const out = await runSync.run(function* () {
        const files = [];
        for (const p of paths) files.push(yield* open(p, "rb", { pool }));
        const written = yield* open(`${dir}/w.bin`, "wb", { pool });
        yield* written.write(new Uint8Array([1, 2, 3])); // buffered: the close job carries it
        const dying = crash
          ? createTask(pool.runInWorker(JOBS, "blockThenExit", flag, 9))
          : createTask(pool.runInWorker(JOBS, "block", flag));
        yield* until(() => Atomics.load(flag, 1) === 1);
        // Read-only: no job, the descriptors ride to the (busy) worker in a message.
        for (const f of files) yield* f.close();
        const closing = createTask(written.close());
        yield* sleep(5);
        // Not closed yet: the worker is busy (and, when terminated, was started in this run).
        expect(openFds()).toBeGreaterThanOrEqual(before + paths.length + 1);
        if (crash) {
          Atomics.store(flag, 0, 1); // the job returns, then kills the worker
          Atomics.notify(flag, 0);
          try {
            yield* dying;
          } catch {}
          // Messages to a worker are read in order: once this answers, earlier closes are done.
          yield* pool.runInWorker(JOBS, "add", 1, 1);
        } else {
          dying.cancel();
          pool.terminate();
        }
        try {
          yield* closing;
          return null;
        } catch (e) {
          return e;
        }
      });
      if (!crash) await pool.waitClosed();
      // The write's bytes went down with the worker they were moved to: close() says so.
      expect(out).toBeInstanceOf(WorkerCrashedError);
      expect((out as Error).message).toMatch(
        /descriptor was closed, but the bytes it carried were lost/,
      );
      await expectFdsBack(before);
    },
  );

  /** Open, read and close each of `paths` at once (one job each); their contents. */
  function* readAll(paths: string[], pool: WorkerPool): Coro<string[]> {
    const one = function* (p: string): Coro<string> {
      const f = yield* open(p, "r", { pool });
      try {
        return yield* f.read();
      } finally {
        yield* f.close();
      }
    };
    return yield* gather(paths.map((p) => one(p)));
  }

  it("c. one slow job does not hold up small reads while another worker idles", async () => {
    const dir = tmpDir();
    const paths = Array.from({ length: 100 }, (_, i) => fixture(dir, `c${i}.txt`, `${i}`));
    const pool = newPool({ size: 2, stuckAfterMs: Number.POSITIVE_INFINITY });
    const before = await steadyFds();
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const out = await runSync.run(function* () {
      // Submitted together: the slow job and half of the reads go to one worker, in one batch.
      const slow = createTask(pool.runInWorker(JOBS, "block", flag));
      const reads = createTask(readAll(paths, pool));
      // Before: the reads behind the slow job waited for it (here: forever).
      const texts = yield* waitFor(reads, 2000);
      const stillBlocked = !slow.done();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      yield* slow;
      return { texts, stillBlocked };
    });
    expect(out.texts).toEqual(paths.map((_, i) => `${i}`));
    expect(out.stillBlocked).toBe(true);
    expect(pool.statistics().reassigned).toBeGreaterThan(0);
    pool.close(); // (terminate() could cut a worker off in the middle of the last closes)
    await pool.waitClosed();
    await expectFdsBack(before);
  });

  // On a virtual clock the pool's timer does not fire while jobs are in flight: the loop's polls
  // find the deadline instead.
  it.each(RUNNERS.filter((r) => r.name.includes("runSync")))(
    "c. a job stuck longer than stuckAfterMs does not hold up the others: a worker starts in its place ($name)",
    async (runner) => {
      const dir = tmpDir();
      const paths = Array.from({ length: 20 }, (_, i) => fixture(dir, `s${i}.txt`, `${i}`));
      const pool = newPool({ size: 1, stuckAfterMs: 50 });
      const before = await steadyFds();
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const out = await runner.run(function* () {
        // One worker: every read waits behind the slow job until it counts as stuck.
        const slow = createTask(pool.runInWorker(JOBS, "block", flag));
        const reads = createTask(readAll(paths, pool));
        const texts = yield* waitFor(reads, 2000);
        const during = pool.statistics();
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        yield* slow;
        return { texts, during };
      });
      expect(out.texts).toEqual(paths.map((_, i) => `${i}`));
      expect(out.during).toMatchObject({ workers: 2, stuck: 1, started: 2 });
      expect(out.during.reassigned).toBeGreaterThan(0);
      // The worker started in its place quits once it is not needed any more.
      await waitUntil(() => pool.statistics().workers === 1);
      expect(pool.statistics()).toMatchObject({ workers: 1, stuck: 0, crashed: 0 });
      pool.close(); // (terminate() could cut a worker off in the middle of the last closes)
      await pool.waitClosed();
      await expectFdsBack(before);
    },
  );

  it("d. close() after a failed flush() on a full disk fails again: the bytes stay buffered", async () => {
    const pool = newPool({ size: 1 });
    await runSync.run(() => pool.runInWorker(JOBS, "add", 0, 0)); // the worker is up
    const before = await steadyFds();
    const out = await runSync.run(function* () {
      // /dev/full fails every write with ENOSPC, as a full disk does.
      const f = yield* open("/dev/full", "wb", { pool });
      yield* f.write(new Uint8Array([1, 2, 3])); // buffered
      const errors: unknown[] = [];
      for (const step of [() => f.flush(), () => f.flush(), () => f.close()]) {
        try {
          yield* step();
          errors.push(null);
        } catch (e) {
          errors.push(e);
        }
      }
      return { errors, closed: f.closed, stats: f.statistics() };
    });
    // Before: the first flush dropped the bytes, so the second flush and close() succeeded.
    for (const e of out.errors) {
      expect(e).toBeInstanceOf(OSError);
      expect((e as OSError).code).toBe("ENOSPC");
    }
    expect(out.closed).toBe(true);
    expect(out.stats.bytesWritten).toBe(0);
    await expectFdsBack(before);
  });
});
