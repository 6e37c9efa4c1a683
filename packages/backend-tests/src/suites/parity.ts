/**
 * Parity with CPython 3.13's asyncio, on the loop under test.
 *
 * Every test here replays a small Python program (run on 3.13 with a virtual-time selector loop,
 * so timings are exact) and asserts that aioloop produces the SAME event log: order of
 * callbacks and task steps, results, exception kinds, cancelled()/cancelling() values, queue
 * contents. Times are milliseconds here and seconds there (the Python programs divide by 1000).
 * The Python log each test reproduces is quoted in a comment above it ("py:").
 *
 * Tests whose comment starts "WAS A BUG" found a parity bug that has since been fixed: the
 * assertion is what asyncio does, and the comment says what aioloop used to do.
 *
 * HOW: each replay runs its main on a fresh loop of `l` (`runOn`), and the few that drive a loop
 * by hand make one with `l.make()`. Loop times are counted from the moment main starts, as the
 * Python programs' clock started at 0. A test whose log prints loop times, or hangs on deadlines
 * tied to the exact millisecond or on one timer firing before another a few ms later (a stall
 * of a busy machine fires both together), runs only where `l.virtualTime`; the others, where
 * only the order of events matters, run on every loop. The groups live in parity-*.ts (one file would be
 * too long to read); parity-support.ts holds what they share.
 */
import { describe } from "vitest";
import type { LoopUnderTest } from "../loop-under-test.js";
import { parityLoop } from "./parity-loop.js";
import { replay } from "./parity-support.js";
import { paritySync } from "./parity-sync.js";
import { parityTasks } from "./parity-tasks.js";
import { parityWaiting } from "./parity-waiting.js";

/** Register the CPython 3.13 event-log replays for the loop `l`. */
export function parityTests(l: LoopUnderTest): void {
  describe(`CPython 3.13 parity on ${l.name}`, () => {
    const r = replay(l);
    parityTasks(r);
    parityWaiting(r);
    paritySync(r);
    parityLoop(r);
  });
}
