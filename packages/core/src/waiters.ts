/**
 * WaiterQueue: the FIFO of parked tasks behind every lock, event, condition, semaphore, barrier
 * and queue in core, written on the public Future API only.
 *
 * HOW: each waiting task parks on its own Future (so `task.cancel()` can cancel exactly that
 * wait, as asyncio's primitives do). The futures sit in a ring-buffer Deque. Waking pops from the
 * head and completes the first future that is still pending; cancelled futures met on the way are
 * dropped. A future is popped as it is woken, so:
 *
 *   Invariant: every future in the queue is pending or cancelled, never finished with a result.
 *
 * Cancelled waiters are removed lazily, as the loop's timer heap purges cancelled timers: one
 * that gives up tells the queue (`abandon`), which counts it and compacts the buffer in one O(n)
 * pass once more than half of a queue of at least COMPACT_MIN_LENGTH entries is cancelled. That
 * keeps wake-ups O(1) amortized, cancellation O(1) amortized (asyncio's `deque.remove` is O(n),
 * so cancelling n waiters costs it O(n²)), and memory within twice the live waiters.
 *
 *   push ─► [ f1 f2 ✗ f4 ✗ f6 ] ─► wakeOne: pop f1, setResult → its task runs next iteration
 *                    ✗ = cancelled: skipped by wakeOne, swept by compaction
 *
 * Cost per waiter: the Future and one buffer slot; nothing else (no closure, no node, no Handle:
 * a Future wakes a parked Task without allocating).
 *
 * Park (below) is the coroutine object the hot waits (Lock.acquire, Event.wait, Semaphore.acquire,
 * Queue.get/put) return instead of a generator: a generator object with a try/finally costs
 * ~200 bytes while parked and a generator resume per wake-up; a Park is five fields, and a
 * fast path (lock free, item ready) allocates nothing else.
 *
 *   next() ─► attempt() ─ok─► done (no future, no yield: asyncio's fast path)
 *                │ must wait
 *                ▼
 *             add a future to the WaiterQueue, yield it (through its own iterator)
 *                │ woken
 *                ▼
 *             resumed() ─true─► done      ─false─► park again (a queue getter beaten to the item)
 *
 *   throw()/return() or a cancelled future while parked ─► leave(woken): pass on what was handed over
 */

import type { Coro } from "./coro.js";
import { Deque } from "./deque.js";
import { type EventLoop, getRunningLoop } from "./events.js";
import type { Future } from "./future.js";

/**
 * Below this length a queue is never compacted: sweeping a short queue costs more than the few
 * slots it frees, and wakeOne drops cancelled heads anyway.
 */
export const COMPACT_MIN_LENGTH = 64;

/** @internal A FIFO of waiter futures with lazy removal of cancelled ones. */
export class WaiterQueue<T> {
  readonly #q = new Deque<Future<T>>();
  /**
   * Invariant: an upper bound on the cancelled futures in #q since the last sweep. (Exact counts
   * would need a done-callback per waiter; a waiter popped while cancelled can be counted too,
   * which only makes the next sweep come early.)
   */
  #cancelled = 0;

  /** Entries in the buffer, cancelled ones included until swept. */
  get length(): number {
    return this.#q.length;
  }

  /** A new pending future of `loop`, queued at the tail. */
  add(loop: EventLoop): Future<T> {
    const fut = loop.createFuture<T>();
    this.#q.push(fut);
    return fut;
  }

  /** Complete the first pending waiter with `value` and remove it; false when there is none. */
  wakeOne(value: T): boolean {
    const q = this.#q;
    for (let fut = q.shift(); fut !== undefined; fut = q.shift()) {
      if (!fut.done()) {
        fut.setResult(value);
        return true;
      }
    }
    this.#cancelled = 0;
    return false;
  }

  /** Complete up to `n` pending waiters, oldest first; returns how many were woken. */
  wake(value: T, n: number): number {
    let woken = 0;
    while (woken < n && this.wakeOne(value)) woken++;
    return woken;
  }

  /** Complete every pending waiter and empty the queue; returns how many were woken. */
  wakeAll(value: T): number {
    const q = this.#q;
    let woken = 0;
    for (let fut = q.shift(); fut !== undefined; fut = q.shift()) {
      if (!fut.done()) {
        fut.setResult(value);
        woken++;
      }
    }
    this.#cancelled = 0;
    return woken;
  }

