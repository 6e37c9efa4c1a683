/**
 * BaseEventLoop: the ready queue, the timer heap and `runOnce`, the one function that calls
 * callbacks. Every loop backend plugs in underneath (see backend.ts).
 *
 * HOW: one iteration, as asyncio's `_run_once`:
 *
 *   ┌─ purge cancelled timers (head of heap; all at once when > 100 and over half cancelled)
 *   ├─ timeout = 0 if anything is ready, else until the earliest timer (Infinity if none)
 *   ├─ backend.select(timeout)     I/O callbacks are queued behind what is already ready
 *   ├─ move due timers to the ready queue, in deadline order (equal deadlines: FIFO)
 *   └─ run exactly the entries queued so far (a snapshot): anything they schedule runs in the
 *      next iteration, so a task that keeps yielding cannot starve I/O or timers
 *
 * Two ways to run: `runSync` loops over `_runOnce(true)` on the calling thread (the backend
 * blocks in select); `runForever`/`runUntilComplete` run iterations in host turns and, when
 * there is nothing to do, `park` the backend until the next deadline or event, so the host's
 * own event loop (Node's I/O, Promises) keeps going. While parked, anything that schedules work
 * on the loop wakes it.
 *
 * Costs: callSoon O(1) (one Handle); task steps and future wake-ups O(1) with no allocation;
 * callLater and sleep O(1) (timer-store.ts: sorted runs, settled once per iteration); cancelling
 * a timer or a sleeping task O(1) (lazy purge); an iteration O(ready + due timers × log k) for
 * k runs of timers.
 */

import type { Backend } from "./backend.js";
import { currentVars } from "./context.js";
import { type Awaitable, type Coro, describe } from "./coro.js";
import { DeadlockError, InvalidStateError, LoopClosedError, LoopRunningError } from "./errors.js";
import {
  type EventLoop,
  type ExceptionContext,
  type ExceptionHandler,
  type LoopStatistics,
  type TaskFactory,
  type TaskOptions,
  _getRunningLoop,
  _setRunningLoop,
} from "./events.js";
import { Future } from "./future.js";
import { _debugLoopDelta, _reportNeverAwaited } from "./coro-fn.js";
import { _reportUnretrieved } from "./future.js";
import { Handle, TimerHandle } from "./handle.js";
import type { LoopHost, OutsideSource, Runnable, SourceKind } from "./host.js";
import { ensureFuture } from "./interop.js";
import { ReadyQueue } from "./ready-queue.js";
import { Task, _currentTask } from "./task.js";
import { IN_NURSERY } from "./task-state.js";
import { LoopTimers } from "./loop-timers.js";
import type { LoopTracer } from "./tracing.js";

/**
 * How long a host run's suspended task stays strongly held (in the nursery) before it is
 * tracked weakly: long enough that short tasks (a connection's handler, a request) never pay
 * for a WeakRef and a FinalizationRegistry entry, short enough that a lost one is reported soon.
 */
const NURSERY_MS = 100;
/** The nursery is compacted when it holds this many more finished entries than live ones. */
const NURSERY_COMPACT_SLACK = 1024;

/** asyncio's threshold: below this many timers, cancelled ones are only purged from the head. */
export const MIN_SCHEDULED_TIMERS = 100;
/** asyncio's threshold: purge all cancelled timers at once when more than this share is cancelled. */
export const MAX_CANCELLED_TIMER_FRACTION = 0.5;
/** asyncio's default for debug mode: callbacks slower than this (ms) are reported. */
export const DEFAULT_SLOW_CALLBACK_MS = 100;
/**
 * Host-driven runs give the host a turn at least this often (ms) while there is work, so the
 * host's I/O callbacks are not starved by a busy loop; long enough that the cost of the host
 * turn (a setImmediate) is noise.
 */
export const HOST_SLICE_MS = 4;
/**
 * Host-driven runs read the clock for the slice only every this many iterations: reading it
 * costs about as much as a task switch, and an iteration that does real work takes far longer
 * than HOST_SLICE_MS / 32 anyway.
 */
