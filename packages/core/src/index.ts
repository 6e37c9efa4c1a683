/**
 * @aioloop/core: asyncio for TypeScript. Futures, Tasks, the event loop core, and the machinery
 * that works on any loop backend. Coroutines are generator functions; `yield*` is `await`.
 *
 * @example
 * import { sleep, gather, type Coro } from "@aioloop/core";
 * import { run } from "@aioloop/timer-loop";
 *
 * function* count(): Coro<void> {
 *   console.log("One");
 *   yield* sleep(1000);
 *   console.log("Two");
 * }
 * await run(function* () { yield* gather([count(), count()]); });
 *
 * @packageDocumentation
 */

export type { Backend } from "./backend.js";
export {
  type LoopHost,
  type OutsideSource,
  type Runnable,
  type SourceKind,
  WAKE_IDLE,
  WAKE_INDEX,
  WAKE_SET,
  blockOn,
} from "./host.js";
export {
  BaseEventLoop,
  DEFAULT_SLOW_CALLBACK_MS,
  HOST_SLICE_MS,
  MAX_CANCELLED_TIMER_FRACTION,
  MIN_SCHEDULED_TIMERS,
} from "./base-loop.js";
export { Context, ContextVar, LookupError, Token, copyContext } from "./context.js";
export {
  type Awaitable,
  type AwaitWithYieldStar,
  type BlockingFuture,
  type Coro,
  isCoroutine,
  isFuture,
} from "./coro.js";
export { coro, coroMethods } from "./coro-fn.js";
export {
  BadYieldError,
  BrokenBarrierError,
  CancelledError,
  DeadlockError,
  ExceptionGroup,
  IncompleteReadError,
  InvalidStateError,
  KeyboardInterrupt,
  LimitOverrunError,
  LoopClosedError,
  LoopRunningError,
  NoRunningLoopError,
  NotACoroutineError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
  namedError,
} from "./errors.js";
export {
  type EventLoop,
  type ExceptionContext,
  type ExceptionHandler,
  type LoopStatistics,
  type TaskFactory,
  type TaskOptions,
  getRunningLoop,
  runningLoopOrNull,
} from "./events.js";
export { type DoneCallback, Future, type FutureState } from "./future.js";
export { Handle, TimerHandle } from "./handle.js";
export { abortSignal, ensureFuture, fromPromise, toPromise } from "./interop.js";
export { sleep } from "./sleep.js";
export { Task, allTasks, createTask, currentTask, eagerTaskFactory } from "./task.js";
export { TimerHeap } from "./timer-heap.js";
export { type AsyncIter, type AsyncIterableCo, BREAK, aiter, forEach, toArray } from "./iter.js";
export {
  type AwaitableLike,
  type AwaitedOf,
  type GatherOptions,
  type GatherResults,
  type GatherSettled,
  type GatherStatistics,
  GatheringFuture,
  gather,
  shield,
} from "./gather.js";
export {
  ALL_COMPLETED,
  AsCompleted,
  type AsCompletedOptions,
  type AsCompletedStatistics,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type FutureOf,
  type ReturnWhen,
  type WaitOptions,
  asCompleted,
  wait,
  waitFor,
} from "./wait.js";
export {
  Timeout,
  type TimeoutState,
  type TimeoutStatistics,
  timeout,
  timeoutAt,
} from "./timeouts.js";
export {
  type GroupTaskOptions,
  TaskGroup,
  type TaskGroupState,
  type TaskGroupStatistics,
  taskGroup,
} from "./taskgroup.js";
export { Barrier, type BarrierState, type BarrierStatistics } from "./barrier.js";
export { Condition, type ConditionStatistics } from "./condition.js";
export { Event, type EventStatistics, Hold, Lock, type LockStatistics } from "./locks.js";
export {
  LifoQueue,
  PriorityQueue,
  type PriorityQueueOptions,
  Queue,
  type QueueStatistics,
} from "./queues.js";
export { BoundedSemaphore, Semaphore, type SemaphoreStatistics } from "./semaphore.js";
export {
  InvalidArgumentError,
  LockNotAcquiredError,
  OverReleaseError,
  TaskDoneError,
} from "./sync-errors.js";
export {
  DEFAULT_TRACE_LIMIT,
  type LoopTracer,
  type StepOutcome,
  type TraceEvent,
  TraceRecorder,
} from "./tracing.js";
export {
  AddressInUseError,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  InterruptedError,
  IsADirectoryError,
  NotADirectoryError,
  OSError,
  type OSErrorClass,
  type OSErrorInfo,
  PermissionError,
  ProcessLookupError,
  osErrorClass,
} from "./os-errors.js";
