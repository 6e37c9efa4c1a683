/**
 * Lock and Event, as asyncio.Lock and asyncio.Event (3.13 rules), on the public loop API only.
 *
 * HOW (Lock): a three-state machine over a WaiterList (see waiters.ts):
 *
 *            acquire() (no wait)                     release(), nobody waits
 *   unlocked ───────────────────► locked ───────────────────────────────► unlocked
 *      ▲                           ▲  │ release(), a waiter is pending
 *      │ the woken waiter gave up, │  ▼
 *      └── nobody else waits ─── handoff ── the woken waiter resumes ──► locked
 *                                  │ ▲
 *                                  └─┘ the woken waiter gave up: wake the next one
 *
 * `release()` hands the lock to the first pending waiter ("handoff"): `locked()` is false, as in
 * asyncio, but a new `acquire()` queues behind the woken waiter instead of barging in (fairness,
 * asyncio fact 17). A woken waiter that is cancelled before it resumes passes the hand-off on.
 * Uncontended acquire/release never touch the loop and allocate nothing (two field writes); a
 * contended acquire parks its task on one small object, a Park (see waiters.ts), no Future.
 *
 * HOW (Event): a flag and a WaiterList. `set()` wakes every parked waiter in one pass, so all of
 * them run in the next loop iteration, and costs O(waiters); a waiter costs the small wait
 * object its task holds: nothing else.
 *
 * Neither is bound to a loop.
 */

import type { Coro } from "./coro.js";
import { LockNotAcquiredError } from "./sync-errors.js";
import { Lazy, MUST_WAIT, Park, type WaitKind, WaiterList } from "./waiters.js";

/** Something `hold()` can release. */
interface Releasable {
  release(): void;
}

/**
 * What `hold()` returns: a Disposable that releases the lock (or semaphore unit) it holds when
 * disposed, which `using` does at the end of the block. Releases at most once.
 * @example
 * {
 *   using _ = yield* lock.hold();
 *   yield* sleep(10); // lock held
 * } // released here, also when the block throws or the task is cancelled
 */
export class Hold implements Disposable {
  /** Invariant: null once released. */
  #owner: Releasable | null;
  /** Made by `hold()` once `owner` has been acquired. */
  constructor(owner: Releasable) {
    this.#owner = owner;
  }
  /** True until released. */
  held(): boolean {
    return this.#owner !== null;
  }
  /** Release now (as leaving the `using` block does); later calls do nothing. */
  release(): void {
    const owner = this.#owner;
    if (owner === null) return;
    this.#owner = null;
    owner.release();
  }
  /** Release what this hold holds (what `using` calls at the end of the block); same as `release()`. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/** The states of a Lock (see the diagram at the top of locks.ts). */
type LockState = "unlocked" | "locked" | "handoff";

/** What `Lock.statistics()` reports. */
export interface LockStatistics {
  /** `locked()` now. */
  locked: boolean;
  /** Tasks waiting in `acquire()` now. */
  waiters: number;
  /** Successful acquisitions so far. */
  acquired: number;
  /** Acquisitions that had to wait. */
  contended: number;
  /** Waits given up (cancelled) so far. */
  cancelled: number;
}

/**
 * A mutual-exclusion lock for tasks, as asyncio.Lock: not owned by a task (any task may
 * release it), fair (FIFO), cancellation-safe.
 * @example
 * const lock = new Lock();
 * function* worker(): Coro<void> {
 *   using _ = yield* lock.hold();   // async with lock:
 *   yield* sleep(10);
 * }
 * // or by hand:
 * yield* lock.acquire();
 * try { ... } finally { lock.release(); }
 */
export class Lock {
  /**
   * Invariant: "unlocked" ⟹ no pending waiter (a release with a pending waiter hands off);
   * "handoff" ⟹ exactly one waiter was woken and has not resumed yet.
   */
  #state: LockState = "unlocked";
  /** @internal */ readonly _waiters = new WaiterList("<Lock acquire>");
  /** The reusable coroutine objects of `acquire()` and `hold()` (see waiters.ts: Lazy). */
  #acquire: Lazy<Lock, undefined, true> | null = null;
  #hold: Lazy<Lock, undefined, Hold> | null = null;
  #acquired = 0;
  #contended = 0;
  #cancelled = 0;

  /** True while a task holds the lock (false during a hand-off to a woken waiter, as asyncio). */
  locked(): boolean {
    return this.#state === "locked";
  }

  /**
   * Acquire the lock, waiting in line (FIFO) while it is held or being handed to a waiter.
   * Returns true, as asyncio. Cancelling a waiting task takes it out of the line; one that was
   * already handed the lock passes it to the next waiter.
   */
  acquire(): Coro<true> {
    let h = this.#acquire;
    if (h === null || h._out) h = this.#acquire = new Lazy(this, ACQUIRE);
    return h._handOut(undefined);
  }

  /**
   * Acquire and return a Disposable that releases: `using _ = yield* lock.hold();` is asyncio's
   * `async with lock:`.
   */
  hold(): Coro<Hold> {
    let h = this.#hold;
    if (h === null || h._out) h = this.#hold = new Lazy(this, HOLD);
    return h._handOut(undefined);
  }

  /** Release the lock, handing it to the first waiter if there is one. */
  release(): void {
    if (this.#state !== "locked") {
      throw new LockNotAcquiredError(
        "release() of a Lock that is not acquired: release only after a successful acquire(), once (prefer `using _ = yield* lock.hold()`)",
      );
    }
    this.#handOff();
  }

  /** Counters for monitoring and tests (`waiters` is O(waiters)). */
  statistics(): LockStatistics {
    return {
      locked: this.locked(),
      waiters: this._waiters.pendingCount(),
      acquired: this.#acquired,
      contended: this.#contended,
      cancelled: this.#cancelled,
    };
  }

