/**
 * `gather` and `shield`: run awaitables together, or protect one from its waiter's cancellation,
 * as asyncio 3.13's `gather()` and `shield()`.
 *
 * HOW (gather): each awaitable becomes a child Future (coroutines are wrapped in Tasks at once,
 * so they start running before anyone awaits the result). One done-callback per distinct child
 * counts completions and settles the outer `GatheringFuture`:
 *
 *   gather([a, b, c]) ──► children a', b', c' ──done-callback──► _childDone(child)
 *                                                                   │
 *        first failure (returnExceptions off) ─► outer.setException(err)   siblings keep running
 *        last child done ─► outer.setResult([ra, rb, rc])   (in argument order)
 *        outer.cancel()  ─► cancel every child; once they are done the outer fails with
 *                           CancelledError, even with returnExceptions on
 *
 * The outer future never ends in the `cancelled()` state: a cancellation reaches it as a
 * `CancelledError` *exception*, so the task awaiting it is cancelled while the outer itself
 * reports `cancelled() === false` (asyncio's exact behaviour, checked against 3.13).
 *
 * HOW (shield): the outer is a plain Future mirrored from the inner one by a done-callback;
 * cancelling the outer (the waiter was cancelled) only detaches it, the inner keeps running.
 *
 * WHY: written against the public Future/Task/EventLoop API only, so it works on every backend.
 * Costs: gather O(n) to set up, O(1) per child completion, O(n) once at the end; shield O(1).
 */

import { type Awaitable, describe, isCoroutine, isFuture, isThenable } from "./coro.js";
import { CancelledError } from "./errors.js";
import { type EventLoop, getRunningLoop } from "./events.js";
import { Future } from "./future.js";
import { ensureFuture } from "./interop.js";

/** What the combinators accept: a coroutine, a Future or Task, any other awaitable, or a Promise. */
export type AwaitableLike<T> = Awaitable<T> | PromiseLike<T>;

/** The value `yield*` gives for an awaitable of type `A` (its coroutine's return type). */
export type AwaitedOf<A> =
  A extends Awaitable<infer T> ? T : A extends PromiseLike<infer T> ? T : never;

/** `gather`'s result: the tuple (or array) of values, in argument order. */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: AwaitedOf<A[K]>;
};

/**
 * `gather(..., { returnExceptions: true })`'s result: each slot is the value or the error the
 * awaitable failed with (typed `Error`; a non-Error value thrown by user code is passed as is).
 */
export type GatherSettled<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: AwaitedOf<A[K]> | Error;
};

/** Options of `gather`. */
export interface GatherOptions {
  /**
   * Off (default): the first failure fails the result at once. On: failures (and cancelled
   * children, as `CancelledError`) are placed in the result array like values.
   */
  returnExceptions?: boolean;
}

/** What `GatheringFuture.statistics()` reports. */
export interface GatherStatistics {
  /** Distinct child futures (an awaitable passed twice is run once). */
  children: number;
  /** Children done so far. */
  finished: number;
  /** True once `cancel()` reached at least one child. */
  cancelRequested: boolean;
}

/**
 * The Future `gather` returns. `cancel()` cancels the children rather than the future itself:
 * the future then fails with `CancelledError` once they are done (asyncio's `_GatheringFuture`).
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal One entry per argument (duplicates repeated), in argument order. */
  readonly _children: readonly Future<unknown>[];
  /** @internal Invariant: true once `cancel()` cancelled at least one child; sticks. */
  _cancelRequested = false;
  /** @internal The message of the `cancel()` that set `_cancelRequested`. */
  _cancelRequestMessage: string | undefined = undefined;
  /** @internal Distinct children done so far; Invariant: <= _distinct. */
  _finished = 0;
  /** @internal */ readonly _distinct: number;

  /** @internal Made by `gather` only. */
  constructor(children: readonly Future<unknown>[], distinct: number, loop: EventLoop) {
    super(loop);
    this._children = children;
    this._distinct = distinct;
  }

  /**
   * Cancel every child that is not done. Returns true when at least one was; the future then
   * fails with `CancelledError` when the last child is done, whatever `returnExceptions` says.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let any = false;
    for (const child of this._children) if (child.cancel(msg)) any = true;
    if (any && !this._cancelRequested) {
      this._cancelRequested = true;
      this._cancelRequestMessage = msg;
    }
    return any;
  }

  /** Counters for monitoring and tests. */
  statistics(): GatherStatistics {
    return {
      children: this._distinct,
      finished: this._finished,
      cancelRequested: this._cancelRequested,
    };
  }
}

/** The error a cancelled future carries, read through the public API. */
function cancelledErrorOf(fut: Future<unknown>): CancelledError {
  try {
    fut.result();
  } catch (e) {
    if (e instanceof CancelledError) return e;
  }
  return new CancelledError("");
}

