/**
 * Iterating over values that arrive over time inside a coroutine: asyncio's `async for`.
 *
 * HOW: a producer (a queue until shut down, `asCompleted`, stream lines, file lines) offers an
 * `AsyncIter<T>` whose `next()` is a coroutine returning an IteratorResult. `forEach` drives one
 * with a body coroutine; the explicit loop works too and reads like `__anext__`:
 *
 *   yield* forEach(queue, function* (item) { ... });          // async for item in queue: ...
 *
 *   const it = aiter(reader);                                  // the same, by hand
 *   for (let r = yield* it.next(); !r.done; r = yield* it.next()) use(r.value);
 *
 * WHY one shape: every package (core, selector-loop streams, files) produces values the same
 * way, so user code and helpers like `forEach` work on all of them. `return()` lets a consumer
 * that stops early release the producer (close a file, stop a reader).
 */

import type { Coro } from "./coro.js";
import { coro } from "./coro-fn.js";

/**
 * A source of values over time, the aioloop shape of Python's async iterator: `next()` is a
 * coroutine (asyncio's `__anext__`). Drive one with `forEach`, or by hand.
 * @example
 * const it = aiter(queue);
 * for (let r = yield* it.next(); !r.done; r = yield* it.next()) console.log(r.value);
 */
export interface AsyncIter<T> {
  /**
   * Wait for the next value: `{ done: false, value }`, or `{ done: true }` once the source is
   * exhausted (asyncio's `__anext__` raising StopAsyncIteration).
   */
  next(): Coro<IteratorResult<T, undefined>>;
  /** Release the producer when the consumer stops early (optional). */
  return?(): Coro<void>;
}

/** Something that can hand out an `AsyncIter`, as Python's async iterable: queues, readers, files. */
export interface AsyncIterableCo<T> {
  /** A new iterator over the values (Python's `__aiter__`). */
  aiter(): AsyncIter<T>;
}

/** Return this from a `forEach` body to stop the loop (asyncio's `break`). */
export const BREAK: unique symbol = Symbol("aioloop.break");

/** The `AsyncIter` of `src` (itself when it is one already), as Python's `aiter()`. */
export function aiter<T>(src: AsyncIter<T> | AsyncIterableCo<T>): AsyncIter<T> {
  return typeof (src as AsyncIterableCo<T>).aiter === "function"
    ? (src as AsyncIterableCo<T>).aiter()
    : (src as AsyncIter<T>);
}

/**
 * Run `body` for each value of `src`, in order; stops early when `body` returns `BREAK` or
 * throws, and then calls the iterator's `return()` so the producer is released.
 * @example
 * yield* forEach(reader.lines(), function* (line) {
 *   if (line === "quit\n") return BREAK;
 *   yield* writer.drain();
 * });
 */
export const forEach = coro(function* forEach<T>(
  src: AsyncIter<T> | AsyncIterableCo<T>,
  body: (value: T) => Coro<void | typeof BREAK> | void | typeof BREAK,
): Coro<void> {
  const it = aiter(src);
  let finished = false;
  try {
    for (;;) {
      const r = yield* it.next();
      if (r.done === true) {
        finished = true;
        return;
      }
      const out = body(r.value);
      const v = typeof out === "object" && out !== null ? yield* out : out;
      if (v === BREAK) return;
    }
  } finally {
    if (!finished && it.return) yield* it.return();
  }
});

/** Collect every value of `src` into an array. */
export const toArray = coro(function* toArray<T>(
  src: AsyncIter<T> | AsyncIterableCo<T>,
): Coro<T[]> {
  const out: T[] = [];
  yield* forEach(src, (v) => {
    out.push(v);
  });
  return out;
});
