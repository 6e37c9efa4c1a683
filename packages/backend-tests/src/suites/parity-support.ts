/**
 * What the CPython 3.13 parity replays share (see parity.ts): how one replay runs on the loop
 * under test, loop time as the Python program saw it, and the log helpers.
 */
import {
  type Awaitable,
  type BaseEventLoop,
  type Coro,
  type Future,
  InvalidStateError,
  type Task,
  TaskDoneError,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { drive } from "../support.js";

export type Log = unknown[];

/** One loop's way of replaying a Python program, shared by the parity-*.ts groups. */
export interface Replay {
  readonly l: LoopUnderTest;
  /** asyncio.run(main()): `main` on a fresh loop of `l` (see `runOn`), resolving to its result. */
  run<T>(main: () => Coro<T>): Promise<T>;
  /**
   * The running loop's time since the replay's main started: the Python programs ran on a
   * virtual clock that starts at 0, so on a virtual clock these are the times their logs print.
   */
  now(): number;
  /** The loop time `ms` after the replay's main started: an absolute time of the Python program. */
  at(ms: number): number;
  /** Run a hand-driven loop until `aw` is done: `runSync` when `l` blocks, else `runUntilComplete`. */
  drive<T>(loop: BaseEventLoop, aw: Awaitable<T>): Promise<T>;
}

export function replay(l: LoopUnderTest): Replay {
  let start = 0;
  return {
    l,
    run<T>(main: () => Coro<T>): Promise<T> {
      return runOn(l, function* (): Coro<T> {
        start = getRunningLoop().time();
        return yield* main();
      });
    },
    now: () => getRunningLoop().time() - start,
    at: (ms) => start + ms,
    drive: <T>(loop: BaseEventLoop, aw: Awaitable<T>): Promise<T> => drive(l, loop, aw),
  };
}

export function me(): Task<unknown> {
  return currentTask()!;
}

/** The Python exception class name a JS error stands for. */
export function ename(e: unknown): string {
  if (e instanceof TaskDoneError) return "ValueError";
  if (e instanceof InvalidStateError) return "RuntimeError";
  return (e as Error)?.name ?? typeof e;
}

export class Boom extends Error {}
Object.defineProperty(Boom.prototype, "name", { value: "Boom" });

/** A task that logs ["tick", i] once per loop iteration, n times. */
export function ticker(log: Log, n = 6): Task<void> {
  return createTask(
    (function* () {
      for (let i = 0; i < n; i++) {
        log.push(["tick", i]);
        yield;
      }
    })(),
  );
}

/** `gather(..., return_exceptions=True)` over tasks, just to wait for them all. */
export function* waitAll(ts: Future<unknown>[]): Coro<void> {
  yield* gather(ts, { returnExceptions: true });
}
