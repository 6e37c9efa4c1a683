import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { TimerHeap } from "../src/timer-heap.js";

/** Deterministic xorshift32 PRNG, so a failing schedule can be replayed from its seed. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed | 0 || 1;
  }
  /** Float in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return (x >>> 0) / 2 ** 32;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

interface ModelEntry {
  readonly slot: number;
  when: number;
  seq: number;
  readonly item: number;
}

/** The obviously correct reference: an array kept sorted by (when, seq). */
class SortedModel {
  entries: ModelEntry[] = [];
  private nextSeq = 0;

  private place(entry: ModelEntry): void {
    let i = this.entries.length;
    while (i > 0) {
      const prev = this.entries[i - 1]!;
      if (prev.when < entry.when || (prev.when === entry.when && prev.seq < entry.seq)) break;
      i--;
    }
    this.entries.splice(i, 0, entry);
  }
  insert(slot: number, when: number, item: number): void {
    this.place({ slot, when, seq: this.nextSeq++, item });
  }
  pop(): ModelEntry | undefined {
    return this.entries.shift();
  }
  indexOfSlot(slot: number): number {
    return this.entries.findIndex((e) => e.slot === slot);
  }
  remove(slot: number): void {
    this.entries.splice(this.indexOfSlot(slot), 1);
  }
  reschedule(slot: number, when: number): void {
    const [entry] = this.entries.splice(this.indexOfSlot(slot), 1);
    entry!.when = when;
    entry!.seq = this.nextSeq++;
    this.place(entry!);
  }
  filter(keep: (item: number) => boolean): number {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => keep(e.item));
    return before - this.entries.length;
  }
}

/** Deadline generator that makes ties common, and also uses fractions and negative times. */
function randomWhen(rng: Rng): number {
  return rng.next() < 0.6 ? rng.int(0, 25) : rng.next() * 2000 - 500;
}

function expectSameFront(heap: TimerHeap<number>, model: SortedModel): void {
  const first = model.entries[0];
  expect(heap.size).toBe(model.entries.length);
  expect(heap.peekWhen()).toBe(first === undefined ? Number.POSITIVE_INFINITY : first.when);
  expect(heap.peek()).toBe(first?.item);
}

/** Runs `ops` random operations on a heap and the model side by side, checking after each. */
function runSchedule(seed: number, ops: number, initialCapacity: number): void {
  const rng = new Rng(seed);
  const heap = new TimerHeap<number>(initialCapacity);
  const model = new SortedModel();
  let nextItem = 0;
  let maxSlot = 0;
  for (let op = 0; op < ops; op++) {
    const roll = rng.next();
    const live = model.entries;
    const context = `seed ${seed}, op ${op}`;
    if (roll < 0.4 || live.length === 0) {
      const when = randomWhen(rng);
      const item = nextItem++;
      const slot = heap.insert(when, item);
      expect(
        live.some((e) => e.slot === slot),
        `${context}: slot ${slot} handed out twice`,
      ).toBe(false);
      maxSlot = Math.max(maxSlot, slot);
      model.insert(slot, when, item);
    } else if (roll < 0.6) {
      expect(heap.pop(), context).toBe(model.pop()!.item);
    } else if (roll < 0.72) {
      const victim = live[rng.int(0, live.length - 1)]!;
      expect(heap.remove(victim.slot), context).toBe(true);
      model.remove(victim.slot);
    } else if (roll < 0.77) {
      // A slot id that holds nothing: never issued, already left, or not a valid id at all.
      const candidates = [-1, 1.5, Number.NaN, maxSlot + 1 + rng.int(0, 5)];
      for (let s = 0; s <= maxSlot; s++) if (!live.some((e) => e.slot === s)) candidates.push(s);
      const dead = candidates[rng.int(0, candidates.length - 1)]!;
      expect(heap.remove(dead), `${context}: remove(${dead})`).toBe(false);
    } else if (roll < 0.95) {
      const target = live[rng.int(0, live.length - 1)]!;
      const when = rng.next() < 0.5 ? target.when : randomWhen(rng);
      heap.reschedule(target.slot, when);
      model.reschedule(target.slot, when);
    } else if (roll < 0.98) {
      const modulus = rng.int(2, 7);
      const residue = rng.int(0, modulus - 1);
      const keep = (item: number) => item % modulus !== residue;
      expect(heap.filter(keep), context).toBe(model.filter(keep));
    } else {
      // Iteration yields exactly the live payloads, earliest first.
      const seen = [...heap];
      expect(seen[0], context).toBe(live[0]?.item);
      expect(seen.sort((a, b) => a - b)).toEqual(live.map((e) => e.item).sort((a, b) => a - b));
    }
    expectSameFront(heap, model);
  }
  // Drain: the whole remaining order must match, not just the front.
  const drained: number[] = [];
  while (heap.size > 0) drained.push(heap.pop()!);
  expect(drained).toEqual(model.entries.map((e) => e.item));
  expect(heap.pop()).toBeUndefined();
}

