/**
 * Semaphore and BoundedSemaphore (fact 18): FIFO wake-ups, cancellation races that must never
 * leak or duplicate a unit, over-release.
 */
import { describe, expect, it } from "vitest";
import {
  BoundedSemaphore,
  CancelledError,
  type Coro,
  InvalidArgumentError,
  OverReleaseError,
  Semaphore,
  type Task,
  createTask,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { tick } from "../support.js";

function* settle(ts: Task<unknown>[]): Coro<void> {
  for (const t of ts) {
    try {
      yield* t;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
    }
  }
}

export function semaphoreTests(l: LoopUnderTest): void {
  describe(`Semaphore on ${l.name}`, () => {
    it("rejects a negative or fractional initial value with InvalidArgumentError", () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "2"]) {
        expect(() => new Semaphore(bad as number)).toThrow(InvalidArgumentError);
      }
      expect(() => new BoundedSemaphore(-1)).toThrow(/BoundedSemaphore\(-1\)/);
      expect(new Semaphore(0).locked()).toBe(true);
    });

    it("hands out `value` units at once, then makes acquire() wait", async () => {
      const out = await runOn(l, function* () {
        const sem = new Semaphore(2);
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        yield* sem.acquire();
        yield* sem.acquire();
        const noWait = loop.statistics().iterations === before;
        const locked = sem.locked();
        const t = createTask(sem.acquire());
        yield* tick(3);
        const waiting = !t.done();
        sem.release();
        yield* t;
        return { noWait, locked, waiting, stats: sem.statistics() };
      });
      expect(out.noWait && out.locked && out.waiting).toBe(true);
      expect(out.stats).toEqual({
        value: 0,
        locked: true,
        waiters: 0,
        inTransit: 0,
        acquired: 3,
        contended: 1,
        cancelled: 0,
      });
    });

    it("fact 18: wakes waiters FIFO (CPython test_acquire_fifo_order)", async () => {
      const result = await runOn(l, function* () {
        const sem = new Semaphore(1);
        const result: string[] = [];
        function* coro(tag: string): Coro<void> {
          yield* sem.acquire();
          result.push(`${tag}_1`);
          yield* sleep(10);
          sem.release();
          yield* sem.acquire();
          result.push(`${tag}_2`);
          yield* sleep(10);
          sem.release();
        }
        yield* settle(["c1", "c2", "c3"].map((t) => createTask(coro(t))));
        return result;
      });
      expect(result).toEqual(["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
    });

    it("a release() then acquire() in one step queues behind the woken waiter (test_acquire_fifo_order_2)", async () => {
      const result = await runOn(l, function* () {
        const sem = new Semaphore(1);
        const result: number[] = [];
        const t1 = createTask(
          (function* () {
            yield* sem.acquire();
            result.push(1);
          })(),
        );
        const t2 = createTask(
          (function* () {
            yield* sem.acquire();
            result.push(2);
            sem.release();
            yield* sem.acquire();
            result.push(4);
          })(),
        );
        const t3 = createTask(
          (function* () {
            yield* sem.acquire();
            result.push(3);
          })(),
        );
        yield* tick();
        sem.release();
        sem.release();
        yield* settle([t1, t2, t3]);
        return result;
      });
      expect(result).toEqual([1, 2, 3, 4]);
    });

    it("a waiter cancelled before being woken is skipped (test_acquire_fifo_order_3)", async () => {
      const result = await runOn(l, function* () {
        const sem = new Semaphore(0);
        const result: number[] = [];
        const mk = (n: number) =>
          createTask(
            (function* () {
              yield* sem.acquire();
              result.push(n);
            })(),
          );
        const ts = [mk(1), mk(2), mk(3)];
        yield* tick();
        ts[0]!.cancel();
        yield* tick();
        sem.release();
        sem.release();
        yield* settle(ts);
        return result;
      });
      expect(result).toEqual([2, 3]);
    });

    it("cancelling queued waiters before a release wakes exactly one of the rest (test_acquire_cancel_before_awoken)", async () => {
      const out = await runOn(l, function* () {
        const sem = new Semaphore(0);
        const [t1, t2, t3, t4] = [0, 1, 2, 3].map(() => createTask(sem.acquire())) as Task<true>[];
        yield* tick();
        t1!.cancel();
        t2!.cancel();
        sem.release();
        yield* tick(2);
        const r = { t3: t3!.done(), t4: t4!.done(), locked: sem.locked() };
        t3!.cancel();
        t4!.cancel();
        yield* tick();
        return r;
      });
      expect(out).toEqual({ t3: true, t4: false, locked: true });
    });

    it("fact 18: a waiter woken and cancelled in the same tick gives its unit back (test_acquire_no_hang)", async () => {
      const out = await runOn(l, function* () {
        const sem = new Semaphore(1);
        let t2: Task<void> | null = null;
        const t1 = createTask(
          (function* () {
            {
              using _ = yield* sem.hold();
              yield* tick();
            }
            t2!.cancel(); // t2 was just handed the unit
          })(),
        );
        t2 = createTask(
          (function* () {
            using _ = yield* sem.hold();
            throw new Error("t2 must not get the unit");
          })(),
        );
        yield* settle([t1, t2]);
        const stats = sem.statistics();
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        yield* sem.acquire(); // the unit came back: no wait
        return {
          t2: t2.cancelled(),
          value: stats.value,
          inTransit: stats.inTransit,
          noWait: loop.statistics().iterations === before,
        };
      });
      expect(out).toEqual({ t2: true, value: 1, inTransit: 0, noWait: true });
    });

    it("a woken waiter that gives its unit back wakes the next one", async () => {
      const out = await runOn(l, function* () {
        const sem = new Semaphore(0);
        const got: string[] = [];
        const mk = (name: string) =>
          createTask(
            (function* () {
              yield* sem.acquire();
              got.push(name);
            })(),
          );
        const a = mk("a");
        const b = mk("b");
        yield* tick();
        sem.release(); // to a
        a.cancel(); // a gives it back: b gets it
        yield* settle([a, b]);
        return { got, value: sem.statistics().value };
      });
      expect(out).toEqual({ got: ["b"], value: 0 });
    });

    it("cancellation storms never leak or duplicate units", async () => {
      const out = await runOn(l, function* () {
        const UNITS = 3;
        const sem = new Semaphore(UNITS);
        let seed = 12345;
        const rand = (n: number) => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed % n;
        };
        let inside = 0;
        let maxInside = 0;
        function* worker(): Coro<void> {
          using _ = yield* sem.hold();
          inside++;
          maxInside = Math.max(maxInside, inside);
          try {
            yield* sleep(rand(5));
          } finally {
            inside--;
          }
        }
        const tasks: Task<void>[] = [];
        for (let round = 0; round < 200; round++) {
          tasks.push(createTask(worker()));
          if (rand(3) === 0) tasks[rand(tasks.length)]!.cancel();
          if (rand(2) === 0) yield* tick(rand(3));
          if (rand(4) === 0) yield* sleep(rand(4));
        }
        yield* settle(tasks);
        const s = sem.statistics();
        return { maxInside, value: s.value, inTransit: s.inTransit, locked: sem.locked() };
      });
      expect(out).toEqual({ maxInside: 3, value: 3, inTransit: 0, locked: false });
    });
  });

  describe(`BoundedSemaphore on ${l.name}`, () => {
    it("fact 18: over-release throws OverReleaseError with advice", async () => {
      await runOn(l, function* () {
        const sem = new BoundedSemaphore(2);
        expect(() => sem.release()).toThrow(OverReleaseError);
        yield* sem.acquire();
        sem.release();
        expect(() => sem.release()).toThrow(/released too many times.*acquire\(\)/);
        expect(sem.statistics().value).toBe(2);
      });
    });

    it("an extra release() while a unit is in transit to a woken waiter is caught", async () => {
      const out = await runOn(l, function* () {
        const sem = new BoundedSemaphore(1);
        yield* sem.acquire();
        const t = createTask(sem.acquire());
        yield* tick();
        sem.release(); // the unit goes to t (in transit)
        let err: unknown = null;
        try {
          sem.release();
        } catch (e) {
          err = e;
        }
        yield* t;
        sem.release();
        return { err: err instanceof OverReleaseError, value: sem.statistics().value };
      });
      expect(out).toEqual({ err: true, value: 1 });
    });

    it("hold() works as for Semaphore", async () => {
      const out = await runOn(l, function* () {
        const sem = new BoundedSemaphore(1);
        {
          using _ = yield* sem.hold();
          expect(sem.locked()).toBe(true);
        }
        return { locked: sem.locked(), str: String(sem) };
      });
      expect(out).toEqual({ locked: false, str: "<BoundedSemaphore [unlocked, value:1]>" });
    });
  });
}
