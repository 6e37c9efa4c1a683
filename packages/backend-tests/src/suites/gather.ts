/**
 * gather (fact 12) and shield: results in argument order, the first failure, cancellation in
 * both directions, returnExceptions, eager children, futures of another loop. The failure time
 * is exact on a virtual clock and never early on a real one (see `loopTime`).
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CancelledError,
  type Coro,
  Future,
  GatheringFuture,
  type Task,
  createTask,
  currentTask,
  eagerTaskFactory,
  gather,
  getRunningLoop,
  shield,
  sleep,
} from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";
import { AN_HOUR, failAfter, loopTime, now, resultAfter, resultWhen, run } from "../support.js";

function* num(): Coro<number> {
  yield* sleep(5);
  return 1;
}
function* str(): Coro<string> {
  yield;
  return "a";
}

export function gatherTests(l: LoopUnderTest): void {
  describe(`gather on ${l.name}`, () => {
    it("fact 12: the first failure fails the outer future and the siblings keep running", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        // The sibling finishes when the test lets it, after the failure on every clock.
        const release = getRunningLoop().createFuture<void>();
        const sibling = createTask(resultWhen(release, "sibling", log));
        const boom = new Error("boom");
        const g = gather([failAfter(10, boom), sibling]);
        let caught: unknown;
        try {
          yield* g;
        } catch (e) {
          caught = e;
        }
        const failedAt = now();
        const siblingDoneAtFailure = sibling.done();
        release.setResult(undefined);
        const late = yield* sibling;
        return { caught, boom, failedAt, siblingDoneAtFailure, late, log };
      });
      expect(out.caught).toBe(out.boom);
      expect(out.failedAt).toEqual(loopTime(l, 10));
      expect(out.siblingDoneAtFailure).toBe(false);
      expect(out.late).toBe("sibling");
      expect(out.log).toEqual(["done sibling"]);
    });

    it("fact 12: cancelling the outer future cancels every child", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const a = createTask(resultAfter(AN_HOUR, "a", log));
        const g = gather([a, resultAfter(AN_HOUR, "b", log)]);
        yield* sleep(1);
        const ret = g.cancel("stop");
        let caught: unknown;
        try {
          yield* g;
        } catch (e) {
          caught = e;
        }
        return { ret, caught, a: a.cancelled(), outerCancelled: g.cancelled(), log };
      });
      expect(out.ret).toBe(true);
      expect(out.caught).toBeInstanceOf(CancelledError);
      expect((out.caught as Error).message).toBe("stop");
      expect(out.a).toBe(true);
      // asyncio's rule: the outer carries a CancelledError exception, it is not itself cancelled.
      expect(out.outerCancelled).toBe(false);
      expect(out.log.sort()).toEqual(["cancelled a", "cancelled b"]);
    });

    it("fact 12: a cancelled child is a CancelledError exception, not a cancelled outer", async () => {
      const out = await run(l, function* () {
        const release = getRunningLoop().createFuture<void>();
        const a = createTask(resultAfter(AN_HOUR, 1));
        const b = createTask(resultWhen(release, 2));
        const g = gather([a, b]);
        yield* sleep(1);
        a.cancel("child only");
        let caught: unknown;
        try {
          yield* g;
        } catch (e) {
          caught = e;
        }
        const me = currentTask()!;
        const seen = {
          caught,
          outerCancelled: g.cancelled(),
          outerException: g.exception(),
          bDone: b.done(),
          meCancelling: me.cancelling(),
        };
        release.setResult(undefined);
        return { ...seen, b: yield* b };
      });
      expect(out.caught).toBeInstanceOf(CancelledError);
      expect((out.caught as Error).message).toBe("child only");
      expect(out.outerCancelled).toBe(false);
      expect(out.outerException).toBeInstanceOf(CancelledError);
      expect(out.bDone).toBe(false);
      expect(out.meCancelling).toBe(0);
      expect(out.b).toBe(2);
    });

    it("with returnExceptions a cancelled child is a CancelledError in the results", async () => {
      const out = await run(l, function* () {
        const a = createTask(resultAfter(AN_HOUR, 1));
        const g = gather([a, resultAfter(200, 2), failAfter(5, new RangeError("r"))], {
          returnExceptions: true,
        });
        yield* sleep(1);
        a.cancel("m");
        return yield* g;
      });
      expect(out[0]).toBeInstanceOf(CancelledError);
      expect((out[0] as Error).message).toBe("m");
      expect(out[1]).toBe(2);
      expect(out[2]).toBeInstanceOf(RangeError);
    });

    it("cancelling the outer raises CancelledError even with returnExceptions", async () => {
      const out = await run(l, function* () {
        const g = gather([resultAfter(AN_HOUR, 1), resultAfter(AN_HOUR, 2)], {
          returnExceptions: true,
        });
        yield* sleep(1);
        g.cancel();
        try {
          yield* g;
          return "no error";
        } catch (e) {
          return e;
        }
      });
      expect(out).toBeInstanceOf(CancelledError);
    });

    it("cancelling the task that awaits gather cancels the children", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const waiter = createTask(
          (function* () {
            return yield* gather([resultAfter(AN_HOUR, "a", log), resultAfter(AN_HOUR, "b", log)]);
          })(),
        );
        yield* sleep(1);
        waiter.cancel();
        try {
          yield* waiter;
        } catch (e) {
          log.push((e as Error).name);
        }
        return { log, cancelled: waiter.cancelled() };
      });
      expect(out.cancelled).toBe(true);
      expect(out.log.sort()).toEqual(["CancelledError", "cancelled a", "cancelled b"]);
    });

    it("gives results in argument order, typed as a tuple", async () => {
      const out = await run(l, function* () {
        const [a, b] = yield* gather([num(), str()]);
        expectTypeOf(a).toEqualTypeOf<number>();
        expectTypeOf(b).toEqualTypeOf<string>();
        const tasks: Task<number>[] = [
          createTask(resultAfter(30, 3)),
          createTask(resultAfter(10, 1)),
        ];
        const all = yield* gather(tasks);
        expectTypeOf(all).toEqualTypeOf<number[]>();
        const settled = yield* gather([num(), failAfter(1, new Error("x"))], {
          returnExceptions: true,
        });
        expectTypeOf(settled[0]).toEqualTypeOf<number | Error>();
        return { a, b, all, settled };
      });
      expect(out.a).toBe(1);
      expect(out.b).toBe("a");
      expect(out.all).toEqual([3, 1]);
      expect(out.settled[0]).toBe(1);
      expect((out.settled[1] as Error).message).toBe("x");
    });

    it("gather([]) resolves to [] and a repeated awaitable runs once", async () => {
      const out = await run(l, function* () {
        const empty = gather([]);
        const emptyDone = empty.done();
        let runs = 0;
        const t = createTask(
          (function* () {
            runs++;
            yield* sleep(5);
            return 7;
          })(),
        );
        const g = gather([t, t, t]);
        const r = yield* g;
        return { empty: yield* empty, emptyDone, r, runs, stats: g.statistics() };
      });
      expect(out.empty).toEqual([]);
      expect(out.emptyDone).toBe(true);
      expect(out.r).toEqual([7, 7, 7]);
      expect(out.runs).toBe(1);
      expect(out.stats).toEqual({ children: 1, finished: 1, cancelRequested: false });
    });

    it("is done at once when every child finished eagerly", async () => {
      const out = await run(l, function* () {
        const loop = getRunningLoop();
        loop.setTaskFactory(eagerTaskFactory);
        try {
          const g = gather([
            (function* () {
              return 1;
            })(),
            (function* () {
              return 2;
            })(),
          ]);
          return { done: g.done(), r: g.result() };
        } finally {
          loop.setTaskFactory(null);
        }
      });
      expect(out).toEqual({ done: true, r: [1, 2] });
    });

    it("cancel() after the outer failed returns false and cancels nobody", async () => {
      const out = await run(l, function* () {
        const sibling = createTask(resultAfter(50, "s"));
        const g = gather([failAfter(1, new Error("e")), sibling]);
        try {
          yield* g;
        } catch {}
        return { ret: g.cancel(), sibling: yield* sibling };
      });
      expect(out).toEqual({ ret: false, sibling: "s" });
    });

    it("accepts Futures and Promises next to coroutines", async () => {
      const out = await run(l, function* () {
        const loop = getRunningLoop();
        const f = loop.createFuture<string>();
        loop.callLater(5, () => f.setResult("fut"));
        return yield* gather([f, num()]);
      });
      expect(out).toEqual(["fut", 1]);
    });

    it("throws a TypeError for gather(a, b) and for unknown options", async () => {
      const out = await run(l, function* () {
        const errs: unknown[] = [];
        const t = createTask(num());
        try {
          (gather as (...a: unknown[]) => unknown)(t, t);
        } catch (e) {
          errs.push(e);
        }
        try {
          (gather as (...a: unknown[]) => unknown)([t], { return_exceptions: true });
        } catch (e) {
          errs.push(e);
        }
        yield* t;
        return errs;
      });
      expect(out).toHaveLength(2);
      expect(out[0]).toBeInstanceOf(TypeError);
      expect((out[0] as Error).message).toMatch(/gather\(\[a, b\]\)/);
      expect(out[1]).toBeInstanceOf(TypeError);
      expect((out[1] as Error).message).toMatch(/return_exceptions/);
    });

    it("refuses futures of another loop with a RangeError", async () => {
      const other = l.make();
      try {
        const err = await run(l, function* () {
          const mine = getRunningLoop().createFuture<number>();
          try {
            gather([mine, other.createFuture<number>()]);
            return null;
          } catch (e) {
            return e;
          } finally {
            yield;
          }
        });
        expect(err).toBeInstanceOf(RangeError);
        expect((err as Error).message).toMatch(/different event loops/);
      } finally {
        other.close();
      }
    });

    it("returns a GatheringFuture", async () => {
      // Returned in an object: a future is PromiseLike, and the kit's runs are awaited.
      const { g: out } = await run(l, function* () {
        const g = gather([num()]);
        yield* g;
        return { g };
      });
      expect(out).toBeInstanceOf(GatheringFuture);
      expect(out).toBeInstanceOf(Future);
    });
  });

  describe(`shield on ${l.name}`, () => {
    it("a cancelled waiter does not cancel the shielded task", async () => {
      const out = await run(l, function* () {
        const release = getRunningLoop().createFuture<void>();
        const inner = createTask(resultWhen(release, "kept"));
        const waiter = createTask(
          (function* () {
            return yield* shield(inner);
          })(),
        );
        yield* sleep(10);
        waiter.cancel();
        let waiterErr: unknown;
        try {
          yield* waiter;
        } catch (e) {
          waiterErr = e;
        }
        const innerCancelled = inner.cancelled();
        release.setResult(undefined);
        return { waiterErr, innerCancelled, inner: yield* inner };
      });
      expect(out.waiterErr).toBeInstanceOf(CancelledError);
      expect(out.innerCancelled).toBe(false);
      expect(out.inner).toBe("kept");
    });

    it("the shielded task's late result or error is not reported once the waiter is gone", async () => {
      const out = await run(l, function* () {
        const loop = getRunningLoop();
        const reports: unknown[] = [];
        loop.setExceptionHandler((_l, ctx) => reports.push(ctx.exception ?? ctx.message));
        try {
          // The inner tasks finish once the waiters are gone, not on timers a stall could fire first.
          const release = loop.createFuture<void>();
          const ok = createTask(resultWhen(release, "late"));
          const bad = createTask(
            (function* (): Coro<never> {
              yield* release;
              throw new Error("late failure");
            })(),
          );
          const waiters = [ok, bad].map((t) =>
            createTask(
              (function* () {
                return yield* shield(t);
              })(),
            ),
          );
          yield* sleep(5);
          for (const w of waiters) w.cancel();
          yield* sleep(5);
          release.setResult(undefined);
          yield* sleep(50);
          // The race: the inner finishes in the same iteration as the waiter's cancellation.
          const inner = loop.createFuture<string>();
          const w = createTask(
            (function* () {
              return yield* shield(inner);
            })(),
          );
          yield;
          loop.callSoon(() => {
            inner.setResult("same iteration");
            w.cancel();
          });
          yield* sleep(1);
          return {
            reports,
            ok: ok.result(),
            bad: (bad.exception() as Error).message,
            wCancelled: w.cancelled(),
          };
        } finally {
          loop.setExceptionHandler(null);
        }
      });
      expect(out).toEqual({ reports: [], ok: "late", bad: "late failure", wCancelled: true });
    });

    it("mirrors the inner result, error and cancellation", async () => {
      const out = await run(l, function* () {
        const ok = yield* shield(resultAfter(5, 1));
        let err: unknown;
        try {
          yield* shield(failAfter(5, new Error("bad")));
        } catch (e) {
          err = e;
        }
        const inner = createTask(resultAfter(50, 2));
        const s = shield(inner);
        yield;
        inner.cancel();
        let cancelled: unknown;
        try {
          yield* s;
        } catch (e) {
          cancelled = e;
        }
        const done = createTask(resultAfter(0, 3));
        yield* done;
        return { ok, err, cancelled, sCancelled: s.cancelled(), same: shield(done) === done };
      });
      expect(out.ok).toBe(1);
      expect((out.err as Error).message).toBe("bad");
      expect(out.cancelled).toBeInstanceOf(CancelledError);
      expect(out.sCancelled).toBe(true);
      expect(out.same).toBe(true);
    });
  });
}