/** Forces a full garbage collection; `--expose-gc` can be turned on at run time in Node. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Lets the current job end: WeakRef targets stay alive until then, whatever else holds them. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Inserts a fresh object and returns a weak reference to it; no strong reference escapes. */
function insertTracked(heap: TimerHeap<object>, when: number): [WeakRef<object>, number] {
  const payload = { when };
  return [new WeakRef(payload), heap.insert(when, payload)];
}

describe("TimerHeap against a sorted-array model", () => {
  for (const seed of [1, 2, 3, 0x2545f491, 0x9e3779b9, 20_240_601]) {
    it(`agrees on 4000 random insert/pop/remove/reschedule/filter ops (seed ${seed})`, () => {
      runSchedule(seed, 4000, 4);
    });
  }

  it("agrees with the default capacity on a long schedule", () => {
    runSchedule(777, 20_000, 64);
  });
});

describe("TimerHeap ordering", () => {
  it("pops in deadline order, entries with equal deadlines in insertion order", () => {
    const heap = new TimerHeap<string>(2);
    const inserted: [number, string][] = [];
    for (let i = 0; i < 300; i++) {
      const when = [30, 10, 20][i % 3]!;
      inserted.push([when, `t${i}`]);
      heap.insert(when, `t${i}`);
    }
    const expected = [10, 20, 30].flatMap((w) =>
      inserted.filter(([when]) => when === w).map(([, name]) => name),
    );
    const popped: string[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    expect(popped).toEqual(expected);
  });

  it("reschedule to the same deadline moves the entry behind the others with that deadline", () => {
    const heap = new TimerHeap<string>();
    const a = heap.insert(5, "a");
    heap.insert(5, "b");
    heap.insert(5, "c");
    heap.reschedule(a, 5);
    heap.insert(5, "d");
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual(["b", "c", "a", "d"]);
  });

  it("reschedule moves an entry earlier or later and keeps its slot", () => {
    const heap = new TimerHeap<string>();
    const late = heap.insert(100, "late");
    const early = heap.insert(1, "early");
    heap.insert(50, "middle");
    heap.reschedule(late, 0);
    expect(heap.peek()).toBe("late");
    expect(heap.peekWhen()).toBe(0);
    heap.reschedule(early, 1000);
    expect(heap.remove(late)).toBe(true);
    expect([heap.pop(), heap.pop()]).toEqual(["middle", "early"]);
  });

  it("reports an empty heap as deadline +Infinity with no payload", () => {
    const heap = new TimerHeap<number>();
    expect(heap.size).toBe(0);
    expect(heap.peekWhen()).toBe(Number.POSITIVE_INFINITY);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    heap.insert(3, 1);
    heap.pop();
    expect(heap.peekWhen()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("TimerHeap slots and capacity", () => {
  it("grows past its initial capacity, handing out distinct slots", () => {
    const heap = new TimerHeap<number>(2);
    const rng = new Rng(99);
    const slots = new Set<number>();
    const whens: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const when = rng.next() * 1000;
      whens.push(when);
      slots.add(heap.insert(when, i));
    }
    expect(heap.size).toBe(1000);
    expect(slots.size).toBe(1000);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(whens[heap.pop()!]!);
    expect(popped).toEqual([...whens].sort((a, b) => a - b));
  });

  it("reuses the slot of a removed entry", () => {
    const heap = new TimerHeap<string>(4);
    heap.insert(1, "a");
    const b = heap.insert(2, "b");
    heap.insert(3, "c");
    expect(heap.remove(b)).toBe(true);
    expect(heap.insert(4, "d")).toBe(b);
    expect([...heap].sort()).toEqual(["a", "c", "d"]);
  });

  it("recycles slots under churn instead of handing out ever larger ids", () => {
    const heap = new TimerHeap<number>(4);
    const rng = new Rng(5);
    const slotOf = new Map<number, number>(); // live item -> its slot
    for (let i = 0; i < 10_000; i++) {
      if (slotOf.size < 4) {
        const slot = heap.insert(rng.next() * 100, i);
        expect(slot).toBeLessThan(4);
        slotOf.set(i, slot);
      } else if (rng.next() < 0.5) {
        slotOf.delete(heap.pop()!);
      } else {
        const items = [...slotOf.keys()];
        const item = items[rng.int(0, items.length - 1)]!;
        expect(heap.remove(slotOf.get(item)!)).toBe(true);
        slotOf.delete(item);
      }
      expect(heap.size).toBe(slotOf.size);
    }
  });

  it("remove returns false for a slot that is not in the heap, and changes nothing", () => {
    const heap = new TimerHeap<string>(4);
    const a = heap.insert(1, "a");
    const b = heap.insert(2, "b");
    expect(heap.remove(7)).toBe(false); // never handed out
    expect(heap.remove(3)).toBe(false); // within capacity, never handed out
    expect(heap.remove(-1)).toBe(false);
    expect(heap.remove(0.5)).toBe(false);
    expect(heap.remove(Number.NaN)).toBe(false);
    expect(heap.pop()).toBe("a");
    expect(heap.remove(a)).toBe(false); // already popped
    expect(heap.remove(b)).toBe(true);
    expect(heap.remove(b)).toBe(false); // already removed
    heap.insert(5, "c");
    heap.clear();
    expect(heap.remove(0)).toBe(false); // cleared
    expect(heap.size).toBe(0);
  });

  it("clear empties the heap and it can be used again from scratch", () => {
    const heap = new TimerHeap<number>(2);
    for (let i = 0; i < 100; i++) heap.insert(100 - i, i);
    heap.clear();
    expect(heap.size).toBe(0);
    expect([...heap]).toEqual([]);
    expect(heap.peekWhen()).toBe(Number.POSITIVE_INFINITY);
    expect(heap.insert(7, 1)).toBe(0);
    expect(heap.insert(3, 2)).toBe(1);
    expect([heap.pop(), heap.pop()]).toEqual([2, 1]);
  });
});

describe("TimerHeap.filter", () => {
  it("drops failing entries, returns how many, and keeps order and slots of the rest", () => {
    const heap = new TimerHeap<number>(2);
    const slots: number[] = [];
    for (let i = 0; i < 40; i++) slots.push(heap.insert(i % 4, i));
    expect(heap.filter((item) => item % 3 !== 0)).toBe(14);
    expect(heap.size).toBe(26);
    expect(heap.remove(slots[1]!)).toBe(true); // a survivor's slot still addresses it
    expect(heap.remove(slots[3]!)).toBe(false); // a dropped entry's slot does not
    const expected = [0, 1, 2, 3].flatMap((w) =>
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 === w && i % 3 !== 0 && i !== 1),
    );
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    expect(popped).toEqual(expected);
  });

  it("leaves a valid heap when keep throws, keeping the entries it did not reject", () => {
    const heap = new TimerHeap<number>();
    for (let i = 0; i < 20; i++) heap.insert(20 - i, i);
    const visited: number[] = [];
    expect(() =>
      heap.filter((item) => {
        if (visited.length === 10) throw new Error("boom");
        visited.push(item);
        return item % 2 === 0;
      }),
    ).toThrow("boom");
    const rejected = visited.filter((item) => item % 2 !== 0);
    expect(heap.size).toBe(20 - rejected.length);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    const expected = Array.from({ length: 20 }, (_, i) => 19 - i).filter(
      (i) => !rejected.includes(i),
    );
    expect(popped).toEqual(expected);
  });
});

describe("TimerHeap bad input", () => {
  it("insert rejects NaN and infinite deadlines with a RangeError naming the value", () => {
    const heap = new TimerHeap<string>();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => heap.insert(bad, "x")).toThrow(RangeError);
      expect(() => heap.insert(bad, "x")).toThrow(String(bad));
      expect(() => heap.insert(bad, "x")).toThrow(/finite/);
    }
    expect(heap.size).toBe(0);
    expect(heap.peekWhen()).toBe(Number.POSITIVE_INFINITY);
  });

  it("reschedule rejects NaN and infinite deadlines and leaves the entry where it was", () => {
    const heap = new TimerHeap<string>();
    const slot = heap.insert(10, "x");
    heap.insert(20, "y");
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => heap.reschedule(slot, bad)).toThrow(RangeError);
    }
    expect(heap.peekWhen()).toBe(10);
    expect(heap.pop()).toBe("x");
  });

  it("reschedule of a slot that is not in the heap throws a RangeError", () => {
    const heap = new TimerHeap<string>();
    const slot = heap.insert(10, "x");
    heap.pop();
    expect(() => heap.reschedule(slot, 5)).toThrow(RangeError);
    expect(() => heap.reschedule(42, 5)).toThrow(/slot 42 holds no entry/);
    expect(heap.size).toBe(0);
  });

  it("the constructor rejects a capacity that is not a positive integer", () => {
    for (const bad of [0, -4, 2.5, Number.NaN, 2 ** 31]) {
      expect(() => new TimerHeap(bad)).toThrow(RangeError);
    }
    expect(new TimerHeap(1).size).toBe(0);
  });
});

