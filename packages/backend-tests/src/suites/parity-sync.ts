/**
 * CPython 3.13 parity replays (see parity.ts): Lock, Condition, Event, Semaphore, Barrier; the
 * queues.
 */
import { describe, expect, it } from "vitest";
import {
  type Awaitable,
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  type Coro,
  Event,
  LifoQueue,
  Lock,
  OverReleaseError,
  PriorityQueue,
  Queue,
  QueueShutDown,
  Semaphore,
  createTask,
  gather,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type Log, type Replay, ename, waitAll } from "./parity-support.js";

export function paritySync(r: Replay): void {
  const { l, run, now } = r;

  describe("Lock / Condition / Event / Semaphore / Barrier", () => {
    // py: [["lock", "msg-lock"], ["queue", "msg-queue"], ["event", "msg-event"], ["sem", "msg-sem"],
    //      ["cond", "msg-cond"], ["sleep", "msg-sleep"], ["fut", "msg-fut"], ["all cancelled", true]]
    it("cancel(msg) reaches the task with its message through every primitive's wait", async () => {
      const log: Log = [];
      await run(function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const q = new Queue<number>();
        const ev = new Event();
        const sem = new Semaphore(0);
        const cond = new Condition();
        const waits: [string, Awaitable<unknown>][] = [
          ["lock", lock.acquire()],
          ["queue", q.get()],
          ["event", ev.wait()],
          ["sem", sem.acquire()],
          [
            "cond",
            (function* () {
              using _ = yield* cond.hold();
              yield* cond.wait();
            })(),
          ],
          ["sleep", sleep(1000)],
          ["fut", getRunningLoop().createFuture<void>()],
        ];
        const tasks = waits.map(([k, aw]) => {
          const t = createTask(
            (function* (): Coro<void> {
              try {
                yield* aw;
              } catch (e) {
                log.push([k, (e as Error).message]);
                throw e;
              }
            })(),
          );
          return [k, t] as const;
        });
        yield;
        yield;
        for (const [k, t] of tasks) t.cancel(`msg-${k}`);
        yield* waitAll(tasks.map(([, t]) => t));
        log.push(["all cancelled", tasks.every(([, t]) => t.cancelled())]);
      });
      expect(log).toEqual([
        ["lock", "msg-lock"],
        ["queue", "msg-queue"],
        ["event", "msg-event"],
        ["sem", "msg-sem"],
        ["cond", "msg-cond"],
        ["sleep", "msg-sleep"],
        ["fut", "msg-fut"],
        ["all cancelled", true],
      ]);
    });

    // py: [["released", false], ["B", "cancelled", false], ["after1", false], ["C", "got", 0.0],
    //      ["D", "got", 1.0], ["end", false, true]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "Lock: a waiter cancelled as it is woken passes the lock on; a newcomer queues behind",
      async () => {
        const log: Log = [];
        await run(function* () {
          const lock = new Lock();
          yield* lock.acquire();
          function* w(n: string): Coro<void> {
            try {
              yield* lock.acquire();
            } catch (e) {
              log.push([n, "cancelled", lock.locked()]);
              throw e;
            }
            log.push([n, "got", now()]);
            yield* sleep(1);
            lock.release();
          }
          const b = createTask(w("B"));
          const c = createTask(w("C"));
          yield;
          lock.release();
          b.cancel();
          log.push(["released", lock.locked()]);
          const d = createTask(w("D"));
          yield;
          log.push(["after1", lock.locked()]);
          yield* waitAll([c, d]);
          log.push(["end", lock.locked(), b.cancelled()]);
        });
        expect(log).toEqual([
          ["released", false],
          ["B", "cancelled", false],
          ["after1", false],
          ["C", "got", 0],
          ["D", "got", 1],
          ["end", false, true],
        ]);
      },
    );

    // py: [["B", "got"], ["end", false, true]]
    it("Lock: a waiter cancelled before any release leaves the line quietly", async () => {
      const log: Log = [];
      await run(function* () {
        const lock = new Lock();
        yield* lock.acquire();
        function* w(n: string): Coro<void> {
          yield* lock.acquire();
          log.push([n, "got"]);
          lock.release();
        }
        const b = createTask(w("B"));
        const c = createTask(w("C"));
        yield;
        c.cancel();
        yield;
        lock.release();
        yield* waitAll([b, c]);
        log.push(["end", lock.locked(), c.cancelled()]);
      });
      expect(log).toEqual([
        ["B", "got"],
        ["end", false, true],
      ]);
    });

    // py: [["W1", "cancelled", true], ["W2", "woke", true], ["mid"], ["W3", "woke", true], ["end", false]]
    it("Condition: a waiter notified and cancelled in the same step passes the notification on", async () => {
      const log: Log = [];
      await run(function* () {
        const cond = new Condition();
        function* w(n: string): Coro<void> {
          using _ = yield* cond.hold();
          try {
            const r = yield* cond.wait();
            log.push([n, "woke", r]);
          } catch (e) {
            log.push([n, "cancelled", cond.locked()]);
            throw e;
          }
        }
        const t1 = createTask(w("W1"));
        const t2 = createTask(w("W2"));
        const t3 = createTask(w("W3"));
        yield;
        {
          using _ = yield* cond.hold();
          cond.notify(1);
          t1.cancel();
        }
        yield* sleep(1);
        log.push(["mid"]);
        {
          using _ = yield* cond.hold();
          cond.notifyAll();
        }
        yield* waitAll([t1, t2, t3]);
        log.push(["end", cond.locked()]);
      });
      expect(log).toEqual([
        ["W1", "cancelled", true],
        ["W2", "woke", true],
        ["mid"],
        ["W3", "woke", true],
        ["end", false],
      ]);
    });

    // py: [["W1", "cancelled", true, 2.0], ["W2", "woke", 2.0], ["end", false]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "Condition: a notified waiter cancelled while re-acquiring the lock re-acquires, then passes the notification on",
      async () => {
        const log: Log = [];
        await run(function* () {
          const cond = new Condition();
          function* w(n: string): Coro<void> {
            using _ = yield* cond.hold();
            try {
              yield* cond.wait();
              log.push([n, "woke", now()]);
            } catch (e) {
              log.push([n, "cancelled", cond.locked(), now()]);
              throw e;
            }
          }
          const t1 = createTask(w("W1"));
          const t2 = createTask(w("W2"));
          yield;
          {
            using _ = yield* cond.hold();
            cond.notify(1);
            yield* sleep(1);
            t1.cancel();
            yield* sleep(1);
          }
          yield* waitAll([t1, t2]);
          log.push(["end", cond.locked()]);
        });
        expect(log).toEqual([
          ["W1", "cancelled", true, 2],
          ["W2", "woke", 2],
          ["end", false],
        ]);
      },
    );

    // py: [["W1", "cancelled"], ["W2", "woke"], ["t2 done", true]]
    // Documented deviation (condition.ts header): asyncio 3.13 notifies another waiter whenever a
    // waiter leaves with an error, so cancelling an un-notified W1 wakes W2 spuriously. aioloop
    // passes on only a notification that was actually consumed. This test pins aioloop's choice.
    it("Condition (documented deviation): cancelling an un-notified waiter wakes nobody", async () => {
      const log: Log = [];
      await run(function* () {
        const cond = new Condition();
        function* w(n: string): Coro<void> {
          using _ = yield* cond.hold();
          try {
            yield* cond.wait();
            log.push([n, "woke"]);
          } catch (e) {
            log.push([n, "cancelled"]);
            throw e;
          }
        }
        const t1 = createTask(w("W1"));
        const t2 = createTask(w("W2"));
        yield;
        t1.cancel();
        yield* sleep(1);
        log.push(["t2 done", t2.done()]);
        t2.cancel();
        yield* waitAll([t1, t2]);
      });
      expect(log).toEqual([
        ["W1", "cancelled"],
        ["t2 done", false],
        ["W2", "cancelled"],
      ]);
    });

    // py: [[1, true, false], [2, true, false], ["after", true, true, false], ["t3 pending", true],
    //      [3, true, true]]
    it("Event: set() then clear() still releases the waiters already woken; a new wait blocks", async () => {
      const log: Log = [];
      await run(function* () {
        const ev = new Event();
        function* w(n: number): Coro<void> {
          const r = yield* ev.wait();
          log.push([n, r, ev.isSet()]);
        }
        const t1 = createTask(w(1));
        const t2 = createTask(w(2));
        yield;
        ev.set();
        ev.clear();
        const t3 = createTask(w(3));
        yield;
        log.push(["after", t1.done(), t2.done(), t3.done()]);
        yield;
        log.push(["t3 pending", !t3.done()]);
        ev.set();
        yield* t3;
      });
      expect(log).toEqual([
        [1, true, false],
        [2, true, false],
        ["after", true, true, false],
        ["t3 pending", true],
        [3, true, true],
      ]);
    });

    // py: [[1, "cancelled"], [2, "woke"], [true, false]]
    it("Event: a waiter cancelled in the step that sets the event ends cancelled", async () => {
      const log: Log = [];
      await run(function* () {
        const ev = new Event();
        function* w(n: number): Coro<void> {
          try {
            yield* ev.wait();
            log.push([n, "woke"]);
          } catch (e) {
            log.push([n, "cancelled"]);
            throw e;
          }
        }
        const t1 = createTask(w(1));
        const t2 = createTask(w(2));
        yield;
        ev.set();
        t1.cancel();
        yield* waitAll([t1, t2]);
        log.push([t1.cancelled(), t2.cancelled()]);
      });
      expect(log).toEqual([
        [1, "cancelled"],
        [2, "woke"],
        [true, false],
      ]);
    });

    // py: [["locked", true], ["r1", true, 0], [0, "cancelled"], ["it1", true, 0], [1, "got", 0.0],
    //      ["r23", true, 0], [2, "got", 0.0], [3, "got", 0.0], ["it2", true, 0], ["it3", true, 0],
    //      [9, "got", 0.0], ["end", false, 1]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "Semaphore(0): FIFO hand-offs, a woken-then-cancelled waiter gives its unit back, no barging",
      async () => {
        const log: Log = [];
        await run(function* () {
          const sem = new Semaphore(0);
          const value = () => sem.statistics().value;
          log.push(["locked", sem.locked()]);
          function* w(n: number): Coro<void> {
            try {
              yield* sem.acquire();
              log.push([n, "got", now()]);
            } catch (e) {
              log.push([n, "cancelled"]);
              throw e;
            }
          }
          const ts = [0, 1, 2, 3].map((i) => createTask(w(i)));
          yield;
          sem.release();
          ts[0]!.cancel();
          log.push(["r1", sem.locked(), value()]);
          yield;
          log.push(["it1", sem.locked(), value()]);
          yield;
          sem.release();
          sem.release();
          log.push(["r23", sem.locked(), value()]);
          ts.push(createTask(w(9)));
          yield;
          log.push(["it2", sem.locked(), value()]);
          yield;
          log.push(["it3", sem.locked(), value()]);
          sem.release();
          sem.release();
          yield* waitAll(ts);
          log.push(["end", sem.locked(), value()]);
        });
        expect(log).toEqual([
          ["locked", true],
          ["r1", true, 0],
          [0, "cancelled"],
          ["it1", true, 0],
          [1, "got", 0],
          ["r23", true, 0],
          [2, "got", 0],
          [3, "got", 0],
          ["it2", true, 0],
          ["it3", true, 0],
          [9, "got", 0],
          ["end", false, 1],
        ]);
      },
    );

    // py: [["second release accepted"], ["w got"], ["UNCAUGHT", "ValueError", ...]]
    // Documented deviation (semaphore.ts): asyncio only checks the free count, so a second release
    // during a hand-off is accepted and the error surfaces later in an innocent task. aioloop
    // counts the unit in transit and refuses the bad release at once.
    it("BoundedSemaphore (documented deviation): an over-release during a hand-off is caught at once", async () => {
      const log: Log = [];
      await run(function* () {
        const sem = new BoundedSemaphore(1);
        yield* sem.acquire();
        const t = createTask(
          (function* (): Coro<void> {
            yield* sem.acquire();
            log.push(["w got"]);
            sem.release();
          })(),
        );
        yield;
        sem.release();
        try {
          sem.release();
          log.push(["second release accepted"]);
        } catch (e) {
          if (e instanceof OverReleaseError) log.push(["second release refused"]);
        }
        yield* t;
      });
      expect(log).toEqual([["second release refused"], ["w got"]]);
    });

    // py: [[1, "cancelled", 1, false], ["n_waiting", 1], [4, "passed", 2, 2.0],
    //      [2, "passed", 1, 2.0], [3, "passed", 1, 2.0], ["end", 0, false]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "Barrier: a cancelled party just leaves (not broken); indices as asyncio's (even the repeated one)",
      async () => {
        const log: Log = [];
        await run(function* () {
          const b = new Barrier(3);
          function* w(n: number): Coro<void> {
            try {
              const i = yield* b.wait();
              log.push([n, "passed", i, now()]);
            } catch (e) {
              log.push([n, "cancelled", b.nWaiting, b.broken]);
              throw e;
            }
          }
          const t1 = createTask(w(1));
          const t2 = createTask(w(2));
          yield* sleep(1);
          t1.cancel();
          yield* sleep(1);
          log.push(["n_waiting", b.nWaiting]);
          const t3 = createTask(w(3));
          const t4 = createTask(w(4));
          yield* waitAll([t1, t2, t3, t4]);
          log.push(["end", b.nWaiting, b.broken]);
        });
        expect(log).toEqual([
          [1, "cancelled", 1, false],
          ["n_waiting", 1],
          [4, "passed", 2, 2],
          [2, "passed", 1, 2],
          [3, "passed", 1, 2],
          ["end", 0, false],
        ]);
      },
    );

    // py: [["reset", 0, false], [0, "broken", 0, false], [1, "broken", 0, false], [12, "passed", 2],
    //      [10, "passed", 0], [11, "passed", 1], ["end", 0, false]]
    it("Barrier: reset() while parties wait breaks them; the next round fills normally", async () => {
      const log: Log = [];
      await run(function* () {
        const b = new Barrier(3);
        function* w(n: number): Coro<void> {
          try {
            log.push([n, "passed", yield* b.wait()]);
          } catch (e) {
            if (e instanceof BrokenBarrierError) log.push([n, "broken", b.nWaiting, b.broken]);
            else throw e;
          }
        }
        const ts = [createTask(w(0)), createTask(w(1))];
        yield;
        yield* b.reset();
        log.push(["reset", b.nWaiting, b.broken]);
        ts.push(createTask(w(10)), createTask(w(11)), createTask(w(12)));
        yield* gather(ts);
        log.push(["end", b.nWaiting, b.broken]);
      });
      expect(log).toEqual([
        ["reset", 0, false],
        [0, "broken", 0, false],
        [1, "broken", 0, false],
        [12, "passed", 2],
        [10, "passed", 0],
        [11, "passed", 1],
        ["end", 0, false],
      ]);
    });

    // py: [[0, "broken"], [1, "broken"], ["after reset", false, 0]]
    it("Barrier: abort() breaks the waiters; reset() mends it", async () => {
      const log: Log = [];
      await run(function* () {
        const b = new Barrier(3);
        function* w(n: number): Coro<void> {
          try {
            yield* b.wait();
          } catch (e) {
            if (e instanceof BrokenBarrierError) log.push([n, "broken"]);
            else throw e;
          }
        }
        const ts = [createTask(w(0)), createTask(w(1))];
        yield;
        yield* b.abort();
        yield* gather(ts);
        yield* b.reset();
        log.push(["after reset", b.broken, b.nWaiting]);
      });
      expect(log).toEqual([
        [0, "broken"],
        [1, "broken"],
        ["after reset", false, 0],
      ]);
    });
  });

  describe("Queue / PriorityQueue / LifoQueue", () => {
    // py: [[1, "cancelled", 1], [2, "got", "x"], ["mid", 0, true, false], [3, "got", "y"]]
    it("a getter woken and cancelled in the same step loses no item: the next getter gets it", async () => {
      const log: Log = [];
      await run(function* () {
        const q = new Queue<string>();
        function* g(n: number): Coro<void> {
          try {
            const v = yield* q.get();
            log.push([n, "got", v]);
          } catch (e) {
            log.push([n, "cancelled", q.qsize()]);
            throw e;
          }
        }
        const t1 = createTask(g(1));
        const t2 = createTask(g(2));
        const t3 = createTask(g(3));
        yield;
        q.putNowait("x");
        t1.cancel();
        yield;
        yield;
        log.push(["mid", q.qsize(), t2.done(), t3.done()]);
        q.putNowait("y");
        yield* waitAll([t1, t2, t3]);
      });
      expect(log).toEqual([
        [1, "cancelled", 1],
        [2, "got", "x"],
        ["mid", 0, true, false],
        [3, "got", "y"],
      ]);
    });

    // py: [["get", 0], [1, "cancelled", 0], [2, "put"], ["items", 2, 0]]
    it("a putter woken and cancelled in the same step passes the free slot on", async () => {
      const log: Log = [];
      await run(function* () {
        const q = new Queue<number>(1);
        q.putNowait(0);
        function* p(n: number): Coro<void> {
          try {
            yield* q.put(n);
            log.push([n, "put"]);
          } catch (e) {
            log.push([n, "cancelled", q.qsize()]);
            throw e;
          }
        }
        const t1 = createTask(p(1));
        const t2 = createTask(p(2));
        yield;
        log.push(["get", q.getNowait()]);
        t1.cancel();
        yield* waitAll([t1, t2]);
        log.push(["items", q.getNowait(), q.qsize()]);
      });
      expect(log).toEqual([
        ["get", 0],
        [1, "cancelled", 0],
        [2, "put"],
        ["items", 2, 0],
      ]);
    });

    // py: [["main got", "x"], ["g got", "y"]]
    it("get() takes an available item at once even while a woken getter has not run (asyncio barges)", async () => {
      const log: Log = [];
      await run(function* () {
        const q = new Queue<string>();
        const t = createTask(
          (function* (): Coro<void> {
            log.push(["g got", yield* q.get()]);
          })(),
        );
        yield;
        q.putNowait("x");
        log.push(["main got", yield* q.get()]);
        q.putNowait("y");
        yield* t;
      });
      expect(log).toEqual([
        ["main got", "x"],
        ["g got", "y"],
      ]);
    });

    // py: [["shut", 0, true, false], ["joined", 1.0], [1, "QueueShutDown", 1.0],
    //      [2, "QueueShutDown", 1.0], ["get_nowait", "QueueShutDown"], ["task_done", "ValueError"]]
    // virtualTime: the log prints exact loop times
    it.skipIf(!l.virtualTime)(
      "shutdown(immediate) with putters waiting: drained, join() released first, putters get QueueShutDown",
      async () => {
        const log: Log = [];
        await run(function* () {
          const q = new Queue<string | number>(2);
          q.putNowait("a");
          q.putNowait("b");
          function* p(n: number): Coro<void> {
            try {
              yield* q.put(n);
              log.push([n, "put"]);
            } catch (e) {
              if (e instanceof QueueShutDown) log.push([n, "QueueShutDown", now()]);
              else throw e;
            }
          }
          const ts = [
            createTask(p(1)),
            createTask(p(2)),
            createTask(
              (function* (): Coro<void> {
                yield* q.join();
                log.push(["joined", now()]);
              })(),
            ),
          ];
          yield* sleep(1);
          q.shutdown(true);
          log.push(["shut", q.qsize(), q.empty(), q.full()]);
          yield* gather(ts);
          try {
            q.getNowait();
          } catch (e) {
            log.push(["get_nowait", ename(e)]);
          }
          try {
            q.taskDone();
          } catch (e) {
            log.push(["task_done", ename(e)]);
          }
        });
        expect(log).toEqual([
          ["shut", 0, true, false],
          ["joined", 1],
          [1, "QueueShutDown", 1],
          [2, "QueueShutDown", 1],
          ["get_nowait", "QueueShutDown"],
          ["task_done", "ValueError"],
        ]);
      },
    );

    // py: [["shut", 0], [0, "QueueShutDown"], [1, "QueueShutDown"], [2, "QueueShutDown"], ["join done", true]]
    it("shutdown(immediate) drains an item a woken getter had not taken yet: every getter gets QueueShutDown", async () => {
      const log: Log = [];
      await run(function* () {
        const q = new Queue<string>();
        function* g(n: number): Coro<void> {
          try {
            log.push([n, "got", yield* q.get()]);
          } catch (e) {
            if (e instanceof QueueShutDown) log.push([n, "QueueShutDown"]);
            else throw e;
          }
        }
        const ts = [0, 1, 2].map((i) => createTask(g(i)));
        yield;
        q.putNowait("x");
        q.shutdown(true);
        log.push(["shut", q.qsize()]);
        yield* gather(ts);
        const j = createTask(q.join());
        yield;
        log.push(["join done", j.done()]);
      });
      expect(log).toEqual([
        ["shut", 0],
        [0, "QueueShutDown"],
        [1, "QueueShutDown"],
        [2, "QueueShutDown"],
        ["join done", true],
      ]);
    });

    // py: [["put", "QueueShutDown"], [0, "got", "x"], [0, "got", "y"], [0, "got", "z"],
    //      [0, "QueueShutDown"], [1, "QueueShutDown"], ["joined"]]
    it("shutdown() (graceful): put refused at once, consumers drain what is left, then QueueShutDown", async () => {
      const log: Log = [];
      await run(function* () {
        const q = new Queue<string>();
        function* g(n: number): Coro<void> {
          try {
            for (;;) {
              log.push([n, "got", yield* q.get()]);
              q.taskDone();
            }
          } catch (e) {
            if (e instanceof QueueShutDown) log.push([n, "QueueShutDown"]);
            else throw e;
          }
        }
        const ts = [createTask(g(0)), createTask(g(1))];
        yield;
        q.putNowait("x");
        q.putNowait("y");
        q.putNowait("z");
        q.shutdown();
        try {
          yield* q.put("w");
        } catch (e) {
          log.push(["put", ename(e)]);
        }
        yield* gather(ts);
        yield* q.join();
        log.push(["joined"]);
      });
      expect(log).toEqual([
        ["put", "QueueShutDown"],
        [0, "got", "x"],
        [0, "got", "y"],
        [0, "got", "z"],
        [0, "QueueShutDown"],
        [1, "QueueShutDown"],
        ["joined"],
      ]);
    });

    // py: [[[0, "z"], [1, "a"], [1, "a"], [1, "b"], [2, "c"]], [2, 1, 0]]
    it("PriorityQueue orders [priority, payload] tuples as Python; LifoQueue is a stack", async () => {
      const q = new PriorityQueue<[number, string]>();
      for (const it of [
        [1, "b"],
        [1, "a"],
        [0, "z"],
        [2, "c"],
        [1, "a"],
      ] as [number, string][])
        q.putNowait(it);
      const out = [0, 1, 2, 3, 4].map(() => q.getNowait());
      const lq = new LifoQueue<number>();
      for (const i of [0, 1, 2]) lq.putNowait(i);
      expect([out, [lq.getNowait(), lq.getNowait(), lq.getNowait()]]).toEqual([
        [
          [0, "z"],
          [1, "a"],
          [1, "a"],
          [1, "b"],
          [2, "c"],
        ],
        [2, 1, 0],
      ]);
    });
  });
}