  /** A short description such as `<Lock [locked, waiters:1]>`. */
  toString(): string {
    const n = this._waiters.pendingCount();
    return `<Lock [${this.locked() ? "locked" : "unlocked"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  /** @internal Take the lock if it is free (the fast path); false when the caller must queue. */
  _tryAcquire(): boolean {
    if (this.#state !== "unlocked") {
      this.#contended++;
      return false;
    }
    this.#state = "locked";
    this.#acquired++;
    return true;
  }

  /** @internal A woken waiter resumes: the hand-off completes. */
  _takeHandOff(): void {
    this.#state = "locked";
    this.#acquired++;
  }

  /** @internal A waiter gave up; if it had been handed the lock, pass it on. */
  _gaveUp(woken: boolean): void {
    this.#cancelled++;
    if (woken) this.#handOff();
  }

  /** Give the lock to the first pending waiter, or unlock when there is none. */
  #handOff(): void {
    this.#state = this._waiters.wakeOne() ? "handoff" : "unlocked";
  }
}

/**
 * A waiting `lock.acquire()` or `lock.hold()`: a Park (see waiters.ts). Returns true, or (for
 * hold) a Hold that releases the lock.
 */
class LockAcquire<R extends true | Hold> extends Park<R> {
  readonly #lock: Lock;
  readonly #hold: boolean;
  constructor(lock: Lock, hold: boolean) {
    super();
    this.#lock = lock;
    this.#hold = hold;
  }
  _attempt(): boolean {
    if (!this.#lock._tryAcquire()) return false;
    this.#acquired();
    return true;
  }
  _resumed(): boolean {
    this.#lock._takeHandOff();
    this.#acquired();
    return true;
  }
  _leave(woken: boolean): void {
    this.#lock._gaveUp(woken);
  }
  _waiters(): WaiterList {
    return this.#lock._waiters;
  }
  #acquired(): void {
    this.value = (this.#hold ? new Hold(this.#lock) : true) as R;
  }
}

/** `lock.acquire()`'s steps for its reusable coroutine object (see waiters.ts: Lazy). */
const ACQUIRE: WaitKind<Lock, undefined, true> = {
  now: (lock) => (lock._tryAcquire() ? true : MUST_WAIT),
  op: (lock) => new LockAcquire<true>(lock, false),
};

/** `lock.hold()`'s steps. */
const HOLD: WaitKind<Lock, undefined, Hold> = {
  now: (lock) => (lock._tryAcquire() ? new Hold(lock) : MUST_WAIT),
  op: (lock) => new LockAcquire<Hold>(lock, true),
};

/** What `Event.statistics()` reports. */
export interface EventStatistics {
  /** `isSet()` now. */
  isSet: boolean;
  /** Tasks waiting in `wait()` now. */
  waiters: number;
  /** Times `set()` changed the flag from false to true. */
  sets: number;
  /** Waiters woken by `set()` so far. */
  woken: number;
}

/**
 * A flag tasks can wait for, as asyncio.Event: `set()` wakes every waiter (all in the next loop
 * iteration); `wait()` returns at once while the flag is set; `clear()` resets it.
 * @example
 * const ready = new Event();
 * createTask((function* () { yield* ready.wait(); console.log("go"); })());
 * ready.set();
 */
export class Event {
  #value = false;
  /** @internal Invariant: empty of pending waiters while the flag is set. */
  readonly _waiters = new WaiterList("<Event wait>");
  /** The reusable coroutine object of `wait()` (see waiters.ts: Lazy). */
  #wait: Lazy<Event, undefined, true> | null = null;
  #sets = 0;
  #woken = 0;

  /** True when the flag is set. */
  isSet(): boolean {
    return this.#value;
  }

  /** Set the flag and wake every waiting task. Does nothing when already set. */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    this.#sets++;
    this.#woken += this._waiters.wakeAll();
  }

  /** Reset the flag: later `wait()` calls block until the next `set()`. */
  clear(): void {
    this.#value = false;
  }

  /**
   * Wait until the flag is set; returns true (at once, without yielding, when it is set). A
   * waiting task costs one small object (a Park), nothing more.
   */
  wait(): Coro<true> {
    let h = this.#wait;
    if (h === null || h._out) h = this.#wait = new Lazy(this, EVENT_WAIT);
    return h._handOut(undefined);
  }

  /** Counters for monitoring and tests (`waiters` is O(waiters)). */
  statistics(): EventStatistics {
    return {
      isSet: this.#value,
      waiters: this._waiters.pendingCount(),
      sets: this.#sets,
      woken: this.#woken,
    };
  }

  /** A short description such as `<Event [unset, waiters:3]>`. */
  toString(): string {
    const n = this._waiters.pendingCount();
    return `<Event [${this.#value ? "set" : "unset"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }
}

/** `event.wait()`'s steps for its reusable coroutine object (see waiters.ts: Lazy). */
const EVENT_WAIT: WaitKind<Event, undefined, true> = {
  now: (event) => (event.isSet() ? true : MUST_WAIT),
  op: (event) => new EventWait(event),
};

/** `event.wait()`: a Park (see waiters.ts). Woken waiters owe nothing: set() wakes everyone. */
class EventWait extends Park<true> {
  readonly #event: Event;
  constructor(event: Event) {
    super();
    this.#event = event;
  }
  _attempt(): boolean {
    if (!this.#event.isSet()) return false;
    this.value = true;
    return true;
  }
  _resumed(): boolean {
    this.value = true;
    return true;
  }
  _leave(_woken: boolean): void {}
  _waiters(): WaiterList {
    return this.#event._waiters;
  }
}