const HOST_CLOCK_CHECK_EVERY = 32;

const hostNow: () => number = (() => {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? () => perf.now() : () => Date.now();
})();

type RunMode = "sync" | "host";

/**
 * Node's (and Bun's, Deno's) `process`, when there is one: its "beforeExit" event says the
 * host's event loop has run dry. Looked up, not imported: core runs in any runtime.
 */
const hostProcess = (
  globalThis as {
    process?: {
      on(ev: "beforeExit", cb: () => void): unknown;
      off(ev: "beforeExit", cb: () => void): unknown;
    };
  }
).process;

/** What the garbage-collection report of a pending task needs (not the task itself). */
interface PendingReport {
  loop: BaseEventLoop;
  /** The task's name when one was given (else it is described by `id`), read at report time. */
  name: string | null;
  id: number;
  ref: WeakRef<Task<unknown>>;
}

const destroyedPending = new FinalizationRegistry<PendingReport>((r) => {
  r.loop._weakTasks.delete(r.ref);
  r.loop.callExceptionHandler({
    message: "Task was destroyed but it is pending!",
    source: `<Task ${r.name ?? `Task-${r.id}`} pending>`,
  });
});

/**
 * The loop everything else runs on: extend it, or give it a `Backend`.
 * @example
 * const loop = new BaseEventLoop(myBackend);
 * const v = await loop.runUntilComplete(main());
 * loop.close();
 */
export class BaseEventLoop implements EventLoop {
  /** Debug mode reports callbacks slower than this many milliseconds. */
  slowCallbackDuration = DEFAULT_SLOW_CALLBACK_MS;

  /** @internal */ readonly _backend: Backend;
  /** @internal */ readonly _ready = new ReadyQueue();
  /**
   * @internal The timers: TimerHandles (each in the slot `_slot`), and sleeping tasks (filed by
   * `sleep`, see loop-timers.ts), in one deadline order. A cancelled handle is a dead slot
   * counted in `deadShown` until it is purged (asyncio's lazy purge).
   */
  readonly _timers = new LoopTimers();
  /** @internal */ _closed = false;
  /** @internal */ _mode: RunMode | null = null;
  /** @internal */ _stopping = false;
  /** @internal Invariant: true only while a host-driven run has the backend parked. */
  _parked = false;
  /** @internal */ _debug = false;
  /** @internal */ _handler: ExceptionHandler | null = null;
  /** @internal */ _taskFactory: TaskFactory | null = null;
  /**
   * Tasks that suspended and have not been promoted to weak tracking: held strongly, in
   * suspension order (finished ones are skipped when read and dropped by compaction or
   * promotion). Sync runs keep their tasks here (no GC runs mid-job); host runs promote the
   * ones still pending to `_weakTasks` once they have waited NURSERY_MS, or when the run ends.
   * WHY: a WeakRef and a FinalizationRegistry entry cost microseconds per task (more than the
   * rest of a connection's task), and most tasks finish long before a GC could matter.
   */
  #nursery: Task<unknown>[] = [];
  /** Invariant: how many nursery entries are still tracked there (`_weakRef === IN_NURSERY`). */
  #nurseryLive = 0;
  /** hostNow() when the nursery got its first entry since it was last emptied. */
  #nurseryBorn = 0;
  /** @internal Tasks that suspended during host runs (held weakly: GC can report them). */
  readonly _weakTasks = new Set<WeakRef<Task<unknown>>>();
  /** See `EventLoop.wakeWord`: created here, waited on by blocking backends. */
  readonly wakeWord: Int32Array | null =
    typeof SharedArrayBuffer === "function"
      ? new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
      : null;
  /** Invariant: every registered outside source, with its number of live registrations (> 0). */
  readonly #sources = new Map<OutsideSource, number>();
  /** Invariant: the number of registered sources (not registrations) of each kind. */
  #threadSources = 0;
  #hostSources = 0;
  #promiseSources = 0;
  /** Invariant: the registered sources that have `poll`, polled after every select. */
  #pollers: OutsideSource[] = [];
  /** `_callbacksRun` when a host run first found itself stranded (-1: not stranded). */
  #strandedAt = -1;
  /** @internal */ _tracer: LoopTracer | null = null;
  /** @internal */ _iterations = 0;
  /** @internal */ _callbacksRun = 0;
  readonly #resume = () => this.#hostTurn();
  #hostResolve: (() => void) | null = null;
  #hostReject: ((e: unknown) => void) | null = null;

