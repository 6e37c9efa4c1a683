/**
 * `run` and `runSync`: asyncio.run for aioloop. Create a loop, run the main coroutine, cancel
 * whatever tasks it left behind (letting their cleanup run), close the loop.
 *
 * Ctrl-C during `run` cancels the main task; its `finally` blocks and the leftover tasks'
 * cleanup run, then `run` rejects with `KeyboardInterrupt`. A second Ctrl-C kills the process as
 * Node normally does. (`runSync` holds the thread, so Ctrl-C ends the process at once.)
 */

import {
  type Awaitable,
  CancelledError,
  type Coro,
  KeyboardInterrupt,
  type EventLoop,
  LoopRunningError,
  NotACoroutineError,
  allTasks,
  currentTask,
  isCoroutine,
  runningLoopOrNull,
} from "@aioloop/core";
import { type ClockKind, TimerLoop, type TimerLoopOptions } from "./timer-loop.js";

/** Options for `run`/`runSync`: asyncio.run's `debug`, plus the clock or a loop of your own. */
export interface RunOptions {
  /** "real" (default) or "virtual". */
  clock?: ClockKind;
  /** Debug mode (slow-callback reports). */
  debug?: boolean;
  /** The loop to use instead of a new TimerLoop (it is closed at the end); `clock` and `debug` are then ignored. */
  loop?: TimerLoop;
}

/**
 * The host's `process` where there is one (Node, Bun, Deno): Ctrl-C handling. Looked up, not
 * assumed, so `run()` also works in a browser (there is no Ctrl-C to catch there).
 */
const hostProcess = (
  globalThis as {
    process?: {
      once(ev: "SIGINT", cb: () => void): unknown;
      removeListener(ev: "SIGINT", cb: () => void): unknown;
    };
  }
).process;

/** `main` as a coroutine object. */
function toCoro<T>(main: Coro<T> | (() => Coro<T>), where: string): Coro<T> {
  const coro = typeof main === "function" ? main() : main;
  if (!isCoroutine(coro)) {
    const got =
      typeof (coro as PromiseLike<unknown> | null)?.then === "function"
        ? "a Promise (an async function?): write `function* main() { … }` and `yield* fromPromise(p)` inside it"
        : `${typeof coro}`;
    throw new NotACoroutineError(`${where} needs a coroutine or a generator function, got ${got}`);
  }
  return coro as Coro<T>;
}

function checkNoRunningLoop(where: string): void {
  // Not getRunningLoop() in a try: its error's stack trace was a fifth of an empty run.
  if (runningLoopOrNull() !== null) {
    throw new LoopRunningError(
      `${where} cannot be called from a running event loop: yield* the coroutine instead`,
    );
  }
}

function makeLoop(opts: RunOptions): TimerLoop {
  if (opts.loop !== undefined) return opts.loop;
  const lo: TimerLoopOptions = {};
  if (opts.clock !== undefined) lo.clock = opts.clock;
  if (opts.debug !== undefined) lo.debug = opts.debug;
  return new TimerLoop(lo);
}

/** Cancel every task left on the loop and wait for them (asyncio.run's cleanup). */
function* cancelAll(loop: EventLoop): Coro<void> {
  const tasks = [...allTasks(loop)].filter((t) => t !== currentTask());
  for (const t of tasks) t.cancel();
  for (const t of tasks) {
    try {
      yield* t as Awaitable<unknown>;
    } catch (e) {
      if (!(e instanceof CancelledError)) {
        loop.callExceptionHandler({
          message: "unhandled exception during run() shutdown",
          exception: e,
          task: t,
        });
      }
    }
  }
}

/**
 * Run `main` on a new TimerLoop cooperating with Node's event loop and resolve to its result,
 * as `asyncio.run`: the loop runs `main` as a task named "main", then cancels the tasks it left
 * behind and waits for their cleanup, then closes. Node's own I/O, timers and Promises keep
 * working meanwhile (`fromPromise` works). Ctrl-C cancels `main` (see `KeyboardInterrupt`).
 *
 * `main` is a coroutine (`main()`) or a generator function (called with no arguments).
 * The Promise rejects with `main`'s error; with `KeyboardInterrupt` after Ctrl-C; with
 * `LoopRunningError` when called from inside a running loop (`yield*` the coroutine there
 * instead); with `NotACoroutineError` when `main` is neither a coroutine nor a function
 * returning one. Errors of leftover tasks during the shutdown go to the loop's exception handler.
 * @example
 * import { sleep } from "@aioloop/core";
 * import { run } from "@aioloop/timer-loop";
 *
 * const v = await run(function* () {
 *   yield* sleep(100); // 100 ms
 *   return 42;
 * });
 * @example
 * // A virtual clock: the hour passes at once.
 * await run(function* () { yield* sleep(3_600_000); }, { clock: "virtual" });
 */
export async function run<T>(main: Coro<T> | (() => Coro<T>), opts: RunOptions = {}): Promise<T> {
  checkNoRunningLoop("run()");
  const coro = toCoro(main, "run()");
  const loop = makeLoop(opts);
  const task = loop.createTask(coro, { name: "main" });
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    task.cancel("KeyboardInterrupt");
  };
  hostProcess?.once("SIGINT", onSigint);
  try {
    return await loop.runUntilComplete(task);
  } catch (e) {
    if (interrupted && e instanceof CancelledError)
      throw new KeyboardInterrupt("interrupted by Ctrl-C (SIGINT)");
    throw e;
  } finally {
    hostProcess?.removeListener("SIGINT", onSigint);
    try {
      // Always one more pass, as asyncio.run's shutdown steps: callbacks main's completion
      // queued still run, and leftover tasks are cancelled and awaited.
      await loop.runUntilComplete(cancelAll(loop));
    } finally {
      loop.close();
    }
  }
}

/**
 * Run `main` on a new TimerLoop on the calling thread and return its result synchronously: an
 * `asyncio.run` that never returns to Node's event loop until done. Leftover tasks are
 * cancelled and awaited, and the loop is closed, as with `run`. With the real clock the thread
 * blocks between deadlines (sub-millisecond precision); with the virtual clock time jumps.
 * Because Node's event loop does not turn meanwhile, Promises cannot settle: use `run` for
 * code that awaits Promises.
 * @throws `main`'s error when it fails.
 * @throws `DeadlockError` when nothing could ever finish `main` (e.g. it awaits a Promise
 * through `fromPromise`, or a future nobody completes).
 * @throws `LoopRunningError` when called from inside a running loop.
 * @throws `NotACoroutineError` when `main` is neither a coroutine nor a function returning
 * one.
 * @example
 * const v = runSync(function* () {
 *   yield* sleep(0.3); // 0.3 ms
 *   return 42;
 * });
 * @example
 * const t = runSync(function* () {
 *   yield* sleep(60_000);
 *   return getRunningLoop().time();
 * }, { clock: "virtual" }); // 60000, without waiting a minute
 */
export function runSync<T>(main: Coro<T> | (() => Coro<T>), opts: RunOptions = {}): T {
  checkNoRunningLoop("runSync()");
  const coro = toCoro(main, "runSync()");
  const loop = makeLoop(opts);
  try {
    return loop.runSync(loop.createTask(coro, { name: "main" }));
  } finally {
    try {
      loop.runSync(cancelAll(loop));
    } finally {
      loop.close();
    }
  }
}
