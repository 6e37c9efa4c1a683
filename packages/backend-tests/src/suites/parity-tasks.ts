/**
 * CPython 3.13 parity replays (see parity.ts): Future and Task ordering, Task cancellation,
 * shield, gather.
 */
import { describe, expect, it } from "vitest";
import {
  type Coro,
  type Task,
  createTask,
  eagerTaskFactory,
  gather,
  getRunningLoop,
  shield,
  sleep,
} from "@aioloop/core";
import { Boom, type Log, type Replay, ename, me, ticker } from "./parity-support.js";

export function parityTasks(r: Replay): void {
  const { l, run, now } = r;

  describe("Future / Task ordering", () => {
    // py: [["set"], ["X"], ["A", 1], ["cb1", 1], ["B", 1], ["cb2", 1], ["Y"], ["main1"], ["main2"]]
    it("done-callbacks and parked tasks wake in registration order, behind earlier callSoon", async () => {
      const log: Log = [];
      await run(function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture<number>();
        function* waiter(n: string): Coro<void> {
          const v = yield* fut;
          log.push([n, v]);
        }
        createTask(waiter("A"));
        yield;
        fut.addDoneCallback((f) => log.push(["cb1", f.result()]));
        createTask(waiter("B"));
        yield;
        fut.addDoneCallback((f) => log.push(["cb2", f.result()]));
        loop.callSoon(() => log.push(["X"]));
        fut.setResult(1);
        loop.callSoon(() => log.push(["Y"]));
        log.push(["set"]);
        yield;
        log.push(["main1"]);
        yield;
        log.push(["main2"]);
      });
      expect(log).toEqual([
        ["set"],
        ["X"],
        ["A", 1],
        ["cb1", 1],
        ["B", 1],
        ["cb2", 1],
        ["Y"],
        ["main1"],
        ["main2"],
      ]);
    });

    // py: [["after done await"], ["tick", 0], ["tick", 1], ["after pending await"]]
    it("awaiting a done future does not yield; a future completed by callSoon costs two iterations", async () => {
      const log: Log = [];
      await run(function* () {
        const loop = getRunningLoop();
        const f = loop.createFuture<number>();
        f.setResult(1);
        const tk = ticker(log, 2);
        yield* f;
        log.push(["after done await"]);
        const g = loop.createFuture<number>();
        loop.callSoon(() => g.setResult(2));
        yield* g;
        log.push(["after pending await"]);
        yield* tk;
      });
      expect(log).toEqual([
        ["after done await"],
        ["tick", 0],
        ["tick", 1],
        ["after pending await"],
      ]);
    });

    // py: [["tick", 0], ["neg", "neg"], ["tick", 1], ["zero", "zero"], ["tick", 2]]
    it("sleep(negative) and sleep(0) each give up exactly one iteration and return the value", async () => {
      const log: Log = [];
      await run(function* () {
        const tk = ticker(log, 3);
        log.push(["neg", yield* sleep(-1, "neg")]);
        log.push(["zero", yield* sleep(0, "zero")]);
        yield* tk;
      });
      expect(log).toEqual([
        ["tick", 0],
        ["neg", "neg"],
        ["tick", 1],
        ["zero", "zero"],
        ["tick", 2],
      ]);
    });

    // py: [["quick body"], ["quick done", true], ["after add cb"], ["slow start"],
    //      ["slow done", false], ["quick cb"], ["slow end"], ["main"]]
    it("eager tasks: a task that never suspends is done inside createTask; callbacks still queued", async () => {
      const log: Log = [];
      await run(function* () {
        const loop = getRunningLoop();
        loop.setTaskFactory(eagerTaskFactory);
        const t = createTask(
          (function* (): Coro<number> {
            log.push(["quick body"]);
            return 1;
          })(),
        );
        log.push(["quick done", t.done()]);
        t.addDoneCallback(() => log.push(["quick cb"]));
        log.push(["after add cb"]);
        const s = createTask(
          (function* (): Coro<number> {
            log.push(["slow start"]);
            yield;
            log.push(["slow end"]);
            return 2;
          })(),
        );
        log.push(["slow done", s.done()]);
        yield;
        log.push(["main"]);
        yield* s;
        loop.setTaskFactory(null);
      });
      expect(log).toEqual([
        ["quick body"],
        ["quick done", true],
        ["after add cb"],
        ["slow start"],
        ["slow done", false],
        ["quick cb"],
        ["slow end"],
        ["main"],
      ]);
    });
  });

  describe("Task cancellation", () => {
    // py: [["c1", true, true], ["c2", true], ["caught", "a", 2], ["result", "ok", false, 2]]
    // WAS A BUG: the second cancel("b") overwrites the message: aioloop's coroutine sees "b". asyncio
    // wakes the task with the parked future's own CancelledError ("a") and only records the
    // second message for a cancel that could not reach a waiter.
    it("cancel('a') then cancel('b') while parked: the task sees the first message", async () => {
      const log: Log = [];
      await run(function* () {
        const fut = getRunningLoop().createFuture<void>();
        const t = createTask(
          (function* (): Coro<string> {
            try {
              yield* fut;
            } catch (e) {
              log.push(["caught", (e as Error).message, me().cancelling()]);
            }
            yield* sleep(1);
            return "ok";
          })(),
        );
        yield;
        log.push(["c1", t.cancel("a"), fut.cancelled()]);
        log.push(["c2", t.cancel("b")]);
        const r = yield* t;
        log.push(["result", r, t.cancelled(), t.cancelling()]);
      });
      expect(log).toEqual([
        ["c1", true, true],
        ["c2", true],
        ["caught", "a", 2],
        ["result", "ok", false, 2],
      ]);
    });

    // py: [["awaiter", "bye"]]
    it("the awaiter of a cancelled task sees the cancel message", async () => {
      const log: Log = [];
      await run(function* () {
        const t = createTask(sleep(10));
        yield;
        t.cancel("bye");
        try {
          yield* t;
        } catch (e) {
          log.push(["awaiter", ename(e), (e as Error).message]);
        }
      });
      expect(log).toEqual([["awaiter", "CancelledError", "bye"]]);
    });

    // py: [["a caught", 2], ["a uncancel", 1], ["a slept", 1.0, 0], ["a res", "a", 0],
    //      ["b cancel", true, 0], ["b ran"], ["b res", "b"], ["c cancel", true, 0],
    //      ["c caught", 0], ["c res", true, 0], ["d", 0, 0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "uncancel(): counts, a cancel taken back before the step, and one that already reached the waiter",
      async () => {
        const log: Log = [];
        await run(function* () {
          // a) parked, cancelled twice, catches once and goes on
          let t: Task<string> = createTask(
            (function* (): Coro<string> {
              try {
                yield* sleep(10);
              } catch {
                log.push(["a caught", me().cancelling()]);
              }
              log.push(["a uncancel", me().uncancel()]);
              yield* sleep(1);
              log.push(["a slept", now(), me().uncancel()]);
              return "a";
            })(),
          );
          yield;
          t.cancel();
          t.cancel();
          log.push(["a res", yield* t, t.cancelling()]);
          // b) runnable (after a bare yield): cancel + uncancel before its step: not cancelled
          t = createTask(
            (function* (): Coro<string> {
              yield;
              log.push(["b ran"]);
              return "b";
            })(),
          );
          yield;
          log.push(["b cancel", t.cancel(), t.uncancel()]);
          log.push(["b res", yield* t]);
          // c) parked: the waiter is cancelled at once, uncancel cannot take that back
          const c = createTask(
            (function* (): Coro<void> {
              try {
                yield* sleep(10);
              } catch (e) {
                log.push(["c caught", me().cancelling()]);
                throw e;
              }
            })(),
          );
          yield;
          log.push(["c cancel", c.cancel(), c.uncancel()]);
          try {
            yield* c;
          } catch {
            log.push(["c res", c.cancelled(), c.cancelling()]);
          }
          // d) uncancel with nothing to take back
          const d = createTask(sleep(0));
          log.push(["d", d.uncancel(), d.cancelling()]);
          yield* d;
        });
        expect(log).toEqual([
          ["a caught", 2],
          ["a uncancel", 1],
          ["a slept", 1, 0],
          ["a res", "a", 0],
          ["b cancel", true, 0],
          ["b ran"],
          ["b res", "b"],
          ["c cancel", true, 0],
          ["c caught", 0],
          ["c res", true, 0],
          ["d", 0, 0],
        ]);
      },
    );

    // py: [["cancelled", "early", true]]
    it("a task cancelled before its first step never runs its body (nor its finally)", async () => {
      const log: Log = [];
      await run(function* () {
        const t = createTask(
          (function* (): Coro<void> {
            try {
              log.push(["body ran"]);
            } finally {
              log.push(["finally ran"]);
            }
          })(),
        );
        t.cancel("early");
        try {
          yield* t;
        } catch (e) {
          log.push(["cancelled", (e as Error).message, t.cancelled()]);
        }
      });
      expect(log).toEqual([["cancelled", "early", true]]);
    });

    // py: [["after self cancel"], ["caught at sleep0"], ["continued", 1], ["res", 1, false]]
    it("a self-cancel is delivered at the next bare yield; caught, the task finishes normally", async () => {
      const log: Log = [];
      await run(function* () {
        const t = createTask(
          (function* (): Coro<number> {
            me().cancel();
            log.push(["after self cancel"]);
            try {
              yield;
              log.push(["not reached"]);
            } catch {
              log.push(["caught at sleep0"]);
            }
            yield;
            log.push(["continued", me().cancelling()]);
            return 1;
          })(),
        );
        log.push(["res", yield* t, t.cancelled()]);
      });
      expect(log).toEqual([
        ["after self cancel"],
        ["caught at sleep0"],
        ["continued", 1],
        ["res", 1, false],
      ]);
    });

    // py: [["cancel", true], ["inner caught", "x"], ["outer got", 5, 1, 3.0], ["outer slept", 4.0],
    //      ["res", 5, false, 1]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "cancelling a task parked on a task that swallows the cancel: the awaiter gets the value",
      async () => {
        const log: Log = [];
        await run(function* () {
          const outer = createTask(
            (function* (): Coro<number> {
              const it = createTask(
                (function* (): Coro<number> {
                  try {
                    yield* sleep(10);
                  } catch (e) {
                    log.push(["inner caught", (e as Error).message]);
                    yield* sleep(1);
                    return 5;
                  }
                  return 0;
                })(),
              );
              yield;
              const r = yield* it;
              log.push(["outer got", r, me().cancelling(), now()]);
              yield* sleep(1);
              log.push(["outer slept", now()]);
              return r;
            })(),
          );
          yield* sleep(2);
          log.push(["cancel", outer.cancel("x")]);
          const r = yield* outer;
          log.push(["res", r, outer.cancelled(), outer.cancelling()]);
        });
        expect(log).toEqual([
          ["cancel", true],
          ["inner caught", "x"],
          ["outer got", 5, 1, 3],
          ["outer slept", 4],
          ["res", 5, false, 1],
        ]);
      },
    );

    // py: [["caught", "direct", 0], ["res", "ok", false]]
    it("a future cancelled directly (not the task) raises CancelledError without a cancel request", async () => {
      const log: Log = [];
      await run(function* () {
        const f = getRunningLoop().createFuture<void>();
        const t = createTask(
          (function* (): Coro<string> {
            try {
              yield* f;
            } catch (e) {
              log.push(["caught", (e as Error).message, me().cancelling()]);
            }
            yield* sleep(1);
            return "ok";
          })(),
        );
        yield;
        f.cancel("direct");
        log.push(["res", yield* t, t.cancelled()]);
      });
      expect(log).toEqual([
        ["caught", "direct", 0],
        ["res", "ok", false],
      ]);
    });
  });

  describe("shield", () => {
    // py: [["cancel", true], ["outer caught", 1.0, false], ["after 1 iter", true, true],
    //      ["ot cancelled", 1.0, true], ["inner done", 10.0], ["inner result", "inner", 10.0, false]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "cancelling a task parked on shield(inner): the task stops now, inner runs on",
      async () => {
        const log: Log = [];
        await run(function* () {
          const it = createTask(
            (function* (): Coro<string> {
              yield* sleep(10);
              log.push(["inner done", now()]);
              return "inner";
            })(),
          );
          const ot = createTask(
            (function* (): Coro<string> {
              try {
                return yield* shield(it);
              } catch (e) {
                log.push(["outer caught", now(), it.done()]);
                throw e;
              }
            })(),
          );
          yield* sleep(1);
          log.push(["cancel", ot.cancel()]);
          yield;
          log.push(["after 1 iter", ot.done(), ot.done() ? ot.cancelled() : null]);
          try {
            yield* ot;
          } catch {
            log.push(["ot cancelled", now(), ot.cancelled()]);
          }
          const r = yield* it;
          log.push(["inner result", r, now(), it.cancelled()]);
        });
        expect(log).toEqual([
          ["cancel", true],
          ["outer caught", 1, false],
          ["after 1 iter", true, true],
          ["ot cancelled", 1, true],
          ["inner done", 10],
          ["inner result", "inner", 10, false],
        ]);
      },
    );

    // py: [["outer caught", 1.0, 0], ["ot", true, true, 1.0]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "cancelling the shielded inner itself cancels the waiter (without a cancel request)",
      async () => {
        const log: Log = [];
        await run(function* () {
          const it = createTask(sleep(10));
          const ot = createTask(
            (function* (): Coro<void> {
              try {
                yield* shield(it);
              } catch (e) {
                log.push(["outer caught", now(), me().cancelling()]);
                throw e;
              }
            })(),
          );
          yield* sleep(1);
          it.cancel();
          try {
            yield* ot;
          } catch {
            log.push(["ot", ot.cancelled(), it.cancelled(), now()]);
          }
        });
        expect(log).toEqual([
          ["outer caught", 1, 0],
          ["ot", true, true, 1],
        ]);
      },
    );
  });

  describe("gather", () => {
    // py: [[1, "CancelledError", "Boom"], ["msg", "", 5.0, false]]  (message not compared: asyncio
    // drops the child's cancel message here, aioloop keeps it; see the report)
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "returnExceptions with a cancelled child: CancelledError in its slot, outer not cancelled",
      async () => {
        const log: Log = [];
        await run(function* () {
          const tb = createTask(sleep(10, 2));
          getRunningLoop().callLater(2, () => tb.cancel("stopb"));
          const g = gather(
            [
              (function* () {
                yield* sleep(5);
                return 1;
              })(),
              tb,
              (function* (): Coro<number> {
                yield* sleep(1);
                throw new Boom("c");
              })(),
            ],
            { returnExceptions: true },
          );
          const r = yield* g;
          log.push(r.map((x) => (x instanceof Error ? ename(x) : x)));
          log.push(["at", now(), g.cancelled()]);
        });
        expect(log).toEqual([
          [1, "CancelledError", "Boom"],
          ["at", 5, false],
        ]);
      },
    );

    // py: [["parent", "stopb", 2.0, true, false, "CancelledError"], [["a", 5.0]]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "a cancelled child fails the outer with CancelledError: awaiter cancelled, outer not, sibling runs on",
      async () => {
        const log: Log = [];
        const done: Log = [];
        await run(function* () {
          const tb = createTask(sleep(10, 2));
          getRunningLoop().callLater(2, () => tb.cancel("stopb"));
          const g = gather([
            (function* () {
              yield* sleep(5);
              done.push(["a", now()]);
              return 1;
            })(),
            tb,
          ]);
          const p = createTask(
            (function* () {
              return yield* g;
            })(),
          );
          try {
            yield* p;
          } catch (e) {
            log.push([
              "parent",
              (e as Error).message,
              now(),
              p.cancelled(),
              g.cancelled(),
              ename(g.exception()),
            ]);
          }
          yield* sleep(10);
          log.push(done);
        });
        expect(log).toEqual([["parent", "stopb", 2, true, false, "CancelledError"], [["a", 5]]]);
      },
    );

    // py: [["child", 1, "stop"], ["child", 2, "stop"], ["parent caught", "stop", 1.0], ["p", "stop", true]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "cancelling the awaiter of gather cancels the children; a child that swallows it does not save the outer",
      async () => {
        const log: Log = [];
        await run(function* () {
          function* child(n: number, swallow: boolean): Coro<number> {
            try {
              yield* sleep(10);
            } catch (e) {
              log.push(["child", n, (e as Error).message]);
              if (swallow) return 5;
              throw e;
            }
            return n;
          }
          const p = createTask(
            (function* () {
              try {
                return yield* gather([child(1, false), child(2, true)]);
              } catch (e) {
                log.push(["parent caught", (e as Error).message, now()]);
                throw e;
              }
            })(),
          );
          yield* sleep(1);
          p.cancel("stop");
          try {
            yield* p;
          } catch (e) {
            log.push(["p", (e as Error).message, p.cancelled()]);
          }
        });
        expect(log).toEqual([
          ["child", 1, "stop"],
          ["child", 2, "stop"],
          ["parent caught", "stop", 1],
          ["p", "stop", true],
        ]);
      },
    );

    // py: [["cancel", true], ["caught", "", false, 1.0], ["cancel again", false]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "outer.cancel() with returnExceptions still raises CancelledError; the outer is not cancelled()",
      async () => {
        const log: Log = [];
        await run(function* () {
          const g = gather([sleep(10), sleep(10)], { returnExceptions: true });
          yield* sleep(1);
          log.push(["cancel", g.cancel()]);
          try {
            log.push(["result", yield* g]);
          } catch (e) {
            log.push(["caught", (e as Error).message, g.cancelled(), now()]);
          }
          log.push(["cancel again", g.cancel()]);
        });
        expect(log).toEqual([
          ["cancel", true],
          ["caught", "", false, 1],
          ["cancel again", false],
        ]);
      },
    );

    // py: [["done at once", true], [1, 2, 1], ["empty", true, []]]
    it("gather of done futures (one repeated) is done on return; gather([]) too", async () => {
      const log: Log = [];
      await run(function* () {
        const loop = getRunningLoop();
        const f1 = loop.createFuture<number>();
        f1.setResult(1);
        const f2 = loop.createFuture<number>();
        f2.setResult(2);
        const g = gather([f1, f2, f1]);
        log.push(["done at once", g.done()]);
        log.push(yield* g);
        const g2 = gather([]);
        log.push(["empty", g2.done(), yield* g2]);
      });
      expect(log).toEqual([
        ["done at once", true],
        [1, 2, 1],
        ["empty", true, []],
      ]);
    });

    // py: [["caught", 1.0, false], ["ok done", 5.0], ["end", 1]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "the first failure fails the outer at once; the sibling keeps running",
      async () => {
        const log: Log = [];
        await run(function* () {
          const t = createTask(
            (function* () {
              yield* sleep(5);
              log.push(["ok done", now()]);
              return 1;
            })(),
          );
          try {
            yield* gather([
              (function* (): Coro<never> {
                yield* sleep(1);
                throw new Boom("b");
              })(),
              t,
            ]);
          } catch (e) {
            if (!(e instanceof Boom)) throw e;
            log.push(["caught", now(), t.done()]);
          }
          yield* sleep(10);
          log.push(["end", t.result()]);
        });
        expect(log).toEqual([
          ["caught", 1, false],
          ["ok done", 5],
          ["end", 1],
        ]);
      },
    );
  });
}