  /** A loop over `backend`, which it attaches to itself (`backend.attach(host)`): one backend per loop. */
  constructor(backend: Backend) {
    this._backend = backend;
    const host: LoopHost = {
      loop: this,
      schedule: (r) => this._scheduleRunnable(r),
      hasReady: () => this._ready.length > 0,
      addSource: (src) => this.addOutsideSource(src),
      holdsClock: () => this.#threadSources + this.#hostSources > 0,
      sourceCount: () => this.#sources.size,
      wakeWord: this.wakeWord,
    };
    backend.attach(host);
  }

  time(): number {
    return this._backend.time();
  }

  callSoon<A extends unknown[]>(cb: (...args: A) => void, ...args: A): Handle {
    this._checkClosed();
    checkCallback(cb, "callSoon");
    const h = new Handle(cb, args, this, currentVars());
    this._scheduleRunnable(h);
    return h;
  }

  callSoonThreadsafe<A extends unknown[]>(cb: (...args: A) => void, ...args: A): Handle {
    const h = this.callSoon(cb, ...args);
    this._backend.wakeup();
    return h;
  }

  callLater<A extends unknown[]>(ms: number, cb: (...args: A) => void, ...args: A): TimerHandle;
  // The arguments are read from `arguments`, not a rest parameter: a rest array is allocated on
  // every call, and a timer without arguments (the usual case) should allocate only its handle.
  callLater(ms: number, cb: (...args: any[]) => void): TimerHandle {
    if (typeof ms !== "number" || !Number.isFinite(ms)) {
      throw new RangeError(
        `callLater(${describe(ms)}): the delay must be a finite number of milliseconds (use callSoon for "now")`,
      );
    }
    // biome-ignore lint/complexity/noArguments: see above (no array per timer)
    const args = arguments.length > 2 ? restOf(arguments, 2) : NO_ARGS;
    return this.#schedule(ms, this._backend.time() + ms, cb, args, "callLater");
  }

  callAt<A extends unknown[]>(when: number, cb: (...args: A) => void, ...args: A): TimerHandle;
  callAt(when: number, cb: (...args: any[]) => void): TimerHandle {
    if (typeof when !== "number" || !Number.isFinite(when)) {
      throw new RangeError(
        `callAt(${describe(when)}): the time must be a finite loop time in ms (see loop.time())`,
      );
    }
    // biome-ignore lint/complexity/noArguments: as callLater (no array per timer)
    const args = arguments.length > 2 ? restOf(arguments, 2) : NO_ARGS;
    return this.#schedule(Number.NaN, when, cb, args, "callAt");
  }

