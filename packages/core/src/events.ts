/**
 * The `EventLoop` interface and the "running loop" slot.
 *
 * HOW: one module-level slot holds the loop that is running on this thread (asyncio allows one
 * per thread; JavaScript has one thread per realm/worker), so `getRunningLoop()` is a variable
 * read. Loops set it when they start running and clear it when they stop.
 * WHY: everything above the loop (Future, Task, sleep, locks, queues) finds its loop through this
 * slot and the public interface below, so it works on every backend, including users' own.
 */

import type { Context } from "./context.js";
import type { Coro } from "./coro.js";
import { NoRunningLoopError } from "./errors.js";
import type { Future } from "./future.js";
import type { OutsideSource, Runnable } from "./host.js";
import type { Handle, TimerHandle } from "./handle.js";
import type { Task } from "./task.js";
import type { LoopTracer } from "./tracing.js";

/**
 * What `callExceptionHandler` receives, with asyncio's keys (the `context` dict of
 * `loop.call_exception_handler`). Only `message` is always present; reporters add the other
 * keys that apply, and may add keys of their own.
 */
export interface ExceptionContext {
  /** What went wrong, for a human (e.g. "Exception in callback tick"). */
  message: string;
  /** The error that nobody handled, when there is one (asyncio's `exception`). */
  exception?: unknown;
  /** The Future the report is about, e.g. one whose error was never retrieved (asyncio's `future`). */
  future?: Future<unknown>;
  /** The Task the report is about, e.g. a task that failed during `run()`'s shutdown. */
  task?: Task<unknown>;
  /** The callback handle whose callback threw (asyncio's `handle`). */
  handle?: Handle;
  /** A description of the object that is gone (for reports made after garbage collection). */
  source?: string;
  [key: string]: unknown;
}

/**
 * Called with every error nobody else handled; install one with `loop.setExceptionHandler`
 * (asyncio's exception handler, called as `handler(loop, context)`).
 */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/** Options for creating a task. */
export interface TaskOptions {
  /** Shown by `getName()` and in reports; default `Task-N`. */
  name?: string;
  /** The context the task runs in; default: a copy of the current one. */
  context?: Context;
  /** Run the first step synchronously inside `createTask` (asyncio 3.12's eager tasks). */
  eagerStart?: boolean;
}

/**
 * Makes the loop's tasks (`loop.setTaskFactory(f)`, asyncio's task factory); `eagerTaskFactory`
 * is one. It must return a Task (or subclass) that drives `coro` on `loop`.
 */
export type TaskFactory = <T>(loop: EventLoop, coro: Coro<T>, opts: TaskOptions) => Task<T>;

/** What `loop.statistics()` reports. */
export interface LoopStatistics {
  /** Iterations of `runOnce` so far. */
  iterations: number;
  /** Callbacks and task steps run so far. */
  callbacks: number;
  /** Entries in the ready queue now. */
  ready: number;
  /** Timers in the heap now, cancelled ones included until purged. */
  timers: number;
  /** Cancelled timers still in the heap. */
  cancelledTimers: number;
  /** Tasks that are not done. */
  tasks: number;
  /** Outside sources registered now (sockets, worker jobs, pending Promises, …): see `addOutsideSource`. */
  outsideSources: number;
  /** The backend's own counters (`Backend.statistics()`), e.g. the clock kind and waits. */
  backend: Record<string, number | string | boolean>;
}

/**
 * An asyncio event loop (asyncio's `AbstractEventLoop`, with camelCase names and times in
 * milliseconds). `BaseEventLoop` implements it over a pluggable backend; everything in
 * `@aioloop/core` above the loop is written against this interface only.
 *
 * Inside a coroutine, get the running loop with `getRunningLoop()`; outside one, make a loop
 * (e.g. `new TimerLoop()` from `@aioloop/timer-loop`) or let `run()` make one.
 *
 * @example
 * function* main(): Coro<string> {
 *   const loop = getRunningLoop();
 *   const fut = loop.createFuture<string>();
 *   loop.callLater(50, () => fut.setResult("done")); // 50 ms from now
 *   return yield* fut;
 * }
 * const loop = new TimerLoop();
 * console.log(await loop.runUntilComplete(main())); // "done"
 * loop.close();
 */
