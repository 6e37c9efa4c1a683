/**
 * Task: a coroutine driven by the loop, as asyncio.Task. The heart of aioloop.
 *
 * HOW: a Task is a Future whose result is its coroutine's return value, and a Runnable: the
 * loop's ready queue holds the Task itself when its next step is due (no Handle, no closure).
 * One step (`_run`, asyncio's `__step` + `__wakeup`) resumes the generator once:
 *
 *   _run ──► gen.next() / gen.throw(exc) ──► returned?  ─► finish (result / cancelled)
 *                                        ├─► threw?     ─► fail (CancelledError: cancelled)
 *                                        └─► yielded y:
 *                                              undefined        → queue self (one iteration)
 *                                              pending Future   → park on it (its done-callback
 *                                                                 queues this Task)
 *                                              anything else    → a BadYieldError thrown in
 *                                                                 on the next step
 *
 * Cancellation is a request, as in asyncio: `cancel()` cancels the future the task is parked on
 * (so the task wakes with CancelledError at its `yield*`), or, when it is not parked, sets
 * `_mustCancel` so the next step throws CancelledError in. The task may catch it and go on;
 * `cancelling()` counts requests and `uncancel()` takes one back.
 *
 * Invariant: a task is in the ready queue at most once (a step is queued only when the task is
 * created, after a bare yield, after a bad yield, or by the single future it is parked on).
 */

import {
  Context,
  type VarMap,
  _inTaskContext,
  _setTaskContextSource,
  currentVars,
  enterContext,
  exitContext,
} from "./context.js";
import { type Coro, GEN_PROTO, isFuture } from "./coro.js";
import { CancelledError, InvalidStateError, NotACoroutineError } from "./errors.js";
import { type EventLoop, type TaskOptions, _getRunningLoop, getRunningLoop } from "./events.js";
import { F_BLOCKING, F_DONE, Future } from "./future.js";
import {
  DeferredCancel,
  F_IN_NURSERY,
  F_MUST_CANCEL,
  F_SLOW_STEP,
  F_STEP_ERROR,
  F_TRACKED,
  IN_NURSERY,
  TaskExtra,
  badYield,
  checkCoroutine,
} from "./task-state.js";
import type { StepOutcome } from "./tracing.js";

let current: Task<unknown> | null = null;
const baseAddDoneCallback = Future.prototype.addDoneCallback;

// ── frames: how a task resumes only its innermost coroutine ────────────────────────────────

/** A native generator object (what every frame on a task's stack is). */
type Gen = Generator<unknown, unknown, unknown>;

/** The native resume operations, called directly: no per-object `next`/`throw` lookups. */
const GEN_NEXT = (GEN_PROTO as Gen).next as (this: Gen, v?: unknown) => IteratorResult<unknown>;
const GEN_THROW = (GEN_PROTO as Gen).throw as (this: Gen, e: unknown) => IteratorResult<unknown>;

/**
 * @internal The prototype `coro()` puts under a coroutine function's `prototype`: its
 * generators' `next`/`throw` (reached only from an outer `yield*`) hand the generator to the
 * stepping task instead of running it inside the caller's frame.
 */
export const CORO_PROTO: object = Object.create(GEN_PROTO);
/** @internal The name of a coroutine function, on its `prototype` (for error traces). */
export const CORO_NAME: unique symbol = Symbol("aioloop.coroName");

/** Yielded up the `yield*` chain by a coroutine's first step: "run `pushed` on top of me". */
const PUSH: object = Object.freeze({ push: true });
const PUSH_STEP: IteratorResult<unknown> = Object.freeze({ value: PUSH, done: false });
/** The result that ends a delegating `yield*` with a frame's return value (mutable, reused). */
const RESUMED: { value: unknown; done: true } = { value: undefined, done: true };
/** The generator the last PUSH hands over (set and taken in the same step). */
let pushed: Gen | null = null;
/**
 * The frame that just ended: its caller is being resumed, and the `yield*` that delegated to it
 * must now return (or throw) what it ended with. Set and taken in the same step.
 */
let resumeFrom: Gen | null = null;

