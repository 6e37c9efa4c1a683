/**
 * TimerStore: the loop's timers, in exact deadline order, without an object per timer.
 *
 * WHAT. Each timer is a slot in typed arrays (deadline, sequence number, a numeric tag) plus
 * one reference to its payload (a TimerHandle, or a sleeping Task itself). Timers come out by
 * deadline, and timers with equal deadlines in the order they were inserted (asyncio fires
 * timers in deadline order; FIFO among equals is our stable promise).
 *
 * HOW. Inserting appends the slot to an unsorted batch: O(1). The first time the loop asks
 * for the earliest deadline, the batch is settled into SORTED RUNS:
 *
 *   insert ─► batch [s7 s3 s9 …] ──settle──► large: bucket sort by deadline ─► one run
 *                                            small: each slot to its delay's run
 *                                            (`insertAfter`), or the open run, else alone
 *
 * A delay's run collects the timers scheduled with one integer delay (callLater(ms),
 * sleep(ms)) over many iterations in O(1) each: they come due in the order they are
 * scheduled, because the clock never goes back. A burst (200k timers in one iteration) is
 * sorted instead: one run drains faster than many interleaved ones.
 *
 *   merge heap (TimerHeap, keyed by (deadline, seq)): one entry per run (its head) and per
 *   single slot: k entries, k small. `popDue` DRAINS the head run front to back without a
 *   heap operation while it precedes the runner-up (`secondKey`), then puts it back once.
 *
 * A run keeps each slot's deadline beside it, so sorting and draining read deadlines in order.
 * The bucket sort is O(n) for the usual shapes (deadlines spread over a window); buckets that
 * stay crowded are split again, and a pathological batch falls back to a comparison sort
 * (O(n log n)), so nothing is quadratic. A burst sorts straight into a drained run's arrays
 * (kept per store and handed on by `retire`) with the sort's scratch kept per process: a
 * program that fires burst after burst allocates no new typed arrays for them (fresh ones cost
 * zeroing and page faults: a third of the sort, measured at 200k timers).
 *
 * WHY not a heap of every timer: at 200k timers a heap pop walks ~9 levels of scattered cache
 * lines (about 200 ns per timer measured, insert + pop): more than Node's whole setTimeout.
 * The heap stays only as the merge heap of k runs, where it is the right tool.
 *
 * Cancelling is O(1) and lazy: `kill(slot)` marks the slot dead (it is freed when it reaches
 * the head or on `filter`). `kill(slot, true)` keeps it counted in `deadShown` until then: the
 * loop's cancelled TimerHandles, which asyncio shows until its lazy purge (fact 11).
 *
 * Cost of each operation (n timers, k runs and single slots in the merge heap):
 *   insert(After), kill   O(1)          peekWhen, peek, pop      O(log k) + amortised settle
 *   popDue in a drain     O(1)
 *   settle (per batch b)  O(b) usual    filter, clear            O(n)
 */

import { TimerHeap } from "./timer-heap.js";

/**
 * Slots allocated up front; the arrays double when full. Eight keeps every array on V8's heap
 * (at most 64 bytes): a loop that sets few timers (or none) makes no off-heap buffers.
 */
const INITIAL_CAPACITY = 8;
/** Batches smaller than this are placed slot by slot (open run or merge heap), not sorted. */
const SMALL_BATCH = 16;
/** Integer delays up to a day get a run of their own (`insertAfter`); longer ones are rare. */
export const MAX_LISTED_DELAY_MS = 86_400_000;
/** Bucket-sort segments this small are finished by insertion sort. */
const INSERTION_SORT_MAX = 24;
/** Crowded buckets are split again at most this deep before a comparison sort takes over. */
const MAX_SPLIT_DEPTH = 3;
/**
 * Largest slot arrays a retired store hands on (about 36 bytes a slot: 9 MiB at this size);
 * larger ones are left to the garbage collector.
 */
const MAX_SPARE_CAPACITY = 2 ** 18;

/** The per-slot arrays of a retired store, all-undefined `items` included. */
interface SpareArrays {
  capacity: number;
  when: Float64Array;
  seq: Float64Array;
  tag: Float64Array;
  free: Int32Array;
  items: unknown[];
  batch: Int32Array;
  batchDelay: Float64Array;
}
/** One set per process, taken by the next store that grows into it. */
let spare: SpareArrays | null = null;

