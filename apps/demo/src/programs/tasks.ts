/**
 * The seed's async_tasks.py: the futures program with explicit tasks. `bar` is created first, so
 * it prints first; main awaits `t2, t1`, which in Python awaits only t2 (foo) and then builds a
 * tuple with t1 in it. foo finishes in the same step as bar, so nothing is left behind.
 *
 *   main ─createTask(bar)=t1─createTask(foo)=t2─ yield* t2 ─────────────► done (3 s)
 *   t1   ───── sleep(3 s) ──► setResult ─┐
 *   t2   ───── yield* future ────────────┴─► "foo finds the future resolved"
 */
import { type Coro, type Future, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, palette, pyFloat, secs } from "../program.js";

export const tasks: DemoProgram = {
  name: "tasks",
  description: "the futures program with loop.createTask: bar starts first, main awaits foo",
  mode: "sync",
  source: "004 How does asyncio actually work? (async_tasks.py)",
  *main({ out, color }) {
    const c = palette(color);
    function* bar(future: Future<string>): Coro<void> {
      out(`${c.red}bar will sleep for 3 seconds${c.reset}\n`);
      yield* sleep(3000);
      out(`${c.red}bar resolving the future${c.reset}\n`);
      future.done();
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
    const t1 = loop.createTask(bar(future));
    const t2 = loop.createTask(foo(future));
    // Python's `await t2, t1` is `(await t2), t1`: only t2 is awaited.
    yield* t2;
    void t1;
    const end = loop.time();
    out(
      `${c.blue}Future Start Time: ${pyFloat(start)}\nFuture End Time: ${pyFloat(end)}\nFuture Execution Time: ${secs(end - start)} seconds.${c.reset}\n`,
    );
  },
};
