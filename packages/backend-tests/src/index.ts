/**
 * @aioloop/backend-tests: the conformance kit for aioloop loop backends. Run core's behaviour
 * tests and the CPython 3.13 event-log replays against your own loop, from a vitest test file:
 *
 * @example
 * import { defineBackendTests } from "@aioloop/backend-tests";
 * import { MyLoop } from "../src/my-loop.js";
 *
 * defineBackendTests({ name: "MyLoop", make: () => new MyLoop(), blocking: false, virtualTime: false });
 *
 * @packageDocumentation
 */
import type { LoopUnderTest } from "./loop-under-test.js";
import { barrierTests } from "./suites/barrier.js";
import { conditionTests } from "./suites/condition.js";
import { coroTests } from "./suites/coro.js";
import { contextTests } from "./suites/context.js";
import { futureTests } from "./suites/future.js";
import { gatherTests } from "./suites/gather.js";
import { gcTests } from "./suites/gc.js";
import { interopTests } from "./suites/interop.js";
import { iterTests } from "./suites/iter.js";
import { lockTests } from "./suites/locks.js";
import { loopTests } from "./suites/loop.js";
import { parityTests } from "./suites/parity.js";
import { parkTests } from "./suites/park.js";
import { queueTests } from "./suites/queues.js";
import { semaphoreTests } from "./suites/semaphore.js";
import { taskTests } from "./suites/task.js";
import { taskGroupTests } from "./suites/taskgroup.js";
import { timeoutTests } from "./suites/timeouts.js";
import { tracingTests } from "./suites/tracing.js";
import { waitTests } from "./suites/wait.js";

export { type LoopUnderTest, runOn } from "./loop-under-test.js";
export { MinimalHostBackend, MinimalHostLoop } from "./minimal-host-loop.js";
export {
  barrierTests,
  conditionTests,
  contextTests,
  coroTests,
  futureTests,
  gatherTests,
  gcTests,
  interopTests,
  iterTests,
  lockTests,
  loopTests,
  parityTests,
  parkTests,
  queueTests,
  semaphoreTests,
  taskGroupTests,
  taskTests,
  timeoutTests,
  tracingTests,
  waitTests,
};

/**
 * Every suite of the kit by name, in the order `defineBackendTests` registers them. Each
 * registers vitest `describe`/`it` blocks for one loop; call one alone to run just that part.
 */
export const suites = {
  loop: loopTests,
  future: futureTests,
  task: taskTests,
  coro: coroTests,
  context: contextTests,
  interop: interopTests,
  gc: gcTests,
  tracing: tracingTests,
  iter: iterTests,
  lock: lockTests,
  condition: conditionTests,
  semaphore: semaphoreTests,
  barrier: barrierTests,
  queue: queueTests,
  park: parkTests,
  gather: gatherTests,
  wait: waitTests,
  timeout: timeoutTests,
  taskGroup: taskGroupTests,
  parity: parityTests,
} as const satisfies Record<string, (l: LoopUnderTest) => void>;

/** The name of one of the kit's suites (a key of `suites`). */
export type SuiteName = keyof typeof suites;

/** Options of `defineBackendTests`. */
export interface BackendTestOptions {
  /**
   * Suites not to register, e.g. `["gc"]` where the garbage collector cannot be driven. Prefer
   * the `LoopUnderTest` flags (`blocking`, `virtualTime`), which skip exactly the tests that
   * need what your loop lacks.
   */
  skip?: readonly SuiteName[];
}

/**
 * Register every suite of the kit for `l` (see `suites`): call it at the top level of a vitest
 * test file. Tests that need `runSync` run only when `l.blocking`; tests that need exact loop
 * times, timers kept apart in real time, or sleeps of seconds, only when `l.virtualTime`. Every
 * other test runs on every loop, and is never retried: each must pass on a busy machine.
 * @example
 * // test/my-loop.test.ts
 * import { defineBackendTests } from "@aioloop/backend-tests";
 * import { MyLoop } from "../src/my-loop.js";
 * defineBackendTests({ name: "MyLoop", make: () => new MyLoop(), blocking: false, virtualTime: false });
 */
export function defineBackendTests(l: LoopUnderTest, opts: BackendTestOptions = {}): void {
  const skip = new Set<string>(opts.skip ?? []);
  for (const unknown of skip) {
    if (!(unknown in suites)) {
      throw new TypeError(
        `defineBackendTests: no suite named ${JSON.stringify(unknown)} (suites: ${Object.keys(suites).join(", ")})`,
      );
    }
  }
  for (const [name, register] of Object.entries(suites)) {
    if (!skip.has(name)) register(l);
  }
}
