/**
 * The seed's async_queue.py: producers put random hex items on one Queue, consumers take them;
 * neither side knows the other. Each producer makes a random number (0 to 10) of items, sleeping
 * a random 0 to 10 s before each; consumers sleep a random time before each get. main waits for
 * the producers, then `queue.join()` (every item taken and marked done), then cancels the
 * consumers, which are still waiting for items that will never come.
 *
 *   producer 0 ─sleep─► put ─sleep─► put …          ┐
 *   producer 1 ─(drew 0 items: done)                 ├─► Queue ─► consumer 0..3: sleep, get, taskDone
 *   main: gather(producers) ─► queue.join() ─► cancel consumers
 *
 * With random.seed(444) (our PyRandom), `pnpm demo queue` (the seed's `-p 2 -c 4`, our default)
 * makes Python's choices; the items are os.urandom(5).hex() in the original, so they differ on
 * every run, as they do there.
 */
import { randomBytes } from "node:crypto";
import {
  type Coro,
  Queue,
  type Task,
  createTask,
  gather,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type DemoProgram, UsageError, intArg, palette, pyFloat, secs } from "../program.js";
import { PyRandom } from "../pyrandom.js";

/** The original's `random.seed(444)`. */
const SEED = 444;
/**
 * Our defaults: the seed's example command, `python async_queue.py -p 2 -c 4` (23 s, as Python
 * takes; `--virtual` plays it at once). The original's argparse defaults, 10 producers and 15
 * consumers, ran for about a minute; `-p 10 -c 15` still does. The listing shows these numbers
 * (the description is built from them), and test/queue.test.ts checks that a run with no
 * arguments is the run the listing names.
 */
export const DEFAULT_PRODUCERS = 2;
export const DEFAULT_CONSUMERS = 4;
/** Bytes of randomness in an item (the original's generate_item(size=5)). */
const ITEM_BYTES = 5;

/** The original's argparse: `-p N`, `-pN`, `--no_producer N`, `--no_producer=N`; same for -c. */
export function parseQueueArgs(args: string[]): { producers: number; consumers: number } {
  let producers = DEFAULT_PRODUCERS;
  let consumers = DEFAULT_CONSUMERS;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(?:-(p|c)|--no_(producer|consumer))(?:=?(.*))?$/.exec(a);
    if (m === null) {
      throw new UsageError(
        `queue: unknown argument ${JSON.stringify(a)}; use -p N (producers) and -c N (consumers)`,
      );
    }
    const which = m[1] ?? m[2]!.charAt(0);
    const value = m[3] !== undefined && m[3] !== "" ? m[3] : args[++i];
    const n = intArg(value, `queue ${a}`);
    if (n < 0) throw new UsageError(`queue ${a}: needs a count of zero or more, got ${n}`);
    if (which === "p") producers = n;
    else consumers = n;
  }
  return { producers, consumers };
}

export const queue: DemoProgram = {
  name: "queue",
  description: `producers and consumers over one Queue, joined then cancelled (args: -p ${DEFAULT_PRODUCERS} -c ${DEFAULT_CONSUMERS}, 23 s)`,
  mode: "sync",
  source: "004 How does asyncio actually work? (async_queue.py)",
  *main({ out, color, args }) {
    const c = palette(color);
    const { producers: noProducer, consumers: noConsumer } = parseQueueArgs(args);
    const random = new PyRandom(SEED);
    const loop = getRunningLoop();

    function* generateItem(size = ITEM_BYTES): Coro<string> {
      return randomBytes(size).toString("hex");
    }
    function* randomSleep(caller?: string): Coro<void> {
      const i = random.randint(0, 10);
      if (caller) out(`${c.red}${caller} sleeping for ${i} seconds.${c.reset}\n`);
      yield* sleep(i * 1000);
    }
    function* produce(name: number, q: Queue<[string, number]>): Coro<void> {
      const n = random.randint(0, 10);
      for (let k = 0; k < n; k++) {
        yield* randomSleep(`Producer ${name}`);
        const i = yield* generateItem();
        const t = loop.time();
        yield* q.put([i, t]);
        out(`${c.green}Producer ${name} added <${i}> to queue.${c.reset}\n`);
      }
    }
    function* consume(name: number, q: Queue<[string, number]>): Coro<void> {
      while (true) {
        yield* randomSleep(`Consumer ${name}`);
        const [i, t] = yield* q.get();
        const now = loop.time();
        out(
          `${c.cyan}Consumer ${name} got element <${i}> in ${((now - t) / 1000).toFixed(5)} seconds.${c.reset}\n`,
        );
        q.taskDone();
      }
    }

    const start = loop.time();
    const q = new Queue<[string, number]>();
    const producers: Task<void>[] = [];
    // Named (Python leaves them Task-N) so a --trace timeline says which is which.
    for (let n = 0; n < noProducer; n++) {
      producers.push(createTask(produce(n, q), { name: `producer ${n}` }));
    }
    const consumers: Task<void>[] = [];
    for (let n = 0; n < noConsumer; n++) {
      consumers.push(createTask(consume(n, q), { name: `consumer ${n}` }));
    }
    yield* gather(producers);
    yield* q.join(); // implicitly awaits the consumers, too
    for (const consumer of consumers) consumer.cancel();
    // asyncio.run waits for the cancelled consumers before it returns; so do we.
    yield* gather(consumers, { returnExceptions: true });
    const end = loop.time();
    out(
      `${c.blue}Program Start Time: ${pyFloat(start)}\nProgram End Time: ${pyFloat(end)}\nProgram Execution Time: ${secs(end - start)} seconds.${c.reset}\n`,
    );
  },
};
