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
 *
 * The yield type is what the task running the coroutine receives: `undefined` (a bare `yield`)
 * or the Future a `yield*` suspends on, typed `Future<unknown>` ({@link BlockingFuture}). It is
 * written so that the classic mistake, `yield` without the star, does not compile and the error
 * names the fix: `yield promise`, `yield sleep(10)` and `yield fut` (a `Future<number>`) report
 * `Property '"use yield* (with the star) to await; for a Promise: yield* fromPromise(p)"' is
 * missing`, the one property of {@link AwaitWithYieldStar}, a member no value has. (A Future
 * typed `Future<unknown>` or `Future<any>` is let through: TypeScript cannot tell it apart; the
 * task then throws a BadYieldError saying to write `yield* fut`.) `Coro<T>` and
 * `Generator<Future<unknown> | undefined, T, unknown>` stay assignable to each other both ways.
 * @example
 * function* fetchTwice(url: string): Coro<number> {
 *   const a = yield* fromPromise(fetch(url));
 *   yield* sleep(1000); // 1 s
 *   const b = yield* fromPromise(fetch(url));
 *   return a.status + b.status;
 * }
 */
export type Coro<T> = Generator<
  BlockingFuture | undefined | (AwaitWithYieldStar & BlockingFuture),
  T,
  unknown
>;

/**
 * A Future as a coroutine yields it to its task to suspend on it: typed `Future<unknown>`, as
 * `yield* fut` and `blockOn(fut)` yield it. Every `Future<unknown>` is one; a `Future<number>` is
 * not, which is what makes a bare `yield fut` a compile error inside a {@link Coro}.
 */
export interface BlockingFuture extends Future<unknown> {
  /**
   * Future's `setResult`, declared as a property: TypeScript then checks its parameter strictly,
   * so only a Future whose result type is `unknown` (or `any`) matches.
   */
  readonly setResult: (value: unknown) => void;
}

/**
 * Never produced: its one property is required and typed `never`, so no value has it. It is in
 * {@link Coro}'s yield type only so that a value yielded by mistake (a Promise, a coroutine, a
 * typed Future: `yield` where `yield*` was meant) is reported as missing this property, whose
 * name is the fix.
 */
export interface AwaitWithYieldStar {
  /** The fix for a wrong `yield`, as the name of a property nothing has. */
  readonly "use yield* (with the star) to await; for a Promise: yield* fromPromise(p)": never;
}

/** Anything `yield*` can await: Futures, Tasks and coroutine objects (asyncio's awaitable). */
export interface Awaitable<T> {
  /**
   * The iterator `yield*` drives: it yields pending Futures (to suspend the task until they are
   * done) or `undefined` (to give up one loop iteration), and returns the awaited value.
   */
  [Symbol.iterator](): Iterator<Future<unknown> | undefined, T, unknown>;
}

/** @internal %GeneratorPrototype%: what every generator object inherits `next`/`throw` from. */
export const GEN_PROTO: object = Object.getPrototypeOf(Object.getPrototypeOf((function* () {})()));

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
  if (typeof x !== "object" || x === null) return false;
  // A generator first, by its prototype chain: every generator function (every closure) has a
  // prototype of its own, so looking `next` up on each one misses every inline cache.
  const p = Object.getPrototypeOf(x) as object | null;
  if (p !== null) {
    const pp = Object.getPrototypeOf(p) as object | null;
    if (pp === GEN_PROTO || (pp !== null && Object.getPrototypeOf(pp) === GEN_PROTO)) return true;
  }
  return (
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
    case "function":
      return `${functionKind(x)} ${x.name || "(anonymous)"}`;
    case "object": {
      const ctor = (x as { constructor?: { name?: string } }).constructor?.name;
      if (isThenable(x)) return `a ${ctor ?? "thenable"}`;
      return ctor ? `a ${ctor} object` : "an object";
    }
    default:
      return String(x);
  }
}

/** What kind of function `fn` is, by its built-in tag (so it works across realms too). */
function functionKind(fn: Function): string {
  switch (Object.prototype.toString.call(fn)) {
    case "[object GeneratorFunction]":
      return "generator function";
    case "[object AsyncFunction]":
      return "async function";
    case "[object AsyncGeneratorFunction]":
      return "async generator function";
    default:
      return "function";
  }
}

/**
 * @internal The fix for an async/await habit, for the error about a value given where a
 * coroutine or another awaitable was expected: for an async function (or async generator
 * function), write a generator function that uses `fromPromise` inside; for a Promise, wrap it
 * with `fromPromise`. Null for any other value.
 */
export function asyncHabitFix(x: unknown): string | null {
  if (typeof x === "function") {
    const kind = functionKind(x);
    if (kind !== "async function" && kind !== "async generator function") return null;
    const name = x.name || "f";
    return (
      `write it as a generator function instead (\`function* ${name}(…): Coro<T>\`) that ` +
      `awaits each Promise with \`yield* fromPromise(p)\`, then pass \`${name}(…)\``
    );
  }
  if (isThenable(x)) {
    return (
      "wrap Promises with `fromPromise(p)` (a Future already: await it with " +
      "`yield* fromPromise(p)`, no Task needed); to run an async function's work as a task, " +
      "write it as a generator function that awaits with `yield* fromPromise(p)`"
    );
  }
  return null;
}

/**
 * @internal The fix for a function given where a coroutine or another awaitable was expected:
 * call it (a generator function), or rewrite it (an async function).
 */
export function functionFix(fn: Function): string {
  const fix = asyncHabitFix(fn);
  if (fix !== null) return fix;
  const call = `pass \`${fn.name || "f"}(…)\`, not the function`;
  return functionKind(fn) === "generator function"
    ? `call the generator function first: ${call}`
    : `call it first: ${call}`;
}
