/**
 * Task's parts that need no access to the running task: its flag bits and rare state (task.ts
 * keeps a Task small: see the fields there), and the errors a step raises for a bad yield or a
 * non-coroutine.
 */

import { asyncHabitFix, describe, isCoroutine, isFuture, isThenable } from "./coro.js";
import { BadYieldError, type CancelledError, NotACoroutineError } from "./errors.js";
import type { Task } from "./task.js";

/**
 * @internal The cancel of a parked task, until its next step makes the CancelledError (making an Error
 * captures a stack: too dear to do for every cancel of a mass cancellation up front).
 */
export class DeferredCancel {
  readonly message: string | undefined;
  constructor(message: string | undefined) {
    this.message = message;
  }
}

/** @internal A task's rare state (`Task._x`): made by the first cancel request or bad yield. */
export class TaskExtra {
  weakRef: WeakRef<Task<unknown>> | null = null;
  numCancels = 0;
  cancelledExc: CancelledError | null = null;
  stepError: Error | DeferredCancel | null = null;
}

/** @internal `Task._flags` (above Future's bits): the next step must throw CancelledError in. */
export const F_MUST_CANCEL = 8;
/** @internal `Task._flags`: the loop tracks this task (from its first suspension). */
export const F_TRACKED = 16;
/** @internal `Task._flags`: `_x.stepError` is set. */
export const F_STEP_ERROR = 32;
/** @internal `Task._flags`: tracked in the loop's nursery (`_weakRef` is IN_NURSERY). */
export const F_IN_NURSERY = 256;
/**
 * @internal `_weakRef` of a task tracked in its loop's nursery (base-loop.ts): a flag bit on
 * the task, this shared value to the loop.
 */
export const IN_NURSERY = Object.freeze(new WeakRef({})) as WeakRef<Task<unknown>>;
/** @internal The steps the fast path leaves to `_step`: something to throw in. */
export const F_SLOW_STEP = F_MUST_CANCEL | F_STEP_ERROR;

/** @internal The error for a value a task cannot wait on. */
export function badYield(task: Task<unknown>, y: unknown): BadYieldError {
  const who = `task ${task.getName()}`;
  if (isFuture(y)) {
    if (y === task)
      return new BadYieldError(`${who} awaited itself: a task cannot wait for its own result`);
    if (y._loop !== task._loop) {
      return new BadYieldError(
        `${who} awaited a future of a different event loop: create it with this loop`,
      );
    }
    return new BadYieldError(
      `${who} used \`yield fut\`: write \`yield* fut\` (with the star) to await a future`,
    );
  }
  if (isThenable(y)) {
    return new BadYieldError(
      `${who} yielded ${describe(y)}: write \`yield* fromPromise(p)\` to await a Promise`,
    );
  }
  if (isCoroutine(y)) {
    return new BadYieldError(
      `${who} yielded a generator: write \`yield* gen\` (with the star) to await a coroutine`,
    );
  }
  return new BadYieldError(
    `${who} yielded ${describe(y)}: yield only with \`yield*\` on an awaitable, or a bare \`yield\` to give up one iteration`,
  );
}

/** @internal Throw NotACoroutineError unless `coro` is a generator object. */
export function checkCoroutine(coro: unknown, where: string): void {
  if (isCoroutine(coro)) return;
  let hint = asyncHabitFix(coro);
  if (hint === null && typeof coro === "function")
    hint = `call it first: pass \`${coro.name || "fn"}()\`, not the function`;
  hint ??= "pass a generator object such as `main()`";
  throw new NotACoroutineError(`${where} needs a coroutine, got ${describe(coro)}: ${hint}`);
}