export interface EventLoop {
  /**
   * The loop's clock, in milliseconds (asyncio's `loop.time()`, which counts seconds). It is
   * monotonic and is the time base of `callAt`, `timeoutAt` and `TimerHandle.when()`; it is
   * not wall-clock time (TimerLoop's real clock is `performance.now()`, its virtual clock starts
   * at 0).
   */
  time(): number;
  /**
   * Run `cb(...args)` in the next loop iteration, after the callbacks already scheduled (FIFO),
   * as asyncio's `loop.call_soon`. The callback runs in a copy of the current context; if it
   * throws, the error goes to the exception handler and the loop goes on.
   * @returns A Handle whose `cancel()` stops the callback from running.
   * @throws {@link LoopClosedError} when the loop is closed.
   * @throws TypeError when `cb` is not a function.
   */
  callSoon<A extends unknown[]>(cb: (...args: A) => void, ...args: A): Handle;
  /**
   * As `callSoon`, and also wakes the loop if it is waiting (asyncio's
   * `loop.call_soon_threadsafe`). Use it from code that runs outside the loop's turn: a
   * Promise's `then`, a Node I/O callback, a worker message handler. Plain `callSoon` from there
   * would queue the callback but might leave the loop asleep until its next deadline.
   * @throws {@link LoopClosedError} when the loop is closed.
   * @throws TypeError when `cb` is not a function.
   */
  callSoonThreadsafe<A extends unknown[]>(cb: (...args: A) => void, ...args: A): Handle;
  /**
   * Run `cb(...args)` once `ms` milliseconds have passed on the loop's clock (asyncio's
   * `loop.call_later`, which takes seconds). Callbacks due at the same time run in the order
   * they were scheduled; a delay of 0 or less runs the callback in the next iteration.
   * @returns A TimerHandle: `cancel()` it to drop the timer, `when()` gives its due time.
   * @throws RangeError when `ms` is not a finite number (use `callSoon` for "now").
   * @throws {@link LoopClosedError} when the loop is closed.
   * @throws TypeError when `cb` is not a function.
   */
  callLater<A extends unknown[]>(ms: number, cb: (...args: A) => void, ...args: A): TimerHandle;
  /**
   * Run `cb(...args)` when `loop.time()` reaches `when` (an absolute loop time in ms), as
   * asyncio's `loop.call_at`. A time already past runs it in the next iteration.
   * @returns A TimerHandle that can be cancelled.
   * @throws RangeError when `when` is not a finite number.
   * @throws {@link LoopClosedError} when the loop is closed.
   * @throws TypeError when `cb` is not a function.
   */
  callAt<A extends unknown[]>(when: number, cb: (...args: A) => void, ...args: A): TimerHandle;
  /**
   * A new pending Future bound to this loop (asyncio's `loop.create_future`). Prefer this over
   * `new Future(loop)`: a loop may return its own Future subclass.
   */
  createFuture<T>(): Future<T>;
  /**
   * Wrap a coroutine in a Task and schedule its first step on this loop (asyncio's
   * `loop.create_task`). Goes through the task factory when one is set (`setTaskFactory`).
   * Keep a reference to the Task (or await it) if you need its result or its errors.
   * @throws {@link LoopClosedError} when the loop is closed.
   * @throws {@link NotACoroutineError} when `coro` is not a coroutine object (for example a
   * generator function that was not called: pass `main()`, not `main`).
   * @example
   * const t = loop.createTask(worker(1), { name: "worker-1" });
   */
  createTask<T>(coro: Coro<T>, opts?: TaskOptions): Task<T>;
  /**
   * Make `createTask` (this loop's, and the module-level `createTask` while this loop runs)
   * call `factory(loop, coro, opts)` instead of `new Task(...)`, as asyncio's
   * `loop.set_task_factory`; `null` restores the default. `eagerTaskFactory` is one such
   * factory. `opts` is `{}` when the caller gave none.
   * @throws TypeError when `factory` is neither a function nor null.
   */
  setTaskFactory(factory: TaskFactory | null): void;
  /** The task factory set with `setTaskFactory`, or null when tasks are made the default way (asyncio's `loop.get_task_factory`). */
  getTaskFactory(): TaskFactory | null;
  /**
   * Run the loop until `aw` is done and resolve to its result (asyncio's
   * `loop.run_until_complete`). `aw` may be a Future, a Task, or a coroutine (wrapped in a
   * Task). The loop runs its iterations in turns of the host's event loop, so Node's own I/O,
   * timers and Promises keep working meanwhile. The loop is left open: call `close()` when done
   * with it (or use `run()`, which does all of this).
   *
   * The returned Promise rejects with `aw`'s error (or {@link CancelledError} when it was
   * cancelled); with {@link LoopClosedError} when the loop is closed; with
   * {@link LoopRunningError} when this loop, or another loop, is already running (inside a
   * coroutine, `yield*` the work instead); with {@link InvalidStateError} when `stop()` ended the
   * run before `aw` finished.
   */
  runUntilComplete<T>(aw: import("./coro.js").Awaitable<T>): Promise<T>;
  /**
   * Run the loop until `stop()` is called, in turns of the host's event loop (asyncio's
   * `loop.run_forever`). The Promise resolves once the loop has stopped.
   * Rejects with {@link LoopClosedError} when the loop is closed, and with
   * {@link LoopRunningError} when this loop or another one is already running.
   */
  runForever(): Promise<void>;
  /**
   * Stop the loop after the current iteration (asyncio's `loop.stop`). Callbacks scheduled by
   * that iteration stay queued and run when the loop is run again. Called before
   * `runForever`, the next run does exactly one iteration and then stops.
   */
  stop(): void;
  /** True while the loop runs (`runForever`, `runUntilComplete` or `runSync`), as asyncio's `loop.is_running`. */
  isRunning(): boolean;
  /** True once `close()` was called (asyncio's `loop.is_closed`); a closed loop cannot be used again. */
  isClosed(): boolean;
  /**
   * Close the loop (asyncio's `loop.close`): pending callbacks and timers are dropped without
   * running and the backend releases its resources (host timers, sockets). Tasks are not
   * cancelled first: `run()` does that for you. Calling it again does nothing.
   * @throws {@link LoopRunningError} when the loop is running (call `stop()` and wait first).
   */
  close(): void;
  /**
   * Set the function that receives every error nobody else handled (asyncio's
   * `loop.set_exception_handler`): errors thrown by callbacks, failed futures whose error was
   * never retrieved, tasks collected while still pending. It is called as
   * `handler(loop, context)`; `null` restores the default handler.
   * @throws TypeError when `handler` is neither a function nor null.
   * @example
   * loop.setExceptionHandler((loop, ctx) => {
   *   logger.error(ctx.message, ctx.exception);
   *   loop.defaultExceptionHandler(ctx); // also print as usual
   * });
   */
  setExceptionHandler(handler: ExceptionHandler | null): void;
  /** The handler set with `setExceptionHandler`, or null when the default one is used (asyncio's `loop.get_exception_handler`). */
  getExceptionHandler(): ExceptionHandler | null;
  /**
   * Report an error that nobody handled (asyncio's `loop.call_exception_handler`): calls the
   * handler set with `setExceptionHandler`, or `defaultExceptionHandler` when none is set. If
   * the handler itself throws, that error is reported by the default handler (message
   * "Unhandled error in exception handler") instead of propagating.
   */
  callExceptionHandler(context: ExceptionContext): void;
  /**
   * The default handler (asyncio's `loop.default_exception_handler`): prints `context.message`,
   * the other context keys, and the exception with `console.error`. Call it from a custom
   * handler to keep the default output.
   */
  defaultExceptionHandler(context: ExceptionContext): void;
  /** True when debug mode is on (asyncio's `loop.get_debug`). */
  getDebug(): boolean;
  /**
   * Turn debug mode on or off (asyncio's `loop.set_debug`). In debug mode, `BaseEventLoop`
   * times every callback and task step and reports, with `console.warn`, those that took at
   * least `slowCallbackDuration` milliseconds (100 by default): they block the whole loop.
   */
  setDebug(enabled: boolean): void;
  /** Counters for monitoring and tests. */
  statistics(): LoopStatistics;
  /**
   * Watch tasks, timers and I/O as they happen (see `TraceRecorder`); null turns tracing off.
   * A loop without a tracer pays one branch per task step and timer.
   * @throws TypeError when `tracer` is neither an object nor null.
   */
  setTracer(tracer: LoopTracer | null): void;
  /** The tracer set with `setTracer`, or null when tracing is off. */
  getTracer(): LoopTracer | null;

