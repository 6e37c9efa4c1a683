/**
 * Waiting on several awaitables: `wait`, `waitFor` and `asCompleted`, as asyncio 3.13's.
 *
 * HOW (wait): one waiter Future and one done-callback shared by all the futures; the callback
 * counts completions and releases the waiter when the `returnWhen` condition holds; an optional
 * timer releases it too. Nothing is cancelled and no error is raised: the caller gets
 * `[done, pending]` and decides.
 *
 *   wait(fs) ──► f.addDoneCallback(onDone) for each f ──► yield* waiter ──► [done, pending]
 *                      │ FIRST_COMPLETED: any  │ FIRST_EXCEPTION: a failure  │ ALL: the last
 *                      └──────────► waiter.setResult() ◄── callLater(timeout)
 *
 * HOW (waitFor): 3.12+ runs the awaitable inside `timeout()`: a coroutine runs in the caller's
 * own task (no extra Task); when the deadline passes, the caller's task is cancelled, which
 * cancels whatever it awaits, and the timeout turns the CancelledError into TimeoutError. A
 * zero or negative delay cancels the awaitable before it starts (it never runs).
 *
 * HOW (asCompleted): done-callbacks push finished futures into a FIFO; each awaitable handed
 * out takes the next one from it, so results come in completion order. A timeout pushes one
 * sentinel per unfinished future, and whoever takes a sentinel gets TimeoutError.
 *
 *   todo ──done──► [f2, f1, …] ──► next() takes f2 ──► f2.result()   (or TimeoutError)
 *
 * WHY: these are the building blocks users reach for to coordinate tasks; written against the
 * public Future/Task/EventLoop API only, so they work on every backend.
 * Costs: wait O(n) set-up and tear-down, O(1) per completion; asCompleted O(1) per completion
 * and per taken result (amortised).
 */

import { type Awaitable, type Coro, describe, functionFix, isCoroutine, isFuture } from "./coro.js";
import { CancelledError, TimeoutError } from "./errors.js";
import { type EventLoop, getRunningLoop } from "./events.js";
import type { Future } from "./future.js";
import { type AwaitableLike, type AwaitedOf, checkOptions, toFuture } from "./gather.js";
import { ensureFuture } from "./interop.js";
import type { AsyncIter, AsyncIterableCo } from "./iter.js";
import type { Task } from "./task.js";
import { timeout } from "./timeouts.js";
import { coro } from "./coro-fn.js";

/** `wait` returns as soon as any future is done (or cancelled). */
export const FIRST_COMPLETED = "FIRST_COMPLETED" as const;
/** `wait` returns when any future fails (cancellation is not a failure), else when all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION" as const;
/** `wait` returns when every future is done (the default). */
export const ALL_COMPLETED = "ALL_COMPLETED" as const;

/** When `wait` returns. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * The Future `wait` reports for an input: a Future or Task itself, the Task wrapping a
 * coroutine, or the Future following a Promise.
 */
export type FutureOf<A> =
  A extends Future<any>
    ? A
    : A extends Awaitable<infer T>
      ? Task<T>
      : A extends PromiseLike<infer T>
        ? Future<T>
        : never;

/** Options of `wait`. */
export interface WaitOptions {
  /** Give up after this many ms and return what is done so far (no error); null: no limit. */
  timeout?: number | null;
  /** `FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED` (default). */
  returnWhen?: ReturnWhen;
}

/** Options of `asCompleted`. */
export interface AsCompletedOptions {
  /** Awaiting a result after this many ms (from the call) throws TimeoutError; null: no limit. */
  timeout?: number | null;
}

/** Throw RangeError unless `ms` is null, undefined or a number other than NaN. */
function checkTimeout(ms: unknown, where: string): void {
  if (ms === null || ms === undefined) return;
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new RangeError(
      `${where}: the timeout must be a number of milliseconds or null for none, got ${describe(ms)}`,
    );
  }
}

