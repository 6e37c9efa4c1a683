/**
 * Future: a placeholder for a result that arrives later, as asyncio.Future.
 *
 * HOW: three states (pending, finished, cancelled). Done-callbacks are kept as a flat array of
 * (callback, context) pairs; on completion each is queued on the loop in registration order,
 * never run inline (asyncio fact 1). A Task waiting on the future is stored as the Task itself,
 * and queued as the Task (a Runnable) with no Handle allocated: that is the hot path of every
 * `yield* fut`.
 *
 *   yield* fut ──► FutureIter.next(): pending? ─yes─► yield fut (Task parks on it, once)
 *                                      │ no (done)
 *                                      ▼
 *                                  return fut.result()   (no loop iteration: asyncio fact 4)
 *
 * Nothing is lost silently: a future that fails and is collected before anyone looked at its
 * exception is reported to its loop's exception handler ("Future/Task exception was never
 * retrieved") through a FinalizationRegistry. Registration happens only on the failure path.
 *
 * Costs: setResult O(callbacks); addDoneCallback O(1); removeDoneCallback O(callbacks);
 * awaiting a done future: one small iterator object.
 */

import { type Context, type VarMap, currentVars } from "./context.js";
import { type Awaitable, FUTURE_BRAND, describe } from "./coro.js";
import { CancelledError, InvalidStateError } from "./errors.js";
import { type EventLoop, getRunningLoop } from "./events.js";
import { Handle } from "./handle.js";

/** The states of a Future. */
export type FutureState = "pending" | "finished" | "cancelled";

/** A callback run (through the loop) when a future is done. */
export type DoneCallback<T> = (fut: Future<T>) => void;

/** What the never-retrieved report needs; it must not reference the future itself. */
interface UnretrievedReport {
  loop: EventLoop;
  exception: unknown;
  kind: "Future" | "Task";
  source: string;
}

const unretrieved = new FinalizationRegistry<UnretrievedReport>((r) => {
  r.loop.callExceptionHandler({
    message: `${r.kind} exception was never retrieved`,
    exception: r.exception,
    source: r.source,
  });
});

/**
 * Per loop, the failed futures whose exception nobody has retrieved yet (held weakly), so that
 * `loop.close()` reports them at the latest: a short program may never run the collector.
 */
const unretrievedOf = new WeakMap<EventLoop, Set<WeakRef<Future<unknown>>>>();
const unretrievedRef = new WeakMap<Future<unknown>, WeakRef<Future<unknown>>>();

/** @internal Report (once) every failed future of `loop` whose exception nobody retrieved. */
export function _reportUnretrieved(loop: EventLoop): void {
  const refs = unretrievedOf.get(loop);
  if (refs === undefined) return;
  unretrievedOf.delete(loop);
  for (const ref of refs) {
    const f = ref.deref();
    if (f === undefined || !f._logTraceback) continue;
    f._retrieved();
    loop.callExceptionHandler({
      message: `${f._kind()} exception was never retrieved`,
      exception: f._exception,
      future: f,
    });
  }
}

/** The native Promise of each future that was awaited natively (rare: kept off the object). */
const promises = new WeakMap<Future<unknown>, Promise<unknown>>();

/** @internal Marks a done-callback entry that is a waiting Task (scheduled without a Handle). */
export interface TaskWaiter {
  _run(): void;
  readonly _isTask: true;
}

/** @internal `_flags`: finished (with a result, or an exception when F_EXCEPTION is set too). */
export const F_FINISHED = 64;
/** @internal `_flags`: cancelled. */
export const F_CANCELLED = 128;
/** @internal `_flags`: done, one way or the other. */
export const F_DONE = F_FINISHED | F_CANCELLED;
/** @internal `_flags`: finished with an exception (`_result` holds it). */
export const F_EXCEPTION = 1;
/** @internal `_flags`: an exception nobody has retrieved yet (reported if it stays so). */
export const F_LOG_TRACEBACK = 2;
/** @internal `_flags`: yielded by its iterator, not yet taken by a task (asyncio's blocking flag). */
export const F_BLOCKING = 4;

