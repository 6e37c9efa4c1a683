/**
 * Promise interop: Futures from Promises, Promises from awaitables, AbortSignals from tasks.
 *
 * HOW: `fromPromise` settles a Future from the Promise's callbacks through `callSoonThreadsafe`
 * (a Promise settles in a host microtask, outside the loop's turn, so the loop must be woken),
 * and counts itself in the loop's `_pendingPromises` while pending, so `runSync` (where Promises
 * cannot settle) can say why it would wait forever. A virtual clock does not wait for Promises:
 * when the loop is idle it gives the host one turn (microtasks settle), then jumps.
 * `toPromise` wraps any awaitable in a Task when needed and returns the Future's cached Promise.
 * WHY: aioloop lives inside Node; `fetch`, `fs/promises` and every Promise API must be usable
 * from a coroutine, and a coroutine's result must be usable from `async` code.
 */

import {
  type Awaitable,
  describe,
  functionFix,
  isCoroutine,
  isFuture,
  isThenable,
} from "./coro.js";
import { NotACoroutineError } from "./errors.js";
import { InvalidArgumentError } from "./sync-errors.js";
import { type EventLoop, getRunningLoop } from "./events.js";
import type { Future } from "./future.js";
import type { OutsideSource } from "./host.js";
import { type Task, _currentTask } from "./task.js";
import { coro } from "./coro-fn.js";

/**
 * A Future on the running loop that settles with `p`. Cancelling the Future does not cancel the
 * Promise (Promises cannot be cancelled): pass `abortSignal()` to the API that made it.
 * @example
 * const res = yield* fromPromise(fetch(url, { signal: abortSignal() }));
 */
export function fromPromise<T>(p: PromiseLike<T>, loop: EventLoop = getRunningLoop()): Future<T> {
  if (!isThenable(p))
    throw new TypeError(`fromPromise needs a Promise or thenable, got ${describe(p)}`);
  const fut = loop.createFuture<T>();
  const release = loop.addOutsideSource(PROMISE_SOURCE);
  const done = (ok: boolean, v: unknown) => {
    release();
    if (!loop.isClosed()) loop.callSoonThreadsafe(settle, fut, ok, v);
  };
  p.then(
    (v) => done(true, v),
    (e: unknown) => done(false, e),
  );
  return fut;
}

/** The outside source every pending `fromPromise` registers (registrations are counted). */
const PROMISE_SOURCE: OutsideSource = { kind: "promise", name: "a Promise (fromPromise)" };

function settle<T>(fut: Future<T>, ok: boolean, v: unknown): void {
  if (fut.done()) return;
  if (ok) fut.setResult(v as T);
  else fut.setException(v);
}

/** A native Promise of `aw`'s result (coroutines are wrapped in a Task on the running loop). */
export function toPromise<T>(aw: Awaitable<T> | Future<T>): Promise<T> {
  return ensureFuture(aw)._asPromise();
}

/**
 * `aw` as a Future: Futures and Tasks as they are, coroutines wrapped in a Task, Promises via
 * `fromPromise`, other awaitables driven by a Task.
 */
export function ensureFuture<T>(
  aw: Awaitable<T> | PromiseLike<T>,
  loopOrOpts?: EventLoop | { loop?: EventLoop },
): Future<T> {
  const loop =
    loopOrOpts === undefined || isLoop(loopOrOpts)
      ? (loopOrOpts as EventLoop | undefined)
      : loopOrOpts.loop;
  if (isFuture(aw)) {
    if (loop !== undefined && aw._loop !== loop) {
      throw new InvalidArgumentError(
        "ensureFuture: the future belongs to a different loop than the one given: create it on that loop",
      );
    }
    return aw as Future<T>;
  }
  if (
    !isCoroutine(aw) &&
    !isThenable(aw) &&
    !(
      typeof aw === "object" &&
      aw !== null &&
      typeof (aw as Awaitable<T>)[Symbol.iterator] === "function"
    )
  ) {
    throw new NotACoroutineError(
      `ensureFuture needs a coroutine, Future, Task or Promise, got ${describe(aw)}${
        typeof aw === "function" ? `: ${functionFix(aw)}` : ""
      }`,
    );
  }
  const l = loop ?? getRunningLoop();
  if (isCoroutine(aw))
    return l.createTask(aw as Generator<Future<unknown> | undefined, T, unknown>);
  if (isThenable(aw)) return fromPromise(aw, l);
  return l.createTask(awaitIt(aw as Awaitable<T>));
}

function isLoop(x: object): x is EventLoop {
  return typeof (x as EventLoop).createTask === "function";
}

const awaitIt = coro(function* awaitIt<T>(
  aw: Awaitable<T>,
): Generator<Future<unknown> | undefined, T, unknown> {
  return yield* aw;
});

/**
 * An AbortSignal that aborts when the current task is cancelled: pass it to `fetch` and other
 * Promise APIs so they stop with the task.
 * @example
 * const body = yield* fromPromise(fetch(url, { signal: abortSignal() }));
 */
export function abortSignal(): AbortSignal {
  const task = _currentTask();
  if (task === null) {
    throw new NotACoroutineError(
      "abortSignal() must be called inside a task (a coroutine run by the loop)",
    );
  }
  return (task as Task<unknown>)._abortSignal();
}