/** The distinct inputs of `where`, as an array; throws a TypeError for a lone awaitable. */
function distinctInputs<A>(aws: Iterable<A>, where: string): A[] {
  if (
    isFuture(aws) ||
    isCoroutine(aws) ||
    typeof aws !== "object" ||
    aws === null ||
    typeof (aws as Iterable<A>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `${where} needs an array (or other iterable) of awaitables, got ${describe(aws)}: write \`${where}([a, b])\``,
    );
  }
  return [...new Set(aws)];
}

/** A timer that runs `cb` after `ms`, or null when there is no limit. */
function timerFor(loop: EventLoop, ms: number | null | undefined, cb: () => void) {
  if (ms === null || ms === undefined || ms === Number.POSITIVE_INFINITY) return null;
  return loop.callLater(Math.max(ms, 0), cb);
}

/**
 * Wait for futures until a condition holds, as asyncio.wait; returns `[done, pending]`.
 *
 * Never raises for the futures' own errors or for the timeout, and cancels nothing: the
 * pending ones keep running. Coroutines are wrapped in Tasks (asyncio 3.11+ refuses them; here
 * the returned sets hold those Tasks). The input must not be empty.
 *
 * @example
 * const a = createTask(fetchA()), b = createTask(fetchB());
 * const [done, pending] = yield* wait([a, b], { returnWhen: FIRST_COMPLETED, timeout: 1000 });
 * for (const t of pending) t.cancel();
 */
export function wait<A extends AwaitableLike<unknown>>(
  aws: Iterable<A>,
  opts: WaitOptions = {},
): Coro<[Set<FutureOf<A>>, Set<FutureOf<A>>]> {
  const inputs = distinctInputs(aws, "wait");
  checkOptions(opts, "wait", ["timeout", "returnWhen"]);
  if (inputs.length === 0) {
    throw new RangeError("wait: the set of awaitables is empty; pass at least one Task or Future");
  }
  const returnWhen = opts.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED &&
    returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw new RangeError(
      `wait: invalid returnWhen ${describe(returnWhen)}; use FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED`,
    );
  }
  checkTimeout(opts.timeout, "wait");
  return waitImpl(inputs, opts.timeout, returnWhen) as Coro<[Set<FutureOf<A>>, Set<FutureOf<A>>]>;
}

const waitImpl = coro(function* waitImpl(
  inputs: readonly AwaitableLike<unknown>[],
  ms: number | null | undefined,
  returnWhen: ReturnWhen,
): Coro<[Set<Future<unknown>>, Set<Future<unknown>>]> {
  const loop = getRunningLoop();
  const fs = new Set(inputs.map((aw) => toFuture(aw, loop, "wait")));
  const waiter = loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  const timer = timerFor(loop, ms, release);
  let left = fs.size;
  const onDone = (f: Future<unknown>): void => {
    left--;
    if (
      left <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)
    ) {
      timer?.cancel();
      release();
    }
  };
  for (const f of fs) f.addDoneCallback(onDone);
  try {
    yield* waiter;
  } finally {
    timer?.cancel();
    for (const f of fs) f.removeDoneCallback(onDone);
  }
  const done = new Set<Future<unknown>>();
  const pending = new Set<Future<unknown>>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return [done, pending];
});

/**
 * Await `aw` with a time limit, as asyncio.wait_for (3.12+): on timeout `aw` is cancelled,
 * waited for, and `TimeoutError` is thrown. `ms` null waits without limit.
 *
 * A coroutine runs in the caller's task. With `ms <= 0` the awaitable is cancelled before it
 * gets to run (a coroutine's body never starts) unless it is already done. If `aw` catches the
 * cancellation and returns a value anyway, `waitFor` returns that value.
 *
 * @example
 * try {
 *   const page = yield* waitFor(fetchPage(url), 5_000);
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("too slow"); else throw e;
 * }
 */
export function waitFor<T>(aw: AwaitableLike<T>, ms: number | null): Coro<T> {
  checkTimeout(ms, "waitFor");
  if (aw === null || typeof aw !== "object") {
    throw new TypeError(
      `waitFor needs a coroutine, Future, Task or Promise, got ${describe(aw)}${
        typeof aw === "function" ? `: ${functionFix(aw)}` : ""
      }`,
    );
  }
  return ms !== null && ms !== undefined && ms <= 0 ? waitForNow(aw) : waitForWithin(aw, ms);
}

