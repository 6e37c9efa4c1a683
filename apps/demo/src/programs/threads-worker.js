// @ts-check
/**
 * One thread of the `threads` demo (threads.ts): it makes its own event loop, runs one coroutine
 * on it, closes it, and reports to the main thread, as the seed's launch_event_loops() does:
 *
 *   loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
 *   loop.run_until_complete(do_something_important(random.randint(1, 5)))
 *   loop.close()
 *
 * HOW: plain JavaScript (it runs unchanged from src/ under vitest and from dist/), started with
 * `workerData = { name, sleepMs, clock }`. `runSync` holds this thread for the whole sleep, which
 * is what a thread is for; the main thread's loop stays free. Messages to the main thread:
 *
 *   { kind: "running", name, running }   from inside the coroutine (is our loop running? yes)
 *   { kind: "done", elapsedMs }          after the loop closed: how long it ran on its clock
 */

import { parentPort, workerData } from "node:worker_threads";
import { getRunningLoop, sleep } from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";

/** @type {{ name: string, sleepMs: number, clock: "real" | "virtual" }} */
const { name, sleepMs, clock } = workerData;
const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);

/** @param {number} sleepFor */
function* doSomethingImportant(sleepFor) {
  port.postMessage({ kind: "running", name, running: getRunningLoop().isRunning() });
  yield* sleep(sleepFor);
}

const loop = new TimerLoop({ clock });
const start = loop.time();
let elapsedMs = 0;
try {
  loop.runSync(doSomethingImportant(sleepMs));
  elapsedMs = loop.time() - start;
} finally {
  loop.close();
}
port.postMessage({ kind: "done", elapsedMs });