/** @internal What `sleep(0)` yields: the task queues itself and resumes with YIELD_DONE. */
export const YIELD_ONE: object = Object.freeze({ sleep0: true });
/** @internal The value a task sends into the frame that yielded YIELD_ONE. */
export const YIELD_DONE: object = Object.freeze({ sleep0done: true });
/**
 * @internal What a coroutine yields after filing the current task somewhere (a timer, a
 * queue's getters) with `_parkCurrent`: the task waits without a Future, and whoever holds it
 * wakes it with `_wakeParked` (or it is cancelled: `Parking._unpark`).
 */
export const PARK: object = Object.freeze({ park: true });

/** @internal A place a task waits without a Future: the loop's timers, a queue, a lock. */
export interface Parking {
  /** The task was cancelled while parked here: forget it (O(1)); it runs again at once. */
  _unpark(task: Task<unknown>): void;
  /** What a parked task waits for, in a DeadlockError: "sleep(10 ms)", "<Queue get>". */
  _describeParked(task: Task<unknown>): string;
}

/**
 * How many coro() generators a task runs inline (inside their caller's frame, resumed through
 * its `yield*` like plain generators) before the next one becomes a frame of its own. Shallow
 * calls are cheapest inline (no hand-over, no frame push); beyond this depth every suspension
 * would resume the whole chain, so deeper calls are pushed and cost O(1) per suspension.
 */
const INLINE_DEPTH = 6;

/** `gen` finished (returned or threw) while running inline: it leaves the inline stack. */
function leaveInline(task: Task<unknown>, gen: Gen): void {
  const inl = task._inline!;
  // Nesting is LIFO: the one finishing is the innermost (a stale entry, closed by `return()`
  // from outside, is dropped with it).
  if (inl[inl.length - 1] === gen) {
    inl.pop();
    return;
  }
  const i = inl.lastIndexOf(gen);
  if (i >= 0) while (inl.length > i) inl.pop();
}

Object.defineProperties(CORO_PROTO, {
  next: {
    value: function next(this: Gen, v?: unknown): IteratorResult<unknown> {
      if (resumeFrom === this) {
        resumeFrom = null;
        // One shared result: the delegating `yield*` reads it at once (no allocation).
        RESUMED.value = v;
        return RESUMED;
      }
      const t = current;
      if (t === null) return GEN_NEXT.call(this, v); // not driven by a task
      let inl = t._inline;
      if (inl === null || inl.indexOf(this) < 0) {
        // The first step of a call.
        if (inl === null) inl = t._inline = [];
        if (inl.length >= INLINE_DEPTH) {
          pushed = this;
          return PUSH_STEP;
        }
        inl.push(this);
      }
      let r: IteratorResult<unknown>;
      try {
        r = GEN_NEXT.call(this, v);
      } catch (e) {
        leaveInline(t, this);
        throw e;
      }
      if (r.done === true) leaveInline(t, this);
      return r;
    },
    writable: true,
    configurable: true,
  },
  throw: {
    value: function throw_(this: Gen, e: unknown): IteratorResult<unknown> {
      if (resumeFrom === this) {
        resumeFrom = null;
        throw e;
      }
      const t = current;
      if (t === null || t._inline === null || t._inline.indexOf(this) < 0) {
        return GEN_THROW.call(this, e);
      }
      let r: IteratorResult<unknown>;
      try {
        r = GEN_THROW.call(this, e);
      } catch (err) {
        // Thrown in from a frame above (V8 shows only the frames it resumed): name this one.
        leaveInline(t, this);
        noteFrame(err, this);
        throw err;
      }
      if (r.done === true) leaveInline(t, this);
      return r;
    },
    writable: true,
    configurable: true,
  },
});

/** "The fast step's frame did not throw" (any value, even undefined, can be thrown). */
const NO_ERROR: unique symbol = Symbol("NO_ERROR");

/** Runs a coroutine that is not a native generator (a hand-written iterator) as a frame. */
function* adapt<T>(it: Coro<T>): Generator<unknown, T, unknown> {
  return yield* it;
}

/** The prototype of the last native generator seen (tasks are often spawned from one function). */
let lastGenProto: object | null = null;

/** True when `x`'s `next` is %GeneratorPrototype%'s own or CORO_PROTO's (a native generator). */
function isNativeGen(x: unknown): x is Gen {
  if (typeof x !== "object" || x === null) return false;
  const p = Object.getPrototypeOf(x) as object | null;
  if (p === null) return false;
  if (p === lastGenProto) return true;
  const pp = Object.getPrototypeOf(p) as object | null;
  if (pp !== GEN_PROTO && pp !== CORO_PROTO) return false;
  lastGenProto = p;
  return true;
}

