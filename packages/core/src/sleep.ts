/**
 * `sleep`: suspend the current task for a while, as asyncio.sleep.
 *
 * HOW: `sleep(0)` (or less) is a bare `yield`: the task gives up exactly one loop iteration
 * and no timer is made. A positive delay parks the task on a Future that a timer completes;
 * the `finally` cancels the timer when the task is cancelled first, so nothing is left behind.
 */

import { type Coro, describe } from "./coro.js";
import { getRunningLoop } from "./events.js";
import { type Future, _setResultUnlessCancelled } from "./future.js";
import { YIELD_DONE, YIELD_ONE } from "./task.js";

/**
 * Suspend for `ms` milliseconds, then return `value`.
 * @example
 * yield* sleep(1000);          // one second
 * const v = yield* sleep(0, 7); // one loop iteration, then 7
 */
export function sleep(ms: number): Coro<undefined>;
export function sleep<T>(ms: number, value: T): Coro<T>;
export function sleep<T>(ms: number, value?: T): Coro<T | undefined> {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms === Number.NEGATIVE_INFINITY) {
    throw new RangeError(
      `sleep(${describe(ms)}): the delay must be a number of milliseconds (0 to give up one iteration)`,
    );
  }
  return ms <= 0 ? yieldOnce(value) : sleepFor(ms, value);
}

/**
 * `sleep(0)`: one shared, stateless iterator rather than a generator per call. Its first step
 * yields YIELD_ONE (the task queues itself for the next iteration) and the task resumes it with
 * YIELD_DONE, which ends it: so one object serves every `yield* sleep(0)` and a switch allocates
 * nothing. With a value, a small stateful iterator (rare).
 */
class Sleep0 implements Coro<undefined> {
  [Symbol.iterator](): this {
    return this;
  }
  next(v?: unknown): IteratorResult<undefined, undefined> {
    return v === YIELD_DONE ? DONE_UNDEFINED : YIELD_STEP;
  }
  throw(e: unknown): never {
    throw e;
  }
  return(value: undefined): IteratorResult<undefined, undefined> {
    return { value, done: true };
  }
  [Symbol.dispose](): void {}
}

/** `sleep(0, value)`: as Sleep0, remembering the value. */
class YieldOnce<T> implements Coro<T> {
  /** @internal */ _value: T;
  /** @internal Invariant: true once the single step has been taken (or the iterator closed). */
  _yielded = false;
  constructor(value: T) {
    this._value = value;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(): IteratorResult<undefined, T> {
    if (this._yielded) return { value: this._value, done: true };
    this._yielded = true;
    return YIELD_STEP;
  }
  throw(e: unknown): never {
    this._yielded = true;
    throw e;
  }
  return(value: T): IteratorResult<undefined, T> {
    this._yielded = true;
    return { value, done: true };
  }
  [Symbol.dispose](): void {
    this._yielded = true;
  }
}

/** The one step every sleep(0) yields: shared (and frozen) to save an allocation per switch. */
const YIELD_STEP: IteratorResult<undefined, never> = Object.freeze({
  value: YIELD_ONE as unknown as undefined,
  done: false,
});
/** The end of `sleep(0)` without a value: shared too. */
const DONE_UNDEFINED: IteratorResult<never, undefined> = Object.freeze({
  value: undefined,
  done: true,
});

const SLEEP0 = new Sleep0();

function yieldOnce<T>(value: T): Coro<T> {
  return value === undefined ? (SLEEP0 as Coro<T>) : new YieldOnce(value);
}

function* sleepFor<T>(ms: number, value: T): Coro<T> {
  const loop = getRunningLoop();
  const fut = loop.createFuture<T>();
  if (ms === Number.POSITIVE_INFINITY) return yield* fut;
  const h = loop.callLater(ms, sleepDone, fut, value);
  try {
    return yield* fut;
  } finally {
    h.cancel();
  }
}

/** The timer callback of `sleep` (named so traces read "sleepDone fired"). */
function sleepDone<T>(fut: Future<T>, value: T): void {
  _setResultUnlessCancelled(fut, value);
}