/**
 * A drained run's arrays (slots, deadlines), kept for the next large batch: a burst of 200k
 * timers then sorts into arrays it already has instead of 2.4 MB of fresh zeroed memory. One
 * pair per store, and one per process (handed on by `retire`), at most MAX_SPARE_CAPACITY long.
 */
interface RunArrays {
  slots: Int32Array;
  whens: Float64Array;
}
let spareRun: RunArrays | null = null;
/** Runs shorter than this are not worth keeping for reuse. */
const MIN_SPARE_RUN = 1024;

/**
 * The bucket sort's scratch (bucket counts and each entry's bucket), kept between sorts: the
 * sort runs on one thread and never twice at once (a crowded bucket's recursion makes its own).
 */
let sortCount: Int32Array = new Int32Array(0);
let sortKeys: Int32Array = new Int32Array(0);

/** The payload of a killed slot (still in a run or the heap until it reaches the head). */
const DEAD: unique symbol = Symbol("dead timer");

/**
 * A sorted run of slots, consumed from `head`, with each slot's deadline beside it (`whens`):
 * draining and sorting read deadlines in order instead of one random `when[slot]` each.
 */
class Run {
  /** This run's index in TimerStore's run table. */
  index = -1;
  slots: Int32Array;
  whens: Float64Array;
  head = 0;
  end = 0;
  /** Invariant: this run's entry in the merge heap while it holds slots, else -1. */
  heapSlot = -1;
  /** The delay whose timers this run collects (`insertAfter`), or -1. */
  delay = -1;
  constructor(slots: Int32Array, whens: Float64Array) {
    this.slots = slots;
    this.whens = whens;
  }
  /** Makes room for `extra` more entries after `end`. */
  reserve(extra: number): void {
    if (this.end + extra <= this.slots.length) return;
    const slots = grown(this.slots, this.end, extra);
    const whens = new Float64Array(slots.length);
    whens.set(this.whens.subarray(0, this.end));
    this.slots = slots;
    this.whens = whens;
  }
}

/**
 * Timers ordered by (deadline, insertion order). `insert` returns a slot id, valid until the
 * timer leaves (pop, filter, clear, or a kill followed by the slot reaching the head).
 *
 * @example
 * ```ts
 * const timers = new TimerStore<string>();
 * timers.insert(now + 50, "late");
 * const s = timers.insert(now + 10, "early");
 * timers.kill(s);                         // never comes out
 * while (timers.peekWhen() <= now + 100) console.log(timers.pop());
 * ```
 */
export class TimerStore<T> {
  // Per slot. Invariant: capacity === when.length === seq.length === tag.length === free.length
  //   === items.length.
  #capacity = INITIAL_CAPACITY;
  #when: Float64Array = new Float64Array(INITIAL_CAPACITY);
  #seq: Float64Array = new Float64Array(INITIAL_CAPACITY);
  #tag: Float64Array = new Float64Array(INITIAL_CAPACITY);
  // Invariant: the payload of a stored slot, DEAD for a killed one, undefined for a free one.
  #items: (T | typeof DEAD | undefined)[] = newArray(INITIAL_CAPACITY);
  #free: Int32Array = new Int32Array(INITIAL_CAPACITY);
  #freeCount = 0;
  #highWater = 0;
  // Invariant: greater than every seq handed out (Float64 counts exactly to 2^53).
  #nextSeq = 0;
  // Invariant: #live + #dead === stored slots (in the batch, in runs, or single in the heap).
  #live = 0;
  #dead = 0;
  // Invariant: the killed slots still held that were killed `shown` (their tag is -1).
  #deadShown = 0;
  /** The tag of the payload `popDue`/`pop` returned last. */
  poppedTag = 0;
  // The unsorted batch, in insertion (seq) order.
  #batch: Int32Array = new Int32Array(INITIAL_CAPACITY);
  // The delay of each batch entry inserted with `insertAfter`, else NaN.
  #batchDelay: Float64Array = new Float64Array(INITIAL_CAPACITY);
  #batchLen = 0;
  // Bounds of the batch's deadlines (of every entry appended since the last settle), and
  // whether they were appended in order.
  #batchMin = Number.POSITIVE_INFINITY;
  #batchMax = Number.NEGATIVE_INFINITY;
  #batchSorted = true;
  // Merge heap payload: a slot (>= 0), or ~index into #runs (< 0).
  readonly #heap = new TimerHeap<number>();
  // Invariant: #runs[i] is a run in the heap, or null (its index is in #freeRuns).
  #runs: (Run | null)[] = [];
  #freeRuns: number[] = [];
  // The run that the next non-decreasing slots may extend (in the heap), or -1.
  #open = -1;
  // The head run while `popDue` drains it without touching the heap: its heap key is stale
  // until `#flush`. It stays the earliest while its next slot precedes #limit (the runner-up's
  // key: [deadline, seq]). Every operation but insert and kill flushes first.
  #stream: Run | null = null;
  readonly #limit = new Float64Array(2);
  // The run that collects the timers of each integer delay in use (`insertAfter`).
  readonly #byDelay = new Map<number, Run>();
  // Kills since the last settle: when none, the batch holds no killed slot to free.
  #killsSinceSettle = 0;
  // A drained run's arrays, for the next large batch (see `spareRun`).
  #spareRun: RunArrays | null = null;

