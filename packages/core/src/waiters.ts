/**
 * Lazy, Park and WaiterList: how a task waits on a lock, event, condition, semaphore, barrier or
 * queue in core with no Future, no callback and no waiter node.
 *
 * HOW: `queue.get()`, `queue.put(x)`, `lock.acquire()`/`hold()`, `sem.acquire()`/`hold()`,
 * `event.wait()`, `cond.wait()` and `barrier.wait()` return their primitive's reusable coroutine
 * object (a Lazy): a call that completes at once allocates nothing at all. When the wait must
 * block, `yield*` gets a Park: a hand-made coroutine object (a few fields; a generator with a
 * try/finally costs ~200 bytes while parked and a generator resume per wake-up), reused from the
 * last wait of that Lazy that finished. The Park links ITSELF into the primitive's WaiterList
 * (an intrusive FIFO through its own private links), files the running task on itself with
 * `_parkCurrent` (task.ts) and yields PARK: the task waits on the Park alone, and the Park is
 * also its own final IteratorResult.
 *
 *   yield* x ─► now() ─ok─► done (FINISHED carries the result: asyncio's fast path)
 *                 │ must wait
 *                 ▼
 *              a Park: link into the WaiterList, file the task, yield PARK      state PARKED
 *                 │ a waker pops it: state WOKEN, `_wakeParked(task)`
 *                 ▼
 *              resumed() ─true─► done      ─false─► park again at the tail (a getter beaten
 *                                                   to the item re-checks, as asyncio's)
 *
 *   task.cancel() while PARKED ─► Task calls `_unpark` (Parking): unlink in O(1), state UNPARKED
 *   throw()/return() ─► leave(woken): WOKEN passes on what the wake-up handed over (a lock, a
 *                       unit, a notification, a queue slot); PARKED/UNPARKED owe nothing.
 *
 * Woken-then-cancelled vs cancelled-while-parked is thus the Park's own state: a waker sets
 * WOKEN as it pops the Park, a cancel sets UNPARKED; the CancelledError the task throws in then
 * reaches `throw()`, which hands the wake-up on only in the first case (asyncio's
 * `not fut.cancelled()` test).
 *
 * Without a stepping task (a Park driven outside any task), or while the loop has a tracer (so
 * traces show what a task waits on, as sleep does), the Park falls back to a Future of the
 * running loop, yielded as `yield* fut` would: the same list, the same states.
 *
 * Costs: a call that does not block: no allocation; one that blocks: at most its Park (~8
 * fields, and none once a previous wait's Park is reused), nothing else. Link, unlink (cancellation), wake: O(1) each, no compaction; the list length
 * is exact, so statistics are O(1).
 *
 * Driving a wait by hand inside a task (`op.next()` then `op.return()`, as the park suite does)
 * works as long as the task resumes or closes the op before it suspends elsewhere: a waker that
 * finds the op's task running does not schedule it, and a task that parks again forgets a
 * filing it left behind.
 */

import type { BlockingFuture, Coro } from "./coro.js";
import { CancelledError } from "./errors.js";
import { getRunningLoop } from "./events.js";
import type { Future } from "./future.js";
import { PARK, type Parking, type Task, _currentTask, _parkCurrent, _wakeParked } from "./task.js";

/**
 * Finished Parks a Lazy keeps for reuse: as many as tasks are commonly blocked on one primitive
 * at once (a lock with a few contenders, a queue with a few consumers); more are left to the GC.
 */
const MAX_SPARES = 8;

/** Not started, or resumed and about to attempt again. */
const IDLE = 0;
/** Linked in its WaiterList, waiting. */
const PARKED = 1;
/** Popped by a waker: whatever the wake-up hands over (a lock, a unit...) is this op's. */
const WOKEN = 2;
/** Unlinked because its task was cancelled while parked: nothing was handed over. */
const UNPARKED = 3;
/** Finished, thrown out of, or closed. */
const CLOSED = 4;

/** What a parking op yields: PARK, once filed (a frozen object: yielding allocates nothing). */
const PARK_STEP: IteratorYieldResult<undefined> = Object.freeze({
  value: PARK as unknown as undefined, // typed as a bare yield, as sleep(0)'s YIELD_ONE
  done: false,
});

