/**
 * The loop backends a scenario can run our code on, as one call shape: `runner.run(main)`.
 *
 * HOW: each runner creates a fresh loop, runs `main()` to completion and closes the loop, the
 * way a program does (`runSync`/`run` are asyncio.run):
 *
 *   timer-loop runSync   TimerLoop on the calling thread; blocks between deadlines itself
 *   timer-loop run()     TimerLoop cooperating with Node's event loop (Promises, fs, sockets)
 *   selector-loop run()  SelectorLoop: the TimerLoop plus socket readiness, host-driven only
 *
 * WHY the loop is created inside the batch: every batch is a whole program, so leftover tasks
 * of one batch can never leak into the next; the creation cost is one object per thousands of
 * operations. All three come from the built packages by name, so there is exactly one copy of
 * @aioloop/core (one "running loop" slot) in the process.
 */

import type { Coro } from "@aioloop/core";
import { run as selectorRun } from "@aioloop/selector-loop";
import { run as timerRun, runSync as timerRunSync } from "@aioloop/timer-loop";

/** Runs a main coroutine on a fresh loop of one backend. */
export interface BackendRunner {
  /** As the table shows it. */
  readonly name: string;
  /** Short suffix for scenario ids ("" for the default backend). */
  readonly idSuffix: string;
  /** Why this backend cannot run here, if it cannot. */
  readonly skip?: string;
  run<T>(main: () => Coro<T>): T | Promise<T>;
}

/** The default: TimerLoop, runSync (what the headline rows use). */
export const TIMER_SYNC: BackendRunner = {
  name: "timer-loop runSync",
  idSuffix: "",
  run: (main) => timerRunSync(main),
};

/** TimerLoop driven by Node's event loop. */
export const TIMER_HOST: BackendRunner = {
  name: "timer-loop run()",
  idSuffix: ".host",
  run: (main) => timerRun(main),
};

/** SelectorLoop (host-driven: it cannot runSync). */
export const SELECTOR: BackendRunner = {
  name: "selector-loop run()",
  idSuffix: ".selector",
  run: (main) => selectorRun(main),
};

/** Every backend, in table order. */
export const BACKENDS: readonly BackendRunner[] = [TIMER_SYNC, TIMER_HOST, SELECTOR];
