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
import type { Handle, TimerHandle } from "./handle.js";
import type { Task } from "./task.js";
import type { LoopTracer } from "./tracing.js";

/** @internal A unit of work in the ready queue: a Handle, or a Task's next step. */
export interface Runnable {
  _run(): void;
}

/** What `callExceptionHandler` receives, with asyncio's keys. */
export interface ExceptionContext {
  message: string;
  exception?: unknown;
  future?: Future<unknown>;
  task?: Task<unknown>;
  handle?: Handle;
  /** A description of the object that is gone (for reports made after garbage collection). */
  source?: string;
  [key: string]: unknown;
}

/** Called with every error nobody else handled. */
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

/** Makes the loop's tasks (`loop.setTaskFactory(f)`); `eagerTaskFactory` is one. */
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
  backend: Record<string, number | string | boolean>;
}

/**
 * An asyncio event loop. `BaseEventLoop` implements it over a pluggable backend; everything in
 * `@aioloop/core` above the loop is written against this interface only.
 */
export interface EventLoop {
  /** The loop's clock, in milliseconds. */
  time(): number;
  /** Run `cb(...args)` in the next iteration, after callbacks already scheduled (FIFO). */
  callSoon<A extends unknown[]>(cb: (...args: A) => void, ...args: A): Handle;
  /** As `callSoon`, safe from host callbacks outside the loop's turn: wakes a waiting loop. */
  callSoonThreadsafe<A extends unknown[]>(cb: (...args: A) => void, ...args: A): Handle;
  /** Run `cb(...args)` after `ms` milliseconds. */
  callLater<A extends unknown[]>(ms: number, cb: (...args: A) => void, ...args: A): TimerHandle;
  /** Run `cb(...args)` when `loop.time()` reaches `when`. */
  callAt<A extends unknown[]>(when: number, cb: (...args: A) => void, ...args: A): TimerHandle;
  /** A new pending Future on this loop. */
  createFuture<T>(): Future<T>;
  /** Wrap a coroutine in a Task scheduled on this loop. */
  createTask<T>(coro: Coro<T>, opts?: TaskOptions): Task<T>;
  setTaskFactory(factory: TaskFactory | null): void;
  getTaskFactory(): TaskFactory | null;
  /** Run until `aw` is done, cooperating with the host's event loop; resolves to its result. */
  runUntilComplete<T>(aw: import("./coro.js").Awaitable<T>): Promise<T>;
  /** Run until `stop()`. */
  runForever(): Promise<void>;
  /** Stop after the current iteration (before `runForever`: run exactly one). */
  stop(): void;
  isRunning(): boolean;
  isClosed(): boolean;
  /** Close the loop: it must not be running; pending callbacks are dropped. */
  close(): void;
  setExceptionHandler(handler: ExceptionHandler | null): void;
  getExceptionHandler(): ExceptionHandler | null;
  callExceptionHandler(context: ExceptionContext): void;
  defaultExceptionHandler(context: ExceptionContext): void;
  getDebug(): boolean;
  setDebug(enabled: boolean): void;
  /** Counters for monitoring and tests. */
  statistics(): LoopStatistics;
  /** Watch tasks, timers and I/O (see `TraceRecorder`); null turns tracing off. */
  setTracer(tracer: LoopTracer | null): void;
  getTracer(): LoopTracer | null;

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
}

let running: EventLoop | null = null;

/** The running loop. Throws `NoRunningLoopError` when called outside one. */
export function getRunningLoop(): EventLoop {
  if (running === null) {
    throw new NoRunningLoopError(
      "no running event loop: call this from a coroutine run by run(), runSync() or loop.runUntilComplete()",
    );
  }
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
