/**
 * `sleep`: suspend the current task for a while, as asyncio.sleep.
 *
 * HOW: `sleep(0)` (or less) is a bare `yield`: the task gives up exactly one loop iteration
 * and no timer is made. A positive delay parks the task on a Future that a timer completes;
 * the `finally` cancels the timer when the task is cancelled first, so nothing is left behind.
 */

import { type Coro, describe } from "./coro.js";
import { getRunningLoop } from "./events.js";
import { _setResultUnlessCancelled } from "./future.js";

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

function* yieldOnce<T>(value: T): Coro<T> {
  yield;
  return value;
}

function* sleepFor<T>(ms: number, value: T): Coro<T> {
  const loop = getRunningLoop();
  const fut = loop.createFuture<T>();
  if (ms === Number.POSITIVE_INFINITY) return yield* fut;
  const h = loop.callLater(ms, _setResultUnlessCancelled, fut, value);
  try {
    return yield* fut;
  } finally {
    h.cancel();
  }
}
