/**
 * TimerHeap: an indexed d-ary min-heap of timers kept in typed arrays. The loop's TimerStore
 * (timer-store.ts) uses it as the merge heap of its sorted runs; it is exported for users too.
 *
 * WHAT. Every scheduled timer is an entry (deadline, payload). The loop asks "when is the
 * earliest deadline?" on every turn, pops due entries, and cancels or moves timers that have not
 * fired yet. Entries are ordered by deadline, and entries with equal deadlines come out in the
 * order they were scheduled (FIFO), which asyncio leaves undefined.
 *
 * WHY typed arrays. A heap of `{ when, seq, item }` objects costs one allocation per timer and
 * makes the garbage collector trace every entry. Here the deadline and the tie-break sequence
 * number live in Float64Arrays stored IN HEAP ORDER, next to an Int32Array of slot ids, and only
 * the payload is a JS reference (indexed by a small integer "slot"). Keeping the keys in heap
 * order, not per slot, puts a node's four children's keys in adjacent memory: sifting through
 * 200k timers then reads one cache line per level instead of four scattered ones (measured 2x
 * faster pops than keys indexed by slot). Slots are recycled through a free list, so a loop that
 * keeps scheduling and firing timers allocates nothing once it is warm.
 *
 * WHY indexed. `pos` maps each slot back to its heap index, so an entry can be removed or
 * rescheduled in O(log n) from the slot id that `insert` returned, without searching.
 *
 * WHY d-ary. A d-ary heap is shallower than a binary one (log_d n levels), so sifting touches
 * fewer cache lines, at the price of comparing d children per level on the way down. The arity
 * is the constant ARITY below; bench/heap-arity.ts measures 2 against 4 on this very file.
 *
 * Cost of each operation (n = size):
 *   insert         O(log n)        peekWhen, peek, size   O(1)
 *   pop            O(log n)        remove(slot)           O(log n)
 *   reschedule     O(log n)        filter(keep)           O(n) (one pass, then bottom-up heapify)
 *   clear          O(n)            iteration              O(n), in heap order (not sorted)
 *
 * Layout, for entries A(when 5), B(when 3), C(when 9) inserted in that order, then A removed:
 *
 *   slot:        0      1      2      3 ...          the slot id is what insert() returns
 *   items[slot]: -      B      C      -              JS array, payload (cleared when freed)
 *   pos[slot]:   -1     0      1     -1              Int32Array, heap index, -1 = free
 *
 *   heap index:  0      1      2 ...                 children of index i are
 *   heap[i]:     1      2      -                     ARITY*i+1 .. ARITY*i+ARITY
 *   when[i]:     3      9      -                     Float64Array, deadline of heap[i]
 *   seq[i]:      1      2      -                     Float64Array, insertion number (tie-break)
 *
 *   free list:   [0]                                 Int32Array stack of recycled slots
 *   slots 3.. are fresh: never handed out since the last clear (highWater = 3)
 *
 * Slot ids are only valid while their entry is in the heap: after pop/remove/filter/clear the
 * slot may be handed to a new entry, so a caller must forget a slot once its entry has left.
 */

/**
 * Children per heap node. bench/heap-arity.ts (N = 200k, median of 7 runs, Node 20, 2-vCPU VM)
 * typically gives, 4-ary against 2-ary: insert-then-pop-all 222 vs 236 ns/op, and timer-like
 * insert/remove-half/pop 160 vs 176 ns/op. Over twelve invocations the 4-ary/2-ary time ratio was
 * 0.85 to 1.08 for insert-pop (4-ary won 8) and 0.86 to 1.01 for timer-like (4-ary won 11): the
 * heap is half as deep and a node's four children are adjacent in `heap`, so the extra
 * comparisons per level cost less than the levels saved.
 */
const ARITY = 4;

/**
 * Capacity when the constructor is given none: small enough that the typed arrays live on V8's
 * heap (64 bytes at most; a larger one is an off-heap buffer, about a microsecond to make and a
 * finalizer for the GC), since every new loop makes one; it doubles as timers arrive.
 */
