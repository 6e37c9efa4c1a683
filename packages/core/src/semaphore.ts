/**
 * Semaphore and BoundedSemaphore, as asyncio's (3.13 rules), on the public loop API only.
 *
 * HOW: a count of free units and a WaiterList (see waiters.ts). A release with tasks waiting
 * hands its unit to the oldest pending waiter at once (the unit leaves `_value` and is "in
 * transit" until that task resumes), which keeps the wake-up order FIFO:
 *
 *   release() ─► _value++ ─► a pending waiter? ─yes─► _value--, _inTransit++, wake it
 *                                                    (its task resumes next iteration: _inTransit--)
 *
 *   acquire() takes a unit at once only when `locked()` is false: a unit is free AND nobody is
 *   queued or in transit (asyncio 3.13: later arrivals never overtake waiters).
 *
 * A woken waiter that is cancelled before it resumes gives its unit back and wakes the next one
 * (asyncio fact 18), so cancellation never leaks units. Units are conserved:
 *
 *   Invariant: _value + _inTransit + (units tasks hold) === the start value plus the releases
 *              made without a matching acquire; for a BoundedSemaphore, exactly the bound.
 *
 * Costs: acquire/release O(1); an uncontended acquire never touches the loop, and a blocked one
 * parks its task on the acquire's own object (no Future).
 */

import { type Coro, describe } from "./coro.js";
import { Hold } from "./locks.js";
import { InvalidArgumentError, OverReleaseError } from "./sync-errors.js";
import { Lazy, MUST_WAIT, Park, type WaitKind, WaiterList } from "./waiters.js";

/** What `Semaphore.statistics()` reports. */
export interface SemaphoreStatistics {
  /** Units free now. */
  value: number;
  /** `locked()` now. */
  locked: boolean;
  /** Tasks waiting in `acquire()` now. */
  waiters: number;
  /** Units handed to woken waiters that have not resumed yet. */
  inTransit: number;
  /** Successful acquisitions so far. */
  acquired: number;
  /** Acquisitions that had to wait. */
  contended: number;
  /** Waits given up (cancelled) so far. */
  cancelled: number;
}

/**
 * A counter of units: `acquire()` takes one (waiting, FIFO, while none is free), `release()`
 * gives one back. As asyncio.Semaphore, release() can raise the count past its start value;
 * use BoundedSemaphore to catch that.
 * @example
 * const sem = new Semaphore(3);            // at most 3 downloads at once
 * function* download(url: string): Coro<void> {
 *   using _ = yield* sem.hold();           // async with sem:
 *   yield* fetchIt(url);
 * }
 */
export class Semaphore {
  /** @internal Invariant: >= 0; free units (not those in transit to woken waiters). */
  _value: number;
  /** @internal Invariant: waiters woken with a unit that have not resumed (nor given up) yet. */
  _inTransit = 0;
  /** @internal */ readonly _waiters: WaiterList;
  /** The reusable coroutine objects of `acquire()` and `hold()` (see waiters.ts: Lazy). */
  #acquire: Lazy<Semaphore, undefined, true> | null = null;
  #hold: Lazy<Semaphore, undefined, Hold> | null = null;
  #acquired = 0;
  #contended = 0;
  #cancelled = 0;

