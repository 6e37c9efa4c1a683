/**
 * `taskGroup`: structured concurrency, as asyncio 3.13's `async with asyncio.TaskGroup() as tg`.
 * The body runs in the current task (the "parent") and starts children with `tg.createTask`;
 * `taskGroup` returns only when every child is done.
 *
 * HOW: each child gets one done-callback. The first child that fails (any error but
 * CancelledError) aborts the group: every other child is cancelled, and so is the parent task,
 * so the body stops at its current `yield*`. On the way out the group waits for the children
 * on a private future (re-created after each wake-up), then decides what to throw:
 *
 *   body ends (value / error) ──► errors? abort ──► wait until no child is left
 *                                                        │
 *     the group cancelled the parent? uncancel() ────────┤  (cancelling() back to its old value)
 *     child errors, or the body's own error ─────────────┼──► throw ExceptionGroup(all of them)
 *     the parent was cancelled from outside, no errors ──┼──► throw that CancelledError
 *     otherwise ─────────────────────────────────────────┴──► return the body's value
 *
 * With errors to report while the parent is also being cancelled from outside, the group
 * throws the ExceptionGroup and re-requests the parent's cancellation (uncancel + cancel keeps
 * the count), so the outer cancel is not lost: the parent's next suspension raises it.
 *
 * WHY: the parent never outlives its children and never loses an error; the `cancelling()`
 * bookkeeping lets groups and timeouts nest. Written against the public Task/Future/EventLoop
 * API only (`currentTask`, `cancel`, `cancelling`, `uncancel`, done-callbacks).
 * Costs: createTask O(1); each child completion O(1); exit O(children) to cancel on abort.
 */

import { type Coro, describe, isCoroutine } from "./coro.js";
import { CancelledError, ExceptionGroup, InvalidStateError } from "./errors.js";
import { type EventLoop, type TaskOptions, getRunningLoop } from "./events.js";
import type { Future } from "./future.js";
import { type Task, currentTask } from "./task.js";
import { coro } from "./coro-fn.js";

/** The states of a TaskGroup: its body runs, it waits for its children, or it is done. */
export type TaskGroupState = "active" | "exiting" | "finished";

/** What `TaskGroup.statistics()` reports. */
export interface TaskGroupStatistics {
  /** Where the group is in its life: see `TaskGroupState`. */
  state: TaskGroupState;
  /** True once an error (or the parent's cancellation) made the group cancel its children. */
  aborting: boolean;
  /** Children not yet done. */
  running: number;
  /** Children created so far. */
  created: number;
  /** Child errors collected so far. */
  errors: number;
}

/** Options of `TaskGroup.createTask`. */
export type GroupTaskOptions = Pick<TaskOptions, "name" | "context">;

/** The message of the ExceptionGroup a task group throws, as Python prints it. */
function groupMessage(n: number): string {
  return `unhandled errors in a TaskGroup (${n} sub-exception${n === 1 ? "" : "s"})`;
}

/**
 * A group of child tasks whose lifetime is bounded by `taskGroup`'s body. Handed to the body;
 * start children with `createTask`.
 */
export class TaskGroup {
  /** Invariant: "active" while the body runs; "finished" once `taskGroup` returned or threw. */
  #state: TaskGroupState = "active";
  /** Invariant: once true, stays true; no new child may be created. */
  #aborting = false;
  /** Invariant: true iff this group called `parent.cancel()` and has not yet taken it back. */
  #parentCancelRequested = false;
  readonly #loop: EventLoop;
  readonly #parent: Task<unknown>;
  /** Invariant: the children that are not done. */
  readonly #tasks = new Set<Task<unknown>>();
  /** Child errors in completion order (the body's own error is added last, on exit). */
  readonly #errors: unknown[] = [];
  /** Invariant: non-null only while the exit waits for the last child. */
  #onCompleted: Future<void> | null = null;
  #created = 0;
  readonly #onTaskDone = (task: Future<unknown>): void => this.#taskDone(task as Task<unknown>);

  /** @internal Made by `taskGroup`, in the parent task. */
  constructor(loop: EventLoop, parent: Task<unknown>) {
    this.#loop = loop;
    this.#parent = parent;
  }