  /** True when some waiter is still pending. O(1) amortized: drops cancelled heads. */
  hasPending(): boolean {
    const q = this.#q;
    for (let fut = q.peek(); fut !== undefined; fut = q.peek()) {
      if (!fut.done()) return true;
      q.shift();
    }
    this.#cancelled = 0;
    return false;
  }

  /** How many waiters are pending. O(n): for statistics only. */
  pendingCount(): number {
    let n = 0;
    for (const fut of this.#q) if (!fut.done()) n++;
    return n;
  }

  /**
   * A waiter leaves without resuming normally (it was cancelled, or its coroutine was closed).
   * Cancels `fut` if it is still pending. Returns true when `fut` had already been woken: the
   * caller then owns whatever the wake-up handed over (a lock, a unit, a notification) and must
   * pass it on.
   */
  abandon(fut: Future<T>): boolean {
    if (!fut.done()) fut.cancel();
    if (!fut.cancelled()) return true;
    this.#cancelled++;
    const len = this.#q.length;
    if (len >= COMPACT_MIN_LENGTH && this.#cancelled * 2 > len) {
      this.#q.removeIf(isDone);
      this.#cancelled = 0;
    }
    return false;
  }
}

function isDone(fut: Future<unknown>): boolean {
  return fut.done();
}

/** What a Park's future iterator yields and returns. */
type FutureIterator<T> = Iterator<Future<unknown> | undefined, T, unknown>;

/**
 * @internal A wait as a hand-made coroutine: subclasses say how to try without waiting, what to
 * do once woken, and how to give back a wake-up when leaving early. Lazy like a generator:
 * nothing happens until the first `next()`.
 */
export abstract class Park<T, R> implements Coro<R> {
  /** @internal The queue this op parks in (set by the subclass constructor). */
  _queue: WaiterQueue<T>;
  /** @internal The op's result once `_attempt()`/`_resumed()` said it is done. */
  _result!: R;
  /** @internal Invariant: the waiter future while parked, null otherwise. */
  _fut: Future<T> | null = null;
  /** @internal Invariant: the iterator of `_fut` while parked, null otherwise. */
  _it: FutureIterator<T> | null = null;
  /** @internal Invariant: true once finished, thrown out of, or closed. */
  _closed = false;

  constructor(queue: WaiterQueue<T>) {
    this._queue = queue;
  }

  /** @internal Try to complete now: true when done (`_result` set). May throw. */
  abstract _attempt(): boolean;
  /** @internal The future completed normally: true when done, false to attempt again. */
  abstract _resumed(): boolean;
  /** @internal Leaving while parked; `woken` when the wake-up (and what it handed over) is ours. */
  abstract _leave(woken: boolean): void;

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Future<unknown> | undefined, R> {
    if (this._closed) return { done: true, value: this._result };
    try {
      let it = this._it;
      if (it === null) {
        if (this._attempt()) return this.#finish();
      } else {
        // Resuming: the future is done now, so this returns its result or throws (cancelled).
        const r = it.next();
        if (r.done !== true) return r;
        this._it = null;
        this._fut = null;
        if (this._resumed()) return this.#finish();
      }
      // Park: a fresh future is pending, so its iterator yields it (and marks it awaited).
      const fut = this._queue.add(getRunningLoop());
      this._fut = fut;
      it = this._it = fut[Symbol.iterator]();
      return it.next() as IteratorYieldResult<Future<unknown> | undefined>;
    } catch (e) {
      // A cancelled future while parked (the task was cancelled), or attempt/resumed threw.
      if (this._it !== null) this.#leave();
      this._closed = true;
      throw e;
    }
  }

  throw(e: unknown): IteratorResult<Future<unknown> | undefined, R> {
    if (this._it !== null) this.#leave();
    this._closed = true;
    throw e;
  }

  return(value: R): IteratorResult<Future<unknown> | undefined, R> {
    if (this._it !== null) this.#leave();
    this._closed = true;
    return { done: true, value };
  }

  [Symbol.dispose](): void {
    if (this._it !== null) this.#leave();
    this._closed = true;
  }

  #finish(): IteratorResult<Future<unknown> | undefined, R> {
    this._closed = true;
    return { done: true, value: this._result };
  }

  #leave(): void {
    const fut = this._fut as Future<T>;
    this._it = null;
    this._fut = null;
    this._closed = true;
    this._leave(this._queue.abandon(fut));
  }
}
