/**
 * TimerQueue: the loop's timers. A FIFO list per delay in front of the TimerHeap.
 *
 * HOW: most programs use a few delays over and over (a 30 s idle timeout per connection, a 1 s
 * retry, a 100 ms poll). Timers scheduled with the same delay fire in the order they were
 * scheduled, because the clock only moves forward: `now + delay` never decreases. So each delay
 * gets a plain FIFO list, and only the lists' heads sit in the heap:
 *
 *   callLater(1000) ─┐    lists (by delay)                 TimerHeap (by head deadline, seq)
 *   callLater(1000) ─┼──► 1000: [t1 t4 t7 …] ──head──┐     ┌──────────────────────────────┐
 *   callLater(50)  ──┼──► 50:   [t2 t5 …]    ──head──┼───► │ k entries: one per delay in  │
 *   callAt(12.34)  ──┴────────────────────────single─┘     │ use, plus single timers      │
 *                                                           └──────────────────────────────┘
 *
 * Scheduling appends to a list (O(1); the heap is touched only when a list was empty), and
 * firing shifts from a list and moves that list in a heap of k entries (O(log k)), instead of
 * O(log n) for n timers. Timers with a non-integer delay, or scheduled with `callAt`, go into
 * the heap on their own. Every timer carries one global sequence number, and the heap breaks
 * ties on it, so timers with equal deadlines still fire in scheduling order across lists.
 *
 * Cancelled timers stay where they are (asyncio's lazy cancellation); `filter` purges them in one
 * O(n) pass. The queue never calls its items.
 */

import { TimerHeap } from "./timer-heap.js";

/**
 * Delays up to this many ms get a list (integers only). Past a day, timers are rare and long
 * lived, and a list per such delay would only hold memory.
 */
export const MAX_LISTED_DELAY_MS = 86_400_000;

/** A list's ring starts this small and doubles when full (most delays have few live timers). */
const INITIAL_LIST_CAPACITY = 8;

/** What the queue stores: anything that carries its deadline and receives a sequence number. */
export interface TimerEntry {
  readonly _when: number;
  /** Set by the queue: the global scheduling order (FIFO tie-break for equal deadlines). */
  _seq: number;
}

/** The timers scheduled with one delay, in firing order: a ring buffer (no copying on shift). */
class TimerList<T extends TimerEntry> {
  readonly delay: number;
  // Invariant: capacity is a power of two; entries live at (head + k) & mask for k < length,
  //   with non-decreasing `_when` and increasing `_seq`; other slots are undefined.
  ring: (T | undefined)[] = new Array(INITIAL_LIST_CAPACITY);
  mask = INITIAL_LIST_CAPACITY - 1;
  head = 0;
  length = 0;
  // Invariant: the list's slot in the heap while it is non-empty, else -1.
  slot = -1;
  constructor(delay: number) {
    this.delay = delay;
  }
  first(): T {
    return this.ring[this.head]!;
  }
  last(): T {
    return this.ring[(this.head + this.length - 1) & this.mask]!;
  }
  push(item: T): void {
    if (this.length > this.mask) this.grow();
    this.ring[(this.head + this.length) & this.mask] = item;
    this.length++;
  }
  shift(): T {
    const item = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return item;
  }
  /** Keep only the items that pass `keep`, in order; returns the kept count. */
  retain(keep: (item: T) => boolean): number {
    const kept: T[] = [];
    for (let k = 0; k < this.length; k++) {
      const it = this.ring[(this.head + k) & this.mask]!;
      if (keep(it)) kept.push(it);
    }
    let cap = INITIAL_LIST_CAPACITY;
    while (cap < kept.length) cap *= 2;
    this.ring = new Array(cap);
    for (let k = 0; k < kept.length; k++) this.ring[k] = kept[k];
    this.mask = cap - 1;
    this.head = 0;
    this.length = kept.length;
    return kept.length;
  }
  *[Symbol.iterator](): IterableIterator<T> {
    for (let k = 0; k < this.length; k++) yield this.ring[(this.head + k) & this.mask]!;
  }
  private grow(): void {
    const cap = this.mask + 1;
    const next: (T | undefined)[] = new Array(cap * 2);
    for (let k = 0; k < this.length; k++) next[k] = this.ring[(this.head + k) & this.mask];
    this.ring = next;
    this.mask = cap * 2 - 1;
    this.head = 0;
  }
}

