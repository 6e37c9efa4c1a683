import { describe, expect, it } from "vitest";
import { TimerStore } from "../src/timer-store.js";
import { rng } from "./support/rng.js";

interface Entry {
  id: number;
  when: number;
  slot: number;
  /** Killed (kill(slot)): never comes out, not counted. */
  killed: boolean;
  /** Marked for the next filter(). */
  dead: boolean;
}

/** The obviously correct reference: sort by (when, id) whenever asked. */
function front(model: Entry[]): Entry[] {
  return [...model].sort((a, b) => a.when - b.when || a.id - b.id);
}

describe("TimerStore against a sorted-array model", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("random schedules, seed %i", (seed) => {
    const r = rng(seed);
    const q = new TimerStore<Entry>();
    let model: Entry[] = [];
    let now = 0;
    let id = 0;
    const popped: number[] = [];
    const expected: number[] = [];
    const add = (when: number) => {
      const e: Entry = { id: id++, when, slot: -1, killed: false, dead: false };
      e.slot = q.insert(when, e, e.id);
      expect(q.tagOf(e.slot)).toBe(e.id);
      model.push(e);
    };
    for (let step = 0; step < 5000; step++) {
      const op = r();
      if (op < 0.3) {
        // one delay used over and over (extends the open run), a few others, fractions
        const pick = r();
        const delay = pick < 0.5 ? 30 : pick < 0.7 ? [0, 1, 5][Math.floor(r() * 3)]! : r() * 50;
        if (r() < 0.5) add(now + delay);
        else {
          // as the loop schedules callLater/sleep: each integer delay collects its own run
          const e: Entry = { id: id++, when: now + delay, slot: -1, killed: false, dead: false };
          e.slot = q.insertAfter(delay, e.when, e, e.id);
          model.push(e);
        }
      } else if (op < 0.36) {
        // a burst: a sorted batch of many
        const n = 1 + Math.floor(r() * 60);
        const mode = r();
        for (let i = 0; i < n; i++) {
          add(mode < 0.3 ? now + 7 : mode < 0.6 ? now + r() * 3 : now + Math.floor(r() * 4));
        }
      } else if (op < 0.38) {
        add(r() < 0.5 ? now + 1e9 : now - r() * 10); // far future; already past
      } else if (op < 0.48) {
        now += r() * 10; // time passes (never backwards)
      } else if (op < 0.54 && model.length > 0) {
        const e = model[Math.floor(r() * model.length)]!;
        expect(q.kill(e.slot)).toBe(true);
        expect(q.kill(e.slot)).toBe(false);
        e.killed = true;
        model = model.filter((x) => x !== e);
      } else if (op < 0.58 && model.length > 0) {
        model[Math.floor(r() * model.length)]!.dead = true;
      } else if (op < 0.6) {
        const dropped = q.filter((e) => !e.dead);
        const before = model.length;
        model = model.filter((e) => !e.dead);
        expect(dropped).toBe(before - model.length);
      } else {
        // pop everything due by `now`, in (when, insertion order)
        const sorted = front(model);
        const due = sorted.filter((e) => e.when <= now);
        for (const e of due) expected.push(e.id);
        model = sorted.filter((e) => e.when > now);
        while (q.peekWhen() <= now) popped.push(q.pop()!.id);
      }
      expect(q.size).toBe(model.length);
      const first = front(model)[0];
      expect(q.peekWhen()).toBe(first === undefined ? Number.POSITIVE_INFINITY : first.when);
      expect(q.peek()).toBe(first);
    }
    expect(popped).toEqual(expected);
    const rest: number[] = [];
    while (q.size > 0) rest.push(q.pop()!.id);
    expect(rest).toEqual(front(model).map((e) => e.id));
    expect(q.pop()).toBeUndefined();
    expect(q.dead).toBe(0);
  });

  it("sorts large batches exactly: random, clustered, equal and far-apart deadlines", () => {
    const r = rng(42);
    const shapes: ((i: number) => number)[] = [
      () => r(), // uniform in [0, 1): the bench's random delays
      (i) => (i % 3) + i * 1e-4, // three interleaved ramps (delays 0, 1, 2 while time moves)
      () => 5, // all equal: insertion order
      (i) => (i === 7 ? 1e9 : r() * 1e-9), // one far future, the rest crowded in a nanosecond
      () => 2 ** Math.floor(r() * 40), // exponential spread (crowded buckets at every scale)
      () => Math.floor(r() * 10), // few distinct values: many ties
    ];
    for (const shape of shapes) {
      const q = new TimerStore<number>();
      const n = 20_000;
      const ws: number[] = [];
      for (let i = 0; i < n; i++) {
        const w = shape(i);
        ws.push(w);
        q.insert(w, i);
      }
      const order = ws.map((w, i) => [w, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const out: number[] = [];
      while (q.size > 0) out.push(q.pop()!);
      expect(out).toEqual(order.map(([, i]) => i));
    }
  });

  it("sorts random bursts exactly whatever their first, least and greatest timers", () => {
    const r = rng(99);
    for (let trial = 0; trial < 60; trial++) {
      const q = new TimerStore<number>();
      const n = 16 + Math.floor(r() * 3000);
      const spread = [1e-6, 1, 3, 1e6][trial % 4]!;
      const ws: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = r();
        ws.push(x < 0.05 ? -spread : x < 0.1 ? 2 * spread : Math.floor(r() * 3) + r() * spread);
      }
      for (let i = 0; i < n; i++) q.insertAfter(ws[i]! % 1 === 0 ? ws[i]! : Number.NaN, ws[i]!, i);
      const out: number[] = [];
      while (q.size > 0) out.push(q.pop()!);
      const order = ws.map((w, i) => [w, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(out).toEqual(order.map(([, i]) => i));
    }
  });

  it("sorts a burst whose first timer is the earliest, far below the rest", () => {
    const q = new TimerStore<number>();
    const ws = [0, ...Array.from({ length: 200 }, (_, i) => 100 + ((i * 37) % 101) / 100)];
    for (let i = 0; i < ws.length; i++) q.insert(ws[i]!, i);
    const out: number[] = [];
    while (q.size > 0) out.push(q.pop()!);
    const order = ws.map((w, i) => [w, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(out).toEqual(order.map(([, i]) => i));
  });

  it("equal deadlines come out in insertion order across batches, runs and single slots", () => {
    const q = new TimerStore<string>();
    q.insert(10, "a");
    q.insert(10, "b");
    expect(q.peekWhen()).toBe(10); // settles a, b into a run
    q.insert(5, "early"); // goes back in time: a single slot
    q.insert(10, "c"); // extends the open run
    expect(q.peekWhen()).toBe(5);
    for (let i = 0; i < 20; i++) q.insert(10, `d${i}`); // a batch of its own
    const out: string[] = [];
    while (q.size > 0) out.push(q.pop()!);
    expect(out).toEqual(["early", "a", "b", "c", ...Array.from({ length: 20 }, (_, i) => `d${i}`)]);
  });

  it("kill is O(1) and lazy: the slot is skipped at the head, counted in `dead` until then", () => {
    const q = new TimerStore<string>();
    const a = q.insert(1, "a");
    q.insert(2, "b");
    expect(q.kill(a)).toBe(true);
    expect(q.size).toBe(1);
    expect(q.itemAt(a)).toBeUndefined();
    expect(q.peekWhen()).toBe(2);
    expect(q.dead).toBe(0); // freed when it reached the head
    const c = q.insert(3, "c");
    q.kill(c);
    expect(q.dead).toBe(1);
    expect([...q]).toEqual(["b"]);
    expect(q.filter(() => true)).toBe(0);
    expect(q.dead).toBe(0);
  });

  it("clear drops everything and the store is reusable", () => {
    const q = new TimerStore<object>();
    for (let i = 0; i < 1000; i++) q.insert(i, {});
    expect(q.peekWhen()).toBe(0);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.peekWhen()).toBe(Number.POSITIVE_INFINITY);
    expect([...q]).toEqual([]);
    const x = {};
    q.insert(1, x);
    expect(q.pop()).toBe(x);
  });
});

describe("TimerStore.retire", () => {
  it("a retired store's grown arrays serve the next store that grows, which stays exact", () => {
    const a = new TimerStore<number>();
    for (let i = 0; i < 5000; i++) a.insert(i, i);
    expect(a.peekWhen()).toBe(0);
    a.retire();
    expect(a.size).toBe(0);
    a.insert(1, 1);
    expect(a.pop()).toBe(1);
    const b = new TimerStore<number>();
    const n = 3000;
    for (let i = 0; i < 10; i++) b.insert(10_000 + i, -i); // before it grows into the spare
    for (let i = 0; i < n; i++) b.insert(n - i, i);
    const out: number[] = [];
    while (b.size > 0) out.push(b.pop()!);
    expect(out).toEqual([
      ...Array.from({ length: n }, (_, i) => n - 1 - i),
      ...Array.from({ length: 10 }, (_, i) => -i),
    ]);
  });
});

describe("TimerStore reuses a drained run's arrays", () => {
  it("bursts sort into a drained run's arrays, never into a live run's, across stores", () => {
    const r = rng(7);
    let pending: { id: number; when: number }[] = [];
    const out: number[] = [];
    const expected: number[] = [];
    let id = 0;
    const burst = (q: TimerStore<number>, n: number, base: number) => {
      for (let i = 0; i < n; i++) {
        const e = { id: id++, when: base + r() * 5 };
        q.insert(e.when, e.id);
        pending.push(e);
      }
    };
    const drainTo = (q: TimerStore<number>, t: number) => {
      pending.sort((a, b) => a.when - b.when || a.id - b.id);
      for (const e of pending) if (e.when <= t) expected.push(e.id);
      pending = pending.filter((e) => e.when > t);
      while (q.size > 0 && q.peekWhen() <= t) out.push(q.pop()!);
    };
    for (let store = 0; store < 3; store++) {
      const q = new TimerStore<number>();
      burst(q, 5000, 0); // settled into a run
      drainTo(q, 2.5); // half drained: that run is live
      burst(q, 3000, 1); // a second run: must not take the live run's arrays
      burst(q, 40, 100); // an open-run extension (and a small batch)
      drainTo(q, 50); // the first runs drain and leave their arrays
      burst(q, 6000, 60); // a larger burst than any drained run: fresh arrays
      burst(q, 2000, 60.5); // one that fits a drained run's arrays
      q.kill(q.insert(1e6, -1));
      drainTo(q, Number.POSITIVE_INFINITY);
      expect(q.size).toBe(0);
      expect(q.peekWhen()).toBe(Number.POSITIVE_INFINITY);
      expect(q.dead).toBe(0);
      q.retire(); // hands its drained arrays to the next store
    }
    expect(out).toEqual(expected);
    expect(out.length).toBe(3 * 16_040);
  });

  it("kills inside a large batch free their slots at settle, shown ones only at the head", () => {
    const q = new TimerStore<number>();
    const slots: number[] = [];
    for (let i = 0; i < 1000; i++) slots.push(q.insert((i * 7919) % 1000, i));
    for (let i = 0; i < 1000; i += 3) q.kill(slots[i]!, i % 2 === 0);
    expect(q.dead).toBe(334);
    expect(q.deadShown).toBe(167);
    expect(q.peekWhen()).toBeGreaterThanOrEqual(0); // settles: unshown kills are freed
    expect(q.dead).toBeLessThanOrEqual(167 + 1);
    const out: number[] = [];
    while (q.size > 0) out.push(q.pop()!);
    const want = Array.from({ length: 1000 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000));
    expect(out).toEqual(want);
    expect(q.peekWhen()).toBe(Number.POSITIVE_INFINITY); // frees killed slots left at the head
    expect(q.dead).toBe(0);
    expect(q.deadShown).toBe(0);
  });
});

describe("TimerStore drains", () => {
  it("a timer inserted between two pops of a drained run is not overtaken", () => {
    const q = new TimerStore<string>();
    for (let i = 0; i < 20; i++) q.insert(10 + i, `r${i}`);
    expect(q.pop()).toBe("r0"); // the run is being drained
    q.insert(10.5, "new");
    q.insertAfter(1, 10.25, "delayed");
    expect(q.popDue(11)).toBe("delayed");
    expect(q.popDue(11)).toBe("new");
    expect(q.popDue(11)).toBe("r1");
    expect(q.popDue(11)).toBeUndefined();
    expect(q.size).toBe(18);
  });
});
