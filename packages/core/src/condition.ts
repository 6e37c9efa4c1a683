/**
 * Condition: a condition variable for tasks, as asyncio.Condition (3.13 rules).
 *
 * HOW: a Lock (given or made) plus a WaiterList of waits (see waiters.ts).
 *
 *   wait():  lock held? ─no─► LockNotAcquiredError
 *              │ yes
 *              ▼
 *            release the lock, park in the Condition ──► notify() wakes it (oldest first, n)
 *              ▼
 *            re-acquire the lock (always, even when cancelled: the caller's `finally` /
 *            `using` will release it) ──► return true, or re-throw the cancellation
 *
 * A waiter that was notified but leaves with an error (cancelled before or while re-acquiring
 * the lock) passes its notification to the next waiter, so a `notify()` is never lost. asyncio
 * 3.13 does this on every error exit, waking someone spuriously when the leaver had not been
 * notified; here only a consumed notification is passed on (no spurious wake-ups from
 * cancellation), which the condition-variable contract allows either way.
 *
 * A wait is one hand-made coroutine object (ConditionWait) that parks its task on itself twice:
 * in the Condition's list for the notification, then (when the lock is taken) in the Lock's list,
 * where it waits like any `acquire()`. `wait()` returns the Condition's reusable Lazy, which
 * reuses the ConditionWait of the last wait that finished: nothing is allocated per wait.
 *
 * Costs: wait/notify O(1) per waiter; notifyAll O(waiters).
 */

import type { Coro } from "./coro.js";
import { describe } from "./coro.js";
import { CancelledError } from "./errors.js";
import { type Hold, Lock } from "./locks.js";
import { InvalidArgumentError, LockNotAcquiredError } from "./sync-errors.js";
import { Lazy, MUST_WAIT, Park, type ParkStep, type WaitKind, WaiterList } from "./waiters.js";

/** What `Condition.statistics()` reports. */
export interface ConditionStatistics {
  /** The lock is held now. */
  locked: boolean;
  /** Tasks parked in `wait()` now (not counting those re-acquiring the lock). */
  waiters: number;
  /** Waiters woken by `notify`/`notifyAll` so far. */
  notified: number;
}

/**
 * A condition variable: tasks `wait()` (releasing the lock while they wait) until another task
 * holding the lock calls `notify(n)` or `notifyAll()`. Always re-check your predicate after
 * waking (or use `waitFor`): wake-ups can be spurious.
 * @example
 * const cond = new Condition();
 * const items: number[] = [];
 * function* consumer(): Coro<number> {
 *   using _ = yield* cond.hold();            // async with cond:
 *   yield* cond.waitFor(() => items.length > 0);
 *   return items.shift()!;
 * }
 * function* producer(): Coro<void> {
 *   using _ = yield* cond.hold();
 *   items.push(1);
 *   cond.notify();
 * }
 */
export class Condition {
  readonly #lock: Lock;
  /** @internal The tasks waiting for a notification. */
  readonly _waiters = new WaiterList("<Condition wait>");
  /** The reusable coroutine object of `wait()` (see waiters.ts: Lazy). */
  #wait: Lazy<Condition, undefined, true> | null = null;
  #notified = 0;

  /** Use `lock` as the underlying lock (shared with other conditions), or a new Lock. */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new InvalidArgumentError(
        `Condition(${describe(lock)}): pass a Lock to share, or nothing for a new one`,
      );
    }
    this.#lock = lock ?? new Lock();
  }

  /** True while the underlying lock is held. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /** Acquire the underlying lock (as `Lock.acquire`). */
  acquire(): Coro<true> {
    return this.#lock.acquire();
  }

  /** Release the underlying lock (as `Lock.release`). */
  release(): void {
    this.#lock.release();
  }

  /** Acquire the lock; the returned Disposable releases it: `using _ = yield* cond.hold();`. */
  hold(): Coro<Hold> {
    return this.#lock.hold();
  }

  /**
   * Release the lock, wait for a notification, re-acquire the lock, return true. The lock must
   * be held. When the task is cancelled, the lock is still re-acquired before CancelledError
   * propagates.
   */
  wait(): Coro<true> {
    let h = this.#wait;
    if (h === null || h._out) h = this.#wait = new Lazy(this, WAIT);
    return h._handOut(undefined);
  }

  /** @internal The lock (for ConditionWait). */
  get _lock(): Lock {
    return this.#lock;
  }

  /**
   * Wait until `predicate()` is truthy and return its value; the lock must be held (it is
   * checked only when a wait is needed, as asyncio).
   */
  *waitFor<T>(predicate: () => T): Coro<T> {
    if (typeof predicate !== "function") {
      throw new InvalidArgumentError(
        `Condition.waitFor(${describe(predicate)}): pass a function returning the value to wait for`,
      );
    }
    let result = predicate();
    while (!result) {
      yield* this.wait();
      result = predicate();
    }
    return result;
  }

  /** Wake up to `n` waiting tasks (oldest first). The lock must be held. */
  notify(n = 1): void {
    this.#checkHeld("notify");
    if (typeof n !== "number" || Number.isNaN(n) || n < 0) {
      throw new InvalidArgumentError(
        `Condition.notify(${describe(n)}): pass how many waiters to wake (a number >= 0)`,
      );
    }
    this._wake(n);
  }

  /** Wake every waiting task. The lock must be held. */
  notifyAll(): void {
    this.#checkHeld("notifyAll");
    this.#notified += this._waiters.wakeAll();
  }

  /** Counters for monitoring and tests (`waiters` is O(waiters)). */
  statistics(): ConditionStatistics {
    return {
      locked: this.#lock.locked(),
      waiters: this._waiters.pendingCount(),
      notified: this.#notified,
    };
  }

  /** A short description such as `<Condition [locked, waiters:2]>`. */
  toString(): string {
    const n = this._waiters.pendingCount();
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  /** @internal Wake up to `n` waiters (a notification, or one passed on). */
  _wake(n: number): void {
    this.#notified += this._waiters.wake(n);
  }

  #checkHeld(op: string): void {
    if (!this.#lock.locked()) {
      throw new LockNotAcquiredError(
        `Condition.${op}() without holding its lock: acquire it first (\`using _ = yield* cond.hold()\`)`,
      );
    }
  }
}

