/**
 * The seed's async_event_loop.py: two threads each run their own event loop; each loop runs one
 * coroutine that says whether an event loop is running in its thread, then sleeps a random 1 to
 * 5 s. The program takes as long as the slower thread.
 *
 * HOW: a thread is a `node:worker_threads` Worker (threads-worker.js) that makes its own
 * TimerLoop and blocks in runSync for its sleep. The main thread's loop waits for the workers'
 * messages (bridged in with callSoonThreadsafe) without blocking, where Python's main thread
 * blocks in join(). So this main thread DOES run a loop, and says True where Python's says False.
 *
 *   main loop ──new Worker ×2──► [Thread-1: TimerLoop.runSync(sleep 4 s)] ─"running"─┐
 *       │                         [Thread-2: TimerLoop.runSync(sleep 3 s)] ─"running"─┤
 *       │◄─────────────────────────── postMessage ─── callSoonThreadsafe ─────────────┘
 *       └─ print the lines in thread order, then join (the 'exit' events) ─► totals
 *
 * Output order is fixed (Thread-1, Thread-2, MainThread) where Python's depends on the race
 * between its threads; `--seed N` makes the sleeps repeatable (the original does not seed).
 * On the virtual clock every thread's loop has its own clock; joining catches the main clock up
 * with the slowest thread, so the totals read as on the real clock.
 */
import { Worker } from "node:worker_threads";
import { type Coro, type Future, gather, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, flag, intArg, palette, pyFloat, secs } from "../program.js";
import { PyRandom } from "../pyrandom.js";

/** The threads the original starts (thread_1 and thread_2). */
const THREADS = 2;
/** Each thread sleeps randint(1, 5) seconds. */
const MIN_SLEEP_S = 1;
const MAX_SLEEP_S = 5;

const WORKER_URL = new URL("./threads-worker.js", import.meta.url);

/** What a thread's worker reports (threads-worker.js). */
type ThreadMessage =
  | { kind: "running"; name: string; running: boolean }
  | { kind: "done"; elapsedMs: number };

/** A started thread: when its loop runs, and when it has finished (Python's join()). */
interface ThreadHandle {
  name: string;
  running: Future<boolean>;
  joined: Future<number>;
}

function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

function startThread(name: string, sleepMs: number, clock: "real" | "virtual"): ThreadHandle {
  const loop = getRunningLoop();
  const running = loop.createFuture<boolean>();
  const joined = loop.createFuture<number>();
  let elapsed: number | null = null;
  const settle = (f: Future<never> | Future<boolean> | Future<number>, v: unknown, err?: Error) => {
    loop.callSoonThreadsafe(() => {
      if (f.done()) return;
      if (err !== undefined) f.setException(err);
      else (f as Future<unknown>).setResult(v);
    });
  };
  // The thread reports through Node's message events: an outside source of the loop until it
  // exits, so waiting for it is not mistaken for a deadlock.
  const release = loop.addOutsideSource({ kind: "host", name: `thread ${name}` });
  const worker = new Worker(WORKER_URL, { workerData: { name, sleepMs, clock } });
  worker.on("message", (m: ThreadMessage) => {
    switch (m.kind) {
      case "running":
        settle(running, m.running);
        break;
      case "done":
        elapsed = m.elapsedMs;
        break;
      default: {
        const never: never = m;
        throw new TypeError(`threads: unexpected message ${JSON.stringify(never)}`);
      }
    }
  });
  worker.on("error", (e: Error) => {
    settle(running, undefined, e);
    settle(joined, undefined, e);
  });
  worker.on("exit", (code: number) => {
    release();
    const err =
      elapsed === null
        ? new Error(`threads: ${name} exited (code ${code}) before its loop finished`)
        : undefined;
    settle(running, undefined, err ?? new Error(`threads: ${name} never reported its loop`));
    settle(joined, elapsed, err);
  });
  return { name, running, joined };
}

export const threads: DemoProgram = {
  name: "threads",
  description: "two worker threads, each running its own event loop for 1-5 s (--seed N to repeat)",
  mode: "host",
  source: "004 How does asyncio actually work? (async_event_loop.py)",
  *main({ out, color, clock, args }) {
    const c = palette(color);
    const seed = flag(args, "seed");
    const random =
      seed === undefined ? new PyRandom() : new PyRandom(intArg(seed, "threads --seed"));
    const loop = getRunningLoop();
    const start = loop.time();
    const handles: ThreadHandle[] = [];
    for (let k = 1; k <= THREADS; k++) {
      handles.push(
        startThread(`Thread-${k}`, random.randint(MIN_SLEEP_S, MAX_SLEEP_S) * 1000, clock),
      );
    }
    const running = (yield* gather(handles.map((h) => h.running))) as boolean[];
    handles.forEach((h, i) => {
      out(`${c.red}Is event loop running in thread ${h.name} = ${pyBool(running[i]!)}${c.reset}\n`);
    });
    out(
      `${c.green}Is event loop running in thread MainThread = ${pyBool(loop.isRunning())}${c.reset}\n`,
    );
    const elapsed = (yield* join(handles)) as number[];
    // Virtual clock: each thread's clock is its own; catch ours up with the slowest one.
    const behind = Math.max(...elapsed) - (loop.time() - start);
    if (behind > 0) yield* sleep(behind);
    const end = loop.time();
    out(
      `${c.blue}Event Loop Start Time: ${pyFloat(start)}\nEvent Loop End Time: ${pyFloat(end)}\nEvent Loop Execution Time: ${secs(end - start)} seconds.${c.reset}\n`,
    );
  },
};

/** Python's thread.join() for each thread, without blocking our loop. */
function* join(handles: ThreadHandle[]): Coro<number[]> {
  return (yield* gather(handles.map((h) => h.joined))) as number[];
}
