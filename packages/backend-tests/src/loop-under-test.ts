/**
 * What the kit needs to know about a loop to test it, and how it runs a test's main coroutine
 * on one.
 *
 * HOW: every suite is a function of a `LoopUnderTest`; it registers vitest `describe`/`it`
 * blocks that call `runOn(l, main)`: a fresh loop, `main()` run to completion (with `runSync`
 * when the backend can block, else `runUntilComplete`), the loop closed whatever happens. A
 * suite that asserts exact loop times runs only where `virtualTime` is true; every other test
 * runs on every loop.
 */
import type { BaseEventLoop, Coro } from "@aioloop/core";

/** A loop for the kit to test: how to make one, and what it can do. */
export interface LoopUnderTest {
  /** Shown in test names, e.g. "TimerLoop(virtual)". */
  name: string;
  /** A fresh, not yet running loop. */
  make(): BaseEventLoop;
  /** `loop.runSync` works (the backend can block the thread). */
  blocking: boolean;
  /**
   * The clock jumps when the loop is idle (a virtual clock): tests that assert exact loop times
   * run only on such loops.
   */
  virtualTime: boolean;
}

/**
 * Run `main()` to completion on a fresh loop of `l` and close it: `runSync` when the backend
 * can block, else `runUntilComplete`. Resolves to main's result; rejects with its error.
 */
export async function runOn<T>(l: LoopUnderTest, main: () => Coro<T>): Promise<T> {
  const loop = l.make();
  try {
    if (l.blocking) return loop.runSync(loop.createTask(main()));
    return await loop.runUntilComplete(loop.createTask(main()));
  } finally {
    loop.close();
  }
}