/** `cond.wait()`'s steps for its reusable coroutine object: it always waits. */
const WAIT: WaitKind<Condition, undefined, true> = {
  now(cond) {
    releaseToWait(cond._lock);
    return MUST_WAIT;
  },
  op: (cond) => new ConditionWait(cond),
};

/** A wait starts by releasing the lock, which must be held. */
function releaseToWait(lock: Lock): void {
  if (!lock.locked()) {
    throw new LockNotAcquiredError(
      "Condition.wait() without holding its lock: acquire it first (`using _ = yield* cond.hold()`)",
    );
  }
  lock.release();
}

/** ConditionWait waits for a notification, then re-acquires the lock. */
const NOTIFY = 0;
const REACQUIRE = 1;

/** `cond.wait()`: a Park that moves from the Condition's list to the Lock's (see the top). */
class ConditionWait extends Park<true> {
  readonly #cond: Condition;
  readonly #lock: Lock;
  #phase = NOTIFY;
  /** This wait consumed a notification (passed on if it then fails). */
  #notified = false;
  /** The error to throw once the lock is back (a cancellation), or null. */
  #failure: { error: unknown } | null = null;

  constructor(cond: Condition) {
    super();
    this.#cond = cond;
    this.#lock = cond._lock;
  }

  _attempt(): boolean {
    if (this.#phase === REACQUIRE) return this.#tryLock();
    releaseToWait(this.#lock);
    return false; // park in the Condition's list
  }

  override _rearm(_arg: unknown): void {
    this.#phase = NOTIFY;
    this.#notified = false;
    this.#failure = null;
  }

  _resumed(): boolean {
    if (this.#phase === NOTIFY) {
      this.#notified = true;
      this.#phase = REACQUIRE;
      return this.#tryLock();
    }
    this.#lock._takeHandOff();
    return this.#locked();
  }

  _leave(woken: boolean): void {
    // Closed (return()) while waiting: give back what was handed over.
    if (this.#phase === NOTIFY) {
      if (woken) this.#cond._wake(1);
      return;
    }
    this.#lock._gaveUp(woken);
    if (this.#notified) this.#cond._wake(1);
  }

  _waiters(): WaiterList {
    return this.#phase === NOTIFY ? this.#cond._waiters : this.#lock._waiters;
  }

  override throw(e: unknown): ParkStep<true> {
    if (!this._waiting()) return super.throw(e);
    const woken = this._detach();
    if (this.#phase === NOTIFY) {
      // Cancelled (or failed) while waiting for the notification: re-acquire the lock first.
      this.#notified = woken;
      this.#phase = REACQUIRE;
    } else {
      // Interrupted while re-acquiring: leave the line (passing on a hand-off); a cancellation
      // is kept and the lock re-acquired from the back of the line, as asyncio's loop does.
      this.#lock._gaveUp(woken);
      if (!(e instanceof CancelledError)) {
        this.#failure = { error: e };
        return this.#end();
      }
    }
    this.#failure = { error: e };
    try {
      if (this.#tryLock()) return this._finish();
    } catch (err) {
      this._fail();
      throw err;
    }
    return this._parkIn(this.#lock._waiters);
  }

  /** Take the lock if free; true when the wait is over (or throws the failure it kept). */
  #tryLock(): boolean {
    if (!this.#lock._tryAcquire()) return false;
    return this.#locked();
  }

  /** The lock is held again: done, or throw the kept failure (passing a notification on). */
  #locked(): true {
    const failure = this.#failure;
    if (failure !== null) {
      if (this.#notified) this.#cond._wake(1);
      throw failure.error;
    }
    this.value = true;
    return true;
  }

  /** End without the lock, throwing the kept failure (passing a notification on). */
  #end(): never {
    this._fail();
    if (this.#notified) this.#cond._wake(1);
    throw (this.#failure as { error: unknown }).error;
  }
}
