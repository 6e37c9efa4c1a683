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
export { type LoopUnderTest, runOn } from "./loop-under-test.js";
