/**
 * Helpers shared by the combinator tests (gather, wait, timeouts, taskgroup): a `run` that fails
 * when a test leaves a task running, coroutines that finish or fail after a delay, and small
 * readers of the loop's state.
 */
import {
  type Awaitable,
  type Coro,
  allTasks,
  currentTask,
  getRunningLoop,
  sleep,
} from "../../src/index.js";
import { type LoopKind, runOn } from "./loops.js";

/** `runOn`, failing the test if `main` leaves any other task running. */
export function run<T>(kind: LoopKind, main: () => Coro<T>): T {
  return runOn(kind, function* () {
    const v = yield* main();
    const me = currentTask();
    const left = [...allTasks()].filter((t) => t !== me);
    if (left.length > 0) throw new Error(`tasks left running: ${left.join(", ")}`);
    return v;
  });
}

export function* after<T>(ms: number, value: T, log?: string[]): Coro<T> {
  try {
    yield* sleep(ms);
  } catch (e) {
    log?.push(`cancelled ${String(value)}`);
    throw e;
  }
  log?.push(`done ${String(value)}`);
  return value;
}

export function* failAfter(ms: number, err: unknown): Coro<never> {
  yield* sleep(ms);
  throw err;
}

export function now(): number {
  return getRunningLoop().time();
}

export function cancelling(): number {
  return currentTask()!.cancelling();
}

/** Run `c`, returning its value or the error it threw. */
export function* settle<T>(c: Awaitable<T>): Coro<T | { error: unknown }> {
  try {
    return yield* c;
  } catch (error) {
    return { error };
  }
}
