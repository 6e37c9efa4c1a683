/**
 * taskGroup (fact 16): the first child error cancels the rest and the body, errors gathered in
 * an ExceptionGroup, outside cancels, nesting with timeouts and other groups, cancelling()
 * always restored. Loop times are exact on a virtual clock and never early on a real one.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  ExceptionGroup,
  InvalidStateError,
  type Task,
  type TaskGroup,
  TimeoutError,
  createTask,
  currentTask,
  eagerTaskFactory,
  getRunningLoop,
  sleep,
  taskGroup,
  timeout,
  waitFor,
} from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";
import {
  AN_HOUR,
  cancelling,
  failAfter,
  loopTime,
  now,
  resultAfter,
  run,
  settle,
} from "../support.js";

/** A child that, when cancelled, fails with `err` instead of stopping quietly. */
function* failsOnCancel(err: unknown): Coro<void> {
  try {
    yield* sleep(10_000);
  } catch {
    throw err;
  }
}

function errorOf(r: unknown): unknown {
  return (r as { error: unknown }).error;
}

export function taskGroupTests(l: LoopUnderTest): void {
  describe(`taskGroup on ${l.name}`, () => {
    it("fact 16: the first child error cancels the others and the body; an ExceptionGroup is thrown; cancelling() is restored", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const a = new Error("a");
        const before = cancelling();
        const r = yield* settle(
          taskGroup(function* (tg) {
            tg.createTask(failAfter(10, a));
            tg.createTask(resultAfter(AN_HOUR, "sibling", log));
            try {
              yield* sleep(AN_HOUR);
              log.push("body finished");
            } catch (e) {
              log.push(`body ${(e as Error).name}`);
              throw e;
            }
          }),
        );
        return { r, a, log, before, after: cancelling(), at: now() };
      });
      const eg = errorOf(out.r);
      expect(eg).toBeInstanceOf(ExceptionGroup);
      expect((eg as ExceptionGroup).errors).toEqual([out.a]);
      expect((eg as Error).message).toBe("unhandled errors in a TaskGroup (1 sub-exception)");
      expect(out.log.sort()).toEqual(["body CancelledError", "cancelled sibling"]);
      expect(out.before).toBe(0);
      expect(out.after).toBe(0);
      expect(out.at).toEqual(loopTime(l, 10));
    });

    it("waits for every child and returns the body's value", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        let tasks: Task<string>[] = [];
        const v = yield* taskGroup(function* (tg) {
          tasks = [
            tg.createTask(resultAfter(30, "x", log)),
            tg.createTask(resultAfter(20, "y", log)),
          ];
          return "body value";
        });
        return { v, log: log.sort(), results: tasks.map((t) => t.result()), at: now() };
      });
      // (The log is sorted: which child finishes first is up to the clock, not the group.)
      expect(out).toEqual({
        v: "body value",
        log: ["done x", "done y"],
        results: ["x", "y"],
        at: loopTime(l, 30),
      });
    });

    it("the body's own error is in the group and the children are cancelled", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const bodyErr = new RangeError("body");
        const r = yield* settle(
          taskGroup(function* (tg) {
            tg.createTask(resultAfter(AN_HOUR, "child", log));
            yield;
            throw bodyErr;
          }),
        );
        return { r, bodyErr, log, cancelling: cancelling() };
      });
      const eg = errorOf(out.r) as ExceptionGroup;
      expect(eg).toBeInstanceOf(ExceptionGroup);
      expect(eg.errors).toEqual([out.bodyErr]);
      expect(out.log).toEqual(["cancelled child"]);
      expect(out.cancelling).toBe(0);
    });

    it("race: a child failing while the body is already failing: both errors, child first", async () => {
      const out = await run(l, function* () {
        const childErr = new Error("child");
        const bodyErr = new Error("body after cancel");
        const r = yield* settle(
          taskGroup(function* (tg) {
            tg.createTask(failAfter(10, childErr));
            try {
              yield* sleep(AN_HOUR);
            } catch {
              // The body is cancelled by the child's failure and fails on its own.
              throw bodyErr;
            }
          }),
        );
        // The body fails first; a child then fails while being cancelled (its cleanup throws).
        const cleanupErr = new Error("cleanup");
        const bodyFirst = new Error("body first");
        const r2 = yield* settle(
          taskGroup(function* (tg) {
            tg.createTask(failsOnCancel(cleanupErr));
            yield;
            throw bodyFirst;
          }),
        );
        return { r, r2, childErr, bodyErr, cleanupErr, bodyFirst, cancelling: cancelling() };
      });
      expect((errorOf(out.r) as ExceptionGroup).errors).toEqual([out.childErr, out.bodyErr]);
      expect((errorOf(out.r2) as ExceptionGroup).errors).toEqual([out.cleanupErr, out.bodyFirst]);
      expect(out.cancelling).toBe(0);
    });

    // Virtual clocks only: the two children fail together only if their timers share a deadline,
    // and on a real clock two `failAfter(10)` started microseconds apart are due apart.
    it.skipIf(!l.virtualTime)(
      "children failing together, or after the body returned, leave cancelling() at 0",
      async () => {
        const out = await run(l, function* () {
          const j1 = new Error("j1");
          const j2 = new Error("j2");
          const r1 = yield* settle(
            taskGroup(function* (tg) {
              tg.createTask(failAfter(10, j1));
              tg.createTask(failAfter(10, j2));
            }),
          );
          const c1 = cancelling();
          const k = new Error("k");
          const log: string[] = [];
          const r2 = yield* settle(
            taskGroup(function* (tg) {
              tg.createTask(failAfter(10, k));
              tg.createTask(resultAfter(1000, "k2", log));
            }),
          );
          const c2 = cancelling();
          yield* sleep(5); // no stray cancel is delivered later
          return { r1, r2, j1, j2, k, c1, c2, log };
        });
        expect((errorOf(out.r1) as ExceptionGroup).errors).toEqual([out.j1, out.j2]);
        expect((errorOf(out.r2) as ExceptionGroup).errors).toEqual([out.k]);
        expect(out.log).toEqual(["cancelled k2"]);
        expect(out.c1).toBe(0);
        expect(out.c2).toBe(0);
      },
    );

    it("cancelling the parent from outside raises CancelledError (not a group) and cancels the children", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const parent = createTask(
          taskGroup(function* (tg) {
            tg.createTask(resultAfter(AN_HOUR, "c1", log));
            tg.createTask(resultAfter(AN_HOUR, "c2", log));
            yield* sleep(AN_HOUR);
          }),
        );
        yield* sleep(10);
        parent.cancel();
        const r = yield* settle(parent);
        return { r, log, cancelled: parent.cancelled() };
      });
      expect(errorOf(out.r)).toBeInstanceOf(CancelledError);
      expect(out.cancelled).toBe(true);
      expect(out.log.sort()).toEqual(["cancelled c1", "cancelled c2"]);
    });

    it("an outside cancel while the group waits for its children is kept after the group's errors", async () => {
      const out = await run(l, function* () {
        const cleanup = new Error("cleanup");
        const log: string[] = [];
        const parent = createTask(
          (function* () {
            try {
              yield* taskGroup(function* (tg) {
                tg.createTask(failsOnCancel(cleanup));
                yield* sleep(AN_HOUR);
              });
            } catch (e) {
              log.push(`${(e as Error).name} ${cancelling()}`);
              // The outside cancel is re-requested: the next suspension raises it.
              yield* sleep(0);
              log.push("not reached");
            }
          })(),
        );
        yield* sleep(10);
        parent.cancel();
        const r = yield* settle(parent);
        return { r, log, cancelled: parent.cancelled() };
      });
      expect(out.log).toEqual(["ExceptionGroup 1"]);
      expect(errorOf(out.r)).toBeInstanceOf(CancelledError);
      expect(out.cancelled).toBe(true);
    });

    it("creating tasks on a finished group, or on one shutting down, throws InvalidStateError", async () => {
      const out = await run(l, function* () {
        let kept: TaskGroup | null = null;
        yield* taskGroup(function* (tg) {
          kept = tg;
        });
        const errs: unknown[] = [];
        let ran = false;
        const probe = (function* () {
          ran = true;
          yield;
        })();
        try {
          kept!.createTask(probe);
        } catch (e) {
          errs.push(e);
        }
        // The refused coroutine is closed (as Python's coro.close()): it can never run.
        const closed = probe.next().done === true && !ran;
        yield* settle(
          taskGroup(function* (tg) {
            tg.createTask(failAfter(0, new Error("x")));
            try {
              yield* sleep(AN_HOUR);
            } catch (e) {
              try {
                tg.createTask(resultAfter(1, "late"));
              } catch (e2) {
                errs.push(e2);
              }
              throw e;
            }
          }),
        );
        return { errs, closed, stats: kept!.statistics() };
      });
      expect(out.errs).toHaveLength(2);
      expect(out.errs[0]).toBeInstanceOf(InvalidStateError);
      expect((out.errs[0] as Error).message).toMatch(/is finished/);
      expect(out.errs[1]).toBeInstanceOf(InvalidStateError);
      expect((out.errs[1] as Error).message).toMatch(/shutting down/);
      expect(out.closed).toBe(true);
      expect(out.stats).toEqual({
        state: "finished",
        aborting: false,
        running: 0,
        created: 0,
        errors: 0,
      });
    });

    it("a running child can start a sibling while the group exits", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        yield* taskGroup(function* (tg) {
          tg.createTask(
            (function* () {
              yield* sleep(10);
              tg.createTask(resultAfter(10, "late", log));
            })(),
          );
        });
        return { log, at: now() };
      });
      expect(out).toEqual({ log: ["done late"], at: loopTime(l, 20) });
    });

    it("a child cancelled on its own does not fail the group", async () => {
      const out = await run(l, function* () {
        let t: Task<string> | null = null;
        const v = yield* taskGroup(function* (tg) {
          t = tg.createTask(resultAfter(AN_HOUR, "c"));
          tg.createTask(resultAfter(20, "d"));
          yield;
          t.cancel();
          return "ok";
        });
        return { v, cancelled: (t as Task<string> | null)!.cancelled(), at: now() };
      });
      expect(out).toEqual({ v: "ok", cancelled: true, at: loopTime(l, 20) });
    });

    it("inside a timeout: the group's cancellation becomes TimeoutError; cancelling() back to 0", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const r = yield* settle(
          timeout(10, () =>
            taskGroup(function* (tg) {
              tg.createTask(resultAfter(AN_HOUR, "child", log));
              yield* sleep(AN_HOUR);
            }),
          ),
        );
        return { r, log, cancelling: cancelling(), at: now() };
      });
      expect(errorOf(out.r)).toBeInstanceOf(TimeoutError);
      expect(out.log).toEqual(["cancelled child"]);
      expect(out.cancelling).toBe(0);
      expect(out.at).toEqual(loopTime(l, 10));
    });

    it("a child error inside a timeout gives the group, and the timeout has not expired", async () => {
      const out = await run(l, function* () {
        const bad = new Error("bad");
        let expired: boolean | null = null;
        const r = yield* settle(
          // An hour: a timeout that must not expire first (a stall would fire a 100 ms one with
          // the child's 5 ms timer).
          timeout(AN_HOUR, function* (t) {
            try {
              yield* taskGroup(function* (tg) {
                tg.createTask(failAfter(5, bad));
                yield* sleep(AN_HOUR);
              });
            } finally {
              expired = t.expired();
            }
          }),
        );
        return { r, bad, expired, cancelling: cancelling() };
      });
      expect((errorOf(out.r) as ExceptionGroup).errors).toEqual([out.bad]);
      expect(out.expired).toBe(false);
      expect(out.cancelling).toBe(0);
    });

    it("an eager child that fails at once still aborts the group cleanly", async () => {
      const out = await run(l, function* () {
        const loop = getRunningLoop();
        const log: string[] = [];
        const now0 = new Error("at once");
        loop.setTaskFactory(eagerTaskFactory);
        try {
          const r = yield* settle(
            taskGroup(function* (tg) {
              tg.createTask(resultAfter(AN_HOUR, "slow", log));
              tg.createTask(
                (function* (): Coro<void> {
                  throw now0;
                })(),
              );
              yield* sleep(AN_HOUR);
            }),
          );
          return { r, now0, log, cancelling: cancelling() };
        } finally {
          loop.setTaskFactory(null);
        }
      });
      expect((errorOf(out.r) as ExceptionGroup).errors).toEqual([out.now0]);
      expect(out.log).toEqual(["cancelled slow"]);
      expect(out.cancelling).toBe(0);
    });

    it("nested groups: an inner failure nests its group; an outer failure cancels the inner group", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const innerErr = new Error("inner");
        const r1 = yield* settle(
          taskGroup(function* (outer) {
            outer.createTask(resultAfter(AN_HOUR, "A", log));
            yield* taskGroup(function* (inner) {
              inner.createTask(failAfter(10, innerErr));
            });
          }),
        );
        const c1 = cancelling();
        const outerErr = new Error("outer child");
        const r2 = yield* settle(
          taskGroup(function* (outer) {
            outer.createTask(failAfter(10, outerErr));
            yield* taskGroup(function* (inner) {
              inner.createTask(resultAfter(AN_HOUR, "B", log));
              yield* sleep(AN_HOUR);
            });
          }),
        );
        return { r1, r2, innerErr, outerErr, log, c1, c2: cancelling() };
      });
      // Checked against CPython 3.13: EG[EG[inner]] and EG[outer child], cancelling() 0.
      const eg1 = errorOf(out.r1) as ExceptionGroup;
      expect(eg1.errors).toHaveLength(1);
      expect(eg1.errors[0]).toBeInstanceOf(ExceptionGroup);
      expect((eg1.errors[0] as ExceptionGroup).errors).toEqual([out.innerErr]);
      expect((errorOf(out.r2) as ExceptionGroup).errors).toEqual([out.outerErr]);
      expect(out.log).toEqual(["cancelled A", "cancelled B"]);
      expect(out.c1).toBe(0);
      expect(out.c2).toBe(0);
    });

    it("a waitFor in the body is cancelled by a child failure, not turned into TimeoutError", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const x = new Error("x");
        const r = yield* settle(
          taskGroup(function* (tg) {
            tg.createTask(failAfter(10, x));
            yield* waitFor(resultAfter(AN_HOUR, "E", log), AN_HOUR);
          }),
        );
        return { r, x, log, cancelling: cancelling() };
      });
      expect((errorOf(out.r) as ExceptionGroup).errors).toEqual([out.x]);
      expect(out.log).toEqual(["cancelled E"]);
      expect(out.cancelling).toBe(0);
    });

    it("a parent already carrying a cancel request keeps it: cancelling() back to 1, re-raised later", async () => {
      const out = await run(l, function* () {
        const me = currentTask()!;
        const log: string[] = [];
        me.cancel();
        try {
          yield;
        } catch {
          log.push(`caught own cancel ${cancelling()}`);
        }
        try {
          yield* taskGroup(function* (tg) {
            tg.createTask(failAfter(10, new Error("v")));
            yield* sleep(AN_HOUR);
          });
        } catch (e) {
          log.push(`${(e as Error).name} ${cancelling()}`);
        }
        try {
          yield;
          log.push("next suspension fine");
        } catch (e) {
          log.push(`next suspension ${(e as Error).name} ${cancelling()}`);
        }
        // With the stale request still counted, a timeout claims only its own cancel.
        try {
          yield* timeout(10, () => sleep(AN_HOUR));
        } catch (e) {
          log.push((e as Error).name);
        }
        return log;
      });
      // Checked against CPython 3.13.
      expect(out).toEqual([
        "caught own cancel 1",
        "ExceptionGroup 1",
        "next suspension CancelledError 1",
        "TimeoutError",
      ]);
    });

    it("statistics() and toString() describe the group", async () => {
      const out = await run(l, function* () {
        const seen: unknown[] = [];
        yield* taskGroup(function* (tg) {
          const one = tg.createTask(resultAfter(5, 1), { name: "one" });
          seen.push(tg.statistics(), String(tg));
          // Awaiting the child, not sleeping past it: on a real clock a stall can fire a later
          // timer of the body together with the child's. The group's own done-callback on the
          // child came first, so it has run when the body resumes.
          yield* one;
          seen.push(tg.statistics());
        });
        return seen;
      });
      expect(out).toEqual([
        { state: "active", aborting: false, running: 1, created: 1, errors: 0 },
        "<TaskGroup tasks=1 active>",
        { state: "active", aborting: false, running: 0, created: 1, errors: 0 },
      ]);
    });

    it("outside a task, or without a body function, throws a named error", async () => {
      const out = await run(l, function* () {
        const loop = getRunningLoop();
        const errs: unknown[] = [];
        try {
          taskGroup(undefined as never);
        } catch (e) {
          errs.push(e);
        }
        const fut = loop.createFuture<void>();
        loop.callSoon(() => {
          try {
            taskGroup(function* () {}).next();
          } catch (e) {
            errs.push(e);
          }
          fut.setResult(undefined);
        });
        yield* fut;
        return errs;
      });
      expect(out[0]).toBeInstanceOf(TypeError);
      expect(out[1]).toBeInstanceOf(InvalidStateError);
      expect((out[1] as Error).message).toMatch(/inside a task/);
    });
  });
}
