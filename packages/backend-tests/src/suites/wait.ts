/**
 * wait (fact 13), waitFor (fact 14) and asCompleted: return conditions, timeouts that cancel or
 * do not, races between a cancel and a completion. Loop times are exact on a virtual clock and
 * never early on a real one (see `loopTime`). Tests that sleep seconds of loop time, or whose
 * outcome is the order in which timers a few ms apart fire, run on virtual clocks only (each
 * says why).
 */
import { describe, expect, it } from "vitest";
import {
  ALL_COMPLETED,
  BREAK,
  CancelledError,
  type Coro,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type Future,
  type Task,
  TimeoutError,
  asCompleted,
  createTask,
  currentTask,
  forEach,
  getRunningLoop,
  sleep,
  toArray,
  wait,
  waitFor,
} from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";
import { AN_HOUR, failAfter, loopTime, now, resultAfter, resultWhen, run } from "../support.js";

/** Cancel `tasks` and wait until they are done (so a test leaves nothing running). */
function* stop(...tasks: Task<unknown>[]): Coro<void> {
  for (const t of tasks) {
    t.cancel();
    try {
      yield* t;
    } catch {}
  }
}

export function waitTests(l: LoopUnderTest): void {
  describe(`wait on ${l.name}`, () => {
    it("fact 13: FIRST_EXCEPTION returns at the first failure and cancels nothing", async () => {
      const out = await run(l, function* () {
        // slow finishes when the test lets it, not on a timer: a stall fires two timers together.
        const release = getRunningLoop().createFuture<void>();
        const bad = createTask(failAfter(10, new Error("x")));
        const slow = createTask(resultWhen(release, "slow"));
        const [done, pending] = yield* wait([bad, slow], { returnWhen: FIRST_EXCEPTION });
        const at = now();
        const slowCancelled = slow.cancelled();
        const slowDone = slow.done();
        release.setResult(undefined);
        const late = yield* slow;
        return { done, pending, bad, slow, at, slowCancelled, slowDone, late };
      });
      // (Futures are iterable: compare them by identity, never with toEqual.)
      expect(out.done.size).toBe(1);
      expect(out.done.has(out.bad)).toBe(true);
      expect(out.pending.size).toBe(1);
      expect(out.pending.has(out.slow)).toBe(true);
      expect(out.at).toEqual(loopTime(l, 10));
      expect(out.slowCancelled).toBe(false);
      expect(out.slowDone).toBe(false);
      expect(out.late).toBe("slow");
    });

    // Virtual clocks only: the 10 ms task must finish before the 50 ms timeout, and a stall
    // between the timeout's start and the task's first step puts the task's deadline later.
    it.skipIf(!l.virtualTime)(
      "fact 13: a wait timeout raises nothing and returns [done, pending]",
      async () => {
        const out = await run(l, function* () {
          const fast = createTask(resultAfter(10, 1));
          const slow = createTask(resultAfter(AN_HOUR, 2));
          const [done, pending] = yield* wait([fast, slow], { timeout: 50 });
          const at = now();
          const slowCancelled = slow.cancelled();
          yield* stop(slow);
          return { done, pending, fast, slow, at, slowCancelled };
        });
        expect(out.done.size).toBe(1);
        expect(out.done.has(out.fast)).toBe(true);
        expect(out.pending.size).toBe(1);
        expect(out.pending.has(out.slow)).toBe(true);
        expect(out.at).toEqual(loopTime(l, 50));
        expect(out.slowCancelled).toBe(false);
      },
    );

    it("FIRST_EXCEPTION does not count a cancellation and waits for all without a failure", async () => {
      const out = await run(l, function* () {
        const a = createTask(resultAfter(AN_HOUR, 1));
        const b = createTask(resultAfter(30, 2));
        yield* sleep(1);
        a.cancel();
        const [done, pending] = yield* wait([a, b], { returnWhen: FIRST_EXCEPTION });
        return { done: done.size, pending: pending.size, at: now() };
      });
      expect(out).toEqual({ done: 2, pending: 0, at: loopTime(l, 30) });
    });

    it("FIRST_COMPLETED returns at the first completion; ALL_COMPLETED at the last", async () => {
      const out = await run(l, function* () {
        // b starts its 30 ms once the first wait returned: a stall could fire two timers together.
        const release = getRunningLoop().createFuture<void>();
        const a = createTask(resultAfter(10, 1));
        const b = createTask(
          (function* () {
            yield* release;
            return yield* resultAfter(30, 2);
          })(),
        );
        const [d1, p1] = yield* wait([a, b], { returnWhen: FIRST_COMPLETED });
        const t1 = now();
        release.setResult(undefined);
        const [d2, p2] = yield* wait([a, b], { returnWhen: ALL_COMPLETED });
        return { d1, p1, t1, d2: d2.size, p2: p2.size, t2: now(), a, b };
      });
      expect(out.d1.size === 1 && out.d1.has(out.a)).toBe(true);
      expect(out.p1.size === 1 && out.p1.has(out.b)).toBe(true);
      expect(out.t1).toEqual(loopTime(l, 10));
      expect(out.d2).toBe(2);
      expect(out.p2).toBe(0);
      expect(out.t2).toEqual(loopTime(l, 40));
    });

    it("wraps coroutines in Tasks and returns those", async () => {
      const out = await run(l, function* () {
        const [done, pending] = yield* wait([resultAfter(5, "a"), resultAfter(6, "b")]);
        const results = [...done].map((t: Task<string>) => t.result()).sort();
        return { results, pending: pending.size };
      });
      expect(out).toEqual({ results: ["a", "b"], pending: 0 });
    });

    it("rejects an empty input, a bad returnWhen, a lone task and a bad timeout", async () => {
      const out = await run(l, function* () {
        const t = createTask(resultAfter(1, 1));
        const errs: unknown[] = [];
        const attempts: (() => unknown)[] = [
          () => wait([]),
          () => wait([t], { returnWhen: "FIRST" as never }),
          () => wait(t as never),
          () => wait([t], { timeout: Number.NaN }),
        ];
        for (const f of attempts) {
          try {
            f();
          } catch (e) {
            errs.push(e);
          }
        }
        yield* t;
        return errs;
      });
      expect(out).toHaveLength(4);
      expect(out[0]).toBeInstanceOf(RangeError);
      expect((out[0] as Error).message).toMatch(/empty/);
      expect(out[1]).toBeInstanceOf(RangeError);
      expect((out[1] as Error).message).toMatch(/FIRST_COMPLETED/);
      expect(out[2]).toBeInstanceOf(TypeError);
      expect(out[3]).toBeInstanceOf(RangeError);
    });

    it("timeout 0 returns after one iteration with everything pending", async () => {
      const out = await run(l, function* () {
        const t = createTask(resultAfter(10, 1));
        const [done, pending] = yield* wait([t], { timeout: 0 });
        yield* stop(t);
        return { done: done.size, pending: pending.size };
      });
      expect(out).toEqual({ done: 0, pending: 1 });
    });
  });

  describe(`waitFor on ${l.name}`, () => {
    it("fact 14: waitFor(coro, 0) throws TimeoutError without running the coroutine", async () => {
      const out = await run(l, function* () {
        let started = false;
        const coro = (function* () {
          started = true;
          return 5;
        })();
        let err: unknown;
        try {
          yield* waitFor(coro, 0);
        } catch (e) {
          err = e;
        }
        return { err, started, cancelling: currentTask()!.cancelling() };
      });
      expect(out.err).toBeInstanceOf(TimeoutError);
      expect((out.err as Error).cause).toBeInstanceOf(CancelledError);
      expect(out.started).toBe(false);
      expect(out.cancelling).toBe(0);
    });

    it("fact 14: if the inner task swallows the cancel and returns a value, waitFor returns it", async () => {
      const out = await run(l, function* () {
        function* stubborn(): Coro<string> {
          try {
            yield* sleep(AN_HOUR);
            return "finished";
          } catch {
            return "kept";
          }
        }
        const fromCoro = yield* waitFor(stubborn(), 10);
        const t = createTask(stubborn());
        yield;
        const fromTask = yield* waitFor(t, 10);
        const t0 = createTask(stubborn());
        yield;
        const fromTaskAtZero = yield* waitFor(t0, 0);
        return { fromCoro, fromTask, fromTaskAtZero, cancelling: currentTask()!.cancelling() };
      });
      expect(out).toEqual({
        fromCoro: "kept",
        fromTask: "kept",
        fromTaskAtZero: "kept",
        cancelling: 0,
      });
    });

    // Virtual clocks only: it sleeps 1.5 s of loop time and logs exact loop times.
    it.skipIf(!l.virtualTime)(
      "race: an inner task that ignores the cancel for a while is waited for",
      async () => {
        const out = await run(l, function* () {
          const log: string[] = [];
          function* slowToStop(result: "value" | "raise"): Coro<string> {
            try {
              yield* sleep(1000);
              return "finished";
            } catch (e) {
              log.push(`cancel seen at ${now()}`);
              yield* sleep(500); // keeps running after the cancel
              log.push(`stopping at ${now()}`);
              if (result === "raise") throw e;
              return "late";
            }
          }
          const t0 = now();
          const late = yield* waitFor(createTask(slowToStop("value")), 10);
          const lateAt = now() - t0;
          const started = createTask(slowToStop("value"));
          yield;
          const t1 = now();
          const lateAtZero = yield* waitFor(started, 0);
          const lateAtZeroAfter = now() - t1;
          log.length = 0;
          const t = createTask(slowToStop("raise"));
          let err: unknown;
          try {
            yield* waitFor(t, 10);
          } catch (e) {
            err = e;
          }
          return {
            late,
            lateAt,
            lateAtZero,
            lateAtZeroAfter,
            err,
            tCancelled: t.cancelled(),
            endAt: now() - t0,
            log,
          };
        });
        expect(out.late).toBe("late");
        expect(out.lateAt).toBe(510);
        expect(out.lateAtZero).toBe("late");
        expect(out.lateAtZeroAfter).toBe(500);
        expect(out.err).toBeInstanceOf(TimeoutError);
        // waitFor returns only once the inner task has really stopped.
        expect(out.tCancelled).toBe(true);
        expect(out.endAt).toBe(1520);
        expect(out.log).toEqual(["cancel seen at 1020", "stopping at 1520"]);
      },
    );

    // Virtual clocks only: it waits 5 s of loop time (a waitFor with no limit).
    it.skipIf(!l.virtualTime)(
      "cancels the inner future on timeout and passes other errors through",
      async () => {
        const out = await run(l, function* () {
          const loop = getRunningLoop();
          const fut: Future<number> = loop.createFuture();
          let timeoutErr: unknown;
          try {
            yield* waitFor(fut, 20);
          } catch (e) {
            timeoutErr = e;
          }
          let other: unknown;
          try {
            yield* waitFor(failAfter(5, new SyntaxError("s")), 20);
          } catch (e) {
            other = e;
          }
          const none = yield* waitFor(resultAfter(5000, "no limit"), null);
          const done = loop.createFuture<number>();
          done.setResult(3);
          const doneAtZero = yield* waitFor(done, 0);
          return { timeoutErr, futCancelled: fut.cancelled(), other, none, doneAtZero, at: now() };
        });
        expect(out.timeoutErr).toBeInstanceOf(TimeoutError);
        expect(out.futCancelled).toBe(true);
        expect(out.other).toBeInstanceOf(SyntaxError);
        expect(out.none).toBe("no limit");
        expect(out.doneAtZero).toBe(3);
        expect(out.at).toBe(5025);
      },
    );

    it("cancelling the waiter cancels the inner awaitable and raises CancelledError", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const inner = createTask(resultAfter(AN_HOUR, "inner", log));
        const waiter = createTask(waitFor(inner, AN_HOUR));
        yield* sleep(10);
        waiter.cancel();
        let err: unknown;
        try {
          yield* waiter;
        } catch (e) {
          err = e;
        }
        return { err, inner: inner.cancelled(), log };
      });
      expect(out.err).toBeInstanceOf(CancelledError);
      expect(out.inner).toBe(true);
      expect(out.log).toEqual(["cancelled inner"]);
    });

    it("rejects a NaN limit and a generator function", async () => {
      const errs = await run(l, function* () {
        const out: unknown[] = [];
        try {
          waitFor(resultAfter(1, 1), Number.NaN);
        } catch (e) {
          out.push(e);
        }
        try {
          waitFor(resultAfter as never, 5);
        } catch (e) {
          out.push(e);
        }
        yield;
        return out;
      });
      expect(errs[0]).toBeInstanceOf(RangeError);
      expect(errs[1]).toBeInstanceOf(TypeError);
      expect((errs[1] as Error).message).toMatch(/call the generator function first/);
    });
  });

  describe(`asCompleted on ${l.name}`, () => {
    // Virtual clocks only: it asserts the completion order of timers a few ms apart, and a stall
    // between two tasks' first steps reorders their deadlines.
    it.skipIf(!l.virtualTime)(
      "as a plain iterable gives awaitables that yield results in completion order",
      async () => {
        const out = await run(l, function* () {
          const results: string[] = [];
          for (const next of asCompleted([
            resultAfter(30, "a"),
            resultAfter(10, "b"),
            resultAfter(20, "c"),
          ])) {
            results.push(yield* next);
          }
          return results;
        });
        expect(out).toEqual(["b", "c", "a"]);
      },
    );

    // Virtual clocks only: it asserts the completion order of timers a few ms apart, and a stall
    // between two tasks' first steps reorders their deadlines.
    it.skipIf(!l.virtualTime)(
      "through aiter()/forEach gives the results in completion order",
      async () => {
        const out = await run(l, function* () {
          const seen: number[] = [];
          yield* forEach(
            asCompleted([resultAfter(30, 3), resultAfter(10, 1), resultAfter(20, 2)]),
            (v) => {
              seen.push(v);
            },
          );
          const all = yield* toArray(asCompleted([resultAfter(2, "y"), resultAfter(1, "x")]));
          return { seen, all };
        });
        expect(out).toEqual({ seen: [1, 2, 3], all: ["x", "y"] });
      },
    );

    // Virtual clocks only: it asserts the completion order of timers a few ms apart, and a stall
    // between two tasks' first steps reorders their deadlines.
    it.skipIf(!l.virtualTime)(
      "futures() gives the input tasks themselves as they finish",
      async () => {
        const out = await run(l, function* () {
          const a = createTask(resultAfter(30, "a"));
          const b = createTask(resultAfter(10, "b"));
          const it = asCompleted([a, b]).futures();
          const order: Future<string>[] = [];
          for (let r = yield* it.next(); !r.done; r = yield* it.next()) order.push(r.value);
          return { first: order[0] === b, second: order[1] === a, n: order.length };
        });
        expect(out).toEqual({ first: true, second: true, n: 2 });
      },
    );

    // Virtual clocks only: it asserts the completion order of timers a few ms apart, and a stall
    // between two tasks' first steps reorders their deadlines.
    it.skipIf(!l.virtualTime)(
      "awaitables taken in any order each get the next completion",
      async () => {
        const out = await run(l, function* () {
          const [n1, n2] = [...asCompleted([resultAfter(10, "x"), resultAfter(20, "y")])];
          const second = yield* n2!;
          const first = yield* n1!;
          return [second, first];
        });
        expect(out).toEqual(["x", "y"]);
      },
    );

    // Virtual clocks only: the 10 ms timer must fire before the 100 ms timeout (a stall fires both).
    it.skipIf(!l.virtualTime)(
      "a timeout makes the remaining awaitables throw TimeoutError, without cancelling",
      async () => {
        const out = await run(l, function* () {
          const slow = createTask(resultAfter(1000, "slow"));
          const got: unknown[] = [];
          const it = asCompleted([resultAfter(10, "fast"), slow], { timeout: 100 });
          try {
            for (const next of it) got.push(yield* next);
          } catch (e) {
            got.push(e);
          }
          const at = now();
          const slowCancelled = slow.cancelled();
          yield* stop(slow);
          return { got, at, slowCancelled, stats: it.statistics() };
        });
        expect(out.got[0]).toBe("fast");
        expect(out.got[1]).toBeInstanceOf(TimeoutError);
        expect(out.at).toEqual(loopTime(l, 100));
        expect(out.slowCancelled).toBe(false);
        expect(out.stats.timedOut).toBe(true);
      },
    );

    // Virtual clocks only: it asserts the completion order of timers a few ms apart, and a stall
    // between two tasks' first steps reorders their deadlines.
    it.skipIf(!l.virtualTime)(
      "an awaitable's error is thrown by the awaitable that takes it",
      async () => {
        const out = await run(l, function* () {
          const got: unknown[] = [];
          for (const next of asCompleted([
            resultAfter(20, "ok"),
            failAfter(10, new Error("bad")),
          ])) {
            try {
              got.push(yield* next);
            } catch (e) {
              got.push((e as Error).message);
            }
          }
          return got;
        });
        expect(out).toEqual(["bad", "ok"]);
      },
    );

    it("a consumer cancelled while waiting does not strand a completion", async () => {
      const out = await run(l, function* () {
        // b stays pending until the end: a timer could fire with a's in one iteration.
        const b = getRunningLoop().createFuture<string>();
        const ac = asCompleted([resultAfter(10, "a"), b]);
        const [n1, n2] = [...ac];
        const doomed = createTask(n1!);
        const keeper = createTask(n2!);
        yield* sleep(5);
        doomed.cancel();
        const first = yield* keeper;
        const stats = ac.statistics();
        b.cancel();
        return { first, doomed: doomed.cancelled(), stats };
      });
      expect(out.first).toBe("a");
      expect(out.doomed).toBe(true);
      expect(out.stats.ready).toBe(0);
    });

    it("a consumer woken and then cancelled passes the completion on", async () => {
      const out = await run(l, function* () {
        // b finishes when the test lets it: a is the first completion on every clock.
        const release = getRunningLoop().createFuture<void>();
        const a = createTask(resultAfter(10, "a"));
        const b = createTask(resultWhen(release, "b"));
        const [n1, n2] = [...asCompleted([a, b])];
        const doomed = createTask(n1!);
        yield; // doomed now waits first in line
        const keeper = createTask(n2!);
        yield;
        // Runs right after asCompleted's own done-callback has woken doomed, before doomed runs.
        a.addDoneCallback(() => doomed.cancel());
        const first = yield* keeper;
        const at = now();
        release.setResult(undefined);
        yield* b;
        return { first, at, doomed: doomed.cancelled() };
      });
      expect(out).toEqual({ first: "a", at: loopTime(l, 10), doomed: true });
    });

    // Virtual clocks only: it asserts the completion order of timers a few ms apart, and a stall
    // between two tasks' first steps reorders their deadlines.
    it.skipIf(!l.virtualTime)("stopping a forEach early releases the iterator", async () => {
      const out = await run(l, function* () {
        const third = createTask(resultAfter(30, 3));
        const ac = asCompleted([resultAfter(10, 1), resultAfter(20, 2), third], { timeout: 1000 });
        const seen: number[] = [];
        yield* forEach(ac, (v) => {
          seen.push(v);
          return v === 2 ? BREAK : undefined;
        });
        const rest = yield* ac.next();
        yield* third; // still running: stopping the iteration cancels nothing
        return { seen, restDone: rest.done, remaining: ac.statistics().remaining };
      });
      expect(out).toEqual({ seen: [1, 2], restDone: true, remaining: 0 });
    });

    it("rejects a lone awaitable and a bad timeout", async () => {
      const errs = await run(l, function* () {
        const t = createTask(resultAfter(1, 1));
        const out: unknown[] = [];
        try {
          asCompleted(t as never);
        } catch (e) {
          out.push(e);
        }
        try {
          asCompleted([t], { timeout: "soon" as never });
        } catch (e) {
          out.push(e);
        }
        yield* t;
        return out;
      });
      expect(errs[0]).toBeInstanceOf(TypeError);
      expect(errs[1]).toBeInstanceOf(RangeError);
    });
  });
}