describe("TimerHeap retains no payload that has left it", () => {
  it("pop, remove, filter and clear drop their payloads, so the GC can reclaim them", async () => {
    // Capacity 8 holds all five entries, so clear() must empty the arrays it keeps rather than
    // get away with allocating new ones (which it does only after growth).
    const heap = new TimerHeap<object>(8);
    const [popped] = insertTracked(heap, 1);
    const [removed, removedSlot] = insertTracked(heap, 2);
    const [filtered] = insertTracked(heap, 3);
    const [kept] = insertTracked(heap, 4);
    const [cleared] = insertTracked(heap, 5);
    heap.pop();
    heap.remove(removedSlot);
    // Filter by deadline payload field so no strong reference to `filtered` is created here.
    heap.filter((item) => (item as { when: number }).when !== 3);
    expect([...heap].map((item) => (item as { when: number }).when).sort()).toEqual([4, 5]);
    await nextTurn();
    collectGarbage();
    expect(popped.deref()).toBeUndefined();
    expect(removed.deref()).toBeUndefined();
    expect(filtered.deref()).toBeUndefined();
    expect(kept.deref()).toBeDefined(); // control: still in the heap, so still alive
    expect(cleared.deref()).toBeDefined();
    heap.clear();
    await nextTurn();
    collectGarbage();
    expect(kept.deref()).toBeUndefined();
    expect(cleared.deref()).toBeUndefined();
    expect(heap.size).toBe(0);
  });

  it("iteration and size show only the entries still in the heap", () => {
    const heap = new TimerHeap<string>(2);
    heap.insert(3, "c");
    const b = heap.insert(2, "b");
    heap.insert(1, "a");
    heap.insert(4, "d");
    expect([...heap][0]).toBe("a");
    expect(heap.pop()).toBe("a");
    heap.remove(b);
    expect(heap.size).toBe(2);
    expect([...heap].sort()).toEqual(["c", "d"]);
  });
});

describe("TimerHeap.secondKey", () => {
  it("gives the runner-up's (deadline, seq), or +Infinity with fewer than two entries", () => {
    const heap = new TimerHeap<string>();
    const out = new Float64Array(2);
    heap.secondKey(out);
    expect([...out]).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    heap.insertKeyed(5, 0, "a");
    heap.secondKey(out);
    expect(out[0]).toBe(Number.POSITIVE_INFINITY);
    heap.insertKeyed(9, 1, "b");
    heap.insertKeyed(7, 3, "c");
    heap.insertKeyed(7, 2, "d");
    heap.insertKeyed(8, 4, "e");
    heap.secondKey(out);
    expect([...out]).toEqual([7, 2]); // ties broken by seq
    heap.pop();
    heap.secondKey(out);
    expect([...out]).toEqual([7, 3]);
  });
});
