// (Gate's public fields show in toEqual: the real ops keep theirs private, so a finished one
// reads as { done, value }.)
// Core's internal queues (Deque, WaiterList and Park). The primitives built on them are tested
// on every loop by @aioloop/backend-tests (suites/park.ts, queues.ts, locks.ts...).
import { describe, expect, it } from "vitest";
import type { Coro, Future } from "../src/index.js";
import { CancelledError, createTask, currentTask, getRunningLoop, isFuture } from "../src/index.js";
import { Deque } from "../src/deque.js";
import { Condition } from "../src/condition.js";
import { Event, Lock } from "../src/locks.js";
import { Queue } from "../src/queues.js";
import { Park, WaiterList } from "../src/waiters.js";
import { runOnMinimal } from "./support/minimal-loop.js";

describe("Deque", () => {
  it("keeps FIFO order across wrap-around and growth", () => {
    const d = new Deque<number>();
    const model: number[] = [];
    let next = 0;
    let seed = 99;
    for (let step = 0; step < 5000; step++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const op = seed % 7;
      if (op < 3) {
        d.push(next);
        model.push(next++);
      } else if (op < 5) {
        expect(d.shift()).toBe(model.shift());
      } else if (op < 6) {
        expect(d.pop()).toBe(model.pop());
      } else {
        expect(d.peek()).toBe(model[0]);
        expect(d.at(model.length - 1)).toBe(model[model.length - 1]);
      }
      expect(d.length).toBe(model.length);
    }
    expect([...d]).toEqual(model);
    expect(d.at(-1)).toBeUndefined();
    expect(d.at(d.length)).toBeUndefined();
  });

  it("removeIf keeps the order of the rest and returns how many went", () => {
    const d = new Deque<number>();
    for (let i = 0; i < 20; i++) d.push(i);
    for (let i = 0; i < 5; i++) d.shift(); // move the head so the kept run wraps
    for (let i = 20; i < 30; i++) d.push(i);
    expect(d.removeIf((x) => x % 3 === 0)).toBe(8);
    expect([...d]).toEqual([5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26, 28, 29]);
    d.clear();
    expect(d.length).toBe(0);
    expect(d.shift()).toBeUndefined();
    expect(d.pop()).toBeUndefined();
  });
});

/** A wait that completes once `open` is set; records how it left. */
class Gate extends Park<string> {
  open = false;
  left: boolean[] = [];
  constructor(
    readonly list: WaiterList,
    readonly name: string,
  ) {
    super();
  }
  _attempt(): boolean {
    this.value = this.name;
    return this.open;
  }
  _resumed(): boolean {
    this.value = this.name;
    return true;
  }
  _leave(woken: boolean): void {
    this.left.push(woken);
  }
  _waiters(): WaiterList {
    return this.list;
  }
}