/**
 * @internal A FIFO of parked waits: an intrusive doubly linked list through the Parks
 * themselves (no buffer, no node). `what` names the wait in a DeadlockError ("<Queue get>").
 * The links are the Parks' private fields, so the list's operations live in Park (static).
 */
export class WaiterList {
  /** @internal Invariant: the oldest parked op, or null when empty. */
  _head: Park<unknown> | null = null;
  /** @internal Invariant: the newest parked op, or null when empty. */
  _tail: Park<unknown> | null = null;
  /** @internal Invariant: the number of ops linked (all of them PARKED). */
  _size = 0;
  /** @internal */ readonly _what: string;

  constructor(what: string) {
    this._what = what;
  }

  /** Ops parked now (a fallback op whose future was cancelled counts until it is met). */
  get length(): number {
    return this._size;
  }

  /** Wake the oldest parked op; false when there is none. */
  wakeOne(): boolean {
    return this._head !== null && Park._wakeOne(this);
  }

  /** Wake up to `n` parked ops, oldest first; returns how many were woken. */
  wake(n: number): number {
    let woken = 0;
    while (woken < n && this.wakeOne()) woken++;
    return woken;
  }

  /** Wake every parked op (oldest first); returns how many were woken. */
  wakeAll(): number {
    let woken = 0;
    while (this.wakeOne()) woken++;
    return woken;
  }

  /** True when some op is parked. O(1) (drops fallback ops whose future was cancelled). */
  hasPending(): boolean {
    return this._head !== null && Park._hasPending(this);
  }

  /** How many ops are parked. O(1). */
  pendingCount(): number {
    return this._size;
  }
}

/** What a Park's steps are typed as (PARK is typed as a bare yield, as sleep(0)'s marker). */
export type ParkStep<R> = IteratorResult<BlockingFuture | undefined, R>;

/**
 * @internal A wait as a hand-made coroutine: subclasses say how to try without waiting, what to
 * do once woken, and how to give back a wake-up when leaving early. Lazy like a generator:
 * nothing happens until the first `next()`. The op is its own `Parking` while its task waits,
 * and its own final IteratorResult (`done`/`value`): finishing allocates nothing either. Its
 * other fields are private, so a finished op reads as `{ done: true, value }`.
 */
export abstract class Park<R> implements Coro<R>, Parking {
  /** True once finished (the op is then its own IteratorReturnResult). */
  done = false;
  /** The op's result once finished (set by `_attempt()`/`_resumed()` before they return true). */
  value: R | undefined = undefined;
  /** Invariant: one of IDLE, PARKED (then linked in `_waiters()`), WOKEN, UNPARKED, CLOSED. */
  #state = IDLE;
  /** The task parked on this op, or the fallback Future outside any task; null while IDLE. */
  #waiter: Task<unknown> | Future<unknown> | null = null;
  /** Links while PARKED. */
  #next: Park<unknown> | null = null;
  #prev: Park<unknown> | null = null;
  /** The Lazy that made this op for `yield*` (never exposed): it gets the op back. */
  #home: Lazy<unknown, unknown, R> | null = null;

  /** @internal Try to complete now: true when done (`value` set). May throw. */
  abstract _attempt(): boolean;
  /** @internal Woken: true when done (`value` set), false to park again. May throw. */
  abstract _resumed(): boolean;
  /** @internal Leaving after parking; `woken` when the wake-up (and what it handed over) is ours. */
  abstract _leave(woken: boolean): void;
  /** @internal The list this op parks in now. */
  abstract _waiters(): WaiterList;

  [Symbol.iterator](): this {
    return this;
  }

