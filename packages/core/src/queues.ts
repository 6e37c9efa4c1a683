/**
 * Queue, LifoQueue and PriorityQueue: asyncio's queues (3.13, with shutdown), on the public loop
 * API only.
 *
 * HOW: items live in a storage the subclass picks (a ring-buffer Deque for FIFO and LIFO, a
 * binary heap for priority); blocked getters and putters park in two WaiterLists.
 *
 *   put(x) ─► full? ──yes──► park in putters ◄── getNowait() wakes the oldest putter
 *               │ no
 *               ▼
 *            store x, unfinished++ ──► wake the oldest getter ──► it re-checks and takes an item
 *
 * A woken getter does not own an item: it loops and re-checks `empty()` (asyncio's rule), so a
 * getter woken and then cancelled loses nothing, and passes its wake-up to the next getter when
 * items remain (asyncio fact 19). Putters likewise. `join()` waits on an Event that is set while
 * no task is unfinished.
 *
 * Shutdown (3.13): `shutdown()` makes `put` throw QueueShutDown at once and `get` throw it once
 * the queue is empty; `shutdown(true)` also drains the queue, counting each drained item as done
 * (so `join()` returns). Either way every blocked getter and putter wakes and re-checks.
 *
 * Costs: putNowait/getNowait O(1) (O(log n) for PriorityQueue) with no allocation beyond the
 * storage growing; so are put/get that do not block (they allocate nothing); a blocked one
 * parks its task on one small object, a Park (no Future, see waiters.ts).
 */

import { type Coro, describe } from "./coro.js";
import { Deque } from "./deque.js";
import { QueueEmpty, QueueFull, QueueShutDown } from "./errors.js";
import type { AsyncIter, AsyncIterableCo } from "./iter.js";
import { Event } from "./locks.js";
import { InvalidArgumentError, TaskDoneError } from "./sync-errors.js";
import { Lazy, MUST_WAIT, Park, type WaitKind, WaiterList } from "./waiters.js";

/** What `queue.statistics()` reports. */
export interface QueueStatistics {
  /** Items in the queue now (`qsize()`). */
  size: number;
  /** The bound (0: unbounded). */
  maxsize: number;
  /** Items put and not yet marked done with `taskDone()`. */
  unfinishedTasks: number;
  /** Tasks blocked in `get()` now. */
  getters: number;
  /** Tasks blocked in `put()` now. */
  putters: number;
  /** `shutdown()` was called. */
  isShutdown: boolean;
  /** Items put so far. */
  puts: number;
  /** Items taken so far (drained items not included). */
  gets: number;
}

/**
 * A first-in, first-out queue for tasks, as asyncio.Queue. `maxsize` bounds it (0, the default,
 * means unbounded): `put()` waits while it is full, `get()` waits while it is empty.
 * @example
 * const q = new Queue<string>(10);
 * createTask((function* () {
 *   yield* forEach(q, function* (job) { yield* handle(job); q.taskDone(); });
 * })());
 * yield* q.put("a");
 * yield* q.join();      // every item handled
 * q.shutdown();         // the consumer's forEach ends
 */
export class Queue<T> implements AsyncIterableCo<T> {
  /** @internal FIFO and LIFO storage (PriorityQueue keeps a heap instead). */
  readonly _items = new Deque<T>();
  readonly #maxsize: number;
  /** @internal */ readonly _getters: WaiterList;
  /** @internal */ readonly _putters: WaiterList;
  /** Invariant: >= 0; items put and not yet marked done (drained items count as done). */
  #unfinished = 0;
  /** Invariant: set exactly while #unfinished === 0. */
  readonly #finished = new Event();
  #shutdown = false;
  /** The reusable coroutine objects of `get()` and `put()` (see waiters.ts: Lazy). */
  #get: Lazy<Queue<unknown>, undefined, T> | null = null;
  #put: Lazy<Queue<unknown>, unknown, undefined> | null = null;
  #puts = 0;
  #gets = 0;

