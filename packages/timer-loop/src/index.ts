/**
 * @aioloop/timer-loop: the pure timer-heap event loop, with real and virtual clocks, and
 * asyncio.run-style helpers.
 *
 * @example
 * import { sleep } from "@aioloop/core";
 * import { run } from "@aioloop/timer-loop";
 * await run(function* () { yield* sleep(1000); console.log("a second later"); });
 *
 * @packageDocumentation
 */

export { RealClockBackend, VIRTUAL_RECHECK_MS, VirtualClockBackend } from "./clocks.js";
export {
  HostAlarm,
  HostParking,
  MAX_HOST_TIMER_MS,
  RealClock,
  SPIN_BEFORE_DEADLINE_MS,
  ThreadWaiter,
  VirtualClock,
} from "./parts.js";
export { type RunOptions, run, runSync } from "./run.js";
/** Re-exported from @aioloop/core (where it lives, so every backend's run() rejects with one class). */
export { KeyboardInterrupt } from "@aioloop/core";
export { type ClockKind, TimerLoop, type TimerLoopOptions } from "./timer-loop.js";
