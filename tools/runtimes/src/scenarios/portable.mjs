// The scenarios of core and timer-loop: written once, run by Node, Bun, Deno, a browser page
// and a browser Worker (bundled by esbuild there). Portable: no Node-only names, only what
// every runtime has (performance, setTimeout, Promise, AbortController).
//
// Each scenario is an async function: it throws (CheckError, or whatever the library threw) to
// fail, and may return a note for the table. Timing checks have wide margins: CI is a busy
// 2-core machine; a lower bound (a sleep never ends early) is exact, an upper bound is only a
// hang guard.

import {
  Barrier,
  BoundedSemaphore,
  CancelledError,
  Condition,
  ContextVar,
  DeadlockError,
  Event,
  ExceptionGroup,
  FIRST_COMPLETED,
  InvalidStateError,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  Semaphore,
  TimeoutError,
  abortSignal,
  asCompleted,
  coro,
  createTask,
  fromPromise,
  gather,
  getRunningLoop,
  shield,
  sleep,
  taskGroup,
  timeout,
  toPromise,
  wait,
  waitFor,
} from "@aioloop/core";
import { TimerLoop, run, runSync } from "@aioloop/timer-loop";
import { CheckError, caught, eq, isNamed, ok, rejection } from "./harness.mjs";

/** What `aw` threw, inside a coroutine; fails when it completes. */
function* thrownBy(aw, what) {
  try {
    yield* aw;
  } catch (e) {
    return e;
  }
  throw new CheckError(`${what}: expected an error, it completed`);
}

/**
 * Run `main` on a new TimerLoop with `clock` through the host (runUntilComplete), close the
 * loop, and fail on anything the loop reported to its exception handler meanwhile.
 */
async function hostRun(clock, main) {
  const loop = new TimerLoop({ clock });
  const reports = [];
  loop.setExceptionHandler((_loop, ctx) => reports.push(ctx));
  try {
    return await loop.runUntilComplete(main());
  } finally {
    loop.close();
    ok(
      reports.length === 0,
      `the loop reported: ${reports.map((r) => `${r.message}${r.exception ? ` (${r.exception})` : ""}`).join("; ")}`,
    );
  }
}

const ms = (t) => `${t.toFixed(1)} ms`;

/** runSync of sleep(3_600_000) on a virtual-clock TimerLoop: the hour passes at once, exactly. */
function runSyncVirtualHour() {
  const loop = new TimerLoop({ clock: "virtual" });
  try {
    const at = loop.runSync(
      (function* () {
        yield* sleep(3_600_000);
        return getRunningLoop().time();
      })(),
    );
    eq(at, 3_600_000, "the virtual time after sleep(3_600_000)");
  } finally {
    loop.close();
  }
}