/**
 * A result that arrives later, as asyncio.Future. Await it with `yield* fut` in a coroutine, or
 * `await fut` in an async function (it is PromiseLike). A future is pending, then finished (with
 * a result or an exception) or cancelled, exactly once. Done-callbacks always run through the
 * loop (never inline), in the order they were added. A future that fails and is dropped without
 * anyone reading its exception is reported to the loop's exception handler.
 *
 * Make one with `loop.createFuture()`; `new Future()` binds to the running loop.
 * @example
 * function* main(): Coro<number> {
 *   const loop = getRunningLoop();
 *   const fut = loop.createFuture<number>();
 *   loop.callLater(10, () => fut.setResult(42)); // 10 ms from now
 *   return yield* fut; // 42
 * }
 */
export class Future<T> implements Awaitable<T>, PromiseLike<T> {
  /**
   * @internal What the state holds (one slot: a task is an object per task, and every slot of
   * it counts when a program spawns by the hundred thousand):
   * - finished: the result, or the exception when `F_EXCEPTION` is set;
   * - cancelled: the cancel message (undefined for none);
   * - pending: nothing, or for a Task the message of the cancel its next step throws in.
   */
  _result: unknown = undefined;
  /** @internal */ _loop: EventLoop;
  /**
   * @internal The done-callback registrations, in order: null for none, a waiting Task alone
   * (the common case: no array at all), or flat (callback | TaskWaiter, context values) pairs.
   * Null again once scheduled.
   */
  _callbacks: TaskWaiter | unknown[] | null = null;
  /**
   * @internal The state (F_FINISHED, F_CANCELLED; neither: pending) and the booleans:
   * F_EXCEPTION, F_LOG_TRACEBACK, F_BLOCKING, and Task's own (task.ts).
   */
  _flags = 0;

  /** @internal pending, finished or cancelled (from `_flags`). */
  get _state(): FutureState {
    const f = this._flags;
    return (f & F_DONE) === 0 ? "pending" : (f & F_FINISHED) !== 0 ? "finished" : "cancelled";
  }

  /** @internal Invariant: true iff finished with setException. */
  get _hasException(): boolean {
    return (this._flags & F_EXCEPTION) !== 0;
  }
  /** @internal The exception when finished with one, else undefined. */
  get _exception(): unknown {
    return (this._flags & F_EXCEPTION) !== 0 ? this._result : undefined;
  }
  /**
   * @internal Set by the iterator right before it yields this future (asyncio's
   * `_asyncio_future_blocking`).
   */
  get _blocking(): boolean {
    return (this._flags & F_BLOCKING) !== 0;
  }
  /** @internal */
  set _blocking(on: boolean) {
    if (on) this._flags |= F_BLOCKING;
    else this._flags &= ~F_BLOCKING;
  }
  /** @internal Invariant: true while an exception is set that nobody has retrieved. */
  get _logTraceback(): boolean {
    return (this._flags & F_LOG_TRACEBACK) !== 0;
  }
  /** @internal The cancel message (cancelled), or a pending task's due cancel message. */
  get _cancelMessage(): string | undefined {
    return this._state === "finished" ? undefined : (this._result as string | undefined);
  }
  /** @internal */
  set _cancelMessage(msg: string | undefined) {
    this._result = msg;
  }

  /**
   * A pending future on `loop` (default: the running loop). Prefer `loop.createFuture()`.
   * @throws {@link NoRunningLoopError} when `loop` is omitted and no loop is running.
   */
  constructor(loop?: EventLoop) {
    this._loop = loop ?? getRunningLoop();
  }

  /** The loop this future belongs to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** True once the future has a result, an exception, or was cancelled (asyncio's `Future.done()`). */
  done(): boolean {
    return (this._flags & F_DONE) !== 0;
  }

