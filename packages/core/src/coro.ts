/**
 * Coroutines and awaitables: the types, and the checks that turn a wrong value into a clear error.
 *
 * HOW: a coroutine is a generator; `yield*` is asyncio's `await`. An awaitable is anything whose
 * iterator yields Futures (to suspend) or `undefined` (to give up one loop iteration) and returns
 * the value. `isFuture` tests a brand symbol rather than `instanceof`, so Futures from two copies
 * of this package still work together.
 *
 *   function* main(): Coro<number> {
 *     yield* sleep(10);        // await asyncio.sleep(0.01)
 *     yield;                   // await asyncio.sleep(0)
 *     return yield* task;      // await task
 *   }
 */

import type { Future } from "./future.js";

/**
 * A coroutine: what a generator function written for aioloop returns (asyncio's coroutine
 * object). Inside it, `yield* aw` awaits an awaitable and a bare `yield` gives up one loop
 * iteration (asyncio's `await asyncio.sleep(0)`). Calling the function only creates the
 * coroutine: it runs when awaited or wrapped in a Task.
 * @example
 * function* fetchTwice(url: string): Coro<number> {
 *   const a = yield* fromPromise(fetch(url));
 *   yield* sleep(1000); // 1 s
 *   const b = yield* fromPromise(fetch(url));
 *   return a.status + b.status;
 * }
 */
export type Coro<T> = Generator<Future<unknown> | undefined, T, unknown>;

/** Anything `yield*` can await: Futures, Tasks and coroutine objects (asyncio's awaitable). */
export interface Awaitable<T> {
  /**
   * The iterator `yield*` drives: it yields pending Futures (to suspend the task until they are
   * done) or `undefined` (to give up one loop iteration), and returns the awaited value.
   */
  [Symbol.iterator](): Iterator<Future<unknown> | undefined, T, unknown>;
}

/** The brand every Future carries (on its prototype). */
export const FUTURE_BRAND: unique symbol = Symbol.for("aioloop.future");

/** True for aioloop Futures and Tasks, including those of another copy of this package (asyncio's `isfuture`). */
export function isFuture(x: unknown): x is Future<unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as { [FUTURE_BRAND]?: boolean })[FUTURE_BRAND] === true
  );
}

/** True for generator objects and other coroutine-shaped iterators with `next` and `throw` (asyncio's `iscoroutine`). */
export function isCoroutine(x: unknown): x is Coro<unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Coro<unknown>).next === "function" &&
    typeof (x as Coro<unknown>).throw === "function"
  );
}

/** True for Promises and other thenables. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === "object" || typeof x === "function") &&
    x !== null &&
    typeof (x as PromiseLike<unknown>).then === "function"
  );
}

/** A short description of any value, for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  switch (typeof x) {
    case "string":
      return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
    case "function": {
      const ctor = (x as { constructor?: { name?: string } }).constructor?.name;
      const kind = ctor === "GeneratorFunction" ? "generator function" : "function";
      return `${kind} ${x.name || "(anonymous)"}`;
    }
    case "object": {
      const ctor = (x as { constructor?: { name?: string } }).constructor?.name;
      if (isThenable(x)) return `a ${ctor ?? "thenable"}`;
      return ctor ? `a ${ctor} object` : "an object";
    }
    default:
      return String(x);
  }
}