export const scenarios = {
  "core-tasks": () =>
    hostRun("real", function* () {
      const loop = getRunningLoop();
      const order = [];
      function* worker(name, t) {
        yield* sleep(t);
        order.push(name);
        return name;
      }
      // 50 ms apart: the sleeps start in consecutive task steps, and a busy machine may
      // pause a runtime a few ms between two steps.
      const a = createTask(worker("a", 120), { name: "a" });
      const b = createTask(worker("b", 20));
      const c = createTask(worker("c", 70));
      eq(yield* gather([a, b, c]), ["a", "b", "c"], "the tasks' results");
      eq(order, ["b", "c", "a"], "tasks finish in deadline order");
      eq(a.getName(), "a", "a task's name");

      // Done callbacks never run inline; they run in registration order.
      const f = loop.createFuture();
      const seen = [];
      f.addDoneCallback(() => seen.push(1));
      f.addDoneCallback(() => seen.push(2));
      f.setResult(7);
      eq(seen, [], "done callbacks after setResult, before the loop turns");
      eq(yield* f, 7, "a done future's result");
      yield* sleep(0);
      eq(seen, [1, 2], "done callbacks, in registration order");

      // cancel(): the task sees CancelledError where it waits.
      const sleeper = createTask(sleep(10_000));
      yield* sleep(0);
      ok(sleeper.cancel("stop"), "cancel() of a pending task returns true");
      isNamed(
        yield* thrownBy(sleeper, "a cancelled task"),
        "CancelledError",
        "a cancelled task",
        CancelledError,
      );
      ok(sleeper.cancelled(), "the task ends cancelled");
      // ...and may catch it and go on.
      const stubborn = createTask(
        (function* () {
          try {
            yield* sleep(10_000);
          } catch (e) {
            if (!(e instanceof CancelledError)) throw e;
          }
          return "went on";
        })(),
      );
      yield* sleep(0);
      stubborn.cancel();
      eq(yield* stubborn, "went on", "a task that catches CancelledError");

      // Each task runs in a copy of its creator's context.
      const rid = new ContextVar("rid", { default: "none" });
      rid.set("parent");
      const child = createTask(
        (function* () {
          const before = rid.get();
          rid.set("child");
          yield* sleep(1);
          return [before, rid.get()];
        })(),
      );
      eq(yield* child, ["parent", "child"], "the child's context");
      eq(rid.get(), "parent", "the child's set() does not leak into its creator");

      const add = coro(function* (x, y) {
        yield* sleep(1);
        return x + y;
      });
      eq(yield* add(2, 3), 5, "a coro() function");
    }),

  "core-interop": () =>
    hostRun("real", function* () {
      const loop = getRunningLoop();
      const late = new Promise((resolve) => setTimeout(() => resolve("late"), 5));
      eq(yield* fromPromise(late), "late", "fromPromise of a host timer's Promise");
      const e = yield* thrownBy(
        fromPromise(Promise.reject(new RangeError("no"))),
        "a rejected Promise",
      );
      isNamed(e, "RangeError", "fromPromise of a rejected Promise");

      const t = createTask(sleep(3, "x"));
      eq(yield* fromPromise(toPromise(t)), "x", "toPromise of a task");

      // A Future is PromiseLike: a native async function can await it.
      const fut = loop.createFuture();
      const viaAwait = (async () => `awaited ${await fut}`)();
      fut.setResult(9);
      eq(yield* fromPromise(viaAwait), "awaited 9", "native await of a Future");

      let signal = null;
      const task = createTask(
        (function* () {
          signal = abortSignal();
          yield* sleep(10_000);
        })(),
      );
      yield* sleep(0);
      ok(signal !== null && !signal.aborted, "abortSignal() of a running task");
      task.cancel();
      yield* thrownBy(task, "a cancelled task");
      ok(signal.aborted, "abortSignal() aborts when its task is cancelled");
    }),

  "core-deadlock": async () => {
    const loop = new TimerLoop();
    loop.setExceptionHandler(() => {}); // the stranded task is reported when collected
    try {
      const e = await rejection(
        loop.runUntilComplete(
          (function* () {
            yield* loop.createFuture(); // nobody completes it
          })(),
        ),
        "a run awaiting a future nobody completes",
      );
      isNamed(e, "DeadlockError", "a run that can never finish", DeadlockError);
      return e.message.split(";")[0];
    } finally {
      loop.close();
    }
  },

  "host-real": async () => {
    const loop = new TimerLoop();
    try {
      let t0 = performance.now();
      await loop.runUntilComplete(sleep(30));
      const slept = performance.now() - t0;
      ok(slept >= 29.5, `sleep(30) ended after ${ms(slept)}`);
      ok(slept < 5000, `sleep(30) took ${ms(slept)}`);

      const order = [];
      await loop.runUntilComplete(
        (function* () {
          const l = getRunningLoop();
          const done = l.createFuture();
          l.callLater(10, () => order.push(10));
          l.callLater(1, () => order.push(1));
          l.callSoon(() => order.push(0));
          l.callLater(15, () => done.setResult(null));
          yield* done;
        })(),
      );
      eq(order, [0, 1, 10], "callSoon, then timers by deadline");

      // The run cooperates with the host: a host timer fires while the loop sleeps.
      let hostFired = false;
      setTimeout(() => {
        hostFired = true;
      }, 5);
      t0 = performance.now();
      await loop.runUntilComplete(sleep(25));
      ok(hostFired, "a host setTimeout(5) fired during the loop's sleep(25)");
      const t = loop.time();
      ok(typeof t === "number" && t > 0, "loop.time() is the real clock in ms");
      return { timing: `sleep(30) took ${ms(slept)}` };
    } finally {
      loop.close();
      ok(loop.isClosed(), "close() closes the loop");
    }
  },

  "host-virtual": async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    try {
      const t0 = performance.now();
      const times = await loop.runUntilComplete(
        (function* () {
          const l = getRunningLoop();
          const ts = [];
          yield* gather([
            (function* () {
              yield* sleep(3_600_000);
              ts.push(l.time());
            })(),
            (function* () {
              yield* sleep(1000);
              ts.push(l.time());
            })(),
          ]);
          return ts;
        })(),
      );
      const took = performance.now() - t0;
      eq(times, [1000, 3_600_000], "the virtual times the sleeps ended at");
      ok(took < 2000, `an hour of virtual time took ${ms(took)}`);
      eq(loop.time(), 3_600_000, "loop.time() after the run");
      loop.advance(500);
      eq(loop.time(), 3_600_500, "advance(500)");
      // The host still gets its turns: a Promise settles before the clock jumps.
      const v = await loop.runUntilComplete(
        (function* () {
          return yield* fromPromise(new Promise((r) => setTimeout(() => r("host"), 2)));
        })(),
      );
      eq(v, "host", "fromPromise on the virtual clock");
      return { timing: `an hour of loop time in ${ms(took)}` };
    } finally {
      loop.close();
    }
  },

  combinators: () =>
    hostRun("real", function* () {
      eq(
        yield* gather([
          sleep(3, "a"),
          sleep(1, "b"),
          (function* () {
            return 3;
          })(),
        ]),
        ["a", "b", 3],
        "gather",
      );
      const settled = yield* gather(
        [
          sleep(1, 1),
          (function* () {
            throw new RangeError("x");
          })(),
        ],
        { returnExceptions: true },
      );
      ok(settled[0] === 1 && settled[1] instanceof RangeError, "gather({ returnExceptions })");

      const fast = createTask(sleep(1, "fast"));
      const slow = createTask(sleep(10_000, "slow"));
      const [done, pending] = yield* wait([fast, slow], { returnWhen: FIRST_COMPLETED });
      ok(done.has(fast) && pending.has(slow), "wait(FIRST_COMPLETED)");
      slow.cancel();
      yield* thrownBy(slow, "a cancelled task");

      const inner = createTask(sleep(10_000));
      const te = yield* thrownBy(waitFor(inner, 5), "waitFor(sleep(10 s), 5 ms)");
      isNamed(te, "TimeoutError", "waitFor past its time", TimeoutError);
      ok(inner.cancelled(), "waitFor cancels what it waited for");

      let scope = null;
      const e2 = yield* thrownBy(
        timeout(5, function* (t) {
          scope = t;
          yield* sleep(10_000);
        }),
        "timeout(5) around sleep(10 s)",
      );
      isNamed(e2, "TimeoutError", "timeout() past its time", TimeoutError);
      ok(scope.expired(), "the Timeout says it expired");
      eq(
        yield* timeout(1000, function* () {
          yield* sleep(1);
          return "in time";
        }),
        "in time",
        "timeout() in time",
      );

      const kept = createTask(sleep(5, "kept"));
      const outer = createTask(
        (function* () {
          return yield* shield(kept);
        })(),
      );
      yield* sleep(0);
      outer.cancel();
      yield* thrownBy(outer, "a cancelled shield");
      eq(yield* kept, "kept", "shield() keeps the inner task running");

      // In completion order, which this task sets (not the clock, on a busy machine).
      const loop = getRunningLoop();
      const [fa, fb, fc] = [loop.createFuture(), loop.createFuture(), loop.createFuture()];
      createTask(
        (function* () {
          for (const [f, v] of [
            [fa, "a"],
            [fb, "b"],
            [fc, "c"],
          ]) {
            yield* sleep(1);
            f.setResult(v);
          }
        })(),
      );
      const order = [];
      for (const next of asCompleted([fc, fa, fb])) order.push(yield* next);
      eq(order, ["a", "b", "c"], "asCompleted order");

      const tasks = yield* taskGroup(function* (tg) {
        return [tg.createTask(sleep(2, "x")), tg.createTask(sleep(1, "y"))];
      });
      eq(
        tasks.map((t) => t.result()),
        ["x", "y"],
        "taskGroup's tasks",
      );
      let sibling = null;
      const ge = yield* thrownBy(
        taskGroup(function* (tg) {
          sibling = tg.createTask(sleep(10_000));
          tg.createTask(
            (function* () {
              yield* sleep(1);
              throw new RangeError("boom");
            })(),
          );
          yield* sleep(10_000);
        }),
        "a taskGroup whose child fails",
      );
      isNamed(ge, "ExceptionGroup", "a taskGroup whose child fails", ExceptionGroup);
      ok(ge instanceof AggregateError, "ExceptionGroup extends AggregateError");
      eq(
        ge.errors.map((e) => e.name),
        ["RangeError"],
        "the group's errors",
      );
      ok(sibling.cancelled(), "the failing child's sibling is cancelled");
    }),

  locks: () =>
    hostRun("real", function* () {
      const lock = new Lock();
      const order = [];
      function* user(name) {
        yield* lock.acquire();
        try {
          order.push(name);
          yield* sleep(1);
        } finally {
          lock.release();
        }
      }
      yield* gather([user("a"), user("b"), user("c")]);
      eq(order, ["a", "b", "c"], "a Lock serves its waiters in order");
      ok(!lock.locked(), "the lock is free again");
      const hold = yield* lock.hold();
      ok(lock.locked(), "hold() holds the lock");
      if (typeof Symbol.dispose === "symbol") hold[Symbol.dispose]();
      else hold.release();
      ok(!lock.locked(), "disposing the Hold releases the lock");
      isNamed(
        caught(() => lock.release(), "releasing a free lock"),
        "LockNotAcquiredError",
        "releasing a free lock",
      );

      const ev = new Event();
      const waiters = [createTask(ev.wait()), createTask(ev.wait())];
      yield* sleep(1);
      ok(!waiters[0].done(), "Event.wait() waits");
      ev.set();
      eq(yield* gather(waiters), [true, true], "Event.set() wakes every waiter");

      const cond = new Condition();
      let ready = false;
      const consumer = createTask(
        (function* () {
          yield* cond.acquire();
          try {
            while (!ready) yield* cond.wait();
            return "woken";
          } finally {
            cond.release();
          }
        })(),
      );
      yield* sleep(1);
      yield* cond.acquire();
      ready = true;
      cond.notifyAll();
      cond.release();
      eq(yield* consumer, "woken", "Condition.notifyAll()");

      const sem = new Semaphore(2);
      let active = 0;
      let peak = 0;
      function* limited() {
        yield* sem.acquire();
        try {
          active++;
          peak = Math.max(peak, active);
          yield* sleep(2);
          active--;
        } finally {
          sem.release();
        }
      }
      yield* gather([limited(), limited(), limited(), limited(), limited()]);
      eq(peak, 2, "Semaphore(2): at most two at once");
      const bs = new BoundedSemaphore(1);
      isNamed(
        caught(() => bs.release(), "over-releasing"),
        "OverReleaseError",
        "BoundedSemaphore over-release",
      );

      const barrier = new Barrier(3);
      const idx = yield* gather([barrier.wait(), barrier.wait(), barrier.wait()]);
      eq([...idx].sort(), [0, 1, 2], "Barrier(3) lets the three through");
    }),

  queues: () =>
    hostRun("real", function* () {
      const q = new Queue(2);
      q.putNowait(1);
      q.putNowait(2);
      ok(q.full(), "Queue(2) with two items is full");
      isNamed(
        caught(() => q.putNowait(3), "putNowait on a full queue"),
        "QueueFull",
        "putNowait on a full queue",
        QueueFull,
      );
      const putter = createTask(q.put(3));
      yield* sleep(1);
      ok(!putter.done(), "put() waits while the queue is full");
      eq(yield* q.get(), 1, "get()");
      yield* putter;
      eq([q.getNowait(), q.getNowait()], [2, 3], "FIFO");
      isNamed(
        caught(() => q.getNowait(), "getNowait on an empty queue"),
        "QueueEmpty",
        "getNowait on an empty queue",
        QueueEmpty,
      );

      const jobs = new Queue();
      const got = [];
      const consumer = createTask(
        (function* () {
          for (;;) {
            const item = yield* jobs.get();
            got.push(item);
            yield* sleep(1);
            jobs.taskDone();
          }
        })(),
      );
      for (let i = 0; i < 5; i++) yield* jobs.put(i);
      yield* jobs.join();
      eq(got, [0, 1, 2, 3, 4], "join() waits for every taskDone()");
      consumer.cancel();
      yield* thrownBy(consumer, "a cancelled consumer");

      const pq = new PriorityQueue();
      for (const item of [
        [3, "c"],
        [1, "a"],
        [2, "b"],
      ])
        pq.putNowait(item);
      eq(
        [pq.getNowait(), pq.getNowait(), pq.getNowait()].map((x) => x[1]),
        ["a", "b", "c"],
        "PriorityQueue",
      );
      const lq = new LifoQueue();
      for (const x of [1, 2, 3]) lq.putNowait(x);
      eq([lq.getNowait(), lq.getNowait(), lq.getNowait()], [3, 2, 1], "LifoQueue");

      const sq = new Queue();
      const getter = createTask(sq.get());
      yield* sleep(1);
      sq.shutdown();
      isNamed(
        yield* thrownBy(getter, "a getter of a shut-down queue"),
        "QueueShutDown",
        "shutdown() wakes a getter",
        QueueShutDown,
      );
    }),

  "runsync-real": () => {
    const loop = new TimerLoop();
    const reports = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
    let half;
    let both;
    try {
      let t0 = performance.now();
      loop.runSync(sleep(0.5));
      half = performance.now() - t0;
      ok(half >= 0.45, `runSync(sleep(0.5)) ended after ${half.toFixed(3)} ms`);
      t0 = performance.now();
      const v = loop.runSync(
        (function* () {
          yield* gather([sleep(20), sleep(10)]);
          return "ok";
        })(),
      );
      both = performance.now() - t0;
      eq(v, "ok", "runSync's result");
      ok(both >= 19.5 && both < 5000, `sleep(20) with sleep(10) took ${ms(both)}`);
      // A Promise cannot settle while runSync holds the thread: DeadlockError, not a hang.
      const e = caught(
        () => loop.runSync(fromPromise(new Promise(() => {}), loop)),
        "runSync awaiting a Promise",
      );
      isNamed(e, "DeadlockError", "runSync awaiting a Promise", DeadlockError);
    } finally {
      loop.close();
    }
    eq(
      runSync(function* () {
        yield* sleep(1);
        return 42;
      }),
      42,
      "timer-loop's runSync()",
    );
    return {
      timing: `sleep(0.5) took ${half.toFixed(2)} ms, sleep(20) with sleep(10) ${ms(both)}`,
    };
  },

  "runsync-virtual": () => {
    const t0 = performance.now();
    runSyncVirtualHour();
    const took = performance.now() - t0;
    ok(took < 2000, `an hour of virtual time took ${ms(took)}`);
    eq(
      runSync(
        function* () {
          yield* sleep(60_000);
          return getRunningLoop().time();
        },
        { clock: "virtual" },
      ),
      60_000,
      "runSync(main, { clock: 'virtual' })",
    );
    return { timing: `an hour of loop time in ${ms(took)}` };
  },

  "runsync-refused": async () => {
    const loop = new TimerLoop();
    let message;
    try {
      const e = caught(() => loop.runSync(sleep(1)), "new TimerLoop().runSync(sleep(1))");
      ok(e instanceof Error, `runSync threw a non-Error: ${String(e)}`);
      const generic = ["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError"];
      ok(!generic.includes(e.name), `runSync threw a generic ${e.name}: ${e.message}`);
      isNamed(e, "InvalidStateError", "runSync where the thread cannot block", InvalidStateError);
      ok(
        /runUntilComplete/.test(e.message),
        `the message does not say to use runUntilComplete: ${e.message}`,
      );
      message = `${e.name}: ${e.message}`;
      // The loop is still usable the way that works here.
      eq(
        await loop.runUntilComplete(sleep(1, "host")),
        "host",
        "runUntilComplete after the refusal",
      );
    } finally {
      loop.close();
    }
    // timer-loop's runSync() helper refuses the same way.
    const e2 = caught(
      () =>
        runSync(function* () {
          yield* sleep(1);
        }),
      "runSync(main)",
    );
    ok(
      e2 instanceof Error && e2.name === "InvalidStateError" && /runUntilComplete/.test(e2.message),
      `runSync(main) threw ${e2 instanceof Error ? `${e2.name}: ${e2.message}` : String(e2)}`,
    );
    return `throws ${message}`;
  },

  "runsync-virtual-nonblocking": () => {
    runSyncVirtualHour();
    return "runs (the virtual clock never waits)";
  },

  "run-helper": async () => {
    eq(
      await run(function* () {
        yield* sleep(5);
        return "real";
      }),
      "real",
      "run(main)",
    );
    eq(
      await run(
        function* () {
          yield* sleep(3_600_000);
          return getRunningLoop().time();
        },
        { clock: "virtual" },
      ),
      3_600_000,
      "run(main, { clock: 'virtual' })",
    );
  },
};