  /** True when the future was cancelled (asyncio's `Future.cancelled()`). */
  cancelled(): boolean {
    return (this._flags & F_CANCELLED) !== 0;
  }

  /**
   * The result (asyncio's `Future.result()`).
   * @throws The future's exception when it finished with one (which then counts as retrieved).
   * @throws {@link CancelledError} when it was cancelled.
   * @throws {@link InvalidStateError} while it is still pending.
   */
  result(): T {
    switch (this._state) {
      case "finished":
        if ((this._flags & F_EXCEPTION) !== 0) {
          this._retrieved();
          throw this._result;
        }
        return this._result as T;
      case "cancelled":
        throw this._makeCancelledError();
      case "pending":
        throw new InvalidStateError(
          "result() of a pending future: wait for it with `yield* fut` (or check done()) first",
        );
    }
  }

  /**
   * The exception, or null when it finished with a result (asyncio's `Future.exception()`).
   * Reading it marks it retrieved, so it is not reported as "never retrieved".
   * @throws {@link CancelledError} when the future was cancelled.
   * @throws {@link InvalidStateError} while it is still pending.
   */
  exception(): unknown {
    switch (this._state) {
      case "finished":
        if ((this._flags & F_EXCEPTION) !== 0) {
          this._retrieved();
          return this._result;
        }
        return null;
      case "cancelled":
        throw this._makeCancelledError();
      case "pending":
        throw new InvalidStateError(
          "exception() of a pending future: wait for it with `yield* fut` (or check done()) first",
        );
    }
  }

  /**
   * Finish with a value and schedule the done-callbacks (asyncio's `Future.set_result()`).
   * @throws {@link InvalidStateError} when the future is already done (a future completes once).
   */
  setResult(value: T): void {
    this._checkPending("setResult");
    this._finish(value);
  }

  /**
   * Finish with an error and schedule the done-callbacks (asyncio's `Future.set_exception()`).
   * `yield* fut` and `result()` then throw it.
   * @throws {@link InvalidStateError} when the future is already done (a future completes once).
   */
  setException(exception: unknown): void {
    this._checkPending("setException");
    this._fail(exception);
  }

  /**
   * Cancel the future (asyncio's `Future.cancel()`): it becomes cancelled, its done-callbacks
   * are scheduled, and awaiting it throws `CancelledError` with `msg` as the message.
   * @returns false when the future was already done (nothing changes), else true.
   */
  cancel(msg?: string): boolean {
    // asyncio clears the log flag first: cleanup code that cancels every task must not make a
    // failed one report "exception was never retrieved".
    if ((this._flags & F_LOG_TRACEBACK) !== 0) this._retrieved();
    if (this._state !== "pending") return false;
    this._cancelFuture(msg);
    return true;
  }

  /**
   * Run `cb(fut)` through the loop once the future is done (asyncio's
   * `Future.add_done_callback()`). If it is already done, `cb` is scheduled with `callSoon` at
   * once; it never runs inside this call. `cb` runs in `opts.context`, by default a copy of the
   * current context.
   */
  addDoneCallback(cb: DoneCallback<T>, opts?: { context?: Context }): void {
    const ctx: VarMap | Context = opts?.context ?? currentVars();
    if (this._state !== "pending") {
      this._loop._scheduleRunnable(new Handle(cb, [this], this._loop, ctx));
      return;
    }
    const cbs = this._callbacks;
    if (cbs === null) this._callbacks = [cb, ctx];
    else if (Array.isArray(cbs)) cbs.push(cb, ctx);
    else this._callbacks = [cbs, null, cb, ctx];
  }