/** Name the caller frame an error unwinds into, as V8's "at async f" lines do. */
function noteFrame(e: unknown, frame: Gen): void {
  if (!(e instanceof Error) || e instanceof CancelledError) return;
  const proto = Object.getPrototypeOf(frame) as { [CORO_NAME]?: string } | null;
  const name = proto?.[CORO_NAME] ?? "<generator>";
  try {
    if (typeof e.stack === "string") e.stack += `\n    at async ${name}`;
  } catch {
    // a frozen or exotic error: leave its stack alone
  }
}
/** The AbortController of each task that asked for `abortSignal()` (rare: kept off the object). */
const aborts = new WeakMap<Task<unknown>, AbortController>();
let taskCounter = 0;

/**
 * A coroutine driven by the loop, as asyncio.Task: a Future whose result is the coroutine's
 * return value (or its error). Create one with `createTask(coro)`; await it with `yield* task`.
 * The task starts running in a later loop iteration (or at once with `eagerStart`), and runs
 * concurrently with its creator from then on. `setResult`/`setException` are not supported.
 * @example
 * function* main(): Coro<void> {
 *   const t = createTask(fetchUser(1), { name: "user-1" });
 *   yield* sleep(10); // t runs meanwhile
 *   if (!t.done()) t.cancel("no longer needed");
 *   try {
 *     console.log(yield* t);
 *   } catch (e) {
 *     if (!(e instanceof CancelledError)) throw e;
 *   }
 * }
 */
export class Task<T> extends Future<T> {
  /** @internal Brand for Future's callback list (on the prototype, not per instance). */
  declare readonly _isTask: true;
  // Every field here is paid once per task: a program that spawns 100k tasks keeps 100k of
  // these alive at once, and each 8 bytes more is measurably more scavenger work (issue 12).
  // Rare state lives in `_x`, booleans in `_flags`, and fields that are never needed at the
  // same time share a slot (see the accessors below).
  /** @internal */ _coro: Coro<T>;
  /** @internal Invariant: the innermost frame: what the next step resumes. */
  _top: Gen;
  /** @internal The frames under `_top`, outermost first (null until the first push). */
  _frames: Gen[] | null = null;
  /** @internal The coro() generators running inline in this task, outermost first. */
  _inline: Gen[] | null = null;
  /** @internal The value the next step sends into `_top` (YIELD_DONE after sleep(0)). */
  _send: unknown = undefined;
  /**
   * @internal What the task waits on: the Future it is parked on (`_futWaiter`), the place it
   * is parked at without a Future (`_parkedOn`: a queue, a lock, the timers), or null while
   * runnable or running.
   */
  _waitingOn: Future<unknown> | Parking | null = null;
  /** @internal The name given, or the number of the default name `Task-<n>` (built when asked). */
  _nameOrId: string | number;
  /**
   * @internal The task's context, or until someone asks for it, the values it was created with
   * (a copy of an immutable map is the map: the Context object is made on first use).
   */
  _ctx: Context | VarMap;
  /** @internal Rare state (cancel counts, a pending step error, a promoted task's WeakRef): null until needed. */
  _x: TaskExtra | null = null;