  /** Start with `value` free units (a whole number >= 0; default 1). */
  constructor(value = 1) {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(
        `${new.target.name}(${describe(value)}): the initial value must be a whole number >= 0`,
      );
    }
    this._value = value;
    this._waiters = new WaiterList(`<${new.target.name} acquire>`);
  }

  /** True when `acquire()` would wait: no free unit, or other tasks are ahead in line. */
  locked(): boolean {
    return this._value === 0 || this._inTransit > 0 || this._waiters.hasPending();
  }

  /** Take a unit, waiting in line (FIFO) while none is free. Returns true, as asyncio. */
  acquire(): Coro<true> {
    let h = this.#acquire;
    if (h === null || h._out) h = this.#acquire = new Lazy(this as Semaphore, SEM_ACQUIRE);
    return h._handOut(undefined);
  }

  /** Acquire a unit; the returned Disposable releases it: `using _ = yield* sem.hold();`. */
  hold(): Coro<Hold> {
    let h = this.#hold;
    if (h === null || h._out) h = this.#hold = new Lazy(this as Semaphore, SEM_HOLD);
    return h._handOut(undefined);
  }

  /** Give a unit back, waking the oldest waiter if there is one. */
  release(): void {
    this._value++;
    this.#wakeNext();
  }

  /** Counters for monitoring and tests (`waiters` is O(waiters)). */
  statistics(): SemaphoreStatistics {
    return {
      value: this._value,
      locked: this.locked(),
      waiters: this._waiters.pendingCount(),
      inTransit: this._inTransit,
      acquired: this.#acquired,
      contended: this.#contended,
      cancelled: this.#cancelled,
    };
  }

  /** A short description such as `<Semaphore [unlocked, value:2]>`. */
  toString(): string {
    const n = this._waiters.pendingCount();
    const state = this.locked() ? "locked" : `unlocked, value:${this._value}`;
    return `<${this.constructor.name} [${state}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  /** @internal Take a free unit unless someone is ahead in line; false when the caller must queue. */
  _tryAcquire(): boolean {
    if (this.locked()) {
      this.#contended++;
      return false;
    }
    this._value--;
    this.#acquired++;
    return true;
  }

  /** @internal A woken waiter resumes with the unit it was handed. */
  _takeUnit(): void {
    this._inTransit--;
    this.#acquired++;
    this.#wakeWhileFree();
  }

  /** @internal A waiter gave up; if it had been handed a unit, give the unit back. */
  _gaveUp(woken: boolean): void {
    this.#cancelled++;
    if (woken) {
      this._inTransit--;
      this._value++;
    }
    this.#wakeWhileFree();
  }

  /** Tasks that queued behind a woken waiter while units were free (FIFO rule) may go now. */
  #wakeWhileFree(): void {
    while (this._value > 0 && this.#wakeNext()) {}
  }

  /** Hand one free unit to the oldest pending waiter; false when nobody waits. */
  #wakeNext(): boolean {
    if (!this._waiters.wakeOne()) return false;
    this._value--;
    this._inTransit++;
    return true;
  }
}

/** `sem.acquire()`'s steps for its reusable coroutine object (see waiters.ts: Lazy). */
const SEM_ACQUIRE: WaitKind<Semaphore, undefined, true> = {
  now: (sem) => (sem._tryAcquire() ? true : MUST_WAIT),
  op: (sem) => new SemaphoreAcquire<true>(sem, false),
};

/** `sem.hold()`'s steps. */
const SEM_HOLD: WaitKind<Semaphore, undefined, Hold> = {
  now: (sem) => (sem._tryAcquire() ? new Hold(sem) : MUST_WAIT),
  op: (sem) => new SemaphoreAcquire<Hold>(sem, true),
};

/** A waiting `sem.acquire()` or `sem.hold()`: a Park (see waiters.ts). */
class SemaphoreAcquire<R extends true | Hold> extends Park<R> {
  readonly #sem: Semaphore;
  readonly #hold: boolean;
  constructor(sem: Semaphore, hold: boolean) {
    super();
    this.#sem = sem;
    this.#hold = hold;
  }
  _attempt(): boolean {
    if (!this.#sem._tryAcquire()) return false;
    this.#acquired();
    return true;
  }
  _resumed(): boolean {
    this.#sem._takeUnit();
    this.#acquired();
    return true;
  }
  _leave(woken: boolean): void {
    this.#sem._gaveUp(woken);
  }
  _waiters(): WaiterList {
    return this.#sem._waiters;
  }
  #acquired(): void {
    this.value = (this.#hold ? new Hold(this.#sem) : true) as R;
  }
}

/**
 * A Semaphore that throws OverReleaseError when released more times than acquired, instead of
 * growing past its start value: the usual guard for a pool of `value` resources.
 *
 * Units in transit to a woken waiter count as taken, so an extra release is caught even while
 * a hand-off is pending (asyncio 3.13 checks only the free count and misses that case).
 * @example
 * const pool = new BoundedSemaphore(2);
 * yield* pool.acquire();
 * pool.release();
 * pool.release(); // throws OverReleaseError
 */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  /**
   * Start with `value` free units (a whole number >= 0; default 1), which is also the most
   * there can ever be.
   * @throws {@link InvalidArgumentError} when `value` is not a whole number >= 0.
   */
  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /** Give a unit back; throws OverReleaseError when no unit is taken. */
  override release(): void {
    if (this._value + this._inTransit >= this.#bound) {
      throw new OverReleaseError(
        `BoundedSemaphore(${this.#bound}) released too many times: every release() needs an acquire() before it (prefer \`using _ = yield* sem.hold()\`)`,
      );
    }
    super.release();
  }
}