/**
 * Run awaitables concurrently and collect their results in argument order, as asyncio.gather.
 *
 * Coroutines are wrapped in Tasks at once; Futures and Tasks are used as they are. With
 * `returnExceptions` off, the first failure fails the returned future and the other children
 * keep running; a child that was cancelled counts as a `CancelledError` failure. Cancelling the
 * returned future cancels every child. `gather([])` gives `[]`.
 *
 * @example
 * function* num(): Coro<number> { yield* sleep(10); return 1; }
 * function* str(): Coro<string> { yield* sleep(5); return "a"; }
 * const [n, s] = yield* gather([num(), str()]); // n: number, s: string
 *
 * @example
 * const settled = yield* gather([ok(), fails()], { returnExceptions: true });
 * // [value, Error]: failures are returned, not thrown
 */
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  aws: A,
  opts?: GatherOptions & { returnExceptions?: false },
): GatheringFuture<GatherResults<A>>;
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  aws: A,
  opts: GatherOptions & { returnExceptions: true },
): GatheringFuture<GatherSettled<A>>;
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  aws: A,
  opts?: GatherOptions,
): GatheringFuture<GatherResults<A> | GatherSettled<A>>;
export function gather(
  aws: readonly AwaitableLike<unknown>[],
  opts: GatherOptions = {},
): GatheringFuture<unknown[]> {
  if (!Array.isArray(aws)) {
    const hint =
      isFuture(aws) || isCoroutine(aws) || isThenable(aws)
        ? ": pass an array, `gather([a, b])`, not `gather(a, b)`"
        : "";
    throw new TypeError(`gather needs an array of awaitables, got ${describe(aws)}${hint}`);
  }
  checkOptions(opts, "gather", ["returnExceptions"]);
  const returnExceptions = opts.returnExceptions === true;

  if (aws.length === 0) {
    const loop = getRunningLoop();
    const outer = new GatheringFuture<unknown[]>([], 0, loop);
    outer.setResult([]);
    return outer;
  }

  // Invariant: one child per distinct argument; a repeated argument shares its child.
  const byArg = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  const alreadyDone: Future<unknown>[] = [];
  let loop: EventLoop | null = null;
  let outer: GatheringFuture<unknown[]> | null = null;

  const childDone = (child: Future<unknown>): void => {
    const o = outer;
    if (o === null) return;
    o._finished++;
    if (o.done()) {
      // Mark the exception retrieved: it was reported through the outer future, or the
      // outer was abandoned on purpose; either way no "never retrieved" report for it.
      if (!child.cancelled()) child.exception();
      return;
    }
    if (!returnExceptions) {
      if (child.cancelled()) {
        o.setException(cancelledErrorOf(child));
        return;
      }
      const exc = child.exception();
      if (exc !== null) {
        o.setException(exc);
        return;
      }
    }
    if (o._finished < o._distinct) return;
    const results: unknown[] = [];
    for (const c of children) {
      if (c.cancelled()) {
        results.push(cancelledErrorOf(c));
      } else {
        const exc = c.exception();
        results.push(exc !== null ? exc : c.result());
      }
    }
    if (o._cancelRequested) o.setException(new CancelledError(o._cancelRequestMessage ?? ""));
    else o.setResult(results);
  };

  for (const arg of aws) {
    let child = byArg.get(arg);
    if (child === undefined) {
      child = toFuture(arg, loop, "gather");
      loop ??= child.getLoop();
      byArg.set(arg, child);
      if (child.done()) alreadyDone.push(child);
      else child.addDoneCallback(childDone);
    }
    children.push(child);
  }
  outer = new GatheringFuture<unknown[]>(children, byArg.size, loop!);
  // Children that finished eagerly (eager task factory, done futures) are counted now, so a
  // gather of finished work is finished on return (asyncio 3.12+).
  for (const child of alreadyDone) childDone(child);
  return outer;
}

/**
 * Protect an awaitable from the cancellation of whoever awaits it, as asyncio.shield.
 *
 * The returned future mirrors `aw`; if the task awaiting it is cancelled, only the returned
 * future is cancelled and `aw` keeps running. If `aw` itself is cancelled, so is the returned
 * future. Keep a reference to `aw` (a Task) if you need its result after a cancellation.
 *
 * @example
 * const save = createTask(writeRecord(r));
 * try {
 *   yield* shield(save);       // a cancel here does not stop writeRecord
 * } catch (e) {
 *   if (e instanceof CancelledError) yield* save; // let it finish, then give up
 *   throw e;
 * }
 */
export function shield<T>(aw: AwaitableLike<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = inner.getLoop().createFuture<T>();
  const innerDone = (f: Future<T>): void => {
    if (outer.cancelled()) {
      if (!f.cancelled()) f.exception(); // retrieved: the waiter is gone on purpose
      return;
    }
    if (f.cancelled()) {
      outer.cancel();
      return;
    }
    const exc = f.exception();
    if (exc !== null) outer.setException(exc);
    else outer.setResult(f.result());
  };
  inner.addDoneCallback(innerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(innerDone);
  });
  return outer;
}

/**
 * @internal `aw` as a Future on `loop` (the running loop when null): coroutines become Tasks.
 * Throws RangeError for a Future of another loop.
 */
export function toFuture<T>(
  aw: AwaitableLike<T>,
  loop: EventLoop | null,
  where: string,
): Future<T> {
  const fut = isFuture(aw) ? (aw as Future<T>) : ensureFuture(aw, loop ?? undefined);
  if (loop !== null && fut.getLoop() !== loop) {
    throw new RangeError(
      `${where}: the awaitables belong to different event loops; create them all on one loop`,
    );
  }
  return fut;
}

/** @internal Throw a TypeError for an options argument that is not an options object. */
export function checkOptions(opts: unknown, where: string, known: readonly string[]): void {
  if (opts === undefined) return;
  if (typeof opts !== "object" || opts === null || isFuture(opts) || isCoroutine(opts)) {
    throw new TypeError(
      `${where}: the second argument must be an options object ({ ${known.join(", ")} }), got ${describe(
        opts,
      )}; put every awaitable in the array`,
    );
  }
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${where}: unknown option "${key}"; the options are ${known.map((k) => `"${k}"`).join(", ")}`,
      );
    }
  }
}