  /**
   * @internal Where a sleeping task is in the loop's timers (see loop-timers.ts), or -1. It
   * shares `_send`'s slot: a task parked in the timers is sent nothing until it wakes (waking
   * sets `_send`), and loop-timers reads it only while the task is parked there.
   */
  get _timerSlot(): number {
    const s = this._send;
    return typeof s === "number" ? s : -1;
  }
  /** @internal */
  set _timerSlot(slot: number) {
    this._send = slot === -1 ? undefined : slot;
  }
  /**
   * @internal The loop's tracking of this task: IN_NURSERY, or its WeakRef once a host run
   * promoted it (see base-loop.ts), or null when untracked.
   */
  get _weakRef(): WeakRef<Task<unknown>> | null {
    if ((this._flags & F_IN_NURSERY) !== 0) return IN_NURSERY;
    return this._x === null ? null : this._x.weakRef;
  }
  /** @internal */
  set _weakRef(ref: WeakRef<Task<unknown>> | null) {
    if (ref === IN_NURSERY) {
      this._flags |= F_IN_NURSERY;
      if (this._x !== null) this._x.weakRef = null;
      return;
    }
    this._flags &= ~F_IN_NURSERY;
    if (this._x !== null) this._x.weakRef = ref;
    else if (ref !== null) (this._x = new TaskExtra()).weakRef = ref;
  }
  /** @internal Invariant: the future this task is parked on; null while runnable or running. */
  get _futWaiter(): Future<unknown> | null {
    const w = this._waitingOn;
    return w instanceof Future ? w : null;
  }
  /** @internal */
  set _futWaiter(f: Future<unknown> | null) {
    this._waitingOn = f;
  }
  /** @internal Where the task waits without a Future (see PARK), or null. */
  get _parkedOn(): Parking | null {
    const w = this._waitingOn;
    return w instanceof Future ? null : w;
  }
  /** @internal */
  set _parkedOn(p: Parking | null) {
    this._waitingOn = p;
  }
  /** @internal The name given, or null for the default `Task-<id>`. */
  get _name(): string | null {
    const n = this._nameOrId;
    return typeof n === "string" ? n : null;
  }
  /** @internal The number of the default name (-1 once a name was given). */
  get _id(): number {
    const n = this._nameOrId;
    return typeof n === "number" ? n : -1;
  }
  /** @internal */
  get _context(): Context {
    const c = this._ctx;
    if (c instanceof Context) return c;
    const made = new Context(c);
    this._ctx = made;
    return made;
  }
  /** @internal Invariant: true when the next step must throw CancelledError in. */
  get _mustCancel(): boolean {
    return (this._flags & F_MUST_CANCEL) !== 0;
  }
  /** @internal */
  set _mustCancel(on: boolean) {
    if (on) this._flags |= F_MUST_CANCEL;
    else this._flags &= ~F_MUST_CANCEL;
  }
  /** @internal Invariant: true once the loop tracks this task (from its first suspension). */
  get _tracked(): boolean {
    return (this._flags & F_TRACKED) !== 0;
  }
  /** @internal */
  set _tracked(on: boolean) {
    if (on) this._flags |= F_TRACKED;
    else this._flags &= ~F_TRACKED;
  }
  /** @internal */
  get _numCancelsRequested(): number {
    return this._x === null ? 0 : this._x.numCancels;
  }
  /** @internal */
  set _numCancelsRequested(n: number) {
    if (this._x !== null) this._x.numCancels = n;
    else if (n !== 0) (this._x = new TaskExtra()).numCancels = n;
  }
  /** @internal The CancelledError the coroutine ended with, re-thrown by result(). */
  get _cancelledExc(): CancelledError | null {
    return this._x === null ? null : this._x.cancelledExc;
  }
  /** @internal */
  set _cancelledExc(e: CancelledError | null) {
    if (this._x !== null) this._x.cancelledExc = e;
    else if (e !== null) (this._x = new TaskExtra()).cancelledExc = e;
  }
  /**
   * @internal An error to throw into the coroutine on the next step (a bad yield), or the
   * cancel of a parked task (its CancelledError is made at that step, as a Future makes its own).
   */
  get _stepError(): Error | DeferredCancel | null {
    return this._x === null ? null : this._x.stepError;
  }
  /** @internal */
  set _stepError(e: Error | DeferredCancel | null) {
    if (e === null) {
      if (this._x !== null) this._x.stepError = null;
      this._flags &= ~F_STEP_ERROR;
      return;
    }
    (this._x ??= new TaskExtra()).stepError = e;
    this._flags |= F_STEP_ERROR;
  }

  /**
   * Prefer `createTask(coro)` or `loop.createTask(coro)`. `loop` (or `opts.loop`) defaults to
   * the running loop.
   */
  constructor(coro: Coro<T>, opts?: TaskOptions & { loop?: EventLoop }, loop?: EventLoop) {
    const l = loop ?? opts?.loop ?? getRunningLoop();
    super(l);
    if (isNativeGen(coro)) this._top = coro;
    else {
      checkCoroutine(coro, "Task");
      this._top = adapt(coro) as Gen;
    }
    this._coro = coro;
    if (opts === undefined) {
      this._nameOrId = ++taskCounter;
      this._ctx = currentVars();
      if (l._tracer !== null) l._tracer.taskCreated?.(this as Task<unknown>, current, l.time());
      l._scheduleRunnable(this);
      return;
    }
    this._nameOrId = opts.name === undefined ? ++taskCounter : String(opts.name);
    this._ctx = opts.context ?? currentVars();
    if (l._tracer !== null) l._tracer.taskCreated?.(this as Task<unknown>, current, l.time());
    if (opts.eagerStart === true && _getRunningLoop() === l) this._run();
    else l._scheduleRunnable(this);
  }

