/**
 * `sleep`: suspend the current task for a while, as asyncio.sleep.
 *
 * HOW: `sleep(0)` (or less) is a bare `yield`: the task gives up exactly one loop iteration
 * and no timer is made. A positive delay files the task itself in the loop's timers (no Future,
 * no TimerHandle; see SleepFor and loop-timers.ts); cancelling the task takes it out in O(1).
 */

import { type Coro, describe } from "./coro.js";
import { getRunningLoop } from "./events.js";
import { type Future, _setResultUnlessCancelled } from "./future.js";
import { CancelledError } from "./errors.js";
import { LoopTimers, SLEEPING_FOREVER, SLEEP_WOKE } from "./loop-timers.js";
import { PARK, type Task, YIELD_DONE, YIELD_ONE, _currentTask, _parkCurrent } from "./task.js";

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
  return ms <= 0 ? yieldOnce(value) : (new SleepFor(ms, value) as Coro<T | undefined>);
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

/** `{ value: PARK, done: false }`: the step a sleeping task yields, shared. */
const PARK_STEP: IteratorResult<undefined, never> = Object.freeze({
  value: PARK as unknown as undefined,
  done: false,
});

/**
 * `sleep(ms)` for ms > 0: a small iterator. Its first step files the running task itself in the
 * loop's timers (`LoopTimers.sleep`) and yields PARK: no Future, no TimerHandle. The loop wakes
 * the task at the deadline (see loop-timers.ts) and the second step returns the value. Outside
 * a task, on a loop without LoopTimers, or while a tracer records timers, it runs the Future
 * path instead (`sleepOnFuture`), which the tracer sees as a timer.
 */
class SleepFor<T> implements Coro<T> {
  // Three fields (a sleeper keeps this object for its whole sleep, beside its Task).
  /** @internal */ readonly _ms: number;
  /** @internal The value to return; once on the Future path (`_task === ON_FUTURE`), that path's coroutine. */
  _value: unknown;
  /**
   * @internal undefined: not started; a Task: that task sleeps in the timers; ON_FUTURE: on
   * the Future path; null: finished.
   */
  _task: Task<unknown> | typeof ON_FUTURE | null | undefined = undefined;
  constructor(ms: number, value: T) {
    this._ms = ms;
    this._value = value;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(v?: unknown): IteratorResult<undefined, T> {
    let task = this._task;
    if (task === undefined) {
      const t = _currentTask();
      if (t !== null) {
        const loop = t._loop;
        const timers = (loop as { _timers?: unknown })._timers;
        if (timers instanceof LoopTimers && loop._tracer === null) {
          _parkCurrent(timers);
          this._task = t;
          const ms = this._ms;
          if (ms === Number.POSITIVE_INFINITY) t._timerSlot = SLEEPING_FOREVER;
          else timers.sleep(t, loop.time() + ms, ms);
          return PARK_STEP;
        }
      }
      this._task = task = ON_FUTURE;
      this._value = sleepOnFuture(this._ms, this._value as T);
    }
    if (task === ON_FUTURE) return (this._value as Coro<T>).next(v) as IteratorResult<undefined, T>;
    this._task = null;
    if (v !== SLEEP_WOKE && task !== null) {
      // Cancelled while asleep, and the request taken back (uncancel) before this step: the
      // sleep still ends in CancelledError, as asyncio's cancelled sleep Future does.
      throw new CancelledError(task._cancelMessage ?? "");
    }
    const value = this._value as T;
    return value === undefined
      ? (DONE_UNDEFINED as IteratorResult<undefined, T>)
      : { value, done: true };
  }
  throw(e: unknown): IteratorResult<undefined, T> {
    if (this._task === ON_FUTURE) {
      return (this._value as Coro<T>).throw(e) as IteratorResult<undefined, T>;
    }
    // A cancel: Task.cancel has already taken the task out of the timers (`_unpark`).
    this.#leave();
    throw e;
  }
  return(value: T): IteratorResult<undefined, T> {
    if (this._task === ON_FUTURE) {
      return (this._value as Coro<T>).return(value) as IteratorResult<undefined, T>;
    }
    this.#leave();
    return { value, done: true };
  }
  [Symbol.dispose](): void {
    if (this._task !== ON_FUTURE) this.#leave();
  }
  /** Finished early: if the task is still filed in the timers, take it out. */
  #leave(): void {
    const task = this._task;
    this._task = null;
    if (task === undefined || task === null || task === ON_FUTURE) return;
    const parking = task._parkedOn;
    if (parking instanceof LoopTimers) {
      task._parkedOn = null;
      parking._unpark(task);
    }
  }
}

/** `SleepFor._task` on the Future path. */
const ON_FUTURE: unique symbol = Symbol("sleepOnFuture");

/** `sleep(ms)` on a Future that a timer completes: outside tasks, and while tracing. */
function* sleepOnFuture<T>(ms: number, value: T): Coro<T> {
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
