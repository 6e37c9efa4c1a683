/**
 * CPython 3.13 parity replays (see parity.ts): wait / waitFor / asCompleted,
 * timeout / timeoutAt, taskGroup.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  ExceptionGroup,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type Task,
  TimeoutError,
  asCompleted,
  createTask,
  gather,
  getRunningLoop,
  sleep,
  taskGroup,
  timeout,
  wait,
  waitFor,
} from "@aioloop/core";
import { Boom, type Log, type Replay, ename, me, ticker } from "./parity-support.js";

export function parityWaiting(r: Replay): void {
  const { l, run, now, at } = r;

  describe("wait / waitFor / asCompleted", () => {
    // py: [["wait"], ["tick", 0], ["tick", 1], ["waited", 0, 1, 0.0], ["tick", 2], ["tick", 3],
    //      ["waited done", 1, 0], ["tick", 4], ["tick", 5]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "wait(timeout=0) still suspends: returns after two iterations, with done futures too",
      async () => {
        const log: Log = [];
        await run(function* () {
          const loop = getRunningLoop();
          const t1 = createTask(sleep(5));
          const tk = ticker(log);
          log.push(["wait"]);
          const [done, pending] = yield* wait([t1], { timeout: 0 });
          log.push(["waited", done.size, pending.size, now()]);
          const f = loop.createFuture<number>();
          f.setResult(3);
          const [done2, pending2] = yield* wait([f], { timeout: 0 });
          log.push(["waited done", done2.size, pending2.size]);
          yield* tk;
          t1.cancel();
        });
        expect(log).toEqual([
          ["wait"],
          ["tick", 0],
          ["tick", 1],
          ["waited", 0, 1, 0],
          ["tick", 2],
          ["tick", 3],
          ["waited done", 1, 0],
          ["tick", 4],
          ["tick", 5],
        ]);
      },
    );

    // py: [["at", 2.0, ["2"], 2], ["fc at", 2.0, 1, 2]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "wait FIRST_EXCEPTION returns at the first failure; FIRST_COMPLETED with one done",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* bad(d: number): Coro<never> {
            yield* sleep(d);
            throw new Boom(String(d));
          }
          const ts = [createTask(bad(2)), createTask(bad(5)), createTask(sleep(10, 1))];
          let [done, pending] = yield* wait(ts, { returnWhen: FIRST_EXCEPTION });
          log.push([
            "at",
            now(),
            [...done].map((t) => (t.exception() as Error).message).sort(),
            pending.size,
          ]);
          [done, pending] = yield* wait(ts, { returnWhen: FIRST_COMPLETED });
          log.push(["fc at", now(), done.size, pending.size]);
          for (const t of ts) t.cancel();
          yield* wait(ts);
        });
        expect(log).toEqual([
          ["at", 2, ["2"], 2],
          ["fc at", 2, 1, 2],
        ]);
      },
    );

    // py: [["w1", 7], ["w0", 7], ["wn", 7], ["tick", 0], ["tick", 1],
    //      ["timeout", true, "CancelledError"], ["tick", 2]]
    it("waitFor on a done future returns without yielding (any timeout); on a pending one with 0 it cancels it", async () => {
      const log: Log = [];
      await run(function* () {
        const loop = getRunningLoop();
        const f = loop.createFuture<number>();
        f.setResult(7);
        const tk = ticker(log, 3);
        log.push(["w1", yield* waitFor(f, 10)]);
        log.push(["w0", yield* waitFor(f, 0)]);
        log.push(["wn", yield* waitFor(f, null)]);
        const g = loop.createFuture<number>();
        try {
          yield* waitFor(g, 0);
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
          log.push(["timeout", g.cancelled(), ename(e.cause)]);
        }
        yield* tk;
      });
      expect(log).toEqual([
        ["w1", 7],
        ["w0", 7],
        ["wn", 7],
        ["tick", 0],
        ["tick", 1],
        ["timeout", true, "CancelledError"],
        ["tick", 2],
      ]);
    });

    // py: [["timeout", 0.0], ["timeout neg", 0.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)("waitFor(coro, 0 or less) never runs the coroutine", async () => {
      const log: Log = [];
      await run(function* () {
        function* body(): Coro<number> {
          log.push(["body ran"]);
          return 1;
        }
        try {
          yield* waitFor(body(), 0);
        } catch (e) {
          if (e instanceof TimeoutError) log.push(["timeout", now()]);
        }
        try {
          yield* waitFor(body(), -1);
        } catch (e) {
          if (e instanceof TimeoutError) log.push(["timeout neg", now()]);
        }
      });
      expect(log).toEqual([
        ["timeout", 0],
        ["timeout neg", 0],
      ]);
    });

    // py: [["swallowed", 5.0], ["r", 7, 7.0, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "waitFor returns the value of an inner coroutine that swallows the cancel",
      async () => {
        const log: Log = [];
        await run(function* () {
          const r = yield* waitFor(
            (function* (): Coro<number> {
              try {
                yield* sleep(10);
              } catch {
                log.push(["swallowed", now()]);
                yield* sleep(2);
                return 7;
              }
              return 0;
            })(),
            5,
          );
          log.push(["r", r, now(), me().cancelling()]);
        });
        expect(log).toEqual([
          ["swallowed", 5],
          ["r", 7, 7, 0],
        ]);
      },
    );

    // py: [["cleanup done", 6.0], ["timeout", 6.0, true]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "waitFor(task) on timeout waits for the task's cleanup before raising TimeoutError",
      async () => {
        const log: Log = [];
        await run(function* () {
          const t = createTask(
            (function* (): Coro<void> {
              try {
                yield* sleep(10);
              } finally {
                yield* sleep(5);
                log.push(["cleanup done", now()]);
              }
            })(),
          );
          try {
            yield* waitFor(t, 1);
          } catch (e) {
            if (e instanceof TimeoutError) log.push(["timeout", now(), t.cancelled()]);
          }
        });
        expect(log).toEqual([
          ["cleanup done", 6],
          ["timeout", 6, true],
        ]);
      },
    );

    // py: [["cancelled", 2.0, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "waitFor(task) where the task is cancelled by someone else raises CancelledError, not TimeoutError",
      async () => {
        const log: Log = [];
        await run(function* () {
          const t = createTask(sleep(10));
          getRunningLoop().callLater(2, () => t.cancel());
          try {
            yield* waitFor(t, 5);
          } catch (e) {
            if (e instanceof CancelledError) log.push(["cancelled", now(), me().cancelling()]);
            else if (e instanceof TimeoutError) log.push(["timeout", now()]);
          }
        });
        expect(log).toEqual([["cancelled", 2, 0]]);
      },
    );

    // py: [["outer timeout caught", 5.0, true]]
    // virtualTime: the order hangs on deadlines tied to the exact ms, and the log prints times
    it.skipIf(!l.virtualTime)(
      "waitFor inside a timeout with the same deadline: the outer timeout claims it",
      async () => {
        const log: Log = [];
        await run(function* () {
          let tt: { expired(): boolean } | null = null;
          try {
            yield* timeout(5, function* (t) {
              tt = t;
              yield* waitFor(sleep(10), 5);
            });
          } catch (e) {
            if (e instanceof TimeoutError) log.push(["outer timeout caught", now(), tt!.expired()]);
            else throw e;
          }
        });
        expect(log).toEqual([["outer timeout caught", 5, true]]);
      },
    );

    // py: [["got", 1, 1.0], ["timeout", 3.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "asCompleted with a timeout: results in completion order, then TimeoutError",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* d(x: number): Coro<number> {
            yield* sleep(x);
            return x;
          }
          const tasks = [createTask(d(5)), createTask(d(1))];
          for (const aw of asCompleted(tasks, { timeout: 3 })) {
            try {
              log.push(["got", yield* aw, now()]);
            } catch (e) {
              if (e instanceof TimeoutError) log.push(["timeout", now()]);
              else throw e;
            }
          }
          yield* gather(tasks);
        });
        expect(log).toEqual([
          ["got", 1, 1],
          ["timeout", 3],
        ]);
      },
    );
  });

  describe("timeout / timeoutAt", () => {
    // py: [["rescheduled", 2.0], ["timeout", 3.0, true, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "reschedule() into the past expires at the next suspension, even a bare yield",
      async () => {
        const log: Log = [];
        await run(function* () {
          const loop = getRunningLoop();
          yield* sleep(3);
          let tt: { expired(): boolean } | null = null;
          try {
            yield* timeout(100, function* (t) {
              tt = t;
              t.reschedule(loop.time() - 1);
              log.push(["rescheduled", t.when()! - at(0)]);
              yield;
              log.push(["after sleep0"]);
              yield* sleep(50);
              log.push(["not reached"]);
            });
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
            log.push(["timeout", now(), tt!.expired(), me().cancelling()]);
          }
        });
        expect(log).toEqual([
          ["rescheduled", 2],
          ["timeout", 3, true, 0],
        ]);
      },
    );

    // py: [["body done", 10.0, null, false], ["reschedule after exit", "RuntimeError"]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "reschedule(null) removes the deadline; reschedule after exit throws",
      async () => {
        const log: Log = [];
        await run(function* () {
          let tt: { reschedule(w: number | null): void } | null = null;
          yield* timeout(5, function* (t) {
            tt = t;
            t.reschedule(null);
            yield* sleep(10);
            log.push(["body done", now(), t.when(), t.expired()]);
          });
          try {
            tt!.reschedule(1);
          } catch (e) {
            log.push(["reschedule after exit", ename(e)]);
          }
        });
        expect(log).toEqual([
          ["body done", 10, null, false],
          ["reschedule after exit", "RuntimeError"],
        ]);
      },
    );

    // py: [["swallowed", 5.0, 1], ["still", 6.0], ["out", 6.0, true, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a body that swallows the timeout's cancel finishes normally; expired() is true, cancelling() back to 0",
      async () => {
        const log: Log = [];
        await run(function* () {
          let tt: { expired(): boolean } | null = null;
          yield* timeout(5, function* (t) {
            tt = t;
            try {
              yield* sleep(10);
            } catch {
              log.push(["swallowed", now(), me().cancelling()]);
            }
            yield* sleep(1);
            log.push(["still", now()]);
          });
          log.push(["out", now(), tt!.expired(), me().cancelling()]);
        });
        expect(log).toEqual([
          ["swallowed", 5, 1],
          ["still", 6],
          ["out", 6, true, 0],
        ]);
      },
    );

    // py: [["inner exit", "CancelledError"], ["outer exit", "TimeoutError", 5.0], [true, true, 0]]
    // virtualTime: the order hangs on deadlines tied to the exact ms, and the log prints times
    it.skipIf(!l.virtualTime)(
      "nested timeouts with the same deadline: inner passes CancelledError, outer raises TimeoutError",
      async () => {
        const log: Log = [];
        await run(function* () {
          let ot: { expired(): boolean } | null = null;
          let itt: { expired(): boolean } | null = null;
          try {
            yield* timeout(5, function* (o) {
              ot = o;
              try {
                yield* timeout(5, function* (i) {
                  itt = i;
                  yield* sleep(10);
                });
              } catch (e) {
                log.push(["inner exit", ename(e)]);
                throw e;
              }
            });
          } catch (e) {
            log.push(["outer exit", ename(e), now()]);
          }
          log.push([ot!.expired(), itt!.expired(), me().cancelling()]);
        });
        expect(log).toEqual([
          ["inner exit", "CancelledError"],
          ["outer exit", "TimeoutError", 5],
          [true, true, 0],
        ]);
      },
    );

    // py: [["child cancelled", 2, 3.0], ["child cancelled", 1, 3.0], ["timeout", 3.0, 0]]
    // (asyncio cancels the children in set order; compared sorted)
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a timeout around a taskGroup cancels the children and raises TimeoutError",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* slow(n: number): Coro<void> {
            try {
              yield* sleep(10);
            } catch (e) {
              log.push(["child cancelled", n, now()]);
              throw e;
            }
          }
          try {
            yield* timeout(3, function* () {
              yield* taskGroup(function* (tg) {
                tg.createTask(slow(1));
                tg.createTask(slow(2));
              });
            });
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
            log.push(["timeout", now(), me().cancelling()]);
          }
        });
        expect(log.slice(0, 2).sort()).toEqual([
          ["child cancelled", 1, 3],
          ["child cancelled", 2, 3],
        ]);
        expect(log[2]).toEqual(["timeout", 3, 0]);
      },
    );
    // py: [["timeout", 5.0], ["wait_for timeout", 10.0, true]]
    // virtualTime: the order hangs on deadlines tied to the exact ms, and the log prints times
    it.skipIf(!l.virtualTime)(
      "a deadline tied with the body's own sleep: the timeout (scheduled first) wins",
      async () => {
        const log: Log = [];
        await run(function* () {
          try {
            yield* timeout(5, function* () {
              yield* sleep(5);
              log.push(["slept"]);
            });
          } catch (e) {
            if (e instanceof TimeoutError) log.push(["timeout", now()]);
            else throw e;
          }
          const t = createTask(sleep(5, "v"));
          yield;
          try {
            log.push(["wait_for", yield* waitFor(t, 5), now()]);
          } catch (e) {
            if (e instanceof TimeoutError) log.push(["wait_for timeout", now(), t.cancelled()]);
            else throw e;
          }
        });
        expect(log).toEqual([
          ["timeout", 5],
          ["wait_for timeout", 10, true],
        ]);
      },
    );

    // py: [["exit", "CancelledError", true, 1], ["task", true, 5.0]]
    // virtualTime: the order hangs on deadlines tied to the exact ms, and the log prints times
    it.skipIf(!l.virtualTime)(
      "a timeout expiring together with an outside cancel lets the CancelledError through",
      async () => {
        const log: Log = [];
        await run(function* () {
          const task = createTask(
            (function* (): Coro<void> {
              let tt: { expired(): boolean } | null = null;
              try {
                yield* timeout(5, function* (t) {
                  tt = t;
                  yield* sleep(10);
                });
              } catch (e) {
                log.push(["exit", ename(e), tt!.expired(), me().cancelling()]);
                throw e;
              }
            })(),
          );
          getRunningLoop().callAt(at(5), () => task.cancel());
          try {
            yield* task;
          } catch {
            log.push(["task", task.cancelled(), now()]);
          }
        });
        expect(log).toEqual([
          ["exit", "CancelledError", true, 1],
          ["task", true, 5],
        ]);
      },
    );
  });

  describe("taskGroup", () => {
    // py: [["body", 3.0], ["other done", 5.0], ["tg out", 5.0, true, 2, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a child that raises CancelledError itself is just cancelled: no abort, no error",
      async () => {
        const log: Log = [];
        await run(function* () {
          let a: Task<void> | null = null;
          let b: Task<number> | null = null;
          yield* taskGroup(function* (tg) {
            a = tg.createTask(
              (function* (): Coro<void> {
                yield* sleep(1);
                throw new CancelledError("mine");
              })(),
            );
            b = tg.createTask(
              (function* () {
                yield* sleep(5);
                log.push(["other done", now()]);
                return 2;
              })(),
            );
            yield* sleep(3);
            log.push(["body", now()]);
          });
          log.push(["tg out", now(), a!.cancelled(), b!.result(), me().cancelling()]);
        });
        expect(log).toEqual([
          ["body", 3],
          ["other done", 5],
          ["tg out", 5, true, 2, 0],
        ]);
      },
    );

    // py: [["slow cancelled", 1, 1.0], ["slow cancelled", 2, 1.0], ["body cancelled", 1.0],
    //      ["eg", ["Boom"], 1.0, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a failing child cancels its siblings, then the body; ExceptionGroup; cancelling() restored",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* slow(n: number): Coro<void> {
            try {
              yield* sleep(10);
            } catch (e) {
              log.push(["slow cancelled", n, now()]);
              throw e;
            }
          }
          try {
            yield* taskGroup(function* (tg) {
              tg.createTask(slow(1));
              tg.createTask(
                (function* (): Coro<void> {
                  yield* sleep(1);
                  throw new Boom("x");
                })(),
              );
              tg.createTask(slow(2));
              try {
                yield* sleep(10);
              } catch (e) {
                log.push(["body cancelled", now()]);
                throw e;
              }
            });
          } catch (e) {
            if (!(e instanceof ExceptionGroup)) throw e;
            log.push(["eg", e.errors.map(ename), now(), me().cancelling()]);
          }
        });
        expect(log).toEqual([
          ["slow cancelled", 1, 1],
          ["slow cancelled", 2, 1],
          ["body cancelled", 1],
          ["eg", ["Boom"], 1, 0],
        ]);
      },
    );

    // py: [["child cancelled", 1.0], ["eg", ["Boom"], 1.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "the body's own error cancels the children and is wrapped in the ExceptionGroup",
      async () => {
        const log: Log = [];
        await run(function* () {
          try {
            yield* taskGroup(function* (tg) {
              tg.createTask(
                (function* (): Coro<void> {
                  try {
                    yield* sleep(10);
                  } catch (e) {
                    log.push(["child cancelled", now()]);
                    throw e;
                  }
                })(),
              );
              yield* sleep(1);
              throw new Boom("body");
            });
          } catch (e) {
            if (!(e instanceof ExceptionGroup)) throw e;
            log.push(["eg", e.errors.map(ename), now()]);
          }
        });
        expect(log).toEqual([
          ["child cancelled", 1],
          ["eg", ["Boom"], 1],
        ]);
      },
    );

    // py: [["child cancelled", 1.0], ["p", "body", true, 0, 1.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a body that raises CancelledError itself cancels the children and propagates it",
      async () => {
        const log: Log = [];
        await run(function* () {
          const t = createTask(
            (function* (): Coro<void> {
              yield* taskGroup(function* (tg) {
                tg.createTask(
                  (function* (): Coro<void> {
                    try {
                      yield* sleep(10);
                    } catch (e) {
                      log.push(["child cancelled", now()]);
                      throw e;
                    }
                  })(),
                );
                yield* sleep(1);
                throw new CancelledError("body");
              });
            })(),
          );
          try {
            yield* t;
          } catch (e) {
            log.push(["p", (e as Error).message, t.cancelled(), t.cancelling(), now()]);
          }
        });
        expect(log).toEqual([
          ["child cancelled", 1],
          ["p", "body", true, 0, 1],
        ]);
      },
    );

    // py: [["child cancelled", 1, 2.0], ["child cancelled", 2, 2.0], ["p", "out", true, 1, 2.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "the parent cancelled from outside while the group waits: children cancelled, CancelledError out",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* slow(n: number): Coro<void> {
            try {
              yield* sleep(10);
            } catch (e) {
              log.push(["child cancelled", n, now()]);
              throw e;
            }
          }
          const t = createTask(
            (function* (): Coro<void> {
              yield* taskGroup(function* (tg) {
                tg.createTask(slow(1));
                tg.createTask(slow(2));
              });
              log.push(["not reached"]);
            })(),
          );
          yield* sleep(2);
          t.cancel("out");
          try {
            yield* t;
          } catch (e) {
            log.push(["p", (e as Error).message, t.cancelled(), t.cancelling(), now()]);
          }
        });
        expect(log).toEqual([
          ["child cancelled", 1, 2],
          ["child cancelled", 2, 2],
          ["p", "out", true, 1, 2],
        ]);
      },
    );

    // py: [["body swallowed", 1.0, 1], ["body continued", 2.0], ["eg", ["Boom"], 2.0, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a body that swallows the group's cancel runs on; the group still raises the ExceptionGroup",
      async () => {
        const log: Log = [];
        await run(function* () {
          try {
            yield* taskGroup(function* (tg) {
              tg.createTask(
                (function* (): Coro<void> {
                  yield* sleep(1);
                  throw new Boom("x");
                })(),
              );
              try {
                yield* sleep(10);
              } catch {
                log.push(["body swallowed", now(), me().cancelling()]);
              }
              yield* sleep(1);
              log.push(["body continued", now()]);
            });
          } catch (e) {
            if (!(e instanceof ExceptionGroup)) throw e;
            log.push(["eg", e.errors.map(ename), now(), me().cancelling()]);
          }
        });
        expect(log).toEqual([
          ["body swallowed", 1, 1],
          ["body continued", 2],
          ["eg", ["Boom"], 2, 0],
        ]);
      },
    );

    // py: [["slow cancelled", "inner", 1.0], ["slow cancelled", "outer", 1.0], ["eg", [["Boom"]], 1.0, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "nested groups in one task: the inner group's ExceptionGroup aborts the outer one",
      async () => {
        const log: Log = [];
        const shape = (e: unknown): unknown =>
          e instanceof ExceptionGroup ? e.errors.map(shape) : ename(e);
        await run(function* () {
          function* slow(n: string): Coro<void> {
            try {
              yield* sleep(10);
            } catch (e) {
              log.push(["slow cancelled", n, now()]);
              throw e;
            }
          }
          try {
            yield* taskGroup(function* (outer) {
              outer.createTask(slow("outer"));
              yield* taskGroup(function* (inner) {
                inner.createTask(
                  (function* (): Coro<void> {
                    yield* sleep(1);
                    throw new Boom("x");
                  })(),
                );
                inner.createTask(slow("inner"));
              });
              log.push(["not reached"]);
            });
          } catch (e) {
            log.push(["eg", shape(e), now(), me().cancelling()]);
          }
        });
        expect(log).toEqual([
          ["slow cancelled", "inner", 1],
          ["slow cancelled", "outer", 1],
          ["eg", [["Boom"]], 1, 0],
        ]);
      },
    );

    // py: [["eg", ["a", "b"], 1.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "two children failing in the same iteration are both in the ExceptionGroup, in order",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* bad(n: string): Coro<void> {
            yield* sleep(1);
            throw new Boom(n);
          }
          try {
            yield* taskGroup(function* (tg) {
              tg.createTask(bad("a"));
              tg.createTask(bad("b"));
            });
          } catch (e) {
            if (!(e instanceof ExceptionGroup)) throw e;
            log.push(["eg", e.errors.map((x) => (x as Error).message), now()]);
          }
        });
        expect(log).toEqual([["eg", ["a", "b"], 1]]);
      },
    );

    // py: [["create refused", "RuntimeError"], ["eg", 1]]
    // virtualTime: the child's 1 ms timer must fire before the body's 10 ms one (a stall fires both)
    it.skipIf(!l.virtualTime)(
      "createTask on an aborting group is refused (and the coroutine never runs)",
      async () => {
        const log: Log = [];
        await run(function* () {
          try {
            yield* taskGroup(function* (tg) {
              tg.createTask(
                (function* (): Coro<void> {
                  yield* sleep(1);
                  throw new Boom("x");
                })(),
              );
              try {
                yield* sleep(10);
              } catch (e) {
                try {
                  tg.createTask(
                    (function* (): Coro<void> {
                      log.push(["refused coroutine ran"]);
                    })(),
                  );
                } catch (err) {
                  log.push(["create refused", ename(err)]);
                }
                throw e;
              }
            });
          } catch (e) {
            if (!(e instanceof ExceptionGroup)) throw e;
            log.push(["eg", e.errors.length]);
          }
        });
        expect(log).toEqual([
          ["create refused", "RuntimeError"],
          ["eg", 1],
        ]);
      },
    );
  });
}