  /** The task's name (asyncio's `Task.get_name()`): the one given, else `Task-<n>`. */
  getName(): string {
    const n = this._nameOrId;
    return typeof n === "string" ? n : `Task-${n}`;
  }
  /** Rename the task (asyncio's `Task.set_name()`); `name` is converted to a string. */
  setName(name: string): void {
    this._nameOrId = String(name);
  }
  /** The coroutine this task drives (asyncio's `Task.get_coro()`). */
  getCoro(): Coro<T> {
    return this._coro;
  }
  /** The context the task runs in (asyncio's `Task.get_context()`). */
  getContext(): Context {
    return this._context;
  }
  /**
   * How many cancellation requests are outstanding (asyncio's `Task.cancelling()`): each
   * `cancel()` adds one, each `uncancel()` takes one back.
   */
  cancelling(): number {
    return this._numCancelsRequested;
  }
  /**
   * Take back one cancellation request (asyncio's `Task.uncancel()`), for code that caught a
   * CancelledError it caused itself (as `timeout` and `TaskGroup` do) and goes on.
   * @returns The number of requests left; at 0 a pending cancellation is dropped too.
   */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) {
        this._mustCancel = false;
        // The cancel was taken back (a timeout, waitFor or group absorbed it): the next
        // abortSignal() must be a live one.
        aborts.delete(this as Task<unknown>);
      }
    }
    return this._numCancelsRequested;
  }

  /**
   * Ask the task to stop (asyncio's `Task.cancel()`): `CancelledError` (with `msg` as its
   * message) is thrown into the coroutine at the `yield*` it is suspended on, or at its next
   * step. It is a request: the coroutine may catch the error and go on (see `cancelling()`).
   * An AbortSignal the task got from `abortSignal()` aborts too.
   * @returns false only when the task is already done.
   */
  override cancel(msg?: string): boolean {
    if (this._logTraceback) this._retrieved(); // as Future.cancel: asyncio clears the log flag
    if (this._state !== "pending") return false;
    this._numCancelsRequested++;
    const ac = aborts.get(this);
    if (ac !== undefined && !ac.signal.aborted) ac.abort(new CancelledError(msg ?? ""));
    const waiter = this._futWaiter;
    if (waiter !== null && waiter.cancel(msg)) return true;
    const parking = this._parkedOn;
    if (parking !== null) {
      // Parked without a Future: leave the timer or waiter list now, and run the next step an
      // iteration later with this CancelledError, exactly as a cancelled waiter Future would
      // wake it: a later cancel() keeps this first message, and uncancel() cannot take it back.
      this._parkedOn = null;
      parking._unpark(this as Task<unknown>);
      this._stepError = new DeferredCancel(msg);
      this._loop._scheduleRunnable(this);
      return true;
    }
    this._mustCancel = true;
    this._cancelMessage = msg;
    return true;
  }

  /**
   * Not supported on a Task (as in asyncio).
   * @throws {@link InvalidStateError} always: a task's result is its coroutine's return value.
   */
  override setResult(_value: T): never {
    throw new InvalidStateError(
      "a Task's result is its coroutine's return value: Task.setResult() is not supported",
    );
  }
  /**
   * Not supported on a Task (as in asyncio).
   * @throws {@link InvalidStateError} always: a task fails when its coroutine throws.
   */
  override setException(_exception: unknown): never {
    throw new InvalidStateError(
      "a Task fails when its coroutine throws: Task.setException() is not supported",
    );
  }

  /** A short description such as `<Task main pending>`. */
  override toString(): string {
    return `<Task ${this.getName()} ${super.toString().slice(1 + this.constructor.name.length + 1, -1)}>`;
  }

  /** @internal */
  override _kind(): "Future" | "Task" {
    return "Task";
  }

  /** @internal */
  override _makeCancelledError(): CancelledError {
    return this._cancelledExc ?? super._makeCancelledError();
  }

  /**
   * @internal One step of the coroutine. Called by the loop's runOnce only.
   * The common step (no cancel, no error to throw in, no tracer, the frame yields `sleep(0)`'s
   * marker or a bare `yield`) is this one straight line; everything else goes to `_step`.
   */
  _run(): void {
    if (
      (this._flags & (F_SLOW_STEP | F_DONE)) !== 0 ||
      this._loop._tracer !== null ||
      !_inTaskContext()
    ) {
      this._step();
      return;
    }
    // Woken by the future it awaited (no cancel pending): the frame reads its result itself.
    this._waitingOn = null;
    // The running task's context is current by definition (context.ts): no switch needed.
    const prevTask = current;
    current = this as Task<unknown>;
    const send = this._send;
    this._send = undefined;
    let r: IteratorResult<unknown>;
    try {
      r = GEN_NEXT.call(this._top, send);
    } catch (e) {
      current = prevTask;
      this._step(e);
      return;
    }
    current = prevTask;
    if (r.done !== true) {
      const y = r.value;
      if (y === YIELD_ONE) {
        this._send = YIELD_DONE;
        this._loop._scheduleRunnable(this);
        return;
      }
      if (y === undefined) {
        this._loop._scheduleRunnable(this);
        return;
      }
      // Parked (a queue, a lock, a timer holds the task): nothing to do once it is tracked.
      if (y === PARK && (this._flags & F_TRACKED) !== 0) return;
      // Awaiting a pending Future of this loop (a read, a write, a child task): wait on it.
      if (
        y instanceof Future &&
        (y._flags & F_BLOCKING) !== 0 &&
        y._loop === this._loop &&
        y !== this &&
        (this._flags & (F_TRACKED | F_MUST_CANCEL)) === F_TRACKED &&
        y.addDoneCallback === baseAddDoneCallback
      ) {
        y._flags &= ~F_BLOCKING;
        y._addTaskWaiter(this, null);
        this._waitingOn = y;
        return;
      }
    }
    // Kept out of this method (once per task, or rare): V8 inlines a short `_run` into the loop.
    this._runRest(r);
  }

  /**
   * @internal The rest of a fast step: the coroutine returned, or its first park (to be
   * tracked), or anything else the general step handles.
   */
  _runRest(r: IteratorResult<unknown>): void {
    if (r.done === true) {
      // The coroutine returned (no frame under it, no cancel requested during the step).
      const frames = this._frames;
      if ((frames === null || frames.length === 0) && (this._flags & F_MUST_CANCEL) === 0) {
        this._finish(r.value as T);
        if ((this._flags & F_TRACKED) !== 0) this._loop._untrackTask(this as Task<unknown>);
        return;
      }
    } else if (r.value === PARK) {
      // The first park (a sleep, a queue, a lock): tracked from its first suspension.
      this._flags |= F_TRACKED;
      this._loop._trackTask(this as Task<unknown>);
      return;
    }
    this._step(NO_ERROR, r);
  }

  /**
   * @internal The general step: `thrown` is what the top frame threw in a fast step (NO_ERROR
   * for none), `first` what it returned; without either, resume the top frame first.
   */
  _step(thrown: unknown = NO_ERROR, first: IteratorResult<unknown> | null = null): void {
    if ((this._flags & F_DONE) !== 0) return;
    const pending = this._stepError;
    let exc: Error | null =
      pending instanceof DeferredCancel ? new CancelledError(pending.message ?? "") : pending;
    const waiter = this._futWaiter;
    // A continuation of a fast step (`thrown`/`first`) already resumed the frame: a cancel
    // requested during it is for the next step.
    const fresh = thrown === NO_ERROR && first === null;
    if (fresh && (waiter !== null || exc !== null || this._mustCancel)) {
      this._futWaiter = null;
      this._stepError = null;
      if (this._mustCancel) {
        // asyncio reads the woken future first: its own CancelledError (with the first
        // cancel's message) wins, and its error counts as retrieved though a cancel replaces it.
        if (!(exc instanceof CancelledError)) {
          if (waiter !== null && waiter._state === "cancelled") exc = waiter._makeCancelledError();
          else {
            if (waiter !== null && waiter._hasException) waiter._retrieved();
            exc = this._makeCancelledError();
          }
        }
        this._mustCancel = false;
      }
    }
    const tracer = this._loop._tracer;
    const t0 = tracer === null ? 0 : this._loop.time();
    const prevTask = current;
    current = this as Task<unknown>;
    // Called from a callback or inside Context.run (an eager start): the task's own context.
    const prevCtx = enterContext(null);
    let gen = this._top;
    let throwing = exc !== null;
    let val: unknown = exc;
    if (fresh) {
      // (A continuation must not touch `_send`: the frame may have just filed the task in the
      // timers, whose slot shares it.)
      if (!throwing) val = this._send;
      this._send = undefined;
    }
    let r: IteratorResult<unknown>;
    for (;;) {
      try {
        if (thrown !== NO_ERROR) {
          const e = thrown;
          thrown = NO_ERROR;
          throw e;
        }
        if (first !== null) {
          r = first;
          first = null;
        } else r = throwing ? GEN_THROW.call(gen, val) : GEN_NEXT.call(gen, val);
      } catch (e) {
        const frames = this._frames;
        if (frames !== null && frames.length > 0) {
          // The frame failed: its caller's `yield*` throws the error (innermost first).
          resumeFrom = gen;
          gen = frames.pop()!;
          noteFrame(e, gen);
          throwing = true;
          val = e;
          continue;
        }
        current = prevTask;
        exitContext(prevCtx);
        this._top = gen;
        if (e instanceof CancelledError) {
          this._cancelledExc = e;
          this._cancelFuture(e.message || undefined);
        } else {
          this._fail(e);
        }
        this._done();
        if (tracer !== null) this._traceStep(t0, this.cancelled() ? "cancelled" : "error", null);
        return;
      }
      if (r.done === true) {
        const frames = this._frames;
        if (frames !== null && frames.length > 0) {
          // The frame returned: its caller's `yield*` evaluates to the value.
          resumeFrom = gen;
          gen = frames.pop()!;
          throwing = false;
          val = r.value;
          continue;
        }
        current = prevTask;
        exitContext(prevCtx);
        this._top = gen;
        if (this._mustCancel) {
          this._mustCancel = false;
          this._cancelFuture(this._cancelMessage);
        } else {
          this._finish(r.value as T);
        }
        this._done();
        if (tracer !== null) this._traceStep(t0, this.cancelled() ? "cancelled" : "result", null);
        return;
      }
      if (r.value !== PUSH) break;
      // A coroutine defined with coro() was called: it becomes the innermost frame.
      (this._frames ??= []).push(gen);
      gen = pushed!;
      pushed = null;
      throwing = false;
      val = undefined;
    }
    current = prevTask;
    exitContext(prevCtx);
    this._top = gen;
    const y = r.value;
    if (y === YIELD_ONE) {
      this._send = YIELD_DONE;
      this._loop._scheduleRunnable(this);
      if (tracer !== null) this._traceStep(t0, "yielded", null);
      return;
    }
    if (y === undefined) {
      this._loop._scheduleRunnable(this);
      if (tracer !== null) this._traceStep(t0, "yielded", null);
      return;
    }
    if (y === PARK) {
      // Filed by the coroutine (a timer, a queue); whoever holds the task wakes it.
      if (!this._tracked) {
        this._tracked = true;
        this._loop._trackTask(this as Task<unknown>);
      }
      if (tracer !== null) this._traceStep(t0, "suspended", null);
      return;
    }
    if (
      (y instanceof Future || isFuture(y)) &&
      y._blocking &&
      y !== this &&
      y._loop === this._loop
    ) {
      y._blocking = false;
      if (y.addDoneCallback === baseAddDoneCallback) y._addTaskWaiter(this, null);
      else {
        // A Future subclass that overrides addDoneCallback sees the waiting task, as asyncio's
        // Task registers through add_done_callback (the fast path above is the same thing).
        y.addDoneCallback(() => this._run());
      }
      this._futWaiter = y;
      if (!this._tracked) {
        this._tracked = true;
        this._loop._trackTask(this as Task<unknown>);
      }
      if (tracer !== null) this._traceStep(t0, "suspended", y);
      if (this._mustCancel && y.cancel(this._cancelMessage)) this._mustCancel = false;
    } else {
      if (tracer !== null) this._traceStep(t0, "yielded", null);
      this._stepError = badYield(this, y);
      this._loop._scheduleRunnable(this);
    }
  }

  /** @internal Report a step to the loop's tracer. */
  _traceStep(t0: number, outcome: StepOutcome, waitingOn: Future<unknown> | null): void {
    const tracer = this._loop._tracer;
    if (tracer !== null)
      tracer.taskStep?.(this as Task<unknown>, t0, this._loop.time(), outcome, waitingOn);
  }

  /** @internal The AbortSignal of `abortSignal()`: aborted on the first cancel request. */
  _abortSignal(): AbortSignal {
    let ac = aborts.get(this);
    if (ac === undefined) {
      ac = new AbortController();
      aborts.set(this, ac);
      if (this._numCancelsRequested > 0 || this._state === "cancelled")
        ac.abort(new CancelledError(this._cancelMessage ?? ""));
    }
    return ac.signal;
  }

  /** @internal */
  _done(): void {
    if (this._tracked) this._loop._untrackTask(this as Task<unknown>);
  }
}

