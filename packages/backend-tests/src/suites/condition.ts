/**
 * Condition: wait/notify under its lock, waitFor, cancellation while waiting or re-acquiring,
 * conditions sharing one lock.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  Condition,
  InvalidArgumentError,
  Lock,
  LockNotAcquiredError,
  type Task,
  createTask,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { tick } from "../support.js";

export function conditionTests(l: LoopUnderTest): void {
  describe(`Condition on ${l.name}`, () => {
    it("wait(), notify() and notifyAll() without the lock throw LockNotAcquiredError", async () => {
      await runOn(l, function* () {
        const cond = new Condition();
        expect(() => cond.notify()).toThrow(LockNotAcquiredError);
        expect(() => cond.notifyAll()).toThrow(/notifyAll\(\) without holding its lock/);
        let err: unknown = null;
        try {
          yield* cond.wait();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(LockNotAcquiredError);
        expect(String(err)).toMatch(/wait\(\) without holding its lock.*hold\(\)/);
      });
    });

    it("bad arguments throw InvalidArgumentError", async () => {
      await runOn(l, function* () {
        expect(() => new Condition({} as Lock)).toThrow(InvalidArgumentError);
        const cond = new Condition();
        yield* cond.acquire();
        expect(() => cond.notify(-1)).toThrow(InvalidArgumentError);
        expect(() => cond.notify(Number.NaN)).toThrow(InvalidArgumentError);
        let err: unknown = null;
        try {
          yield* cond.waitFor(42 as unknown as () => boolean);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(InvalidArgumentError);
        cond.release();
      });
    });

    it("wait() releases the lock while waiting and holds it again on return", async () => {
      const log = await runOn(l, function* () {
        const cond = new Condition();
        const log: string[] = [];
        const waiter = createTask(
          (function* () {
            using _ = yield* cond.hold();
            log.push("waiting");
            const r = yield* cond.wait();
            log.push(`woke ${r} locked=${cond.locked()}`);
          })(),
        );
        yield* tick();
        log.push(`main sees locked=${cond.locked()}`);
        {
          using _ = yield* cond.hold();
          cond.notify();
          log.push("notified");
        }
        yield* waiter;
        log.push(`end locked=${cond.locked()}`);
        return log;
      });
      expect(log).toEqual([
        "waiting",
        "main sees locked=false",
        "notified",
        "woke true locked=true",
        "end locked=false",
      ]);
    });

    it("notify(n) wakes the n oldest waiters; notifyAll() wakes the rest", async () => {
      const out = await runOn(l, function* () {
        const cond = new Condition();
        const woke: number[] = [];
        const ts = [0, 1, 2, 3, 4].map((i) =>
          createTask(
            (function* () {
              using _ = yield* cond.hold();
              yield* cond.wait();
              woke.push(i);
            })(),
          ),
        );
        yield* tick();
        {
          using _ = yield* cond.hold();
          cond.notify(2);
        }
        yield* sleep(10);
        const afterTwo = [...woke];
        {
          using _ = yield* cond.hold();
          cond.notify(0);
          cond.notifyAll();
        }
        for (const t of ts) yield* t;
        return { afterTwo, woke, stats: cond.statistics() };
      });
      expect(out.afterTwo).toEqual([0, 1]);
      expect(out.woke).toEqual([0, 1, 2, 3, 4]);
      expect(out.stats).toEqual({ locked: false, waiters: 0, notified: 5 });
    });

    it("waitFor(pred) returns the predicate's value once it is truthy", async () => {
      const out = await runOn(l, function* () {
        const cond = new Condition();
        const items: string[] = [];
        let checks = 0;
        const consumer = createTask(
          (function* () {
            using _ = yield* cond.hold();
            const n = yield* cond.waitFor(() => {
              checks++;
              return items.length >= 2 ? items.length : 0;
            });
            return { n, first: items.shift() };
          })(),
        );
        for (const it of ["a", "b"]) {
          yield* tick();
          using _ = yield* cond.hold();
          items.push(it);
          cond.notifyAll();
        }
        return { r: yield* consumer, checks };
      });
      expect(out).toEqual({ r: { n: 2, first: "a" }, checks: 3 });
    });

    it("a cancelled waiter re-acquires the lock before CancelledError reaches it", async () => {
      const out = await runOn(l, function* () {
        const cond = new Condition();
        const seen: string[] = [];
        const t = createTask(
          (function* () {
            yield* cond.acquire();
            try {
              yield* cond.wait();
            } catch (e) {
              seen.push(`${(e as Error).name} locked=${cond.locked()}`);
              throw e;
            } finally {
              cond.release();
            }
          })(),
        );
        yield* tick();
        // Hold the lock while cancelling: the waiter must queue for it before it can raise.
        yield* cond.acquire();
        t.cancel();
        yield* tick(3);
        seen.push(`still waiting for the lock: ${!t.done()}`);
        cond.release();
        try {
          yield* t;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
        }
        return { seen, locked: cond.locked() };
      });
      expect(out).toEqual({
        seen: ["still waiting for the lock: true", "CancelledError locked=true"],
        locked: false,
      });
    });

    it("a waiter notified and then cancelled passes the notification on (3.13)", async () => {
      // CPython test_cancelled_error_wakeup: the notify() must not be lost with the cancelled task.
      const out = await runOn(l, function* () {
        const cond = new Condition();
        const woke: string[] = [];
        const mk = (name: string): Task<void> =>
          createTask(
            (function* () {
              using _ = yield* cond.hold();
              yield* cond.wait();
              woke.push(name);
            })(),
          );
        const a = mk("a");
        const b = mk("b");
        yield* tick();
        {
          using _ = yield* cond.hold();
          cond.notify(1); // a is chosen...
          a.cancel(); // ...and cancelled in the same tick
        }
        yield* sleep(10);
        return { woke, a: a.cancelled(), b: b.done() };
      });
      expect(out).toEqual({ woke: ["b"], a: true, b: true });
    });

    it("a waiter cancelled before any notify consumes nothing: the next notify reaches another", async () => {
      const out = await runOn(l, function* () {
        const cond = new Condition();
        const woke: string[] = [];
        const mk = (name: string): Task<void> =>
          createTask(
            (function* () {
              using _ = yield* cond.hold();
              yield* cond.wait();
              woke.push(name);
            })(),
          );
        const a = mk("a");
        const b = mk("b");
        const c = mk("c");
        yield* tick();
        a.cancel();
        yield* sleep(10);
        const afterCancel = [...woke];
        {
          using _ = yield* cond.hold();
          cond.notify(1);
        }
        yield* b;
        yield* sleep(10);
        const r = { afterCancel, woke: [...woke], c: c.done() };
        c.cancel();
        yield* tick(2);
        return r;
      });
      expect(out).toEqual({ afterCancel: [], woke: ["b"], c: false });
    });

    it("a cancel that arrives while re-acquiring the lock is re-thrown once the lock is held", async () => {
      const out = await runOn(l, function* () {
        const cond = new Condition();
        const seen: string[] = [];
        const t = createTask(
          (function* () {
            yield* cond.acquire();
            try {
              yield* cond.wait();
              seen.push("returned");
            } catch (e) {
              seen.push(`${(e as Error).name} locked=${cond.locked()}`);
            } finally {
              cond.release();
            }
          })(),
        );
        yield* tick();
        yield* cond.acquire();
        cond.notify(); // t wakes and queues for the lock held by main
        yield* tick(2);
        t.cancel(); // cancelled while waiting for the lock
        yield* tick(2);
        cond.release();
        yield* t;
        return { seen, locked: cond.locked() };
      });
      expect(out).toEqual({ seen: ["CancelledError locked=true"], locked: false });
    });

    it("conditions can share one lock", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        const notEmpty = new Condition(lock);
        const notFull = new Condition(lock);
        const buf: number[] = [];
        const CAP = 2;
        const got: number[] = [];
        const consumer = createTask(
          (function* () {
            for (let i = 0; i < 6; i++) {
              using _ = yield* notEmpty.hold();
              yield* notEmpty.waitFor(() => buf.length > 0);
              got.push(buf.shift()!);
              notFull.notify();
            }
          })(),
        );
        for (let i = 0; i < 6; i++) {
          using _ = yield* notFull.hold();
          yield* notFull.waitFor(() => buf.length < CAP);
          buf.push(i);
          expect(lock.locked()).toBe(true);
          notEmpty.notify();
        }
        yield* consumer;
        return got;
      });
      expect(out).toEqual([0, 1, 2, 3, 4, 5]);
    });
  });
}