  next(): ParkStep<R> {
    const s = this.#state;
    if (s === IDLE) {
      try {
        if (this._attempt()) return this._finish();
      } catch (e) {
        this._fail();
        throw e;
      }
      return this._parkIn(this._waiters());
    }
    if (s === WOKEN) {
      this.#state = IDLE;
      this.#waiter = null;
      try {
        if (this._resumed()) {
          const home = this.#home;
          if (home !== null && home._spares < MAX_SPARES) {
            // Only `yield*` holds this op, and it reads the result before anything else runs:
            // the op can serve a later blocked call of its Lazy (kept in a free list through
            // its own link, unused while it is not parked).
            this.#home = null;
            this.#next = home._spare as Park<unknown> | null;
            home._spare = this as Park<unknown> as Park<R>;
            home._spares++;
          }
          return this._finish();
        }
      } catch (e) {
        this._fail();
        throw e;
      }
      return this._parkIn(this._waiters());
    }
    if (s === CLOSED) return this as IteratorReturnResult<R>;
    const w = this.#waiter;
    if (w !== null && !isTask(w)) {
      // The fallback future: still pending (resumed by hand), or cancelled by its driver.
      if (w._state === "pending") return yieldFuture(w);
      if (s === PARKED) Park.#unlink(this._waiters(), this);
      this._fail();
      this.#waiter = null;
      this._leave(false);
      return w.result() as never; // throws its CancelledError
    }
    if (s === PARKED) return PARK_STEP; // resumed by hand before any wake-up
    // UNPARKED: cancelled while parked, and the request taken back (uncancel) before the task's
    // step: the wait still ends in CancelledError, as asyncio's cancelled waiter future does.
    this._fail();
    this.#waiter = null;
    this._leave(false);
    throw new CancelledError((w as Task<unknown> | null)?._cancelMessage ?? "");
  }

  throw(e: unknown): ParkStep<R> {
    this.#abandon();
    throw e;
  }

  return(value: R): ParkStep<R> {
    this.#abandon();
    return { done: true, value };
  }

  [Symbol.dispose](): void {
    this.#abandon();
  }

  /** @internal Parking: the task was cancelled while parked here: leave the list, owe nothing. */
  _unpark(_task: Task<unknown>): void {
    if (this.#state !== PARKED) return;
    Park.#unlink(this._waiters(), this);
    this.#state = UNPARKED;
  }

  /** @internal Parking: what the task waits for ("<Queue get>"). */
  _describeParked(_task: Task<unknown>): string {
    return this._waiters()._what;
  }

  /** @internal Link into `list` and suspend: PARK under a task, else a fallback future. */
  _parkIn(list: WaiterList): ParkStep<R> {
    const prior = _currentTask();
    // A task still filed elsewhere resumed that op by hand and left it: forget that filing.
    if (prior !== null && prior._parkedOn !== null) prior._parkedOn._unpark(prior);
    const task = _parkCurrent(this);
    if (task !== null) {
      if (task._loop._tracer === null) {
        this.#waiter = task;
        Park.#push(list, this);
        return PARK_STEP;
      }
      // Traced: wait on a Future, so the trace shows what the task waits on (as sleep does).
      task._parkedOn = null;
    }
    const fut = (task?._loop ?? getRunningLoop()).createFuture<unknown>();
    this.#waiter = fut;
    Park.#push(list, this);
    return yieldFuture(fut);
  }

  /**
   * @internal Take the op out of its wait (unlinking it if still parked, forgetting its task or
   * future) and return to IDLE; true when it had been woken (it owns the wake-up). For
   * subclasses whose `throw()` goes on waiting (Condition re-acquiring its lock).
   */
  _detach(): boolean {
    const s = this.#state;
    this.#state = IDLE;
    if (s === IDLE || s === CLOSED) return false;
    const w = this.#waiter;
    this.#waiter = null;
    if (s === PARKED) {
      Park.#unlink(this._waiters(), this);
      if (w !== null) {
        if (isTask(w)) {
          // Closed by hand while its task runs (it never yielded PARK): forget the filing.
          if (w._waitingOn === this) w._waitingOn = null;
        } else if (w._state === "pending") w.cancel();
      }
    }
    return s === WOKEN;
  }

  /** @internal True while the op waits (parked, or woken or unparked and not yet resumed). */
  _waiting(): boolean {
    const s = this.#state;
    return s === PARKED || s === WOKEN || s === UNPARKED;
  }

  /** @internal End the op: it is its own `{ done: true, value }` from now on. */
  _finish(): IteratorReturnResult<R> {
    this.#state = CLOSED;
    this.done = true;
    return this as IteratorReturnResult<R>;
  }

  /** @internal Unlink the free-list head `op`; returns the next spare. */
  static _takeSpare<R>(op: Park<R>): Park<R> | null {
    const next = op.#next;
    op.#next = null;
    return next as Park<R> | null;
  }

  /** @internal `op` was made by `home` for `yield*`: it goes back to `home` when it finishes. */
  static _adopt<R>(op: Park<R>, home: Lazy<unknown, unknown, R>): void {
    op.#home = home;
  }

  /** @internal Make a finished op new again for another call with `arg` (see Lazy). */
  _reuse(arg: unknown): void {
    this.#state = IDLE;
    this.done = false;
    this.value = undefined;
    this._rearm(arg);
  }

  /** @internal Subclasses whose op carries the call's argument (a queue item) take it here. */
  _rearm(_arg: unknown): void {}

  /** @internal End the op by an error (or return/throw): `{ done: true, value: undefined }`. */
  _fail(): void {
    this.#state = CLOSED;
    this.done = true;
    this.value = undefined;
  }

  #abandon(): void {
    if (!this._waiting()) {
      this._fail();
      return;
    }
    const woken = this._detach();
    this._fail();
    this._leave(woken);
  }

