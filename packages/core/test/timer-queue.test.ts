import { describe, expect, it } from "vitest";
import { MAX_LISTED_DELAY_MS, TimerQueue, type TimerEntry } from "../src/timer-queue.js";

interface Entry extends TimerEntry {
  id: number;
  _when: number;
  dead: boolean;
}

/** A tiny seeded PRNG (xorshift32) so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("TimerQueue: per-delay lists in front of the heap", () => {
  it.each([1, 2, 3, 4, 5])("matches a sorted model on random schedules (seed %i)", (seed) => {
    const r = rng(seed);
    const q = new TimerQueue<Entry>();
    let model: Entry[] = [];
    let now = 0;
    let id = 0;
    const popped: number[] = [];
    const expected: number[] = [];
    for (let step = 0; step < 4000; step++) {
      const op = r();
      if (op < 0.45) {
        // relative timers: a few common integer delays, sometimes a fractional or huge one
        const pick = r();
        const delay =
          pick < 0.7
            ? [0, 1, 5, 100][Math.floor(r() * 4)]!
            : pick < 0.9
              ? r() * 50
              : MAX_LISTED_DELAY_MS + 1;
        const e: Entry = { id: id++, _when: now + delay, _seq: 0, dead: false };
        q.insertAfter(delay, e._when, e);
        model.push(e);
      } else if (op < 0.55) {
        const e: Entry = { id: id++, _when: now + r() * 200, _seq: 0, dead: false };
        q.insert(e._when, e);
        model.push(e);
      } else if (op < 0.65) {
        now += r() * 20; // time passes (never backwards)
      } else if (op < 0.7 && model.length > 0) {
        model[Math.floor(r() * model.length)]!.dead = true;
      } else if (op < 0.72) {
        const dropped = q.filter((e) => !e.dead);
        const before = model.length;
        model = model.filter((e) => !e.dead);
        expect(dropped).toBe(before - model.length);
      } else if (model.length > 0) {
        // pop everything due by `now`, in (when, scheduling order)
        model.sort((a, b) => a._when - b._when || a.id - b.id);
        while (model.length > 0 && model[0]!._when <= now) expected.push(model.shift()!.id);
        while (q.size > 0 && q.peekWhen() <= now) popped.push(q.pop()!.id);
      }
      expect(q.size).toBe(model.length);
    }
    expect(popped).toEqual(expected);
    model.sort((a, b) => a._when - b._when || a.id - b.id);
    const rest: number[] = [];
    while (q.size > 0) rest.push(q.pop()!.id);
    expect(rest).toEqual(model.map((e) => e.id));
  });

  it("keeps FIFO order among equal deadlines across lists and single timers", () => {
    const q = new TimerQueue<Entry>();
    const e = (id: number, when: number): Entry => ({ id, _when: when, _seq: 0, dead: false });
    q.insertAfter(10, 10, e(1, 10)); // list 10
    q.insert(10, e(2, 10)); // single
    q.insertAfter(5, 10, e(3, 10)); // list 5, same deadline
    q.insertAfter(10, 10, e(4, 10));
    const out: number[] = [];
    while (q.size > 0) out.push(q.pop()!.id);
    expect(out).toEqual([1, 2, 3, 4]);
  });

  it("schedules a timer on its own when a clock went backwards, so order still holds", () => {
    const q = new TimerQueue<Entry>();
    const e = (id: number, when: number): Entry => ({ id, _when: when, _seq: 0, dead: false });
    q.insertAfter(10, 20, e(1, 20));
    q.insertAfter(10, 15, e(2, 15)); // "now" went back by 5
    expect([q.pop()!.id, q.pop()!.id]).toEqual([2, 1]);
  });

  it("iterates every item, and clear() empties it", () => {
    const q = new TimerQueue<Entry>();
    for (let i = 0; i < 10; i++)
      q.insertAfter(i % 3, i % 3, { id: i, _when: i % 3, _seq: 0, dead: false });
    q.insert(1.5, { id: 99, _when: 1.5, _seq: 0, dead: false });
    expect([...q].map((x) => x.id).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99,
    ]);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.peekWhen()).toBe(Number.POSITIVE_INFINITY);
    expect(q.pop()).toBeUndefined();
  });
});