/**
 * Wrap `coro` in a Task scheduled on the running loop, as `asyncio.create_task`. The task starts
 * in a later loop iteration and runs concurrently with the caller. Keep the returned Task (or
 * await it) to get its result; an error nobody retrieves is reported to the loop's exception
 * handler.
 * @param opts `name`, `context` and `eagerStart` (see `TaskOptions`).
 * @throws {@link NoRunningLoopError} when no loop is running (use `run()` or
 * `loop.createTask()` from outside).
 * @throws {@link NotACoroutineError} when `coro` is not a coroutine object (pass `work()`, not
 * `work`).
 * @example
 * function* work(n: number): Coro<number> {
 *   yield* sleep(100); // 100 ms
 *   return n * 2;
 * }
 * function* main(): Coro<void> {
 *   const a = createTask(work(1), { name: "a" });
 *   const b = createTask(work(2));
 *   console.log((yield* a) + (yield* b)); // 6, after about 100 ms (they ran concurrently)
 * }
 */
export function createTask<T>(coro: Coro<T>, opts?: TaskOptions): Task<T> {
  return getRunningLoop().createTask(coro, opts);
}

/**
 * The task running now, or null in a plain callback (asyncio's `asyncio.current_task()`).
 * @throws {@link NoRunningLoopError} when no loop is running, as asyncio raises RuntimeError.
 */
