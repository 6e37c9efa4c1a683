/**
 * What the kit's suites share: running on a loop in whichever mode it supports, loop time
 * measured from the start of a test's main, a loop-time matcher that is exact on a virtual clock
 * and never-early on a real one, and small coroutines (ticks, delayed results, outcomes).
 *
 * HOW the clock matters: on a virtual clock (`l.virtualTime`) a test's main starts at time 0
 * and every wait lasts exactly its timeout, so a test can assert `at: 10`. On a real clock the
 * same wait lasts at least its timeout, and how much more depends on the machine: host timers
 * are a millisecond or two late when it is quiet, and a busy one stalls the process for hundreds
 * of ms (a 105 ms wait was seen to end after more than 300 ms). `loopTime(l, ms)` says that: the
 * number itself on a virtual clock, "ms or later" on a real one. The same assertion then holds
 * on every loop, catches a wait that ended early or was skipped everywhere, and is exact where
 * exactness is possible.
 *
 * A real clock gives no upper bound, and no order between two timers of a test either: a stall
 * longer than the gap between their deadlines fires both in one iteration. A test whose outcome
 * depends on timers staying apart runs only on virtual clocks (`it.skipIf(!l.virtualTime)`, with
 * the reason above it); the others order their events causally (a future the test completes, a
 * task awaited), so no test here is retried or may fail on a busy machine.
 */
import {
  type Awaitable,
  type BaseEventLoop,
  type Coro,
  type EventLoop,
  type Future,
  allTasks,
  currentTask,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "./loop-under-test.js";

/** How early (ms) a wait on a real clock may end: the clock's resolution, and float rounding. */
const REAL_CLOCK_EARLY_MS = 0.01;

/**
 * An hour (ms): the delay of a timer that must still be pending when the test cancels it. No
 * test outlives it, while a second would not do on a real clock: a busy machine can stall the
 * process for longer than the gap between that timer and the event that should come first.
 */
export const AN_HOUR = 3_600_000;

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
 * matcher for "`ms` or later" (never early; how late depends on the machine's load). Use it with
 * `toEqual` (also inside objects and arrays), never with `toBe`.
 * @example
 * expect(out).toEqual({ v: "ok", at: loopTime(l, 20) });
 */
export function loopTime(l: LoopUnderTest, ms: number): number {
  if (l.virtualTime) return ms;
  const lo = ms - REAL_CLOCK_EARLY_MS;
  const describe = () => `loop time ${ms} ms (real clock: ${ms} ms or later)`;
  const matcher = {
    $$typeof: Symbol.for("jest.asymmetricMatcher"), // so failure messages print `describe()`
    asymmetricMatch: (actual: unknown) => typeof actual === "number" && actual >= lo,
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

/**
 * Wait until `release` is done, then return `value`; logs like `resultAfter`. A task of the test
 * that must finish after some event, and not before: on a real clock a timer cannot promise that
 * (a stall fires two timers of a test in one iteration), the test completing `release` can.
 */
export function* resultWhen<T>(release: Future<unknown>, value: T, log?: string[]): Coro<T> {
  try {
    yield* release;
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