const DEFAULT_INITIAL_CAPACITY = 8;

/** Capacity multiplier when the heap is full: doubling keeps inserts amortised O(1) in copying. */
const GROWTH_FACTOR = 2;

/**
 * Largest capacity. Slot ids and heap indices are stored in Int32Arrays, whose largest positive
 * value is 2^31 - 1, so the largest power of two that fits is 2^30.
 */
const MAX_CAPACITY = 2 ** 30;

/** Value of `pos[slot]` for a slot that holds no entry (it is free or was never used). */
const NOT_IN_HEAP = -1;

/**
 * An indexed min-heap of timers ordered by deadline, FIFO among equal deadlines.
 *
 * `insert` returns a slot id that stays valid until the entry leaves the heap (by `pop`,
 * `remove`, `filter` or `clear`); use it to `remove` or `reschedule` that entry in O(log n).
 * The heap never calls your payloads and keeps no reference to an entry's payload once the
 * entry has left.
 *
 * @example
 * ```ts
 * const timers = new TimerHeap<() => void>();
 * const slot = timers.insert(now + 50, () => console.log("late"));
 * timers.insert(now + 10, () => console.log("early"));
 * timers.reschedule(slot, now + 5);          // "late" now fires first
 * while (timers.peekWhen() <= now + 100) timers.pop()!();
 * ```
 */
export class TimerHeap<T> {
  // Invariant: initialCapacity is an integer in [1, MAX_CAPACITY]; capacity never drops below it.
  private readonly initialCapacity: number;
  // Invariant: capacity === when.length === seq.length === pos.length === heap.length
  //   === free.length === items.length, and count <= capacity.
  private capacity: number;
  // Invariant: entries live in heap[0 .. count); count === size.
  private count = 0;
  // Invariant: when[i] is the deadline of the entry at heap index i (i < count); finite.
  private when: Float64Array;
  // Invariant: seq[i] is the insertion number of the entry at heap index i; unique among live
  //   entries and strictly increasing with each insert or reschedule, so (when, seq) is a total
  //   order.
  private seq: Float64Array;
  // Invariant: for 0 <= i < count, pos[heap[i]] === i; pos[s] === NOT_IN_HEAP for every slot s
  //   that holds no entry.
  private pos: Int32Array;
  // Invariant: heap order: for 0 < i < count, (when[i], seq[i]) does not precede the key of its
  //   parent (i - 1) / ARITY | 0; so index 0 holds the earliest entry.
  private heap: Int32Array;
  // Invariant: items[s] is the payload of a used slot s and undefined for every other slot, so
  //   the heap retains nothing that has left it.
  private items: (T | undefined)[];
  // Invariant: free[0 .. freeCount) are the recycled slots, each below highWater, each with
  //   pos === NOT_IN_HEAP; slots in [highWater, capacity) were never handed out since the last
  //   clear. Hence highWater - freeCount === count.
  private free: Int32Array;
  private freeCount = 0;
  private highWater = 0;
  // Invariant: greater than every seq in use; only grows. Float64 counts exactly up to 2^53, so
  //   it cannot wrap: at ten million inserts per second that is 28 years.
  private nextSeq = 0;

  /**
   * @param initialCapacity Slots allocated up front (default 64). The heap doubles when full and
   *   `clear()` shrinks it back to this size; it never shrinks below it.
   * @throws RangeError if `initialCapacity` is not an integer from 1 to 2^30.
   */
  constructor(initialCapacity: number = DEFAULT_INITIAL_CAPACITY) {
    if (
      !Number.isInteger(initialCapacity) ||
      initialCapacity < 1 ||
      initialCapacity > MAX_CAPACITY
    ) {
      throw new RangeError(
        `TimerHeap: initialCapacity must be an integer from 1 to ${MAX_CAPACITY}, got ` +
          `${String(initialCapacity)}; pass a small positive integer such as ` +
          `${DEFAULT_INITIAL_CAPACITY}, or omit it (the heap grows on demand).`,
      );
    }
    this.initialCapacity = initialCapacity;
    this.capacity = initialCapacity;
    this.when = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.pos = new Int32Array(initialCapacity).fill(NOT_IN_HEAP);
    this.heap = new Int32Array(initialCapacity);
    this.free = new Int32Array(initialCapacity);
    this.items = newPayloadArray<T>(initialCapacity);
  }