  /** Link `op` at the tail of `list`. */
  static #push(list: WaiterList, op: Park<unknown>): void {
    op.#state = PARKED;
    const tail = list._tail;
    op.#prev = tail;
    op.#next = null;
    if (tail === null) list._head = op;
    else tail.#next = op;
    list._tail = op;
    list._size++;
  }

  /** Unlink `op` (linked in `list`) in O(1). */
  static #unlink(list: WaiterList, op: Park<unknown>): void {
    const prev = op.#prev;
    const next = op.#next;
    if (prev === null) list._head = next;
    else prev.#next = next;
    if (next === null) list._tail = prev;
    else next.#prev = prev;
    op.#prev = null;
    op.#next = null;
    list._size--;
  }

  /** @internal WaiterList.wakeOne on a non-empty list. */
  static _wakeOne(list: WaiterList): boolean {
    for (let op = list._head; op !== null; op = list._head) {
      Park.#unlink(list, op);
      const w = op.#waiter as Task<unknown> | Future<unknown>;
      if (isTask(w)) {
        op.#state = WOKEN;
        const task = w;
        // (`_waitingOn` is `_parkedOn` without its Future check: an op is never a Future.)
        if (task._waitingOn === op) {
          // A task resuming the op by hand (it never yielded PARK) is running now: it must
          // not be queued; it sees WOKEN on its next call.
          if (task === _currentTask()) task._waitingOn = null;
          else _wakeParked(task, undefined);
        }
        return true;
      }
      if (w._state === "pending") {
        op.#state = WOKEN;
        w.setResult(undefined);
        return true;
      }
      // Whoever drove the fallback future cancelled it: the op leaves when it is resumed.
      op.#state = UNPARKED;
    }
    return false;
  }

  /** @internal WaiterList.hasPending on a non-empty list. */
  static _hasPending(list: WaiterList): boolean {
    for (let op = list._head; op !== null; op = list._head) {
      const w = op.#waiter as Task<unknown> | Future<unknown>;
      if (isTask(w) || w._state === "pending") return true;
      Park.#unlink(list, op);
      op.#state = UNPARKED;
    }
    return false;
  }
}

/** A Task (its `_isTask` brand is on Task's prototype), not a plain Future. */
function isTask(w: Task<unknown> | Future<unknown>): w is Task<unknown> {
  return (w as { _isTask?: true })._isTask === true;
}

/** Yield `fut` as `yield* fut` does (asyncio's `_asyncio_future_blocking`). */
function yieldFuture(fut: Future<unknown>): IteratorYieldResult<BlockingFuture> {
  fut._blocking = true;
  return { value: fut as BlockingFuture, done: false };
}

/** @internal A `Lazy` wait's steps: `now` completes at once, `op` makes a Park for the call. */
export interface WaitKind<O, A, R> {
  /** Try to complete at once (may throw): the result, MUST_WAIT, or START (the op tries). */
  now(owner: O, arg: A): R | typeof MUST_WAIT | typeof START;
  /** A fresh Park for the same call (not started). */
  op(owner: O, arg: A): Park<R>;
}

