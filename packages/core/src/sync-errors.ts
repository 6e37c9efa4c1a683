/**
 * The errors that misuse of the synchronization primitives and queues throws (asyncio raises
 * RuntimeError or ValueError for these; here each has its own name).
 *
 * HOW: as errors.ts: plain Error subclasses with `name` on the prototype, so `instanceof` and
 * `err.name` both work. WHY separate: they belong to locks.ts, semaphore.ts, queues.ts and
 * friends, and errors.ts keeps the names API.md fixes.
 */

import { namedError as named } from "./errors.js";

/**
 * A lock was released while not acquired, or a Condition was waited on or notified without
 * holding its lock (asyncio's RuntimeError).
 */
export class LockNotAcquiredError extends Error {}
named(LockNotAcquiredError, "LockNotAcquiredError");

/**
 * A BoundedSemaphore was released more times than it was acquired (asyncio's ValueError
 * "BoundedSemaphore released too many times").
 */
export class OverReleaseError extends Error {}
named(OverReleaseError, "OverReleaseError");

/**
 * `queue.taskDone()` was called more times than items were put (asyncio's ValueError
 * "task_done() called too many times").
 */
export class TaskDoneError extends Error {}
named(TaskDoneError, "TaskDoneError");

/**
 * A synchronization primitive or queue was given a bad argument: a negative or fractional
 * `maxsize`, a Semaphore value below 0, a Barrier of fewer than 1 party, an item the default
 * PriorityQueue order cannot compare (asyncio's ValueError / TypeError).
 */
export class InvalidArgumentError extends RangeError {}
named(InvalidArgumentError, "InvalidArgumentError");