  /** Number of entries in the heap. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds an entry and returns its slot id, valid until the entry leaves the heap. Among entries
   * with the same deadline, this one will come out after those already in the heap.
   * @param when Deadline, a finite number in the clock's units (e.g. milliseconds).
   * @throws RangeError if `when` is NaN or infinite.
   */
  insert(when: number, item: T): number {
    return this.insertKeyed(when, this.nextSeq++, item);
  }

  /**
   * As `insert`, with the tie-break number given by the caller (TimerQueue orders timers of
   * several lists by one global sequence). Entries with equal `when` come out by ascending `seq`;
   * the caller keeps `seq` unique and must not mix this with plain `insert`.
   */
  insertKeyed(when: number, seq: number, item: T): number {
    if (!Number.isFinite(when)) throw badDeadline("insert", when);
    if (this.count === this.capacity) this.grow();
    // count < capacity here, so either a recycled slot or a fresh one is available.
    const slot = this.freeCount > 0 ? this.free[--this.freeCount] : this.highWater++;
    this.items[slot] = item;
    this.siftUp(this.count++, slot, when, seq);
    return slot;
  }

  /** Deadline of the earliest entry, or +Infinity when the heap is empty. */
  peekWhen(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : this.when[0];
  }

  /**
   * The key of the second-earliest entry (the earliest of the root's children) into
   * `out[0]` (deadline) and `out[1]` (seq); +Infinity when there are fewer than two entries.
   * TimerStore uses it to drain the head entry until it would overtake the runner-up.
   */
  secondKey(out: Float64Array): void {
    const n = this.count;
    out[0] = Number.POSITIVE_INFINITY;
    out[1] = Number.POSITIVE_INFINITY;
    const end = Math.min(1 + ARITY, n);
    for (let c = 1; c < end; c++) {
      const cw = this.when[c]!;
      if (cw < out[0]! || (cw === out[0]! && this.seq[c]! < out[1]!)) {
        out[0] = cw;
        out[1] = this.seq[c]!;
      }
    }
  }