  /**
   * Start `coro` as a child task (`{ name }` as `createTask`). Throws `InvalidStateError` once
   * the group is shutting down after an error, or finished.
   * @example
   * yield* taskGroup(function* (tg) {
   *   const a = tg.createTask(fetchA(), { name: "a" });
   *   const b = tg.createTask(fetchB());
   *   yield* sleep(10); // a and b run meanwhile
   * });
   */
  createTask<T>(coro: Coro<T>, opts: GroupTaskOptions = {}): Task<T> {
    if (this.#state === "finished" || (this.#state === "exiting" && this.#tasks.size === 0)) {
      closeCoro(coro);
      throw new InvalidStateError(
        `${this} is finished: create tasks inside its body (or from its running children)`,
      );
    }
    if (this.#aborting) {
      closeCoro(coro);
      throw new InvalidStateError(
        `${this} is shutting down after an error or a cancellation: it takes no new tasks`,
      );
    }
    const task = this.#loop.createTask(coro, opts);
    this.#created++;
    this.#tasks.add(task as Task<unknown>);
    // Always through the callback, even for a task that finished eagerly, so an eager failure
    // does not cancel the parent while it is still inside createTask.
    task.addDoneCallback(this.#onTaskDone);
    // An eager child may have failed and aborted the group before it joined #tasks.
    if (this.#aborting && !task.done()) task.cancel();
    return task;
  }

  /** Counters for monitoring and tests. */
  statistics(): TaskGroupStatistics {
    return {
      state: this.#state,
      aborting: this.#aborting,
      running: this.#tasks.size,
      created: this.#created,
      errors: this.#errors.length,
    };
  }

  /** A short description such as `<TaskGroup tasks=2 active>`. */
  toString(): string {
    const info: string[] = [];
    if (this.#tasks.size > 0) info.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length > 0) info.push(`errors=${this.#errors.length}`);
    info.push(this.#aborting ? "cancelling" : this.#state);
    return `<TaskGroup ${info.join(" ")}>`;
  }

  /**
   * @internal The end of the body: wait for every child, then throw what must be thrown.
   * Returns normally only when the body returned and nothing failed.
   */
  *_exit(failed: boolean, error: unknown): Coro<void> {
    this.#state = "exiting";
    let propagate: CancelledError | null = failed && error instanceof CancelledError ? error : null;
    // The body failed or was cancelled: stop the children too.
    if (failed && !this.#aborting) this.#abort();

    // A loop: the parent may be cancelled (again) while it waits here.
    while (this.#tasks.size > 0) {
      const fut = this.#loop.createFuture<void>();
      this.#onCompleted = fut;
      try {
        yield* fut;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        if (!this.#aborting) {
          // The parent is cancelled from outside while the children still run.
          propagate = e;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }

    const parent = this.#parent;
    if (this.#parentCancelRequested) {
      this.#parentCancelRequested = false;
      // Take back the cancel this group made; with none left, its CancelledError was ours.
      if (parent.uncancel() === 0) propagate = null;
    }
    this.#state = "finished";
    // A cancellation from outside wins over a clean exit, but errors win over it.
    if (propagate !== null && this.#errors.length === 0) throw propagate;

    const errors = this.#errors.slice();
    if (failed && !(error instanceof CancelledError)) errors.push(error);
    if (errors.length > 0) {
      // Keep an outside cancellation alive for the parent's next suspension.
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      throw new ExceptionGroup(groupMessage(errors.length), errors);
    }
  }

  /** @internal The coroutine was closed with `return()`: cancel the children, wait for none. */
  _close(): void {
    if (this.#state === "finished") return;
    if (!this.#aborting) this.#abort();
    this.#state = "finished";
  }

  #abort(): void {
    this.#aborting = true;
    for (const t of this.#tasks) if (!t.done()) t.cancel();
  }

  #taskDone(task: Task<unknown>): void {
    this.#tasks.delete(task);
    const waiter = this.#onCompleted;
    if (waiter !== null && this.#tasks.size === 0 && !waiter.done()) waiter.setResult(undefined);
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this.#errors.push(exc);
    const parent = this.#parent;
    if (parent.done()) {
      this.#loop.callExceptionHandler({
        message: `Task ${task.getName()} failed but its task group's parent task ${parent.getName()} is already done`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Stop the body where it is; the exit takes this cancel back with uncancel().
      this.#abort();
      this.#parentCancelRequested = true;
      parent.cancel();
    }
  }
}

function closeCoro(coro: unknown): void {
  // A refused coroutine never runs; closing it runs its `finally` blocks, as Python's close().
  if (isCoroutine(coro)) coro.return(undefined as never);
}

/**
 * Run `body` with a `TaskGroup` and wait for every task it starts, as asyncio.TaskGroup.
 *
 * If a child fails, the other children and the body are cancelled, and `taskGroup` throws an
 * `ExceptionGroup` of every child error (plus the body's own error, if it threw one). The
 * parent task's `cancelling()` count is restored. If the parent task is cancelled from
 * outside, the children are cancelled and `CancelledError` (not a group) is thrown.
 * Returns the body's value when nothing failed.
 *
 * @example
 * const [user, posts] = yield* taskGroup(function* (tg) {
 *   return [tg.createTask(fetchUser(id)), tg.createTask(fetchPosts(id))] as const;
 * });
 * render(user.result(), posts.result()); // every child is done here
 *
 * @example
 * try {
 *   yield* taskGroup(function* (tg) {
 *     tg.createTask(worker(1));
 *     tg.createTask(worker(2));
 *   });
 * } catch (e) {
 *   if (e instanceof ExceptionGroup) for (const err of e.errors) console.error(err);
 *   else throw e;
 * }
 */
export function taskGroup<T>(body: (tg: TaskGroup) => Coro<T>): Coro<T> {
  if (typeof body !== "function") {
    throw new TypeError(
      `taskGroup needs a body function, \`function* (tg) { ... }\`, got ${describe(body)}`,
    );
  }
  return runGroup(body);
}

const runGroup = coro(function* runGroup<T>(body: (tg: TaskGroup) => Coro<T>): Coro<T> {
  const loop = getRunningLoop();
  const parent = currentTask();
  if (parent === null) {
    throw new InvalidStateError(
      "taskGroup() must run inside a task: use it from a coroutine run by the loop, not from a plain callback",
    );
  }
  const tg = new TaskGroup(loop, parent);
  let settled = false;
  try {
    let value: T;
    try {
      value = yield* body(tg);
    } catch (e) {
      settled = true;
      yield* tg._exit(true, e);
      throw e; // not reached: a failed body always ends in a throw from _exit
    }
    settled = true;
    yield* tg._exit(false, undefined);
    return value;
  } finally {
    if (!settled) tg._close();
  }
});