  /**
   * Tell the loop that `src` may still deliver work to it (a worker job, a socket, a Promise,
   * an event listener that will complete a future): while it is registered, a run that has
   * nothing ready and no timer waits for it instead of failing with `DeadlockError`. Call the
   * returned function (idempotent) once it cannot deliver any more. See `OutsideSource`.
   * @throws {@link LoopClosedError} when the loop is closed.
   * @example
   * const release = loop.addOutsideSource({ kind: "host", name: "bus 'message' listener" });
   * bus.once("message", (m) => {
   *   release();
   *   loop.callSoonThreadsafe(() => fut.setResult(m));
   * });
   */
  addOutsideSource(src: OutsideSource): () => void;
  /**
   * The wake word (one Int32 on a SharedArrayBuffer; null where the runtime has none): a
   * worker thread that queued work for this loop does
   * `Atomics.store(w, WAKE_INDEX, WAKE_SET); Atomics.notify(w, WAKE_INDEX)` to wake it, even
   * while it blocks in `runSync`.
   */
  readonly wakeWord: Int32Array | null;

  /** @internal The tracer, or null (hot paths test this one field). */
  _tracer: LoopTracer | null;

  /** @internal Queue a Runnable without allocating a Handle (Future and Task use it). */
  _scheduleRunnable(r: Runnable): void;
  /** @internal Track a task that suspended for the first time (for `allTasks`). */
  _trackTask(task: Task<unknown>): void;
  /** @internal Forget a finished task. */
  _untrackTask(task: Task<unknown>): void;
  /** @internal The tasks of this loop that are not done. */
  _allTasks(): Set<Task<unknown>>;
  /** @internal Called by TimerHandle.cancel while the handle is in the timer queue. */
  _timerHandleCancelled(h: TimerHandle): void;
}

let running: EventLoop | null = null;

/**
 * The loop running now (asyncio's `asyncio.get_running_loop()`). Call it from a coroutine or a
 * callback run by the loop.
 * @throws {@link NoRunningLoopError} when no loop is running (outside `run()`, `runSync()` or
 * `loop.runUntilComplete()`).
 * @example
 * function* tick(): Coro<void> {
 *   const loop = getRunningLoop();
 *   loop.callLater(1000, () => console.log("a second later, at", loop.time(), "ms"));
 * }
 */
export function getRunningLoop(): EventLoop {
  if (running === null) {
    throw new NoRunningLoopError(
      "no running event loop: call this from a coroutine run by run(), runSync() or loop.runUntilComplete()",
    );
  }
  return running;
}

/**
 * The loop running now, or null when none is (asyncio's `asyncio._get_running_loop()`): for
 * code that works both inside and outside a loop, such as a `run()` that must refuse to nest.
 * Never throws.
 */
export function runningLoopOrNull(): EventLoop | null {
  return running;
}

/** @internal The running loop or null (never throws). */
export function _getRunningLoop(): EventLoop | null {
  return running;
}

/** @internal Called by loops as they start and stop running. */
export function _setRunningLoop(loop: EventLoop | null): void {
  running = loop;
}
