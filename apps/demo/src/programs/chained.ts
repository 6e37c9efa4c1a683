/**
 * The seed's async_chained.py: each chain awaits function1 (a random 0 to 10 s sleep) and feeds
 * its result to function2 (another random sleep). gather runs the chains side by side, so
 * function2 of the quickest chain starts while the others still sleep. With random.seed(444)
 * (our PyRandom) the sleeps are Python's: `pnpm demo chained 11 8 5` prints what
 * `python3 async_chained.py 11 8 5` prints.
 *
 *   chain(11): function1 ──4 s──► function2 ──7 s──►  11 s
 *   chain(8):  function1 ──4 s──► function2 ──4 s──►   8 s
 *   chain(5):  function1 ─0─► function2 ──4 s──►       4 s
 */
import { type Coro, gather, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, intArg, palette, pyFloat, secs } from "../program.js";
import { PyRandom } from "../pyrandom.js";

/** The original's `random.seed(444)`. */
const SEED = 444;
/** The chains run when no numbers are given (the original's `[1, 2, 3]`). */
const DEFAULT_CHAINS = [1, 2, 3];

export const chained: DemoProgram = {
  name: "chained",
  description:
    "chained coroutines: function1 → function2 per chain, chains concurrent (args: 11 8 5)",
  mode: "sync",
  source: "004 How does asyncio actually work? (async_chained.py)",
  *main({ out, color, args }) {
    const c = palette(color);
    const random = new PyRandom(SEED);
    const ns = args.length === 0 ? DEFAULT_CHAINS : args.map((a) => intArg(a, "chained"));
    const loop = getRunningLoop();

    function* function1(n: number): Coro<string> {
      const i = random.randint(0, 10);
      out(`${c.red}function1(${n}) is sleeping for ${i} seconds.${c.reset}\n`);
      yield* sleep(i * 1000);
      const result = `result${n}-1`;
      out(`${c.red}Returning function1(${n}) == ${result}.${c.reset}\n`);
      return result;
    }
    function* function2(n: number, arg: string): Coro<string> {
      const i = random.randint(0, 10);
      const tuple = `(${n}, '${arg}')`; // Python's f"{n, arg}": the tuple's repr
      out(`${c.green}function2${tuple} is sleeping for ${i} seconds.${c.reset}\n`);
      yield* sleep(i * 1000);
      const result = `result${n}-2 derived from ${arg}`;
      out(`${c.green}Returning function2${tuple} == ${result}.${c.reset}\n`);
      return result;
    }
    function* chain(n: number): Coro<void> {
      const start = loop.time();
      const p1 = yield* function1(n);
      const p2 = yield* function2(n, p1);
      const took = loop.time() - start;
      out(`${c.cyan}--> Chained result${n} => ${p2} (took ${secs(took)} seconds).${c.reset}\n`);
    }

    const start = loop.time();
    yield* gather(ns.map((n) => chain(n)));
    const end = loop.time();
    out(
      `${c.blue}Program Start Time: ${pyFloat(start)}\nProgram End Time: ${pyFloat(end)}\nProgram Execution Time: ${secs(end - start)} seconds.${c.reset}\n`,
    );
  },
};
