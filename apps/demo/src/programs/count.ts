/**
 * The seed's async_count.py: five `count()` coroutines run concurrently; each prints One, sleeps
 * 1 s, prints Two, sleeps 2 s, prints Three. Together they take 3 s, not 15.
 */
import { type Coro, gather, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, secs } from "../program.js";

export const count: DemoProgram = {
  name: "count",
  description: "five concurrent count() coroutines: One … Two … Three in 3.00 s instead of 15",
  mode: "sync",
  source: "004 How does asyncio actually work? (async_count.py)",
  *main({ out }) {
    function* countOnce(): Coro<void> {
      out("One ");
      yield* sleep(1000);
      out("Two ");
      yield* sleep(2000);
      out("Three ");
    }
    const loop = getRunningLoop();
    const start = loop.time();
    yield* gather([countOnce(), countOnce(), countOnce(), countOnce(), countOnce()]);
    const end = loop.time();
    out(
      `\nExecuting - count\nExecution Starts: ${secs(start)}\nExecutions Ends: ${secs(end)}\nTotals Execution Time:${secs(end - start)} seconds.\n`,
    );
  },
};