  /** A queue holding at most `maxsize` items (a whole number; 0, the default, is unbounded). */
  constructor(maxsize = 0) {
    this.#maxsize = checkMaxsize(maxsize, new.target.name);
    this._getters = new WaiterList(`<${new.target.name} get>`);
    this._putters = new WaiterList(`<${new.target.name} put>`);
    this.#finished.set();
  }

  /** Items in the queue. */
  qsize(): number {
    return this._items.length;
  }

  /** The bound given at construction (0: unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** True when the queue holds `maxsize` items (never for an unbounded queue). */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /**
   * Put an item, waiting while the queue is full. Throws QueueShutDown when the queue is (or
   * becomes, while waiting) shut down.
   */
  put(item: T): Coro<void> {
    let h = this.#put;
    if (h === null || h._out) h = this.#put = new Lazy(this as Queue<unknown>, PUT);
    return h._handOut(item) as Coro<undefined> as Coro<void>;
  }

  /** Put an item without waiting: throws QueueFull when full, QueueShutDown after shutdown. */
  putNowait(item: T): void {
    if (this.#shutdown) throw shutDownError("putNowait");
    if (this.full()) {
      throw new QueueFull(
        `putNowait() on a full queue (maxsize ${this.#maxsize}): use \`yield* queue.put(item)\` to wait for room`,
      );
    }
    this._put(item);
    this.#puts++;
    if (this.#unfinished++ === 0) this.#finished.clear();
    this._getters.wakeOne();
  }

  /**
   * Remove and return the next item, waiting while the queue is empty. Throws QueueShutDown once
   * the queue is shut down and empty.
   */
  get(): Coro<T> {
    let h = this.#get;
    if (h === null || h._out)
      h = this.#get = new Lazy(
        this as Queue<unknown>,
        GET as WaitKind<Queue<unknown>, undefined, T>,
      );
    return h._handOut(undefined);
  }

  /** Remove and return an item without waiting: throws QueueEmpty, or QueueShutDown once shut down and empty. */
  getNowait(): T {
    if (this.empty()) {
      if (this.#shutdown) throw shutDownError("getNowait");
      throw new QueueEmpty(
        "getNowait() on an empty queue: use `yield* queue.get()` to wait for an item",
      );
    }
    const item = this._get();
    this.#gets++;
    this._putters.wakeOne();
    return item;
  }

  /**
   * Mark one item taken with `get()` as fully processed; `join()` returns once every item put
   * has been marked. Throws TaskDoneError when called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new TaskDoneError(
        "taskDone() called more times than items were put: call it once per item taken with get()",
      );
    }
    if (--this.#unfinished === 0) this.#finished.set();
  }

  /** Wait until every item put has been marked done with `taskDone()`. */
  *join(): Coro<void> {
    if (this.#unfinished > 0) yield* this.#finished.wait();
  }

  /**
   * Shut the queue down: `put`/`putNowait` throw QueueShutDown from now on, and `get`/`getNowait`
   * throw it once the queue is empty. With `immediate`, the queue is emptied now and each removed
   * item counts as done (so `join()` returns). Every blocked getter and putter wakes and re-checks.
   */
  shutdown(immediate = false): void {
    this.#shutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this._get();
        if (this.#unfinished > 0) this.#unfinished--;
      }
      if (this.#unfinished === 0) this.#finished.set();
    }
    this._getters.wakeAll();
    this._putters.wakeAll();
  }

  /** True once `shutdown()` was called. */
  isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * Iterate over the items as they arrive (the shape of iter.ts): each `next()` is a `get()`;
   * the iteration ends once the queue is shut down and empty. It does not call `taskDone()`.
   * @example
   * yield* forEach(queue, function* (item) { yield* use(item); queue.taskDone(); });
   */
  aiter(): AsyncIter<T> {
    return new QueueIter(this);
  }

  /** Counters for monitoring and tests (`getters`/`putters` are O(waiters)). */
  statistics(): QueueStatistics {
    return {
      size: this.qsize(),
      maxsize: this.#maxsize,
      unfinishedTasks: this.#unfinished,
      getters: this._getters.pendingCount(),
      putters: this._putters.pendingCount(),
      isShutdown: this.#shutdown,
      puts: this.#puts,
      gets: this.#gets,
    };
  }

  toString(): string {
    const s = this.statistics();
    let out = `maxsize=${s.maxsize} size=${s.size}`;
    if (s.getters > 0) out += ` getters=${s.getters}`;
    if (s.putters > 0) out += ` putters=${s.putters}`;
    if (s.unfinishedTasks > 0) out += ` tasks=${s.unfinishedTasks}`;
    if (s.isShutdown) out += " shutdown";
    return `<${this.constructor.name} ${out}>`;
  }

  /** @internal Store an item (FIFO: at the tail). Subclasses override with `_get`/`qsize`. */
  _put(item: T): void {
    this._items.push(item);
  }

  /** @internal Remove the next item (FIFO: the head); called only when not empty. */
  _get(): T {
    return this._items.shift() as T;
  }
}

/**
 * `queue.get()`: a Park (see waiters.ts). A woken getter owns no item: it re-checks (another
 * getter may have taken it), and one that leaves after being woken passes the wake-up on while
 * items remain, so no item waits with a getter parked.
 */
class QueueGet<T> extends Park<T> {
  readonly #queue: Queue<T>;
  constructor(queue: Queue<T>) {
    super();
    this.#queue = queue;
  }
  _attempt(): boolean {
    const q = this.#queue;
    if (q.empty()) {
      if (q.isShutdown()) throw shutDownError("get");
      return false;
    }
    this.value = q.getNowait();
    return true;
  }
  _resumed(): boolean {
    return this._attempt();
  }
  _leave(woken: boolean): void {
    const q = this.#queue;
    if (woken && !q.empty()) q._getters.wakeOne();
  }
  _waiters(): WaiterList {
    return this.#queue._getters;
  }
}

/** `queue.put(item)`: a Park; a woken putter that leaves passes the free slot on. */
class QueuePut<T> extends Park<undefined> {
  readonly #queue: Queue<T>;
  #item: T;
  constructor(queue: Queue<T>, item: T) {
    super();
    this.#queue = queue;
    this.#item = item;
  }
  _attempt(): boolean {
    const q = this.#queue;
    if (q.full()) {
      if (q.isShutdown()) throw shutDownError("put");
      return false;
    }
    q.putNowait(this.#item);
    this.#item = undefined as T; // a finished put (kept as a Lazy's spare) holds no item
    return true;
  }
  _resumed(): boolean {
    return this._attempt();
  }
  _leave(woken: boolean): void {
    const q = this.#queue;
    if (woken && !q.full()) q._putters.wakeOne();
  }
  _waiters(): WaiterList {
    return this.#queue._putters;
  }
  override _rearm(item: unknown): void {
    this.#item = item as T;
  }
}

/** `queue.get()`'s steps for its reusable coroutine object (see waiters.ts: Lazy). */
const GET: WaitKind<Queue<unknown>, undefined, unknown> = {
  now(q) {
    if (q.empty()) {
      if (q.isShutdown()) throw shutDownError("get");
      return MUST_WAIT;
    }
    return q.getNowait();
  },
  op: (q) => new QueueGet(q),
};

/** `queue.put(item)`'s steps. */
const PUT: WaitKind<Queue<unknown>, unknown, undefined> = {
  now(q, item) {
    if (q.full()) {
      if (q.isShutdown()) throw shutDownError("put");
      return MUST_WAIT;
    }
    q.putNowait(item);
    return undefined;
  },
  op: (q, item) => new QueuePut(q, item),
};

/** The AsyncIter of a queue: `get()` until QueueShutDown. */
class QueueIter<T> implements AsyncIter<T> {
  readonly #queue: Queue<T>;
  constructor(queue: Queue<T>) {
    this.#queue = queue;
  }
  *next(): Coro<IteratorResult<T, undefined>> {
    const q = this.#queue;
    if (q.isShutdown() && q.empty()) return { done: true, value: undefined };
    try {
      return { done: false, value: yield* q.get() };
    } catch (e) {
      if (e instanceof QueueShutDown) return { done: true, value: undefined };
      throw e;
    }
  }
}

/**
 * A last-in, first-out queue (a stack) for tasks, as asyncio.LifoQueue.
 * @example
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * q.getNowait(); // 2
 */
export class LifoQueue<T> extends Queue<T> {
  /** @internal The newest item. */
  override _get(): T {
    return this._items.pop() as T;
  }
}

/** Options of a PriorityQueue. */
export interface PriorityQueueOptions<T> {
  /** The bound (a whole number; 0, the default, is unbounded). */
  maxsize?: number;
  /**
   * Order of items: negative when `a` comes first, positive when `b` does, 0 when equal (equal
   * items come out in the order they were put). Default: see PriorityQueue.
   */
  compare?: (a: T, b: T) => number;
}

/**
 * A queue that hands out the smallest item first, as asyncio.PriorityQueue; items of equal
 * priority come out in the order they were put (asyncio leaves that undefined).
 *
 * The default order compares numbers and bigints numerically, strings by UTF-16 code units, and
 * arrays element by element (Python's tuples: `[priority, payload]` works; elements that are not
 * numbers, bigints, strings or arrays compare equal, so such payloads never break a tie). Values
 * of different kinds order numbers < strings < arrays. Any other item (an object, NaN, null...)
 * is refused by `put` with InvalidArgumentError: pass `compare` for those.
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, "low"]); q.putNowait([1, "high"]);
 * q.getNowait(); // [1, "high"]
 * const byDeadline = new PriorityQueue<Job>({ compare: (a, b) => a.deadline - b.deadline });
 */
export class PriorityQueue<T> extends Queue<T> {
  readonly #compare: (a: T, b: T) => number;
  readonly #checkItem: boolean;
  /** Invariant: a binary min-heap by (#compare, #seq); #seq[i] is the put order of #heap[i]. */
  readonly #heap: T[] = [];
  readonly #seq: number[] = [];
  #nextSeq = 0;

  /** `new PriorityQueue(maxsize)` or `new PriorityQueue({ maxsize, compare })`. */
  constructor(options: number | PriorityQueueOptions<T> = {}) {
    const opts = typeof options === "number" ? { maxsize: options } : options;
    if (typeof opts !== "object" || opts === null) {
      throw new InvalidArgumentError(
        `PriorityQueue(${describe(options)}): pass a maxsize or { maxsize?, compare? }`,
      );
    }
    super(opts.maxsize ?? 0);
    const compare = opts.compare;
    if (compare !== undefined && typeof compare !== "function") {
      throw new InvalidArgumentError(
        `PriorityQueue({ compare: ${describe(compare)} }): compare must be a function (a, b) => number`,
      );
    }
    this.#compare = compare ?? (defaultCompare as (a: T, b: T) => number);
    this.#checkItem = compare === undefined;
  }

  override qsize(): number {
    return this.#heap.length;
  }

  /** @internal Sift up in two passes: find the slot with compares only, then move; a throwing comparator leaves the heap intact. */
  override _put(item: T): void {
    if (this.#checkItem) checkOrderable(item);
    const heap = this.#heap;
    const seq = this.#seq;
    const s = this.#nextSeq++;
    let slot = heap.length;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (!this.#before(item, s, heap[parent] as T, seq[parent] as number)) break;
      slot = parent;
    }
    let i = heap.length;
    heap.push(item);
    seq.push(s);
    while (i > slot) {
      const parent = (i - 1) >> 1;
      heap[i] = heap[parent] as T;
      seq[i] = seq[parent] as number;
      i = parent;
    }
    heap[slot] = item;
    seq[slot] = s;
  }

  /** @internal Pop the root; the last item sifts down from the root. If compare throws, no item is lost. */
  override _get(): T {
    const heap = this.#heap;
    const seq = this.#seq;
    const top = heap[0] as T;
    const topSeq = seq[0] as number;
    const last = heap.pop() as T;
    const lastSeq = seq.pop() as number;
    const n = heap.length;
    if (n === 0) return top;
    let i = 0;
    let sifted = false;
    try {
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        const r = c + 1;
        if (r < n && this.#before(heap[r] as T, seq[r] as number, heap[c] as T, seq[c] as number))
          c = r;
        if (!this.#before(heap[c] as T, seq[c] as number, last, lastSeq)) break;
        heap[i] = heap[c] as T;
        seq[i] = seq[c] as number;
        i = c;
      }
      sifted = true;
    } finally {
      heap[i] = last;
      seq[i] = lastSeq;
      if (!sifted) {
        // The comparator threw: keep the root in the queue (as a leaf) rather than lose it.
        heap.push(top);
        seq.push(topSeq);
      }
    }
    return top;
  }

  /** a (put at sa) comes out before b (put at sb). */
  #before(a: T, sa: number, b: T, sb: number): boolean {
    const c = this.#compare(a, b);
    return c < 0 || (c === 0 && sa < sb);
  }
}

/** The bound a queue accepts: a whole number >= 0. */
function checkMaxsize(maxsize: unknown, who: string): number {
  // asyncio accepts any number (a float maxsize bounds at its ceiling); NaN and negatives are
  // more likely mistakes than requests for an unbounded queue, so they get a clear error.
  if (typeof maxsize !== "number" || !(maxsize >= 0) || maxsize === Number.POSITIVE_INFINITY) {
    throw new InvalidArgumentError(
      `${who}(${describe(maxsize)}): maxsize must be a finite number >= 0 (0 means unbounded)`,
    );
  }
  return maxsize;
}

function shutDownError(op: string): QueueShutDown {
  return new QueueShutDown(
    op === "get" || op === "getNowait"
      ? `${op}() on a queue that is shut down and empty: stop consuming (forEach over the queue ends by itself)`
      : `${op}() on a queue that is shut down: stop producing once shutdown() was called`,
  );
}

/** Kinds the default order knows, in cross-kind order. */
const KIND_NUMBER = 0;
const KIND_STRING = 1;
const KIND_ARRAY = 2;
const KIND_OTHER = 3;

function kindOf(x: unknown): number {
  switch (typeof x) {
    case "number":
    case "bigint":
      return KIND_NUMBER;
    case "string":
      return KIND_STRING;
    default:
      return Array.isArray(x) ? KIND_ARRAY : KIND_OTHER;
  }
}

/** The default PriorityQueue order (see PriorityQueue's doc). */
function defaultCompare(a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return ka === KIND_OTHER || kb === KIND_OTHER ? 0 : ka - kb;
  switch (ka) {
    case KIND_NUMBER:
    case KIND_STRING:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case KIND_ARRAY: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const c = defaultCompare(xa[i], xb[i]);
        if (c !== 0) return c;
      }
      return xa.length - xb.length;
    }
    default:
      return 0;
  }
}

/** Refuse items the default order cannot place (top level only: see defaultCompare). */
function checkOrderable(item: unknown): void {
  const k = kindOf(item);
  if (k === KIND_OTHER || (typeof item === "number" && Number.isNaN(item))) {
    throw new InvalidArgumentError(
      `PriorityQueue cannot order ${describe(item)} by default (it orders numbers, bigints, strings and arrays of them): pass new PriorityQueue({ compare: (a, b) => ... })`,
    );
  }
}