  /**
   * Remove every registration of `cb` (asyncio's `Future.remove_done_callback()`).
   * @returns How many registrations were removed (0 when `cb` was not registered).
   */
  removeDoneCallback(cb: DoneCallback<T>): number {
    const cbs = this._callbacks;
    if (cbs === null || !Array.isArray(cbs)) return 0;
    let kept = 0;
    for (let i = 0; i < cbs.length; i += 2) {
      if (cbs[i] !== cb) {
        cbs[kept++] = cbs[i];
        cbs[kept++] = cbs[i + 1];
      }
    }
    const removed = (cbs.length - kept) / 2;
    cbs.length = kept;
    return removed;
  }

  /**
   * What makes `yield* fut` work (asyncio's `Future.__await__`): the iterator yields the future
   * once while it is pending, so the running task parks on it, then returns `result()`. Awaiting
   * a future that is already done takes no loop iteration. Throws like `result()`.
   */
  [Symbol.iterator](): Iterator<Future<unknown> | undefined, T, unknown> {
    if ((this._flags & F_DONE) === 0) return new FutureIter(this);
    // Done already: `yield*` calls next() at once and is finished, so one shared iterator
    // serves every such await (joining a finished task allocates nothing).
    DONE_ITER.fut = this;
    return DONE_ITER as Iterator<Future<unknown> | undefined, T, unknown>;
  }

  /**
   * PromiseLike, for `await fut` in an async function: settles with the result or the error
   * once the future is done. The future's loop must be running for that to happen.
   */
  // biome-ignore lint/suspicious/noThenProperty: Futures are PromiseLike on purpose (native await).
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this._asPromise().then(onfulfilled, onrejected);
  }

  /** A short description such as `<Future pending>` or `<Future result=42>`. */
  toString(): string {
    let s: string = this._state;
    if (this._state === "finished") {
      s =
        (this._flags & F_EXCEPTION) !== 0
          ? `exception=${describe(this._result)}`
          : `result=${describe(this._result)}`;
    }
    return `<${this.constructor.name} ${s}>`;
  }

  /** @internal A native Promise that settles with this future (cached). */
  _asPromise(): Promise<T> {
    let p = promises.get(this) as Promise<T> | undefined;
    if (p === undefined) {
      p = new Promise<T>((resolve, reject) => {
        this.addDoneCallback((f) => {
          try {
            resolve(f.result());
          } catch (e) {
            reject(e);
          }
        });
      });
      promises.set(this, p);
    }
    return p;
  }

  /** @internal */
  _checkPending(op: string): void {
    if (this._state !== "pending") {
      throw new InvalidStateError(
        `${op}() on a ${this._state} future: a future completes once; check done() before completing it`,
      );
    }
  }

  /** @internal Complete with a value (no state check). */
  _finish(value: T): void {
    this._result = value;
    this._flags |= F_FINISHED;
    this._scheduleCallbacks();
  }

  /** @internal Complete with an error (no state check). */
  _fail(exception: unknown): void {
    this._result = exception;
    this._flags |= F_FINISHED | F_EXCEPTION | F_LOG_TRACEBACK;
    // V8 keeps an Error's stack frames (with their receivers, e.g. this Task) until the stack is
    // formatted; format it now so the report below does not keep this future alive forever.
    if (exception instanceof Error) void exception.stack;
    unretrieved.register(
      this,
      { loop: this._loop, exception, kind: this._kind(), source: this.toString() },
      this,
    );
    const ref = new WeakRef<Future<unknown>>(this);
    unretrievedRef.set(this, ref);
    let refs = unretrievedOf.get(this._loop);
    if (refs === undefined) unretrievedOf.set(this._loop, (refs = new Set()));
    refs.add(ref);
    this._scheduleCallbacks();
  }

  /** @internal Cancel (no state check). */
  _cancelFuture(msg: string | undefined): void {
    this._flags |= F_CANCELLED;
    this._result = msg;
    this._scheduleCallbacks();
  }

  /** @internal */
  _kind(): "Future" | "Task" {
    return "Future";
  }

  /** @internal The error `result()` throws for a cancelled future. */
  _makeCancelledError(): CancelledError {
    return new CancelledError((this._result as string | undefined) ?? "");
  }

  /** @internal The exception has been seen: no never-retrieved report. */
  _retrieved(): void {
    if ((this._flags & F_LOG_TRACEBACK) !== 0) {
      this._flags &= ~F_LOG_TRACEBACK;
      unretrieved.unregister(this);
      const ref = unretrievedRef.get(this);
      if (ref !== undefined) {
        unretrievedRef.delete(this);
        unretrievedOf.get(this._loop)?.delete(ref);
      }
    }
  }

  /** @internal Park a task on this future: it is queued (as itself) when the future is done. */
  _addTaskWaiter(task: TaskWaiter, ctx: VarMap | null): void {
    const cbs = this._callbacks;
    // The common case (one task awaits this future, nothing else): no array at all.
    if (cbs === null) this._callbacks = ctx === null ? task : [task, ctx];
    else if (Array.isArray(cbs)) cbs.push(task, ctx);
    else this._callbacks = [cbs, null, task, ctx];
  }

  /** @internal Queue each done-callback on the loop, in registration order. */
  _scheduleCallbacks(): void {
    const cbs = this._callbacks;
    if (cbs === null) return;
    this._callbacks = null;
    const loop = this._loop;
    if (!Array.isArray(cbs)) {
      loop._scheduleRunnable(cbs);
      return;
    }
    for (let i = 0; i < cbs.length; i += 2) {
      const cb = cbs[i] as DoneCallback<T> | TaskWaiter;
      if ((cb as TaskWaiter)._isTask === true) loop._scheduleRunnable(cb as TaskWaiter);
      else
        loop._scheduleRunnable(
          new Handle(cb as DoneCallback<T>, [this], loop, cbs[i + 1] as VarMap | Context),
        );
    }
  }
}