describe("WaiterList and Park (on core's MinimalLoop)", () => {
  it("parks tasks on the ops themselves (no Future) and wakes them oldest first", () => {
    const order = runOnMinimal(function* (): Coro<string[]> {
      const list = new WaiterList("<Gate>");
      const order: string[] = [];
      const ops = ["a", "b", "c"].map((n) => new Gate(list, n));
      const tasks = ops.map((op) =>
        createTask(
          (function* (): Coro<void> {
            order.push(yield* op);
          })(),
        ),
      );
      yield;
      expect(list.length).toBe(3);
      for (const [i, t] of tasks.entries()) {
        expect(t._futWaiter).toBeNull();
        expect(t._parkedOn).toBe(ops[i]);
        expect(ops[i]!._describeParked(t)).toBe("<Gate>");
      }
      expect(list.wakeOne()).toBe(true);
      expect(list.wake(5)).toBe(2);
      expect(list.wakeOne()).toBe(false);
      expect(list.length).toBe(0);
      for (const t of tasks) yield* t;
      return order;
    });
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("a cancelled waiter leaves at once and owes nothing; a woken-then-cancelled one owes its wake-up", () => {
    runOnMinimal(function* (): Coro<void> {
      const list = new WaiterList("<Gate>");
      const ops = ["a", "b", "c"].map((n) => new Gate(list, n));
      const tasks = ops.map((op) =>
        createTask(
          (function* () {
            return yield* op;
          })(),
        ),
      );
      yield;
      tasks[1]!.cancel(); // parked: unlinked in O(1)
      expect(list.length).toBe(2);
      expect(tasks[1]!._parkedOn).toBeNull();
      expect(list.wakeOne()).toBe(true); // a
      tasks[0]!.cancel(); // woken, not yet run
      yield;
      yield;
      expect(tasks[0]!.cancelled()).toBe(true);
      expect(tasks[1]!.cancelled()).toBe(true);
      expect(ops[0]!.left).toEqual([true]);
      expect(ops[1]!.left).toEqual([false]);
      expect(list.length).toBe(1);
      expect(list.hasPending()).toBe(true);
      list.wakeAll();
      expect(yield* tasks[2]!).toBe("c");
      expect(ops[2]!.left).toEqual([]);
    });
  });

  it("driven by hand inside a task: a wake-up while the task runs does not queue it", () => {
    runOnMinimal(function* (): Coro<void> {
      const list = new WaiterList("<Gate>");
      const op = new Gate(list, "x");
      const first = op.next();
      expect(first.done).toBe(false);
      expect(list.wakeOne()).toBe(true);
      expect(currentTask()!._parkedOn).toBeNull();
      const { done, value } = op.next();
      expect({ done, value }).toEqual({ done: true, value: "x" });
      const op2 = new Gate(list, "y");
      op2.next();
      expect(op2.return("z")).toEqual({ done: true, value: "z" });
      expect(op2.left).toEqual([false]);
      expect(list.length).toBe(0);
      expect(currentTask()!._parkedOn).toBeNull();
      yield;
    });
  });

  it("outside any task it parks on a Future of the running loop", () => {
    runOnMinimal(function* (): Coro<void> {
      const loop = getRunningLoop();
      const list = new WaiterList("<Gate>");
      const op = new Gate(list, "f");
      const seen: unknown[] = [];
      loop.callSoon(() => {
        const r = op.next();
        seen.push(r.done, isFuture(r.value));
        list.wakeOne();
        const { done, value } = op.next();
        seen.push((r.value as Future<unknown>).done(), { done, value });
        const op2 = new Gate(list, "g");
        const fut = op2.next().value as Future<unknown>;
        fut.cancel();
        expect(list.hasPending()).toBe(false);
        expect(() => op2.next()).toThrow(CancelledError);
        seen.push(op2.left);
      });
      yield;
      yield;
      expect(seen).toEqual([false, true, true, { done: true, value: "f" }, [false]]);
    });
  });
});

describe("Lazy (the reusable coroutine object of get/put/acquire/wait)", () => {
  it("a wait that completes at once allocates nothing: the same object serves the next call", () => {
    runOnMinimal(function* (): Coro<void> {
      const q = new Queue<number>();
      q.putNowait(1);
      q.putNowait(2);
      const a = q.get();
      expect(yield* a).toBe(1);
      const b = q.get();
      expect(b === a).toBe(true);
      expect(yield* b).toBe(2);
      // Made before the first was started: a second object.
      const c = q.get();
      const d = q.get();
      expect(d === c).toBe(false); // (not.toBe would iterate them: that runs a wait)
      const lock = new Lock();
      const h = lock.acquire();
      yield* h;
      lock.release();
      expect(lock.acquire() === h).toBe(true);
    });
  });

  it("Condition.wait: one reusable object across waits, notified and re-locked each time", () => {
    const got = runOnMinimal(function* (): Coro<number[]> {
      const cond = new Condition();
      const items: number[] = [];
      const got: number[] = [];
      const waits = new Set<unknown>();
      const consumer = createTask(
        (function* (): Coro<void> {
          for (let i = 0; i < 3; i++) {
            using _ = yield* cond.hold();
            while (items.length === 0) {
              const w = cond.wait();
              waits.add(w);
              yield* w;
            }
            got.push(items.shift()!);
          }
        })(),
      );
      for (let i = 1; i <= 3; i++) {
        yield;
        using _ = yield* cond.hold();
        items.push(i);
        cond.notify();
      }
      yield* consumer;
      expect(waits.size).toBe(1);
      return got;
    });
    expect(got).toEqual([1, 2, 3]);
  });

  it("many waits blocked at once, rounds after rounds: reused Parks start clean", () => {
    const results = runOnMinimal(function* (): Coro<unknown[]> {
      const ev = new Event();
      const q = new Queue<number>(1);
      const out: unknown[] = [];
      for (let round = 0; round < 3; round++) {
        const ts = Array.from({ length: 12 }, (_, i) =>
          createTask(
            (function* (): Coro<unknown> {
              const r = yield* ev.wait();
              yield* q.put(i);
              return r;
            })(),
          ),
        );
        yield;
        ev.set();
        ev.clear();
        let sum = 0;
        for (let i = 0; i < 12; i++) sum += yield* q.get();
        for (const t of ts) out.push(yield* t);
        out.push(sum);
      }
      return out;
    });
    const round = [...Array.from({ length: 12 }, () => true), 66];
    expect(results).toEqual([...round, ...round, ...round]);
  });

  it("driven by hand, it is retired: later calls get a new object", () => {
    runOnMinimal(function* (): Coro<void> {
      const lock = new Lock();
      const a = lock.acquire();
      expect(a.next().done).toBe(true);
      expect(a.next().value).toBe(true); // finished: stays finished
      expect(lock.locked()).toBe(true);
      lock.release();
      const b = lock.acquire();
      expect(b === a).toBe(false);
      yield* b;
      expect(lock.locked()).toBe(true);
    });
  });
});
