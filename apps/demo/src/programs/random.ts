/**
 * The seed's async_random.py: three coroutines each draw random ints in [0, 10] until one
 * exceeds their threshold (9, 8 and 7), sleeping 1, 2 and 3 s between tries. None waits for
 * the others; gather collects the three winners. Seeded with 444 as the original, so the draws,
 * and who draws them when, are Python's.
 *
 *   t:   0   1   2   3   4   5   6  …  12 s
 *   (0)  4   4   4   8   7   8   7  …  10      sleeps 1 s, wants > 9
 *   (1)  4       7       10                    sleeps 2 s, wants > 8
 *   (2)  0           4           4  9          sleeps 3 s, wants > 7
 */
import { type Coro, gather, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, type Palette, palette, pyFloat, secs } from "../program.js";
import { PyRandom } from "../pyrandom.js";

/** The original's `random.seed(444)`. */
const SEED = 444;
/** How many generate_random_int coroutines main gathers (the original's range(3)). */
const COROUTINES = 3;

export const random: DemoProgram = {
  name: "random",
  description: "three coroutines retry random ints until each beats its threshold, no waiting",
  mode: "sync",
  source: "004 How does asyncio actually work? (async_random.py)",
  *main({ out, color }) {
    const c = palette(color);
    // The original's colors[indx + 1]: red, green, cyan for the three coroutines.
    const own: (keyof Palette)[] = ["red", "green", "cyan"];
    const rng = new PyRandom(SEED);
    const loop = getRunningLoop();

    function* generateRandomInt(indx: number, threshold = 5): Coro<number> {
      const k = c[own[indx]!];
      // The original prints these lines without a reset, so the colour runs on to the next one.
      out(`${k}Initiated generate_random_int(${indx}).\n`);
      let i = rng.randint(0, 10);
      while (i <= threshold) {
        out(`${k}generate_random_int(${indx}) == ${i} too low; retrying.\n`);
        yield* sleep((indx + 1) * 1000);
        i = rng.randint(0, 10);
      }
      out(`${k}---> Finished: generate_random_int(${indx}) == ${i}${c.reset}\n`);
      return i;
    }

    const start = loop.time();
    const coros = Array.from({ length: COROUTINES }, (_, i) => generateRandomInt(i, 10 - i - 1));
    const [r1, r2, r3] = (yield* gather(coros)) as number[];
    out(
      `${c.magenta}\nRandom INT 1: ${r1}, Random INT 2: ${r2}, Random INT 3: ${r3}\n${c.reset}\n`,
    );
    const end = loop.time();
    out(
      `${c.blue}Program Start Time: ${pyFloat(start)}\nProgram End Time: ${pyFloat(end)}\nProgram Execution Time: ${secs(end - start)} seconds.${c.reset}\n`,
    );
  },
};