  /** `delay` is NaN for absolute times (callAt): those never join a delay's run. */
  #schedule(
    delay: number,
    when: number,
    cb: (...args: any[]) => void,
    args: unknown[],
    where: string,
  ): TimerHandle {
    this._checkClosed();
    checkCallback(cb, where);
    const h = new TimerHandle(when, cb, args, this, currentVars());
    h._slot = this._timers.insertAfter(delay, when, h);
    if (this._tracer !== null) this._tracer.timerScheduled?.(h, this._backend.time());
    if (this._parked) this.#wake();
    return h;
  }

  createFuture<T>(): Future<T> {
    return new Future<T>(this);
  }

  createTask<T>(coro: Coro<T>, opts?: TaskOptions): Task<T> {
    this._checkClosed();
    const f = this._taskFactory;
    return f === null ? new Task(coro, opts, this) : f(this, coro, opts ?? {});
  }

  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError(`setTaskFactory needs a function or null, got ${describe(factory)}`);
    }
    this._taskFactory = factory;
  }

  getTaskFactory(): TaskFactory | null {
    return this._taskFactory;
  }

  addOutsideSource(src: OutsideSource): () => void {
    this._checkClosed();
    if (typeof src !== "object" || src === null || !SOURCE_KINDS.includes(src.kind)) {
      throw new TypeError(
        `addOutsideSource needs { kind: "thread" | "host" | "promise", name }, got ${describe(src)}`,
      );
    }
    const n = this.#sources.get(src) ?? 0;
    this.#sources.set(src, n + 1);
    if (n === 0) this.#countSource(src, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#sources.get(src) ?? 1) - 1;
      if (left > 0) {
        this.#sources.set(src, left);
        return;
      }
      if (this.#sources.delete(src)) this.#countSource(src, -1);
      // The last source gone while parked with nothing to wait for: look again (stranded?).
      if (this.#sources.size === 0 && this._parked) this.#wake();
    };
  }

  #countSource(src: OutsideSource, d: 1 | -1): void {
    switch (src.kind) {
      case "thread":
        this.#threadSources += d;
        break;
      case "host":
        this.#hostSources += d;
        break;
      case "promise":
        this.#promiseSources += d;
        break;
    }
    if (typeof src.poll === "function") {
      if (d === 1) this.#pollers.push(src);
      else this.#pollers = this.#pollers.filter((p) => p !== src);
    }
  }

  /**
   * Run until `aw` is done on the calling thread, without returning to the host in between.
   * Needs a backend that can block (TimerLoop's can); throws `DeadlockError` when nothing could
   * ever complete `aw`.
   */
  runSync<T>(aw: Awaitable<T>): T {
    if (!this._backend.canBlock) {
      throw new InvalidStateError(
        `${this.constructor.name}'s backend cannot block the thread (its events arrive only between host turns, ` +
          "or this thread may not wait: a browser's main thread, or no SharedArrayBuffer without cross-origin " +
          "isolation): use `await loop.runUntilComplete(...)` (or run())",
      );
    }
    this._checkCanRun();
    const fut = ensureFuture(aw, this);
    const onDone = () => this.stop();
    fut.addDoneCallback(onDone);
    this.#enter("sync");
    try {
      do this.#iterate(true);
      while (!this._stopping);
    } finally {
      fut.removeDoneCallback(onDone);
      this.#exit();
    }
    if (!fut.done()) {
      throw new InvalidStateError(
        "the loop stopped before the future completed: stop() was called from inside",
      );
    }
    return fut.result();
  }

  async runUntilComplete<T>(aw: Awaitable<T>): Promise<T> {
    this._checkCanRun();
    const fut = ensureFuture(aw, this);
    const onDone = () => this.stop();
    fut.addDoneCallback(onDone);
    try {
      await this.runForever();
    } finally {
      fut.removeDoneCallback(onDone);
    }
    if (!fut.done()) {
      throw new InvalidStateError(
        "the loop stopped before the future completed: stop() was called from inside",
      );
    }
    return fut.result();
  }

  runForever(): Promise<void> {
    try {
      this._checkCanRun();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.#hostResolve = resolve;
      this.#hostReject = reject;
      this.#enter("host");
      this.#hostTurn();
    });
  }

  stop(): void {
    this._stopping = true;
    if (this._parked) this.#wake();
  }

  isRunning(): boolean {
    return this._mode !== null;
  }

  isClosed(): boolean {
    return this._closed;
  }

  close(): void {
    if (this._mode !== null)
      throw new LoopRunningError("cannot close a running event loop: stop it first");
    if (this._closed) return;
    // Report what can never be reported later: errors nobody retrieved, and tasks left pending
    // (they can never run again). asyncio waits for the garbage collector; a short program may
    // never see one.
    const pending = [...this._allTasks()];
    this._closed = true;
    _reportUnretrieved(this);
    _reportNeverAwaited(this);
    if (this._debug) _debugLoopDelta(-1);
    for (const t of pending) {
      this._untrackTask(t);
      this.callExceptionHandler({
        message: "Task was destroyed but it is pending!",
        task: t,
        source: `${t.toString()} ${describeWait(t)}`,
      });
    }
    this._ready.clear();
    this._timers.retire();
    const sources = [...this.#sources.keys()];
    this.#sources.clear();
    this.#pollers = [];
    this.#threadSources = this.#hostSources = this.#promiseSources = 0;
    for (const src of sources) {
      try {
        src.loopClosing?.();
      } catch (exception) {
        this.defaultExceptionHandler({
          message: `outside source ${src.name} failed to close`,
          exception,
        });
      }
    }
    this._backend.close();
  }

  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(`setExceptionHandler needs a function or null, got ${describe(handler)}`);
    }
    this._handler = handler;
  }

  getExceptionHandler(): ExceptionHandler | null {
    return this._handler;
  }

  callExceptionHandler(context: ExceptionContext): void {
    const h = this._handler;
    if (h === null) {
      this.defaultExceptionHandler(context);
      return;
    }
    try {
      h(this, context);
    } catch (exception) {
      this.defaultExceptionHandler({
        message: "Unhandled error in exception handler",
        exception,
        context,
      });
    }
  }

  defaultExceptionHandler(context: ExceptionContext): void {
    const parts = [context.message || "Unhandled exception in event loop"];
    for (const k of Object.keys(context)) {
      if (k !== "message" && k !== "exception") parts.push(`${k}: ${String(context[k])}`);
    }
    if ("exception" in context) console.error(parts.join("\n"), context.exception);
    else console.error(parts.join("\n"));
  }

  setTracer(tracer: LoopTracer | null): void {
    if (tracer !== null && typeof tracer !== "object") {
      throw new TypeError(
        `setTracer needs a tracer object (e.g. new TraceRecorder()) or null, got ${describe(tracer)}`,
      );
    }
    this._tracer = tracer;
  }

  getTracer(): LoopTracer | null {
    return this._tracer;
  }

  getDebug(): boolean {
    return this._debug;
  }

  setDebug(enabled: boolean): void {
    const on = Boolean(enabled);
    if (on !== this._debug && !this._closed) _debugLoopDelta(on ? 1 : -1);
    this._debug = on;
  }

  statistics(): LoopStatistics {
    return {
      iterations: this._iterations,
      callbacks: this._callbacksRun,
      ready: this._ready.length,
      timers: this._timers.size + this._timers.deadShown,
      cancelledTimers: this._timers.deadShown,
      tasks: this._allTasks().size,
      outsideSources: this.#sources.size,
      backend: this._backend.statistics(),
    };
  }

  /** @internal */
  _scheduleRunnable(r: Runnable): void {
    this._ready.push(r);
    if (this._parked) this.#wake();
  }

  /** @internal A task suspended for the first time: it enters the nursery (see #nursery). */
  _trackTask(task: Task<unknown>): void {
    const nursery = this.#nursery;
    if (nursery.length === 0) this.#nurseryBorn = hostNow();
    else if (nursery.length > 2 * this.#nurseryLive + NURSERY_COMPACT_SLACK) this.#compactNursery();
    task._weakRef = IN_NURSERY;
    nursery.push(task);
    this.#nurseryLive++;
  }

  /** @internal A tracked task finished (or the loop closes). */
  _untrackTask(task: Task<unknown>): void {
    const ref = task._weakRef;
    if (ref === IN_NURSERY) {
      task._weakRef = null;
      this.#nurseryLive--;
    } else if (ref !== null) {
      task._weakRef = null;
      this._weakTasks.delete(ref);
      destroyedPending.unregister(task);
    }
  }

  /** Drop the nursery's finished entries. */
  #compactNursery(): void {
    this.#nursery = this.#nursery.filter((t) => t._weakRef === IN_NURSERY);
  }

  /** Host runs: track the nursery's pending tasks weakly, so the GC can report a lost one. */
  #promoteNursery(): void {
    const nursery = this.#nursery;
    this.#nursery = [];
    this.#nurseryLive = 0;
    for (const task of nursery) {
      if (task._weakRef !== IN_NURSERY) continue;
      const ref = new WeakRef(task);
      task._weakRef = ref;
      this._weakTasks.add(ref);
      // No description is built here: the report is rare.
      destroyedPending.register(task, { loop: this, name: task._name, id: task._id, ref }, task);
    }
  }

  /** @internal */
  _allTasks(): Set<Task<unknown>> {
    const out = new Set<Task<unknown>>();
    for (const r of this._ready) if (r instanceof Task && !r.done()) out.add(r);
    const cur = _currentTask();
    if (cur !== null && cur._loop === this && !cur.done()) out.add(cur);
    if (this.#nurseryLive > 0) {
      for (const t of this.#nursery) if (t._weakRef === IN_NURSERY && !t.done()) out.add(t);
    }
    for (const ref of this._weakTasks) {
      const t = ref.deref();
      if (t !== undefined && !t.done()) out.add(t);
    }
    return out;
  }

  /**
   * @internal Called by TimerHandle.cancel (before it drops the callback): when the handle is
   * still in the timers, its slot dies in O(1) and counts as a cancelled timer until purged.
   */
  _timerHandleCancelled(h: TimerHandle): void {
    const timers = this._timers;
    if (timers.itemAt(h._slot) !== h) return; // fired already, or the loop was closed
    timers.kill(h._slot, true);
    if (this._tracer !== null) this._tracer.timerCancelled?.(h, this._backend.time());
  }

  /** @internal */
  _checkClosed(): void {
    if (this._closed)
      throw new LoopClosedError("the event loop is closed: create a new loop (or use run())");
  }

  /** @internal */
  _checkCanRun(): void {
    this._checkClosed();
    if (this._mode !== null) throw new LoopRunningError("this event loop is already running");
    if (_getRunningLoop() !== null) {
      throw new LoopRunningError(
        "cannot run an event loop while another loop is running: await the work on the running loop instead",
      );
    }
  }

  /**
   * One iteration, as the run loops call it: when nothing but ready work can exist (no timer
   * could be due, no outside source could deliver, not debug mode) the iteration is the ready
   * snapshot and nothing else; otherwise the full `_runOnce`. Small, so V8 inlines it into the
   * run loops: calling `_runOnce` itself was a tenth of a one-task switch.
   */
  #iterate(blocking: boolean): void {
    const ready = this._ready;
    if (this._timers.size === 0 && this.#sources.size === 0 && !this._debug && ready.length > 0) {
      let n = ready.length;
      this._iterations++;
      this._callbacksRun += n;
      while (n-- > 0) ready.shift()._run();
    } else this._runOnce(blocking);
  }

  /**
   * @internal One iteration. `blocking`: the backend may wait in select (sync runs); host
   * runs pass false and park instead.
   */
  _runOnce(blocking: boolean): void {
    const heap = this._timers;
    const backend = this._backend;
    // asyncio's purge rule over the handles; a cancelled sleep's slot counts in `dead` too,
    // though statistics() does not show it.
    const stored = heap.size + heap.dead;
    if (stored > MIN_SCHEDULED_TIMERS && heap.dead > stored * MAX_CANCELLED_TIMER_FRACTION) {
      heap.filter(keepAll);
    } else {
      this.#dropCancelledHead();
    }

    let timeout = 0;
    if (blocking && this._ready.length === 0 && !this._stopping) {
      timeout =
        heap.size === 0 ? Number.POSITIVE_INFINITY : Math.max(0, heap.peekWhen() - backend.time());
      // Only another thread can deliver while runSync holds this one.
      if (timeout === Number.POSITIVE_INFINITY && this.#threadSources === 0) {
        throw this.#deadlock("sync");
      }
    }
    // With no outside source registered nothing can arrive from outside (the contract: whatever
    // may deliver is a source), so a busy loop skips the zero-timeout poll.
    if (timeout !== 0 || this.#sources.size !== 0) {
      backend.select(timeout);
      const pollers = this.#pollers;
      for (let i = 0; i < pollers.length; i++) pollers[i]!.poll!();
    }

    if (heap.size > 0) {
      const end = backend.time() + backend.resolution;
      const ready = this._ready;
      // Cancelled handles are dead slots the store skips; a live handle is queued without
      // being read here (it is read once, when it runs: 200k handles do not fit in a cache).
      for (let h = heap.popDue(end); h !== undefined; h = heap.popDue(end)) {
        if (heap.poppedTag !== 0) {
          // A sleeping task (its tag is the delay): its waker takes the place asyncio gives the
          // sleep's callback.
          heap.fire(h as Task<unknown>);
          ready.push(heap.waker);
          continue;
        }
        ready.push(h as TimerHandle);
        if (this._tracer !== null) this._tracer.timerFired?.(h as TimerHandle, end);
      }
    }

    const ready = this._ready;
    let n = ready.length;
    this._iterations++;
    this._callbacksRun += n;
    if (this._debug) {
      while (n-- > 0) {
        const r = ready.shift();
        const t0 = hostNow();
        r._run();
        const dt = hostNow() - t0;
        if (dt >= this.slowCallbackDuration) this._reportSlowCallback(r, dt);
      }
    } else {
      while (n-- > 0) ready.shift()._run();
    }
  }

  /** @internal Debug mode: a callback or task step took `ms` milliseconds. */
  _reportSlowCallback(r: Runnable, ms: number): void {
    console.warn(`Executing ${String(r)} took ${ms.toFixed(3)} ms`);
  }

  /**
   * Drop cancelled timers off the head of the queue (asyncio's lazy purge, head side): the
   * store frees dead slots at its head whenever it is asked for the earliest deadline.
   */
  #dropCancelledHead(): void {
    if (this._timers.dead > 0) this._timers.peekWhen();
  }

  /** The earliest time the loop has work: 0 when something is ready now. */
  #nextTimeout(): number {
    if (this._ready.length > 0 || this._stopping) return 0;
    const heap = this._timers;
    this.#dropCancelledHead();
    if (heap.size === 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, heap.peekWhen() - this._backend.time() - this._backend.resolution);
  }

  #hostTurn(): void {
    this._parked = false;
    if (this._mode !== "host") return;
    try {
      const sliceEnd = hostNow() + HOST_SLICE_MS;
      for (let n = 1; ; n++) {
        this.#iterate(false);
        // The busy case, in one test: more is ready, no stop, and the slice is not over.
        if (
          this._ready.length > 0 &&
          !this._stopping &&
          (n % HOST_CLOCK_CHECK_EVERY !== 0 || hostNow() < sliceEnd)
        ) {
          this.#strandedAt = -1;
          continue;
        }
        if (this._stopping) {
          const resolve = this.#hostResolve!;
          this.#exit();
          resolve();
          return;
        }
        let timeout = this.#nextTimeout();
        if (timeout === Number.POSITIVE_INFINITY && this.#sources.size === 0) {
          // Stranded: nothing can ever wake the loop. Give the host one turn first (a
          // microtask or an immediate may still complete a future), then fail loudly rather
          // than let the host end the program in silence.
          if (this.#strandedAt === this._callbacksRun) throw this.#deadlock("host");
          this.#strandedAt = this._callbacksRun;
          timeout = 0;
        } else this.#strandedAt = -1;
        if (
          timeout > 0 ||
          this.#strandedAt >= 0 ||
          (n % HOST_CLOCK_CHECK_EVERY === 0 && hostNow() >= sliceEnd)
        ) {
          if (this.#nursery.length > 0 && hostNow() - this.#nurseryBorn >= NURSERY_MS) {
            this.#promoteNursery();
          }
          this._parked = true;
          this._backend.park(timeout, this.#resume);
          return;
        }
      }
    } catch (e) {
      const reject = this.#hostReject!;
      this.#exit();
      reject(e);
    }
  }

  /** The DeadlockError of a run that can never finish: what is pending, and what each awaits. */
  #deadlock(why: RunMode | "exhausted"): DeadlockError {
    const tasks = [...this._allTasks()];
    const listed = tasks
      .slice(0, DEADLOCK_TASKS_LISTED)
      .map((t) => `  ${t.getName()} ${describeWait(t)}`);
    if (tasks.length > DEADLOCK_TASKS_LISTED)
      listed.push(`  … and ${tasks.length - DEADLOCK_TASKS_LISTED} more`);
    const what =
      tasks.length === 0
        ? "no task is pending, and nothing can call stop()"
        : `pending tasks:\n${listed.join("\n")}`;
    if (why === "exhausted") {
      const names = [...this.#sources.keys()].map((src) => src.name).join(", ");
      return new DeadlockError(
        `the run can never finish: the host has nothing left to run, so the registered outside sources (${names}) ` +
          `can never deliver (a Promise that never settles? a listener nobody will call?); ${what}`,
      );
    }
    if (why === "sync") {
      const hostOnly = this.#hostSources + this.#promiseSources > 0;
      return new DeadlockError(
        hostOnly
          ? `runSync would wait forever: ${this.#promiseSources > 0 ? "a task awaits a Promise (fromPromise)" : "a task waits on host I/O"}, ` +
              "which cannot deliver while runSync holds the thread: use `await loop.runUntilComplete(...)` (or run()) instead; " +
              what
          : "runSync would wait forever: nothing is ready, no timer is set and no worker or other outside source " +
              `can wake the loop (is a task waiting on a future nobody completes?); ${what}`,
      );
    }
    return new DeadlockError(
      "the run can never finish: nothing is ready, no timer is set and no outside source (socket, worker job, " +
        "Promise, signal handler) is registered; a future completed from a host callback needs " +
        `loop.addOutsideSource(...) (or fromPromise) while it waits; ${what}`,
    );
  }

  #wake(): void {
    this._parked = false;
    this._backend.wakeup();
  }

  #enter(mode: RunMode): void {
    this._mode = mode;
    _setRunningLoop(this);
    if (mode === "host") hostProcess?.on("beforeExit", this.#onHostExhausted);
  }

  /**
   * The host is about to exit while a host run is parked: whatever sources are registered can
   * never deliver (a Promise that never settles, a listener on an emitter nobody emits). Fail
   * the run with DeadlockError rather than let the program end half-way in silence.
   */
  readonly #onHostExhausted = (): void => {
    if (this._mode !== "host" || !this._parked) return;
    const reject = this.#hostReject!;
    const err = this.#deadlock("exhausted");
    this.#exit();
    reject(err);
  };

  #exit(): void {
    if (this._mode === "host") {
      hostProcess?.off("beforeExit", this.#onHostExhausted);
      // The host (and its GC) goes on without this run: what still waits is tracked weakly.
      this.#promoteNursery();
    }
    this._backend.unpark();
    this._parked = false;
    this._stopping = false;
    this._mode = null;
    this.#hostResolve = null;
    this.#hostReject = null;
    _setRunningLoop(null);
  }
}

/** The arguments of every timer scheduled without any (never written: callbacks get them spread). */
const NO_ARGS: unknown[] = [];
/** `args[from..]` as a new array (the extra arguments of callLater/callAt). */
function restOf(args: IArguments, from: number): unknown[] {
  const out: unknown[] = [];
  for (let i = from; i < args.length; i++) out.push(args[i]);
  return out;
}

/** How many pending tasks a DeadlockError names (the rest are counted). */
const DEADLOCK_TASKS_LISTED = 20;
const SOURCE_KINDS: readonly SourceKind[] = ["thread", "host", "promise"];

/** "awaits <Future pending>" / "is ready to run": what a pending task is waiting for. */
function describeWait(t: Task<unknown>): string {
  const w = t._futWaiter;
  if (w !== null) return `awaits ${w.toString()}`;
  const p = t._parkedOn;
  return p === null ? "is not waiting on a future" : `awaits ${p._describeParked(t)}`;
}

/** The bulk purge keeps every live timer (`filter` drops the dead slots). */
function keepAll(): boolean {
  return true;
}

function checkCallback(cb: unknown, where: string): void {
  if (typeof cb !== "function") {
    throw new TypeError(`${where} needs a function to call, got ${describe(cb)}`);
  }
}