  /**
   * Payload of the earliest entry, or undefined when the heap is empty (check `size` if your
   * payloads can themselves be undefined).
   */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.heap[0]];
  }

  /** Removes the earliest entry and returns its payload; undefined when the heap is empty. */
  pop(): T | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const top = this.heap[0];
    const item = this.items[top];
    this.release(top);
    const last = n - 1;
    this.count = last;
    if (last > 0) this.siftDown(0, this.heap[last], this.when[last], this.seq[last]);
    return item;
  }

  /**
   * Removes the entry in `slot`, wherever it is in the heap, in O(log n).
   * @returns true if an entry was removed; false if `slot` holds no entry (never returned by
   *   `insert`, or its entry already left the heap).
   */
  remove(slot: number): boolean {
    if (!this.holds(slot)) return false;
    const index = this.pos[slot];
    this.release(slot);
    const last = --this.count;
    // The last entry fills the hole; it may belong above or below it.
    if (index !== last) this.sift(index, this.heap[last], this.when[last], this.seq[last]);
    return true;
  }

  /**
   * Moves the entry in `slot` to deadline `when` in O(log n). Afterwards it orders after every
   * entry already in the heap with the same deadline, exactly as if it had just been inserted;
   * the slot id stays the same.
   * @throws RangeError if `when` is NaN or infinite, or if `slot` holds no entry.
   */
  reschedule(slot: number, when: number): void {
    this.rescheduleKeyed(slot, when, this.nextSeq++);
  }

  /** As `reschedule`, with the tie-break number given by the caller (see `insertKeyed`). */
  rescheduleKeyed(slot: number, when: number, seq: number): void {
    if (!Number.isFinite(when)) throw badDeadline("reschedule", when);
    if (!this.holds(slot)) {
      throw new RangeError(
        `TimerHeap.reschedule: slot ${String(slot)} holds no entry (it was never returned by ` +
          "insert, or its entry was already popped, removed, filtered out or cleared); " +
          "insert a new entry instead.",
      );
    }
    this.sift(this.pos[slot], slot, when, seq);
  }

  /**
   * Drops every entry whose payload fails `keep`, then restores heap order in O(n). Used to purge
   * cancelled timers in bulk instead of one O(log n) removal each. Survivors keep their slot ids
   * and their relative order. `keep` must not modify this heap. If `keep` throws, the entries it
   * had rejected so far are dropped, the rest are kept, the heap stays valid, and the error
   * propagates.
   * @returns how many entries were dropped.
   */
  filter(keep: (item: T) => boolean): number {
    const n = this.count;
    const heap = this.heap;
    const pos = this.pos;
    const when = this.when;
    const seq = this.seq;
    let kept = 0;
    let i = 0;
    const move = (from: number): void => {
      const slot = heap[from];
      heap[kept] = slot;
      when[kept] = when[from];
      seq[kept] = seq[from];
      pos[slot] = kept++;
    };
    try {
      for (; i < n; i++) {
        if (keep(this.items[heap[i]] as T)) move(i);
        else this.release(heap[i]);
      }
    } finally {
      // Only reached with i < n if keep threw: keep the entry it threw on and all unvisited ones.
      for (; i < n; i++) move(i);
      this.count = kept;
      this.heapify();
    }
    return n - kept;
  }

  /** Removes every entry, drops every payload reference, and shrinks back to the initial size. */
  clear(): void {
    if (this.capacity !== this.initialCapacity) {
      const capacity = this.initialCapacity;
      this.capacity = capacity;
      this.when = new Float64Array(capacity);
      this.seq = new Float64Array(capacity);
      this.pos = new Int32Array(capacity).fill(NOT_IN_HEAP);
      this.heap = new Int32Array(capacity);
      this.free = new Int32Array(capacity);
      this.items = newPayloadArray<T>(capacity);
    } else {
      // Only slots below highWater were ever used since the last clear.
      this.pos.fill(NOT_IN_HEAP, 0, this.highWater);
      this.items.fill(undefined, 0, this.highWater);
    }
    this.count = 0;
    this.freeCount = 0;
    this.highWater = 0;
  }

  /**
   * Yields the payloads in heap order: the first is the earliest, the rest are in no useful
   * order. For debugging and statistics; do not modify the heap while iterating.
   */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[this.heap[i]] as T;
  }

  /** True if `slot` currently holds an entry. Rejects non-integers and out-of-range ids. */
  private holds(slot: number): boolean {
    return (
      Number.isInteger(slot) && slot >= 0 && slot < this.highWater && this.pos[slot] !== NOT_IN_HEAP
    );
  }

  /** Frees `slot`: forgets its payload and pushes it on the free list. Does not touch `heap`. */
  private release(slot: number): void {
    this.items[slot] = undefined;
    this.pos[slot] = NOT_IN_HEAP;
    this.free[this.freeCount++] = slot;
  }

  /** Places `slot` (key `w`, `s`) at heap index `index`, moving it up or down as needed. */
  private sift(index: number, slot: number, w: number, s: number): void {
    if (index > 0) {
      const parent = ((index - 1) / ARITY) | 0;
      const pw = this.when[parent];
      if (w < pw || (w === pw && s < this.seq[parent])) {
        this.siftUp(index, slot, w, s);
        return;
      }
    }
    this.siftDown(index, slot, w, s);
  }

  /**
   * Writes `slot` into the hole at heap index `index`, moving ancestors that it precedes down
   * into the hole first. The hole's old content is ignored.
   */
  private siftUp(index: number, slot: number, w: number, s: number): void {
    const heap = this.heap;
    const pos = this.pos;
    const when = this.when;
    const seq = this.seq;
    while (index > 0) {
      const parentIndex = ((index - 1) / ARITY) | 0;
      const pw = when[parentIndex];
      if (pw < w || (pw === w && seq[parentIndex] < s)) break;
      const parent = heap[parentIndex];
      heap[index] = parent;
      when[index] = pw;
      seq[index] = seq[parentIndex];
      pos[parent] = index;
      index = parentIndex;
    }
    heap[index] = slot;
    when[index] = w;
    seq[index] = s;
    pos[slot] = index;
  }

  /**
   * Writes `slot` into the hole at heap index `index`, moving the earliest child up into the hole
   * while that child precedes `slot`. Reads only heap[0 .. count).
   */
  private siftDown(index: number, slot: number, w: number, s: number): void {
    const heap = this.heap;
    const pos = this.pos;
    const when = this.when;
    const seq = this.seq;
    const n = this.count;
    for (;;) {
      const first = index * ARITY + 1;
      if (first >= n) break;
      const end = Math.min(first + ARITY, n);
      let best = first;
      let bestWhen = when[first];
      for (let c = first + 1; c < end; c++) {
        const cw = when[c];
        if (cw < bestWhen || (cw === bestWhen && seq[c] < seq[best])) {
          best = c;
          bestWhen = cw;
        }
      }
      if (w < bestWhen || (w === bestWhen && s < seq[best])) break;
      const bestSlot = heap[best];
      heap[index] = bestSlot;
      when[index] = bestWhen;
      seq[index] = seq[best];
      pos[bestSlot] = index;
      index = best;
    }
    heap[index] = slot;
    when[index] = w;
    seq[index] = s;
    pos[slot] = index;
  }

  /** Restores heap order over heap[0 .. count) bottom-up (Floyd), in O(n). */
  private heapify(): void {
    const n = this.count;
    if (n < 2) return;
    for (let i = ((n - 2) / ARITY) | 0; i >= 0; i--)
      this.siftDown(i, this.heap[i], this.when[i], this.seq[i]);
  }

  /** Multiplies the capacity by GROWTH_FACTOR, keeping every slot id and heap index. */
  private grow(): void {
    const old = this.capacity;
    if (old >= MAX_CAPACITY) {
      throw new RangeError(
        `TimerHeap.insert: the heap is full (${MAX_CAPACITY} entries); remove or pop timers ` +
          "before scheduling more.",
      );
    }
    const capacity = Math.min(old * GROWTH_FACTOR, MAX_CAPACITY);
    this.capacity = capacity;
    this.when = copyInto(new Float64Array(capacity), this.when);
    this.seq = copyInto(new Float64Array(capacity), this.seq);
    this.pos = copyInto(new Int32Array(capacity).fill(NOT_IN_HEAP), this.pos);
    this.heap = copyInto(new Int32Array(capacity), this.heap);
    this.free = copyInto(new Int32Array(capacity), this.free);
    for (let slot = old; slot < capacity; slot++) this.items.push(undefined);
  }
}

/** A payload array of `length` undefined elements, created packed (no holes) for fast access. */
function newPayloadArray<T>(length: number): (T | undefined)[] {
  const items: (T | undefined)[] = [];
  for (let i = 0; i < length; i++) items.push(undefined);
  return items;
}

/** Copies `from` into the start of the larger `into` and returns `into`. */
function copyInto<A extends Float64Array | Int32Array>(into: A, from: A): A {
  into.set(from);
  return into;
}

/** The error for a deadline that is NaN or infinite. */
function badDeadline(method: string, when: number): RangeError {
  return new RangeError(
    `TimerHeap.${method}: the deadline must be a finite number, got ${String(when)}; pass a ` +
      "finite time on the loop's clock (such as loop.time() + delay), and for a timer that " +
      "should never fire, do not schedule it at all.",
  );
}