const waitForNow = coro(function* waitForNow<T>(aw: AwaitableLike<T>): Coro<T> {
  const fut = ensureFuture(aw);
  if (fut.done()) return fut.result();
  yield* cancelAndWait(fut);
  try {
    return fut.result();
  } catch (e) {
    if (e instanceof CancelledError) {
      throw new TimeoutError("waitFor: the time limit (0 ms or less) passed before it finished", {
        cause: e,
      });
    }
    throw e;
  }
});

const waitForWithin = coro(function* waitForWithin<T>(
  aw: AwaitableLike<T>,
  ms: number | null | undefined,
): Coro<T> {
  const iterable = typeof (aw as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
  const target: Awaitable<T> = iterable ? (aw as Awaitable<T>) : ensureFuture(aw);
  return yield* timeout(ms ?? null, function* () {
    return yield* target;
  });
});

/**
 * Cancel `fut` and wait until it is done, without awaiting `fut` itself (so this wait stays
 * cancellable even if `fut` ignores the cancellation for a while).
 */
const cancelAndWait = coro(function* cancelAndWait(fut: Future<unknown>): Coro<void> {
  const waiter = fut.getLoop().createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    yield* waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
});

/** What `AsCompleted.statistics()` reports. */
export interface AsCompletedStatistics {
  /** Distinct awaitables given. */
  total: number;
  /** Results not yet handed out (awaitables still to take). */
  remaining: number;
  /** Finished futures waiting to be taken. */
  ready: number;
  /** Consumers waiting for the next completion. */
  waiting: number;
  /** True once the timeout fired. */
  timedOut: boolean;
}

/** Marks a slot the timeout filled: whoever takes it gets TimeoutError. */
const TIMED_OUT: unique symbol = Symbol("aioloop.asCompleted.timedOut");

/**
 * The iterator `asCompleted` returns. Use it as a plain iterable of awaitables, each giving the
 * next result to finish (asyncio's `for f in as_completed(...)`), or through `aiter()` /
 * `forEach` for the results in completion order, or `futures()` for the finished futures
 * themselves (asyncio's `async for f in as_completed(...)`). All three share one sequence.
 */
export class AsCompleted<T> implements Iterable<Coro<T>>, AsyncIterableCo<T>, AsyncIter<T> {
  readonly #loop: EventLoop;
  /** Invariant: the futures not yet finished (empty once the timeout fired). */
  readonly #todo: Set<Future<T>>;
  /** Invariant: finished futures (or timeout marks) not yet taken, in completion order. */
  readonly #ready: (Future<T> | typeof TIMED_OUT)[] = [];
  #readyHead = 0;
  /** Invariant: consumers parked until `#ready` is non-empty, FIFO. */
  readonly #getters: Future<void>[] = [];
  /** Invariant: how many more results may be handed out; 0 ends every iteration. */
  #left: number;
  readonly #total: number;
  #timer: { cancel(): void } | null;
  #timedOut = false;
  readonly #onDone = (f: Future<T>): void => {
    if (!this.#todo.delete(f)) return; // the timeout came first
    this.#put(f);
    if (this.#todo.size === 0) this.#stopTimer();
  };

  /** @internal Made by `asCompleted`. */
  constructor(fs: Set<Future<T>>, loop: EventLoop, ms: number | null | undefined) {
    this.#loop = loop;
    this.#todo = fs;
    this.#left = this.#total = fs.size;
    for (const f of fs) f.addDoneCallback(this.#onDone);
    this.#timer = fs.size > 0 ? timerFor(loop, ms, () => this.#onTimeout()) : null;
  }

  /** Awaitables that each give the next result to finish (or throw its error, or TimeoutError). */
  *[Symbol.iterator](): Iterator<Coro<T>, undefined> {
    while (this.#left > 0) {
      this.#left--;
      yield this.#takeResult();
    }
    return undefined;
  }

  /** The results in completion order, for `forEach` / `toArray` (this object itself). */
  aiter(): AsyncIter<T> {
    return this;
  }

  /** The next result to finish, as asyncio's `__anext__` but giving the value. */
  *next(): Coro<IteratorResult<T, undefined>> {
    if (this.#left === 0) return { done: true, value: undefined };
    this.#left--;
    return { done: false, value: yield* this.#takeResult() };
  }

  /** Stop early: no more results are handed out; the awaitables keep running. */
  *return(): Coro<void> {
    this.#left = 0;
    this.#stopTimer();
  }

  /**
   * The finished futures themselves, in completion order (asyncio 3.13's `async for`): the
   * input Futures and Tasks as given, so you can tell which one finished.
   */
  futures(): AsyncIter<Future<T>> {
    return { next: () => this.#nextFuture(), return: () => this.return() };
  }

  /** Counters for monitoring and tests. */
  statistics(): AsCompletedStatistics {
    return {
      total: this.#total,
      remaining: this.#left,
      ready: this.#ready.length - this.#readyHead,
      waiting: this.#getters.length,
      timedOut: this.#timedOut,
    };
  }

  *#nextFuture(): Coro<IteratorResult<Future<T>, undefined>> {
    if (this.#left === 0) return { done: true, value: undefined };
    this.#left--;
    return { done: false, value: yield* this.#take() };
  }

  *#takeResult(): Coro<T> {
    const f = yield* this.#take();
    return f.result();
  }

  /** The next finished future; parks while there is none. */
  *#take(): Coro<Future<T>> {
    while (this.#readyHead === this.#ready.length) {
      const getter = this.#loop.createFuture<void>();
      this.#getters.push(getter);
      try {
        yield* getter;
      } catch (e) {
        const i = this.#getters.indexOf(getter);
        if (i >= 0) this.#getters.splice(i, 1);
        // Woken and then cancelled: pass the wake-up on, so no completion is stranded.
        else if (this.#readyHead < this.#ready.length) this.#wakeNext();
        throw e;
      }
    }
    const item = this.#ready[this.#readyHead++]!;
    if (this.#readyHead === this.#ready.length) {
      this.#ready.length = 0;
      this.#readyHead = 0;
    }
    if (item === TIMED_OUT) {
      throw new TimeoutError(
        "asCompleted: the timeout passed before the next awaitable finished; the rest keep running",
      );
    }
    return item;
  }

  #put(item: Future<T> | typeof TIMED_OUT): void {
    this.#ready.push(item);
    this.#wakeNext();
  }

  #wakeNext(): void {
    while (this.#getters.length > 0) {
      const g = this.#getters.shift()!;
      if (!g.done()) {
        g.setResult(undefined);
        return;
      }
    }
  }

  #onTimeout(): void {
    this.#timer = null;
    this.#timedOut = true;
    for (const f of this.#todo) {
      f.removeDoneCallback(this.#onDone);
      this.#put(TIMED_OUT);
    }
    this.#todo.clear();
  }

  #stopTimer(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }
}

/**
 * Results in the order the awaitables finish, as asyncio.as_completed (3.13).
 *
 * Every awaitable is started at once (coroutines become Tasks). With `timeout`, an awaitable
 * taken after the deadline throws `TimeoutError` (the inputs are not cancelled).
 *
 * @example
 * for (const next of asCompleted([slow(), fast()])) {
 *   const r = yield* next;          // fast's result first
 * }
 * yield* forEach(asCompleted(tasks, { timeout: 1000 }), function* (r) { log(r); });
 */
export function asCompleted<A extends AwaitableLike<unknown>>(
  aws: Iterable<A>,
  opts: AsCompletedOptions = {},
): AsCompleted<AwaitedOf<A>> {
  const inputs = distinctInputs(aws, "asCompleted");
  checkOptions(opts, "asCompleted", ["timeout"]);
  checkTimeout(opts.timeout, "asCompleted");
  const loop = getRunningLoop();
  const fs = new Set(inputs.map((aw) => toFuture(aw, loop, "asCompleted") as Future<AwaitedOf<A>>));
  return new AsCompleted(fs, loop, opts.timeout);
}