/** Timer storage for BaseEventLoop: `insertAfter` for relative delays, `insert` for absolute times. */
export class TimerQueue<T extends TimerEntry> {
  readonly #heap = new TimerHeap<T | TimerList<T>>();
  readonly #lists = new Map<number, TimerList<T>>();
  // Invariant: the number of items stored, in lists and on their own.
  #size = 0;
  // Invariant: greater than every sequence number handed out; the global FIFO order.
  #seq = 0;

  get size(): number {
    return this.#size;
  }

  /** Schedule `item` at `when`, which is `delay` ms after now (lists by delay when it can). */
  insertAfter(delay: number, when: number, item: T): void {
    if (delay >= 0 && delay <= MAX_LISTED_DELAY_MS && Number.isInteger(delay)) {
      let list = this.#lists.get(delay);
      if (list === undefined) {
        list = new TimerList<T>(delay);
        this.#lists.set(delay, list);
      }
      // The clock never goes back, so `when` is at least the tail's; if a clock broke that
      // promise, keep order by scheduling this timer on its own.
      if (list.length === 0 || list.last()._when <= when) {
        const seq = this.#seq++;
        item._seq = seq;
        list.push(item);
        if (list.slot === -1) list.slot = this.#heap.insertKeyed(when, seq, list);
        this.#size++;
        return;
      }
    }
    this.insert(when, item);
  }

  /** Schedule `item` at the absolute time `when`. */
  insert(when: number, item: T): void {
    const seq = this.#seq++;
    item._seq = seq;
    this.#heap.insertKeyed(when, seq, item);
    this.#size++;
  }

  /** The earliest deadline, or +Infinity when empty. */
  peekWhen(): number {
    return this.#heap.peekWhen();
  }

  /** The earliest item, or undefined. */
  peek(): T | undefined {
    const top = this.#heap.peek();
    if (top instanceof TimerList) return top.first();
    return top;
  }

  /** Remove and return the earliest item. */
  pop(): T | undefined {
    const top = this.#heap.peek();
    if (top === undefined) return undefined;
    this.#size--;
    if (!(top instanceof TimerList)) {
      this.#heap.pop();
      return top;
    }
    const item = top.shift();
    if (top.length === 0) {
      this.#heap.pop();
      top.slot = -1;
      this.#lists.delete(top.delay);
    } else {
      const next = top.first();
      this.#heap.rescheduleKeyed(top.slot, next._when, next._seq);
    }
    return item;
  }

  /** Drop every item that fails `keep`, in one O(n) pass; returns how many were dropped. */
  filter(keep: (item: T) => boolean): number {
    const before = this.#size;
    const emptied: TimerList<T>[] = [];
    this.#heap.filter((entry) => {
      if (!(entry instanceof TimerList)) {
        if (keep(entry)) return true;
        this.#size--;
        return false;
      }
      const list = entry as TimerList<T>;
      const had = list.length;
      const kept = list.retain(keep);
      this.#size -= had - kept;
      if (kept === 0) {
        emptied.push(list);
        return false;
      }
      return true;
    });
    for (const list of emptied) {
      list.slot = -1;
      this.#lists.delete(list.delay);
    }
    // Surviving lists may have a new head: put each at its head's key.
    for (const list of this.#lists.values()) {
      if (list.slot !== -1)
        this.#heap.rescheduleKeyed(list.slot, list.first()._when, list.first()._seq);
    }
    return before - this.#size;
  }

  /** Remove everything. */
  clear(): void {
    this.#heap.clear();
    this.#lists.clear();
    this.#size = 0;
  }

  /** Every item, in no particular order (for close() and statistics). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const entry of this.#heap) {
      if (entry instanceof TimerList) yield* entry;
      else yield entry;
    }
  }
}
