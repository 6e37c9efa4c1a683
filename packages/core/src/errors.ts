/**
 * The errors aioloop throws, named after asyncio's.
 *
 * HOW: plain `Error` subclasses whose `name` is set on the prototype (so `instanceof` and
 * `err.name` both work and an instance carries no extra own property).
 * WHY: users catch by class, as they would `except asyncio.CancelledError`; every message says
 * what happened and what to do instead.
 *
 * Note: asyncio's CancelledError is a BaseException that `except Exception` does not catch.
 * JavaScript has no such split: a bare `catch (e)` catches cancellation too, so re-throw it
 * (`if (e instanceof CancelledError) throw e`) unless you mean to swallow the cancel.
 */

/**
 * Give an Error subclass its `name` (on the prototype: `instanceof` and `err.name` both work,
 * and instances carry no extra own property). Every named error of aioloop's packages is made
 * this way; use it for your own.
 * @example
 * export class ProtocolError extends Error {}
 * namedError(ProtocolError, "ProtocolError");
 */
export function namedError<T extends { prototype: Error }>(cls: T, name: string): T {
  Object.defineProperty(cls.prototype, "name", {
    value: name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return cls;
}
const named = namedError;

/** Thrown into a task (and by `result()` of a cancelled future) when it is cancelled. */
export class CancelledError extends Error {}
named(CancelledError, "CancelledError");

/** An operation was called in a state that does not allow it (e.g. `setResult` twice). */
export class InvalidStateError extends Error {}
named(InvalidStateError, "InvalidStateError");

/** A deadline passed: `waitFor`, `timeout`, `asCompleted`. */
export class TimeoutError extends Error {}
named(TimeoutError, "TimeoutError");

/** `getNowait()` on an empty queue. */
export class QueueEmpty extends Error {}
named(QueueEmpty, "QueueEmpty");

/** `putNowait()` on a full queue. */
export class QueueFull extends Error {}
named(QueueFull, "QueueFull");

/** `put`/`get` on a queue that was shut down. */
export class QueueShutDown extends Error {}
named(QueueShutDown, "QueueShutDown");

/** A `Barrier` was aborted or reset while tasks waited on it. */
export class BrokenBarrierError extends Error {}
named(BrokenBarrierError, "BrokenBarrierError");

/** A stream ended before `readexactly`/`readuntil` got what it asked for. */
export class IncompleteReadError extends Error {
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were expected, or null when reading up to a separator. */
  readonly expected: number | null;
  /** The error for a stream that ended after `partial`, when `expected` bytes (or a separator, null) were asked for. */
  constructor(partial: Uint8Array, expected: number | null) {
    super(
      `${partial.length} bytes read on a total of ${expected === null ? "undefined" : expected} expected bytes`,
    );
    this.partial = partial;
    this.expected = expected;
  }
}
named(IncompleteReadError, "IncompleteReadError");

/** A separator was not found within the stream's buffer limit. */
export class LimitOverrunError extends Error {
  /** How many bytes to consume to get past the overrun. */
  readonly consumed: number;
  /** The error with `message`, where `consumed` bytes must be consumed to get past the overrun. */
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}
named(LimitOverrunError, "LimitOverrunError");

/**
 * Several errors raised together, as Python's ExceptionGroup: `taskGroup` throws one holding every
 * child's error. Extends `AggregateError`, so `.errors` lists them.
 */
export class ExceptionGroup extends AggregateError {
  /**
   * A group of `errors` (at least one) with a `message`, as Python's `ExceptionGroup(msg, excs)`.
   * @throws TypeError when `errors` is not a non-empty array.
   */
  constructor(message: string, errors: readonly unknown[]) {
    if (!Array.isArray(errors) || errors.length === 0) {
      throw new TypeError("ExceptionGroup needs a non-empty array of errors");
    }
    super(errors, message);
  }
  /** The errors that match `pred` as a new group (or null when none match), nested groups kept. */
  subgroup(pred: (e: unknown) => boolean): ExceptionGroup | null {
    return this.split(pred)[0];
  }
  /** `[matching, rest]`, each a group or null, as Python's `ExceptionGroup.split`. */
  split(pred: (e: unknown) => boolean): [ExceptionGroup | null, ExceptionGroup | null] {
    const match: unknown[] = [];
    const rest: unknown[] = [];
    for (const e of this.errors) {
      if (e instanceof ExceptionGroup) {
        const [m, r] = e.split(pred);
        if (m) match.push(m);
        if (r) rest.push(r);
      } else if (pred(e)) match.push(e);
      else rest.push(e);
    }
    const make = (es: unknown[]) => (es.length ? new ExceptionGroup(this.message, es) : null);
    return [make(match), make(rest)];
  }
}
named(ExceptionGroup, "ExceptionGroup");

/** An operation needs a running event loop and none runs (asyncio's RuntimeError). */
export class NoRunningLoopError extends Error {}
named(NoRunningLoopError, "NoRunningLoopError");

/** A loop was used after `close()`. */
export class LoopClosedError extends Error {}
named(LoopClosedError, "LoopClosedError");

/** A loop was started while it, or another loop, is already running. */
export class LoopRunningError extends Error {}
named(LoopRunningError, "LoopRunningError");

/**
 * A coroutine yielded something the loop cannot wait on (a number, a Promise, a generator, a
 * future of another loop, or its own task). Thrown into the coroutine on its next step.
 */
export class BadYieldError extends TypeError {}
named(BadYieldError, "BadYieldError");

/** Something that is not a coroutine was given where one is needed (e.g. `createTask(42)`). */
export class NotACoroutineError extends TypeError {}
named(NotACoroutineError, "NotACoroutineError");

/**
 * A synchronous run would wait forever: nothing is ready, no timer is scheduled and nothing
 * outside the loop (I/O, worker threads) can wake it, yet the awaited future is not done.
 */
export class DeadlockError extends Error {}

/**
 * The main coroutine was interrupted by Ctrl-C (SIGINT), as Python's KeyboardInterrupt: `run()`
 * (timer-loop's and selector-loop's) rejects with it after the cleanup ran.
 */
export class KeyboardInterrupt extends Error {}
named(KeyboardInterrupt, "KeyboardInterrupt");
named(DeadlockError, "DeadlockError");
