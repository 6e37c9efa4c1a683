/**
 * Lock (fact 17: fair hand-off, cancellation races) and Event.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  Event,
  Lock,
  LockNotAcquiredError,
  type Task,
  createTask,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { tick } from "../support.js";

/** Wait for a task and report how it ended, without throwing. */
function* outcome(t: Task<unknown>): Coro<string> {
  try {
    return `ok:${String(yield* t)}`;
  } catch (e) {
    return e instanceof CancelledError ? "cancelled" : `error:${(e as Error).name}`;
  }
}

export function lockTests(l: LoopUnderTest): void {
  describe(`Lock on ${l.name}`, () => {
    it("acquires at once when free, without giving up the loop", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        const got = yield* lock.acquire();
        const after = loop.statistics().iterations;
        const held = lock.locked();
        lock.release();
        return { got, held, same: before === after, free: !lock.locked() };
      });
      expect(out).toEqual({ got: true, held: true, same: true, free: true });
    });

    it("release() of an unlocked lock throws LockNotAcquiredError with advice", async () => {
      await runOn(l, function* () {
        const lock = new Lock();
        expect(() => lock.release()).toThrow(LockNotAcquiredError);
        expect(() => lock.release()).toThrow(/not acquired.*hold\(\)/);
        yield* lock.acquire();
        lock.release();
        expect(() => lock.release()).toThrow(LockNotAcquiredError);
      });
    });

    it("hold() releases at the end of a `using` block, also when the block throws", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        const seen: boolean[] = [];
        {
          using h = yield* lock.hold();
          seen.push(lock.locked(), h.held());
        }
        seen.push(lock.locked());
        try {
          using _ = yield* lock.hold();
          seen.push(lock.locked());
          throw new Error("boom");
        } catch {
          seen.push(lock.locked());
        }
        return seen;
      });
      expect(out).toEqual([true, true, false, true, false]);
    });

    it("a Hold releases once even when disposed twice", async () => {
      await runOn(l, function* () {
        const lock = new Lock();
        const h = yield* lock.hold();
        h.release();
        h[Symbol.dispose]();
        expect(lock.locked()).toBe(false);
        expect(h.held()).toBe(false);
      });
    });

    it("serializes tasks and wakes waiters in FIFO order", async () => {
      const order = await runOn(l, function* () {
        const lock = new Lock();
        const log: string[] = [];
        function* worker(name: string): Coro<void> {
          using _ = yield* lock.hold();
          log.push(`${name}+`);
          yield* sleep(10);
          log.push(`${name}-`);
        }
        const ts = ["a", "b", "c", "d"].map((n) => createTask(worker(n)));
        for (const t of ts) yield* t;
        return log;
      });
      expect(order).toEqual(["a+", "a-", "b+", "b-", "c+", "c-", "d+", "d-"]);
    });

    it("fact 17: after release(), a new acquire() queues behind the woken waiter", async () => {
      const log = await runOn(l, function* () {
        const lock = new Lock();
        const log: string[] = [];
        yield* lock.acquire();
        const b = createTask(
          (function* () {
            yield* lock.acquire();
            log.push("b");
            lock.release();
          })(),
        );
        yield* tick(); // b is waiting
        lock.release();
        log.push(`locked after release: ${lock.locked()}`);
        yield* lock.acquire(); // must not barge in ahead of b
        log.push("main");
        lock.release();
        yield* b;
        return log;
      });
      expect(log).toEqual(["locked after release: false", "b", "main"]);
    });

    it("fact 17: a waiter cancelled in the same tick it is woken passes the lock on", async () => {
      // CPython test_cancel_race: A holds, B and C wait; B is cancelled as A releases.
      const out = await runOn(l, function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const got: string[] = [];
        const mk = (name: string) =>
          createTask(
            (function* () {
              yield* lock.acquire();
              got.push(name);
              lock.release();
            })(),
          );
        const b = mk("b");
        const c = mk("c");
        yield* tick();
        lock.release(); // hands the lock to b...
        b.cancel(); // ...which is cancelled before it runs
        const rb = yield* outcome(b);
        yield* c;
        return { rb, got, locked: lock.locked(), stats: lock.statistics() };
      });
      expect(out.rb).toBe("cancelled");
      expect(out.got).toEqual(["c"]);
      expect(out.locked).toBe(false);
      expect(out.stats.waiters).toBe(0);
    });

    it("cancel/release race takes the lock exactly once (CPython test_cancel_release_race)", async () => {
      const out = await runOn(l, function* () {
        const loop = getRunningLoop();
        const lock = new Lock();
        let lockCount = 0;
        let callCount = 0;
        function* lockit(): Coro<void> {
          callCount++;
          yield* lock.acquire();
          lockCount++;
        }
        yield* lock.acquire();
        const t1 = createTask(lockit());
        const t2 = createTask(lockit());
        const t3 = createTask(lockit());
        yield* tick();
        loop.callSoon(() => {
          t1.cancel();
          lock.release();
        });
        const r1 = yield* outcome(t1);
        const snapshot = { lockCount, callCount, t1: r1, t2done: t2.done() };
        t3.cancel();
        yield* tick();
        return { ...snapshot, t3: t3.cancelled() };
      });
      expect(out).toEqual({ lockCount: 1, callCount: 3, t1: "cancelled", t2done: true, t3: true });
    });

    it("a waiter cancelled while queued leaves the line and the next one gets the lock", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const got: string[] = [];
        const mk = (name: string) =>
          createTask(
            (function* () {
              yield* lock.acquire();
              got.push(name);
              lock.release();
            })(),
          );
        const b = mk("b");
        const c = mk("c");
        yield* tick();
        b.cancel();
        yield* tick();
        const waiting = lock.statistics().waiters;
        lock.release();
        yield* c;
        return { got, waiting, b: b.cancelled() };
      });
      expect(out).toEqual({ got: ["c"], waiting: 1, b: true });
    });

    it("a waiter that catches its cancellation does not own the lock", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const b = createTask(
          (function* () {
            try {
              yield* lock.acquire();
              return "acquired";
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
              return "gave up";
            }
          })(),
        );
        yield* tick();
        lock.release();
        b.cancel();
        const r = yield* b;
        return { r, locked: lock.locked(), again: yield* lock.acquire() };
      });
      expect(out).toEqual({ r: "gave up", locked: false, again: true });
    });

    it("thousands of cancelled waiters leave no trace: the lock is free and acquired at once", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const waiters: Task<true>[] = [];
        for (let i = 0; i < 2000; i++) waiters.push(createTask(lock.acquire()));
        yield* tick();
        for (const w of waiters) w.cancel();
        yield* tick();
        const stats = lock.statistics();
        lock.release();
        const freeAfter = !lock.locked();
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        yield* lock.acquire();
        return {
          waiters: stats.waiters,
          cancelled: stats.cancelled,
          freeAfter,
          noWait: loop.statistics().iterations === before,
        };
      });
      expect(out).toEqual({ waiters: 0, cancelled: 2000, freeAfter: true, noWait: true });
    });

    it("statistics() counts acquisitions, contention and waiters", async () => {
      const s = await runOn(l, function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const t = createTask(lock.acquire());
        yield* tick();
        const mid = lock.statistics();
        lock.release();
        yield* t;
        lock.release();
        return { mid, end: lock.statistics(), str: String(lock) };
      });
      expect(s.mid).toEqual({ locked: true, waiters: 1, acquired: 1, contended: 1, cancelled: 0 });
      expect(s.end).toEqual({ locked: false, waiters: 0, acquired: 2, contended: 1, cancelled: 0 });
      expect(s.str).toBe("<Lock [unlocked]>");
    });
  });

  describe(`Event on ${l.name}`, () => {
    it("wait() returns at once (without yielding) when set; set/clear/isSet", async () => {
      const out = await runOn(l, function* () {
        const ev = new Event();
        const flags = [ev.isSet()];
        ev.set();
        flags.push(ev.isSet());
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        const r = yield* ev.wait();
        const same = loop.statistics().iterations === before;
        ev.clear();
        flags.push(ev.isSet());
        return { flags, r, same };
      });
      expect(out).toEqual({ flags: [false, true, false], r: true, same: true });
    });

    it("set() wakes every waiter; after clear() wait() blocks again", async () => {
      const out = await runOn(l, function* () {
        const ev = new Event();
        const woke: number[] = [];
        const ts = [1, 2, 3].map((i) =>
          createTask(
            (function* () {
              yield* ev.wait();
              woke.push(i);
            })(),
          ),
        );
        yield* tick();
        const beforeSet = woke.length;
        ev.set();
        ev.set(); // a second set() does nothing
        for (const t of ts) yield* t;
        ev.clear();
        const late = createTask(ev.wait());
        yield* tick(3);
        const lateDone = late.done();
        ev.set();
        yield* late;
        return { beforeSet, woke, lateDone, stats: ev.statistics() };
      });
      expect(out.beforeSet).toBe(0);
      expect(out.woke).toEqual([1, 2, 3]);
      expect(out.lateDone).toBe(false);
      expect(out.stats).toEqual({ isSet: true, waiters: 0, sets: 2, woken: 4 });
    });

    it("set() wakes 100k waiters in one loop iteration", async () => {
      const N = 100_000;
      const out = await runOn(l, function* () {
        const loop = getRunningLoop();
        const ev = new Event();
        let woken = 0;
        function* waiter(): Coro<void> {
          yield* ev.wait();
          woken++;
        }
        for (let i = 0; i < N; i++) createTask(waiter());
        yield* tick(); // every waiter is parked
        const parked = ev.statistics().waiters;
        const before = loop.statistics().iterations;
        ev.set();
        yield; // runs in the next iteration, after every woken waiter
        return { parked, woken, iterations: loop.statistics().iterations - before };
      });
      expect(out).toEqual({ parked: N, woken: N, iterations: 1 });
    });

    it("a cancelled waiter is not woken and the others are", async () => {
      const out = await runOn(l, function* () {
        const ev = new Event();
        const a = createTask(ev.wait());
        const b = createTask(ev.wait());
        yield* tick();
        a.cancel();
        yield* tick();
        const waiting = ev.statistics().waiters;
        ev.set();
        return { a: yield* outcome(a), b: yield* outcome(b), waiting };
      });
      expect(out).toEqual({ a: "cancelled", b: "ok:true", waiting: 1 });
    });

    it("a waiter woken and cancelled in the same tick ends cancelled; the others still wake", async () => {
      const out = await runOn(l, function* () {
        const ev = new Event();
        const a = createTask(ev.wait());
        const b = createTask(ev.wait());
        yield* tick();
        ev.set();
        a.cancel();
        return { a: yield* outcome(a), b: yield* outcome(b) };
      });
      expect(out).toEqual({ a: "cancelled", b: "ok:true" });
    });

    it("waiters cancelled in bulk do not accumulate (lazy compaction)", async () => {
      const out = await runOn(l, function* () {
        const ev = new Event();
        for (let round = 0; round < 5; round++) {
          const ts: Task<true>[] = [];
          for (let i = 0; i < 1000; i++) ts.push(createTask(ev.wait()));
          yield* tick();
          for (const t of ts) t.cancel();
          yield* tick();
        }
        const keep = createTask(ev.wait());
        yield* tick();
        const waiting = ev.statistics().waiters;
        ev.set();
        yield* keep;
        return { waiting, str: String(ev) };
      });
      expect(out).toEqual({ waiting: 1, str: "<Event [set]>" });
    });
  });
}
