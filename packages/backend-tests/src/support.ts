/**
 * What the kit's suites share: running on a loop in whichever mode it supports, loop time
 * measured from the start of a test's main, a loop-time matcher that is exact on a virtual clock
 * and bounded on a real one, and small coroutines (ticks, delayed results, outcomes).
 *
 * HOW the clock matters: on a virtual clock (`l.virtualTime`) a test's main starts at time 0
 * and every wait lasts exactly its timeout, so a test can assert `at: 10`. On a real clock the
 * same wait lasts at least its timeout and a little more (host timers are late by a millisecond
 * or so, more on a loaded machine). `loopTime(l, ms)` says that: the number itself on a virtual
 * clock, "between ms and ms + REAL_CLOCK_LATE_MS" on a real one. The same assertion then holds
 * on every loop, and stays exact where exactness is possible.
 */
import {
  type Awaitable,
  type BaseEventLoop,
  type Coro,
  type EventLoop,
  allTasks,
  currentTask,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "./loop-under-test.js";

/**
 * How late (ms) a wait on a real clock may end and still count as on time. Host timers fire a
 * millisecond or two late and each sleep of a chain adds its own; a busy machine (a whole
 * repository's builds and tests on two cores) stalls a process for 100 ms and more (a 10 ms
 * sleep was seen to end after 147 ms at a load of 7.6 on 2 cores). Loop-time assertions on real
 * clocks catch a wait that ended early or did not happen, not scheduling jitter.
 */
export const REAL_CLOCK_LATE_MS = 200;

/**
 * How many times a failed test is retried on a real-clock loop (see `defineBackendTests`). When
 * the machine stalls the process for longer than the gap between two timers of a test (5 to 90
 * ms in the suites), both fire in one iteration and the test sees an order a quiet machine
 * never gives; a loop that is really wrong fails every attempt.
 */
export const REAL_CLOCK_RETRIES = 2;
/** How early (ms) a wait on a real clock may end: the clock's resolution, and float rounding. */
const REAL_CLOCK_EARLY_MS = 0.01;

/**
 * Run `aw` on `loop` until it is done: `runSync` when `l` can block, else `runUntilComplete`.
 * A synchronous throw of `runSync` becomes a rejection, so callers await either way.
 */
export async function drive<T>(
  l: LoopUnderTest,
  loop: BaseEventLoop,
  aw: Awaitable<T>,
): Promise<T> {
  if (l.blocking) return loop.runSync(aw);
  return await loop.runUntilComplete(aw);
}

/** Where each loop's test main started (loop time), for `now()`. */
const origins = new WeakMap<EventLoop, number>();

/**
 * `runOn`, recording the loop time at which `main` starts (see `now`) and failing the test if
 * `main` leaves any other task running.
 */
export function run<T>(l: LoopUnderTest, main: () => Coro<T>): Promise<T> {
  return runOn(l, function* () {
    const loop = getRunningLoop();
    origins.set(loop, loop.time());
    const v = yield* main();
    const me = currentTask();
    const left = [...allTasks()].filter((t) => t !== me);
    if (left.length > 0) throw new Error(`tasks left running: ${left.join(", ")}`);
    return v;
  });
}

/**
 * The running loop's time since the test's main started (`run`): on a virtual clock the main
 * starts at 0, so this is `loop.time()` itself.
 */
export function now(): number {
  const loop = getRunningLoop();
  return loop.time() - (origins.get(loop) ?? 0);
}

/**
 * The loop time `ms` as an expected value: `ms` itself on a virtual clock; on a real clock a
 * matcher for [ms, ms + REAL_CLOCK_LATE_MS]. Use it with `toEqual` (also inside objects and
 * arrays), never with `toBe`.
 * @example
 * expect(out).toEqual({ v: "ok", at: loopTime(l, 20) });
 */
export function loopTime(l: LoopUnderTest, ms: number): number {
  if (l.virtualTime) return ms;
  const lo = ms - REAL_CLOCK_EARLY_MS;
  const hi = ms + REAL_CLOCK_LATE_MS;
  const describe = () => `loop time ${ms} ms (real clock: ${ms} to ${hi} ms)`;
  const matcher = {
    asymmetricMatch: (actual: unknown) =>
      typeof actual === "number" && actual >= lo && actual <= hi,
    toString: describe,
    toAsymmetricMatcher: describe,
  };
  return matcher as unknown as number;
}

/** Give up `n` loop iterations. */
export function* tick(n = 1): Coro<void> {
  for (let i = 0; i < n; i++) yield;
}

/** Sleep `ms`, then return `value`; logs "done <value>" or "cancelled <value>" to `log`. */
export function* resultAfter<T>(ms: number, value: T, log?: string[]): Coro<T> {
  try {
    yield* sleep(ms);
  } catch (e) {
    log?.push(`cancelled ${String(value)}`);
    throw e;
  }
  log?.push(`done ${String(value)}`);
  return value;
}

/** Sleep `ms`, then throw `err`. */
export function* failAfter(ms: number, err: unknown): Coro<never> {
  yield* sleep(ms);
  throw err;
}

/** The current task's `cancelling()` count. */
export function cancelling(): number {
  return currentTask()!.cancelling();
}

/** Run `c`, returning its value or `{ error }` with the error it threw. */
export function* settle<T>(c: Awaitable<T>): Coro<T | { error: unknown }> {
  try {
    return yield* c;
  } catch (error) {
    return { error };
  }
}
