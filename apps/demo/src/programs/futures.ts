/**
 * The seed's async_futures.py: two coroutines share one Future. `foo` awaits it; `bar` sleeps
 * 3 s and resolves it. gather runs both, so the program takes 3 s and foo wakes the moment bar
 * sets the result.
 *
 *   foo ──yield* future ────────────────────────────► "foo finds the future resolved"
 *   bar ──sleep(3 s)──► future.setResult(...) ──┘
 */
import { type Coro, type Future, gather, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, palette, pyFloat, secs } from "../program.js";

export const futures: DemoProgram = {
  name: "futures",
  description: "foo awaits a Future that bar resolves after 3 s (gather of the two)",
  mode: "sync",
  source: "004 How does asyncio actually work? (async_futures.py)",
  *main({ out, color }) {
    const c = palette(color);
    function* bar(future: Future<string>): Coro<void> {
      out(`${c.red}bar will sleep for 3 seconds${c.reset}\n`);
      yield* sleep(3000);
      out(`${c.red}bar resolving the future${c.reset}\n`);
      future.done(); // the original calls done() here too (it only asks, and discards the answer)
      future.setResult("future is resolved");
    }
    function* foo(future: Future<string>): Coro<void> {
      out(`${c.green}foo will await the future${c.reset}\n`);
      yield* future;
      out(`${c.green}foo finds the future resolved${c.reset}\n`);
    }
    const loop = getRunningLoop();
    const start = loop.time();
    const future = loop.createFuture<string>();
    yield* gather([foo(future), bar(future)]);
    const end = loop.time();
    out(
      `${c.blue}Future Start Time: ${pyFloat(start)}\nFuture End Time: ${pyFloat(end)}\nFuture Execution Time: ${secs(end - start)} seconds.${c.reset}\n`,
    );
  },
};
