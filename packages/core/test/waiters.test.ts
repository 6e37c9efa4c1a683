// Core's internal queues (Deque, WaiterQueue). The Park coroutine built on them is tested
// through the public primitives on every loop by @aioloop/backend-tests (suites/park.ts).
import { describe, expect, it } from "vitest";
import type { Coro, Future } from "../src/index.js";
import { getRunningLoop } from "../src/index.js";
import { Deque } from "../src/deque.js";
import { COMPACT_MIN_LENGTH, WaiterQueue } from "../src/waiters.js";
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

describe("WaiterQueue (on core's MinimalLoop)", () => {
  it("wakes the oldest pending waiter and skips cancelled ones", () => {
    runOnMinimal(function* (): Coro<void> {
      const loop = getRunningLoop();
      const w = new WaiterQueue<string>();
      const a = w.add(loop);
      const b = w.add(loop);
      const c = w.add(loop);
      a.cancel();
      expect(w.abandon(a)).toBe(false);
      expect(w.wakeOne("x")).toBe(true);
      expect(b.result()).toBe("x");
      expect(c.done()).toBe(false);
      expect(w.hasPending()).toBe(true);
      expect(w.wakeAll("y")).toBe(1);
      expect(w.wakeOne("z")).toBe(false);
      expect(w.hasPending()).toBe(false);
      // abandon() of a woken future reports that the wake-up must be passed on.
      const d = w.add(loop);
      w.wakeOne("d");
      expect(w.abandon(d)).toBe(true);
      // abandon() of a pending future cancels it.
      const e = w.add(loop);
      expect(w.abandon(e)).toBe(false);
      expect(e.cancelled()).toBe(true);
      yield;
    });
  });

  it("compacts once more than half of a long queue is cancelled", () => {
    runOnMinimal(function* (): Coro<void> {
      const loop = getRunningLoop();
      const w = new WaiterQueue<void>();
      const futs: Future<void>[] = [];
      const N = COMPACT_MIN_LENGTH * 4;
      for (let i = 0; i < N; i++) futs.push(w.add(loop));
      // Cancel every other one from the back: the head stays pending, so nothing is dropped lazily.
      const lengths: number[] = [];
      for (let i = N - 1; i > 0; i -= 2) {
        futs[i]!.cancel();
        w.abandon(futs[i]!);
        lengths.push(w.length);
      }
      expect(Math.max(...lengths)).toBe(N);
      // Half cancelled is not "more than half": no sweep yet...
      expect(w.length).toBe(N);
      // ...one more cancellation tips it over and the buffer is swept.
      futs[0]!.cancel();
      w.abandon(futs[0]!);
      expect(w.length).toBe(N / 2 - 1);
      expect(w.pendingCount()).toBe(N / 2 - 1);
      yield;
    });
  });
});
