/**
 * Condition: a condition variable for tasks, as asyncio.Condition (3.13 rules).
 *
 * HOW: a Lock (given or made) plus a WaiterQueue of notification futures.
 *
 *   wait():  lock held? ─no─► LockNotAcquiredError
 *              │ yes
 *              ▼
 *            queue a future, release the lock ──► park ──► notify() completes the future
 *              ▼                                              (oldest first, n of them)
 *            re-acquire the lock (always, even when cancelled: the caller's `finally` /
 *            `using` will release it) ──► return true, or re-throw the cancellation
 *
 * A waiter that was notified but leaves with an error (cancelled before or while re-acquiring
 * the lock) passes its notification to the next waiter, so a `notify()` is never lost. asyncio
 * 3.13 does this on every error exit, waking someone spuriously when the leaver had not been
 * notified; here only a consumed notification is passed on (no spurious wake-ups from
 * cancellation), which the condition-variable contract allows either way.
 *
 * Costs: wait/notify O(1) amortized per waiter; notifyAll O(waiters); a waiter costs its Future
 * and one buffer slot.
 */

import type { Coro } from "./coro.js";
import { describe } from "./coro.js";
import { CancelledError } from "./errors.js";
import { getRunningLoop } from "./events.js";
import { type Hold, Lock } from "./locks.js";
import { InvalidArgumentError, LockNotAcquiredError } from "./sync-errors.js";
import { WaiterQueue } from "./waiters.js";

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
  readonly #waiters = new WaiterQueue<boolean>();
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
  *wait(): Coro<true> {
    if (!this.#lock.locked()) {
      throw new LockNotAcquiredError(
        "Condition.wait() without holding its lock: acquire it first (`using _ = yield* cond.hold()`)",
      );
    }
    const fut = this.#waiters.add(getRunningLoop());
    this.#lock.release();
    let resumed = false;
    let notified = false;
    let failure: { error: unknown } | null = null;
    try {
      yield* fut;
      resumed = true;
      notified = true;
    } catch (e) {
      failure = { error: e };
    } finally {
      if (!resumed) notified = this.#waiters.abandon(fut);
    }
    // Re-acquire even when cancelled; a cancel during the re-acquire is kept and re-thrown after.
    for (;;) {
      try {
        yield* this.#lock.acquire();
        break;
      } catch (e) {
        failure = { error: e };
        if (!(e instanceof CancelledError)) break;
      }
    }
    if (failure !== null) {
      if (notified) this.#wake(1);
      throw failure.error;
    }
    return true;
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
    this.#wake(n);
  }

  /** Wake every waiting task. The lock must be held. */
  notifyAll(): void {
    this.#checkHeld("notifyAll");
    this.#notified += this.#waiters.wakeAll(false);
  }

  /** Counters for monitoring and tests (`waiters` is O(waiters)). */
  statistics(): ConditionStatistics {
    return {
      locked: this.#lock.locked(),
      waiters: this.#waiters.pendingCount(),
      notified: this.#notified,
    };
  }

  /** A short description such as `<Condition [locked, waiters:2]>`. */
  toString(): string {
    const n = this.#waiters.pendingCount();
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  #wake(n: number): void {
    this.#notified += this.#waiters.wake(false, n);
  }

  #checkHeld(op: string): void {
    if (!this.#lock.locked()) {
      throw new LockNotAcquiredError(
        `Condition.${op}() without holding its lock: acquire it first (\`using _ = yield* cond.hold()\`)`,
      );
    }
  }
}
