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

export {
  ClockBackend,
  type ExternalSource,
  RealClockBackend,
  VirtualClockBackend,
} from "./clocks.js";
export { KeyboardInterrupt, type RunOptions, run, runSync } from "./run.js";
export { type ClockKind, TimerLoop, type TimerLoopOptions } from "./timer-loop.js";