/** @internal What `WaitKind.now` returns when the caller must wait. */
export const MUST_WAIT: unique symbol = Symbol("aioloop.mustWait");
/** @internal What `WaitKind.now` returns to leave every attempt to the op (Barrier). */
export const START: unique symbol = Symbol("aioloop.start");

/**
 * The iterator `yield*` gets for a wait that completed at once: done, with the result. Shared:
 * `yield*` reads it right after taking it, before anything else can run. (It keeps the last
 * result alive until the next one replaces it: one value, process-wide.)
 */
class Finished {
  done = true as const;
  value: unknown = undefined;
  next(): this {
    return this;
  }
}
const FINISHED = new Finished();

/**
 * @internal The coroutine object `queue.get()`, `lock.acquire()`... return: one per primitive
 * and kind, reused, so a call that completes at once allocates nothing at all.
 *
 * HOW: `yield*` asks the object for its iterator (`[Symbol.iterator]`) first, and that is where
 * the wait starts: it completes at once (FINISHED carries the result) or hands `yield*` a fresh
 * Park, already parked (its first step yields PARK). The object is free again as soon as `yield*` took its
 * iterator; a second call made before that (`a = q.get(); b = q.get()`) gets a new object.
 * Driven by hand (`next`/`throw`/`return` called on it directly), it makes its Park then and
 * forwards everything to it for good, never to be reused: exactly a Park's behaviour.
 *
 * The Parks it hands `yield*` are never seen by user code (only the iterator record of that
 * `yield*` holds them), so one that finishes comes back to a free list (`_spare`, up to
 * MAX_SPARES) for later calls that block: a producer and a consumer handing items over through
 * a Queue(1), or tasks contending for a Lock, allocate nothing.
 * (Calling `[Symbol.iterator]()` on it by hand and keeping that iterator is not supported.)
 */
export class Lazy<O, A, R> implements Coro<R> {
  /** @internal Handed out by the primitive and not yet started (or driven by hand: for good). */
  _out = false;
  readonly #owner: O;
  readonly #kind: WaitKind<O, A, R>;
  /** The call's argument (a queue item), held between the call and its start. */
  #arg: A | undefined = undefined;
  /** The Park this object forwards to once driven by hand. */
  #hand: Park<R> | null = null;
  /** @internal Finished Parks of this kind for later calls that block: a free list. */
  _spare: Park<R> | null = null;
  /** @internal How many Parks `_spare` holds (at most MAX_SPARES). */
  _spares = 0;

  constructor(owner: O, kind: WaitKind<O, A, R>) {
    this.#owner = owner;
    this.#kind = kind;
  }

  /** @internal The primitive hands this object out for a call with `arg`. */
  _handOut(arg: A): this {
    this._out = true;
    this.#arg = arg;
    return this;
  }

  [Symbol.iterator](): Coro<R> {
    const hand = this.#hand;
    if (hand !== null) return hand;
    const arg = this.#arg as A;
    this.#arg = undefined;
    this._out = false;
    const r = this.#kind.now(this.#owner, arg);
    if (r === MUST_WAIT || r === START) {
      let op = this._spare;
      if (op !== null) {
        this._spare = Park._takeSpare(op);
        this._spares--;
        op._reuse(arg);
      } else op = this.#kind.op(this.#owner, arg);
      Park._adopt(op, this as Lazy<unknown, unknown, R>);
      // MUST_WAIT: park now (no second attempt): the op's first step, just after, yields PARK.
      if (r === MUST_WAIT) op._parkIn(op._waiters());
      return op;
    }
    FINISHED.value = r;
    return FINISHED as unknown as Coro<R>; // only `next()` is ever called on it
  }

  next(): ParkStep<R> {
    return this.#byHand().next();
  }

  throw(e: unknown): ParkStep<R> {
    return this.#byHand().throw(e);
  }

  return(value: R): ParkStep<R> {
    return this.#byHand().return(value);
  }

  [Symbol.dispose](): void {
    this.#byHand()[Symbol.dispose]();
  }

  #byHand(): Park<R> {
    let hand = this.#hand;
    if (hand === null) {
      // Never reused from now on (`_out` stays true): the primitive makes a new object.
      hand = this.#hand = this.#kind.op(this.#owner, this.#arg as A);
      this.#arg = undefined;
    }
    return hand;
  }
}