Object.defineProperty(Future.prototype, FUTURE_BRAND, { value: true });

/** The iterator behind `yield* fut`: yields the future once while it is pending, then returns its result. */
class FutureIter<T> implements Iterator<Future<unknown> | undefined, T, unknown> {
  readonly #fut: Future<T>;
  constructor(fut: Future<T>) {
    this.#fut = fut;
  }
  next(): IteratorResult<Future<unknown> | undefined, T> {
    const f = this.#fut;
    if ((f._flags & F_DONE) === 0) {
      f._flags |= F_BLOCKING;
      return { value: f as Future<unknown>, done: false };
    }
    return { value: f.result(), done: true };
  }
  throw(e: unknown): never {
    throw e;
  }
  return(value?: unknown): IteratorResult<Future<unknown> | undefined, T> {
    return { value: value as T, done: true };
  }
}

/**
 * The iterator `yield* fut` gets for a future that is already done: shared, because `yield*`
 * calls `next()` right away and that call ends the delegation. (Calling `[Symbol.iterator]()`
 * on a future by hand and keeping the iterator for later is not supported, as for Lazy.)
 */
class DoneIter implements Iterator<Future<unknown> | undefined, unknown, unknown> {
  fut: Future<unknown> | null = null;
  /** Reused: `yield*` reads it at once (as task.ts's RESUMED). */
  readonly #res: { value: unknown; done: true } = { value: undefined, done: true };
  next(): IteratorResult<Future<unknown> | undefined, unknown> {
    const f = this.fut!;
    this.fut = null;
    const res = this.#res;
    res.value = undefined;
    res.value = f.result();
    return res;
  }
  throw(e: unknown): never {
    throw e;
  }
  return(value?: unknown): IteratorResult<Future<unknown> | undefined, unknown> {
    this.fut = null;
    return { value, done: true };
  }
}
const DONE_ITER = new DoneIter();

/** @internal A done-callback helper: set `value` unless the future was cancelled meanwhile. */
export function _setResultUnlessCancelled<T>(fut: Future<T>, value: T): void {
  if (fut._state === "pending") fut._finish(value);
}