  /** Live timers (killed ones are not counted). */
  get size(): number {
    return this.#live;
  }

  /** Killed timers still held (freed as they reach the head, or by `filter`). */
  get dead(): number {
    return this.#dead;
  }

  /** Killed timers still held that were killed with `shown` (the loop's cancelled handles). */
  get deadShown(): number {
    return this.#deadShown;
  }

  /**
   * As `insert`, for a timer due `delay` after now (`when` = now + delay): when it is settled
   * in a small batch, an integer delay's timer joins that delay's run in O(1) (see the header).
   */
  insertAfter(delay: number, when: number, item: T, tag = 0): number {
    return this.#append(when, item, tag, delay);
  }

  /** Adds a timer due at the finite time `when`; `tag` is a number kept with it (`tagOf`). */
  insert(when: number, item: T, tag = 0): number {
    return this.#append(when, item, tag, Number.NaN);
  }

  // Kept small (cold work in #freshSlot and #growBatch) so that V8 inlines it into callLater:
  // a call boundary would box `when` (a fractional number) in a heap object per timer.
  #append(when: number, item: T, tag: number, delay: number): number {
    const slot = this.#freeCount > 0 ? this.#free[--this.#freeCount]! : this.#freshSlot();
    this.#when[slot] = when;
    this.#seq[slot] = this.#nextSeq++;
    this.#tag[slot] = tag;
    this.#items[slot] = item;
    const i = this.#batchLen++;
    if (i === this.#batch.length) this.#growBatch(i);
    this.#batch[i] = slot;
    this.#batchDelay[i] = delay;
    // The batch's bounds and order, kept here so that settling skips two passes over it.
    if (when < this.#batchMax) this.#batchSorted = false;
    else this.#batchMax = when;
    if (when < this.#batchMin) this.#batchMin = when;
    this.#live++;
    return slot;
  }

  /** A never-used slot (there is no free one), growing the slot arrays when full. */
  #freshSlot(): number {
    if (this.#highWater === this.#capacity) this.#grow();
    return this.#highWater++;
  }

  /** Doubles the batch arrays (they always have the same length), which hold `used` entries. */
  #growBatch(used: number): void {
    this.#batch = grown(this.#batch, used);
    this.#batchDelay = grownF(this.#batchDelay, used);
  }

  /** The payload in `slot`, or undefined when the slot holds no live timer. */
  itemAt(slot: number): T | undefined {
    const it = this.#items[slot];
    return it === DEAD ? undefined : it;
  }

  /** The deadline of the timer in `slot` (meaningful only while it is stored). */
  whenOf(slot: number): number {
    return this.#when[slot]!;
  }

  /** The tag the timer in `slot` was inserted with. */
  tagOf(slot: number): number {
    return this.#tag[slot]!;
  }

  /**
   * Drops the live timer in `slot` in O(1): it never comes out. False if it holds none.
   * `shown`: count it in `deadShown` until it is freed (a cancelled TimerHandle stays visible in
   * the loop's statistics until purged, as in asyncio; its tag becomes -1).
   */
  kill(slot: number, shown = false): boolean {
    const it = this.#items[slot];
    if (it === undefined || it === DEAD) return false;
    this.#items[slot] = DEAD;
    this.#live--;
    this.#dead++;
    this.#killsSinceSettle++;
    if (shown) {
      this.#tag[slot] = -1;
      this.#deadShown++;
    }
    return true;
  }

  /** The earliest deadline, or +Infinity when there is no live timer. */
  peekWhen(): number {
    if (this.#stream !== null) this.#flush();
    if (this.#batchLen > 0) this.#settle();
    if (this.#dead > 0) this.#dropDeadHead();
    const heap = this.#heap;
    return heap.peekWhen();
  }

  /** The earliest live payload, or undefined. */
  peek(): T | undefined {
    if (this.peekWhen() === Number.POSITIVE_INFINITY) return undefined;
    return this.#items[this.#headSlot()] as T;
  }

  /** Removes and returns the earliest live payload (undefined when there is none). */
  pop(): T | undefined {
    return this.popDue(Number.POSITIVE_INFINITY);
  }

  /**
   * Removes and returns the earliest live payload if it is due by `end` (deadline <= end), else
   * undefined. Calling it in a loop drains a run of timers without a heap operation per timer:
   * the head run is consumed while it precedes the runner-up entry.
   */
  popDue(end: number): T | undefined {
    // The drain's usual step, small enough for V8 to inline into the caller's loop: the head
    // run's next slot is live, due, and strictly before the runner-up (anything else, ties
    // included, takes the general path below).
    const run = this.#stream;
    if (run !== null && this.#batchLen === 0) {
      const h = run.head;
      if (h < run.end) {
        const w = run.whens[h]!;
        if (w <= end && w < this.#limit[0]!) {
          const slot = run.slots[h]!;
          const it = this.#items[slot];
          if (it !== DEAD) {
            run.head = h + 1;
            this.#release(slot);
            this.#live--;
            this.poppedTag = this.#tag[slot]!;
            return it;
          }
        }
      }
    }
    return this.#popDueSlow(end);
  }

  /** `popDue` in general: drains and flushes the stream, settles, and pops from the heap. */
  #popDueSlow(end: number): T | undefined {
    const items = this.#items;
    for (;;) {
      const run = this.#stream;
      if (run !== null) {
        // (Timers inserted since the drain began are in the batch: settle them first.)
        if (run.head < run.end && this.#batchLen === 0) {
          const slot = run.slots[run.head]!;
          const w = run.whens[run.head]!;
          const lw = this.#limit[0]!;
          if (w <= end && (w < lw || (w === lw && this.#seq[slot]! < this.#limit[1]!))) {
            run.head++;
            const it = items[slot];
            this.#release(slot);
            if (it === DEAD) {
              this.#forget(slot);
              continue;
            }
            this.#live--;
            this.poppedTag = this.#tag[slot]!;
            return it;
          }
        }
        this.#flush();
      }
      if (this.#batchLen > 0) this.#settle();
      const heap = this.#heap;
      if (heap.peekWhen() > end) return undefined;
      const ref = heap.peek()!;
      if (ref < 0) {
        // A run at the head: drain it from the next turn of this loop.
        this.#stream = this.#runs[~ref]!;
        heap.secondKey(this.#limit);
        continue;
      }
      heap.pop();
      const it = items[ref];
      this.#release(ref);
      if (it === DEAD) {
        this.#forget(ref);
        continue;
      }
      this.#live--;
      this.poppedTag = this.#tag[ref]!;
      return it;
    }
  }

  /** Ends a drain: the streamed run gets its heap key back (or leaves, when empty). */
  #flush(): void {
    const run = this.#stream!;
    this.#stream = null;
    if (run.head === run.end) this.#dropRun(run.index, run);
    else {
      const next = run.slots[run.head]!;
      this.#heap.rescheduleKeyed(run.heapSlot, this.#when[next]!, this.#seq[next]!);
    }
  }

  /**
   * Drops every live timer whose payload fails `keep` (and every killed one), in O(n); the
   * rest keep their order and slots. `keep` must not modify the store.
   * @returns how many live timers were dropped.
   */
  filter(keep: (item: T) => boolean): number {
    if (this.#stream !== null) this.#flush();
    if (this.#batchLen > 0) this.#settle();
    const before = this.#live;
    const items = this.#items;
    const alive = (slot: number): boolean => {
      const it = items[slot];
      if (it !== DEAD && keep(it as T)) return true;
      if (it === DEAD) this.#forget(slot);
      else this.#live--;
      this.#release(slot);
      return false;
    };
    const runs = this.#runs;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r];
      if (run === null || run === undefined) continue;
      const s = run.slots;
      const ws = run.whens;
      let out = run.head;
      for (let i = run.head; i < run.end; i++) {
        if (alive(s[i]!)) {
          ws[out] = ws[i]!;
          s[out++] = s[i]!;
        }
      }
      run.end = out;
      if (run.head === out) this.#dropRun(r, run);
      else
        this.#heap.rescheduleKeyed(
          run.heapSlot,
          this.#when[s[run.head]!]!,
          this.#seq[s[run.head]!]!,
        );
    }
    this.#heap.filter((ref) => ref < 0 || alive(ref));
    return before - this.#live;
  }

  /** Removes every timer and drops every payload reference. */
  clear(): void {
    this.#stream = null;
    // Freed slots hold undefined already: a drained store (a closing loop's, usually) has
    // nothing to drop, and skips writing all of its slots.
    if (this.#live + this.#dead > 0) this.#items.fill(undefined, 0, this.#highWater);
    this.#freeCount = 0;
    this.#highWater = 0;
    this.#live = 0;
    this.#dead = 0;
    this.#deadShown = 0;
    this.#batchLen = 0;
    this.#batchSorted = true;
    this.#batchMin = Number.POSITIVE_INFINITY;
    this.#batchMax = Number.NEGATIVE_INFINITY;
    this.#killsSinceSettle = 0;
    this.#heap.clear();
    this.#runs = [];
    this.#freeRuns = [];
    this.#open = -1;
    this.#byDelay.clear();
  }

  /**
   * `clear()`, and the store will not be used again (its loop closed): its grown arrays are kept
   * for the next store that grows (up to MAX_SPARE_CAPACITY slots, one set per process), so a
   * program that runs loop after loop does not grow and zero them each time.
   */
  retire(): void {
    this.clear();
    const sr = this.#spareRun;
    this.#spareRun = null;
    if (sr !== null && sr.slots.length > (spareRun?.slots.length ?? 0)) spareRun = sr;
    const cap = this.#capacity;
    if (cap > INITIAL_CAPACITY && cap <= MAX_SPARE_CAPACITY && (spare?.capacity ?? 0) < cap) {
      spare = {
        capacity: cap,
        when: this.#when,
        seq: this.#seq,
        tag: this.#tag,
        free: this.#free,
        items: this.#items as unknown[],
        batch: this.#batch,
        batchDelay: this.#batchDelay,
      };
    }
    this.#capacity = INITIAL_CAPACITY;
    this.#when = new Float64Array(INITIAL_CAPACITY);
    this.#seq = new Float64Array(INITIAL_CAPACITY);
    this.#tag = new Float64Array(INITIAL_CAPACITY);
    this.#free = new Int32Array(INITIAL_CAPACITY);
    this.#items = newArray(INITIAL_CAPACITY);
    this.#batch = new Int32Array(INITIAL_CAPACITY);
    this.#batchDelay = new Float64Array(INITIAL_CAPACITY);
  }

  /** Every live payload, in no particular order (close() and debugging). */
  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.#items;
    for (let s = 0; s < this.#highWater; s++) {
      const it = items[s];
      if (it !== undefined && it !== DEAD) yield it;
    }
  }

  /** The slot at the head of the merge heap's first entry (the heap is not empty). */
  #headSlot(): number {
    const ref = this.#heap.peek()!;
    if (ref >= 0) return ref;
    const run = this.#runs[~ref]!;
    return run.slots[run.head]!;
  }

  /** Removes the head slot from its run or from the heap and returns it (not released). */
  #takeHead(): number {
    const heap = this.#heap;
    const ref = heap.peek()!;
    if (ref >= 0) {
      heap.pop();
      return ref;
    }
    const r = ~ref;
    const run = this.#runs[r]!;
    const slot = run.slots[run.head++]!;
    if (run.head === run.end) this.#dropRun(r, run);
    else {
      const next = run.slots[run.head]!;
      heap.rescheduleKeyed(run.heapSlot, this.#when[next]!, this.#seq[next]!);
    }
    return slot;
  }

  /** Frees killed timers at the head. */
  #dropDeadHead(): void {
    const heap = this.#heap;
    const items = this.#items;
    while (heap.size > 0) {
      const slot = this.#headSlot();
      if (items[slot] !== DEAD) return;
      this.#takeHead();
      this.#release(slot);
      this.#forget(slot);
    }
  }

  /** Takes a run out of the heap and recycles its index. */
  #dropRun(r: number, run: Run): void {
    this.#heap.remove(run.heapSlot);
    run.heapSlot = -1;
    this.#runs[r] = null;
    this.#freeRuns.push(r);
    if (this.#open === r) this.#open = -1;
    if (run.delay >= 0 && this.#byDelay.get(run.delay) === run) this.#byDelay.delete(run.delay);
    const len = run.slots.length;
    if (
      len >= MIN_SPARE_RUN &&
      len <= MAX_SPARE_CAPACITY &&
      len > (this.#spareRun?.slots.length ?? 0)
    ) {
      this.#spareRun = { slots: run.slots, whens: run.whens };
    }
  }

  /** Arrays for a run of `m` slots: a drained run's (this store's, else the process's), or new. */
  #runArrays(m: number): RunArrays {
    const own = this.#spareRun;
    if (own !== null && own.slots.length >= m) {
      this.#spareRun = null;
      return own;
    }
    const sp = spareRun;
    if (sp !== null && sp.slots.length >= m) {
      spareRun = null;
      return sp;
    }
    const n = Math.max(m, 16);
    return { slots: new Int32Array(n), whens: new Float64Array(n) };
  }

  /** Moves the batch into runs (and the merge heap), in (deadline, seq) order. */
  #settle(): void {
    const n = this.#batchLen;
    this.#batchLen = 0;
    const sorted = this.#batchSorted;
    const min = this.#batchMin;
    const max = this.#batchMax;
    this.#batchSorted = true;
    this.#batchMin = Number.POSITIVE_INFINITY;
    this.#batchMax = Number.NEGATIVE_INFINITY;
    const batch = this.#batch;
    const when = this.#when;
    const delays = this.#batchDelay;
    let m = n;
    if (this.#killsSinceSettle > 0) {
      this.#killsSinceSettle = 0;
      // Killed before they were ever placed: free them now (unless `shown`: those wait for the
      // head or a filter, as asyncio's cancelled handles wait for the purge).
      const items = this.#items;
      const tag = this.#tag;
      m = 0;
      for (let i = 0; i < n; i++) {
        const s = batch[i]!;
        if (items[s] === DEAD && tag[s]! >= 0) {
          this.#release(s);
          this.#forget(s);
        } else {
          delays[m] = delays[i]!;
          batch[m++] = s;
        }
      }
    }
    if (m === 0) return;
    if (m < SMALL_BATCH) {
      for (let i = 0; i < m; i++) this.#placeOne(batch[i]!, delays[i]!);
      return;
    }
    // Sorted into a run's arrays (a drained run's when there is one: no fresh memory).
    const out = this.#runArrays(m);
    const slots = out.slots;
    const whens = out.whens;
    if (sorted) {
      slots.set(batch.subarray(0, m));
      for (let i = 0; i < m; i++) whens[i] = when[batch[i]!]!;
    } else sortSlots(batch, 0, slots, whens, 0, m, when, 0, min, max);
    // Extend the open run when the whole batch comes after it; else the arrays become a run.
    const open = this.#open >= 0 ? this.#runs[this.#open]! : null;
    if (open !== null && whens[0]! >= open.whens[open.end - 1]!) {
      open.reserve(m);
      open.slots.set(slots.subarray(0, m), open.end);
      open.whens.set(whens.subarray(0, m), open.end);
      open.end += m;
      if (slots.length >= MIN_SPARE_RUN && slots.length > (this.#spareRun?.slots.length ?? 0)) {
        this.#spareRun = out;
      }
      return;
    }
    const run = new Run(slots, whens);
    run.end = m;
    this.#open = this.#addRun(run);
  }

  /** Places one slot: at the end of the open run when that keeps it sorted, else alone. */
  #placeOne(slot: number, delay: number): void {
    const when = this.#when;
    const w = when[slot]!;
    if (Number.isInteger(delay) && delay >= 0 && delay <= MAX_LISTED_DELAY_MS) {
      // The delay's own run: its timers come due in the order they are scheduled.
      const run = this.#byDelay.get(delay);
      if (run === undefined) {
        const fresh = new Run(new Int32Array(16), new Float64Array(16));
        fresh.slots[0] = slot;
        fresh.whens[0] = w;
        fresh.end = 1;
        fresh.delay = delay;
        this.#addRun(fresh);
        this.#byDelay.set(delay, fresh);
        return;
      }
      if (w >= run.whens[run.end - 1]!) {
        run.reserve(1);
        run.whens[run.end] = w;
        run.slots[run.end++] = slot;
        return;
      }
    }
    const o = this.#open;
    if (o >= 0) {
      const run = this.#runs[o]!;
      if (w >= run.whens[run.end - 1]!) {
        run.reserve(1);
        run.whens[run.end] = w;
        run.slots[run.end++] = slot;
        return;
      }
      this.#heap.insertKeyed(w, this.#seq[slot]!, slot);
      return;
    }
    // No open run: this slot starts one, so that the next ones (same delay) can extend it.
    const run = new Run(new Int32Array(16), new Float64Array(16));
    run.slots[0] = slot;
    run.whens[0] = w;
    run.end = 1;
    this.#open = this.#addRun(run);
  }

  /** Puts a non-empty run into the heap at its head's key; returns its index. */
  #addRun(run: Run): number {
    const r = this.#freeRuns.length > 0 ? this.#freeRuns.pop()! : this.#runs.length;
    this.#runs[r] = run;
    run.index = r;
    const head = run.slots[run.head]!;
    run.heapSlot = this.#heap.insertKeyed(this.#when[head]!, this.#seq[head]!, ~r);
    return r;
  }

  /** Counts a killed slot as gone (it was just freed). */
  #forget(slot: number): void {
    this.#dead--;
    if (this.#tag[slot]! < 0) this.#deadShown--;
  }

  #release(slot: number): void {
    this.#items[slot] = undefined;
    this.#free[this.#freeCount++] = slot;
  }

  #grow(): void {
    const cap = this.#capacity * 2;
    const sp = spare;
    if (sp !== null && sp.capacity >= cap) {
      // Adopt the arrays a retired store left (see `retire`): no allocation, no page faults.
      spare = null;
      const n = this.#highWater;
      sp.when.set(this.#when.subarray(0, n));
      sp.seq.set(this.#seq.subarray(0, n));
      sp.tag.set(this.#tag.subarray(0, n));
      sp.free.set(this.#free.subarray(0, this.#freeCount));
      for (let i = 0; i < n; i++) sp.items[i] = this.#items[i];
      this.#capacity = sp.capacity;
      this.#when = sp.when;
      this.#seq = sp.seq;
      this.#tag = sp.tag;
      this.#free = sp.free;
      this.#items = sp.items as (T | typeof DEAD | undefined)[];
      if (sp.batch.length > this.#batch.length) {
        sp.batch.set(this.#batch.subarray(0, this.#batchLen));
        sp.batchDelay.set(this.#batchDelay.subarray(0, this.#batchLen));
        this.#batch = sp.batch;
        this.#batchDelay = sp.batchDelay;
      }
      return;
    }
    this.#capacity = cap;
    this.#when = copied(new Float64Array(cap), this.#when);
    this.#seq = copied(new Float64Array(cap), this.#seq);
    this.#tag = copied(new Float64Array(cap), this.#tag);
    this.#free = copied(new Int32Array(cap), this.#free);
    this.#items.length = cap; // one resize (the new tail reads as undefined)
  }
}

/**
 * Writes `src[srcFrom, srcFrom + n)` (slots in ascending seq order) sorted by deadline, stably
 * (equal deadlines keep seq order), to `out[from, from + n)`, and their deadlines in that order
 * to `rw[from, from + n)`. One counting pass over the segment's deadline range (about two slots
 * per bucket; each slot's bucket is remembered), one stable scatter into the buckets (buckets
 * are ordered, so what is left is inside buckets), then one insertion sort over the whole
 * segment, which only moves slots within their bucket and compares `rw` (in order in memory).
 * A crowded bucket is split again instead, and past MAX_SPLIT_DEPTH a comparison sort takes
 * over: never quadratic.
 */
function sortSlots(
  src: Int32Array,
  srcFrom: number,
  out: Int32Array,
  rw: Float64Array,
  from: number,
  n: number,
  when: Float64Array,
  depth: number,
  lo = Number.NaN,
  hi = Number.NaN,
): void {
  const to = from + n;
  if (n <= INSERTION_SORT_MAX) {
    for (let i = 0; i < n; i++) {
      const s = src[srcFrom + i]!;
      out[from + i] = s;
      rw[from + i] = when[s]!;
    }
    insertionSort(out, rw, from, to);
    return;
  }
  // The bounds of the segment's deadlines: given (they may be loose: any bounds sort right),
  // else measured.
  let min = lo;
  let max = hi;
  if (!(min <= max)) {
    min = max = when[src[srcFrom]!]!;
    for (let i = 1; i < n; i++) {
      const w = when[src[srcFrom + i]!]!;
      if (w < min) min = w;
      else if (w > max) max = w;
    }
  }
  if (min === max) {
    out.set(src.subarray(srcFrom, srcFrom + n), from); // all equal: already in seq order
    rw.fill(min, from, to);
    return;
  }
  if (depth >= MAX_SPLIT_DEPTH) {
    const sorted = Array.from(src.subarray(srcFrom, srcFrom + n)).sort(
      (x, y) => when[x]! - when[y]!,
    );
    out.set(sorted, from); // Array.prototype.sort is stable: seq order among equal deadlines
    for (let i = from; i < to; i++) rw[i] = when[out[i]!]!;
    return;
  }
  const buckets = n >> 1;
  const last = buckets - 1;
  const scale = buckets / (max - min);
  // count[k + 1]: slots in bucket k; then prefix sums: count[k] = where bucket k starts.
  // The top level sorts in the kept scratch (recursion below it makes its own arrays).
  let count: Int32Array;
  let keys: Int32Array;
  if (depth === 0 && n <= MAX_SPARE_CAPACITY) {
    if (sortKeys.length < n) {
      sortKeys = new Int32Array(n);
      sortCount = new Int32Array(n);
    }
    count = sortCount;
    count.fill(0, 0, buckets + 1);
    keys = sortKeys;
  } else {
    count = new Int32Array(buckets + 1);
    keys = new Int32Array(n);
  }
  for (let i = 0; i < n; i++) {
    let k = ((when[src[srcFrom + i]!]! - min) * scale) | 0;
    if (k > last) k = last;
    keys[i] = k;
    count[k + 1]!++;
  }
  let crowded = 0;
  for (let k = 0; k < buckets; k++) {
    const c = count[k + 1]!;
    if (c > crowded) crowded = c;
    count[k + 1] = c + count[k]!;
  }
  for (let i = 0; i < n; i++) {
    const slot = src[srcFrom + i]!;
    const p = from + count[keys[i]!]!++;
    out[p] = slot; // stable: slots keep seq order within a bucket
    rw[p] = when[slot]!;
  }
  // Now count[k] is where bucket k ends.
  if (crowded <= INSERTION_SORT_MAX) {
    insertionSort(out, rw, from, to);
    return;
  }
  let start = from;
  for (let k = 0; k < buckets; k++) {
    const end = from + count[k]!;
    if (end - start > 1) {
      const seg = out.slice(start, end);
      sortSlots(seg, 0, out, rw, start, end - start, when, depth + 1);
    }
    start = end;
  }
}

/** Stable insertion sort of `a[from, to)` by the deadlines beside them in `rw`. */
function insertionSort(a: Int32Array, rw: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const w = rw[i]!;
    if (rw[i - 1]! <= w) continue;
    const s = a[i]!;
    let j = i - 1;
    do {
      a[j + 1] = a[j]!;
      rw[j + 1] = rw[j]!;
      j--;
    } while (j >= from && rw[j]! > w);
    a[j + 1] = s;
    rw[j + 1] = w;
  }
}

function newArray<T>(n: number): (T | undefined)[] {
  const out: (T | undefined)[] = [];
  for (let i = 0; i < n; i++) out.push(undefined);
  return out;
}

function copied<A extends Float64Array | Int32Array>(into: A, from: A): A {
  into.set(from);
  return into;
}

/** As `grown`, for a Float64Array. */
function grownF(a: Float64Array, used: number): Float64Array {
  const out = new Float64Array(Math.max(16, a.length * 2));
  out.set(a.subarray(0, used));
  return out;
}

/** A larger copy of `a` holding its first `used` entries, with room for `extra` more. */
function grown(a: Int32Array, used: number, extra = 1): Int32Array {
  let cap = Math.max(16, a.length * 2);
  while (cap < used + extra) cap *= 2;
  const out = new Int32Array(cap);
  out.set(a.subarray(0, used));
  return out;
}