export function currentTask(): Task<unknown> | null {
  if (current === null) getRunningLoop();
  return current;
}

/**
 * @internal File the running task at `parking` before yielding PARK: it then waits there
 * without a Future until `_wakeParked` (or a cancel, which calls `parking._unpark`).
 * @returns The task, or null when no task is stepping (the caller falls back to a Future).
 */
export function _parkCurrent(parking: Parking): Task<unknown> | null {
  const t = current;
  if (t !== null) t._waitingOn = parking;
  return t;
}

/** @internal Wake a task parked with `_parkCurrent`, sending `value` into its coroutine. */
export function _wakeParked(task: Task<unknown>, value?: unknown): void {
  task._waitingOn = null;
  task._send = value;
  task._loop._scheduleRunnable(task);
}

_setTaskContextSource(
  () => (current === null ? null : current._context),
  () => {
    if (current === null) return null;
    const c = current._ctx;
    return c instanceof Context ? c._vars : c;
  },
);

/** @internal The task running now, or null (never throws). */
export function _currentTask(): Task<unknown> | null {
  return current;
}

/**
 * The tasks of `loop` (default: the running loop) that are not done, as `asyncio.all_tasks`.
 * @throws {@link NoRunningLoopError} when `loop` is omitted and no loop is running.
 */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  return (loop ?? getRunningLoop())._allTasks();
}

/**
 * A task factory whose tasks run their first step inside `createTask` (asyncio 3.12's
 * `eager_task_factory`): a coroutine that finishes without suspending never touches the loop.
 * Use with `loop.setTaskFactory(eagerTaskFactory)`.
 */
export function eagerTaskFactory<T>(loop: EventLoop, coro: Coro<T>, opts: TaskOptions): Task<T> {
  return new Task(coro, { ...opts, eagerStart: true }, loop);
}

Object.defineProperty(Task.prototype, "_isTask", { value: true });
