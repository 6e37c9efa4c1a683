/**
 * The seed's naive event loop example: five `sleepy` coroutines each take five steps with a
 * 0.1 s sleep (two half-sleeps) between them. Cooperatively they finish in 0.5 s, not 2.5 s.
 */
import { type Coro, createTask, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, secs } from "../program.js";

export const sleepy: DemoProgram = {
  name: "sleepy",
  description: "five sleepy() coroutines, five steps each, 0.1 s apart: 0.5 s in all",
  mode: "sync",
  source: "004 How does asyncio actually work? (2.4 Cooperative Waiting)",
  *main({ out }) {
    const loop = getRunningLoop();
    const start = loop.time();
    /** await that `duration` ms pass, in two halves (the seed's asleep) */
    function* asleep(duration: number): Coro<void> {
      yield* sleep(duration / 2);
      yield* sleep(duration / 2);
    }
    function* sleepyCoro(identifier: string, count = 5): Coro<void> {
      for (let i = 0; i < count; i++) {
        out(`${identifier} step ${i + 1} at ${secs(loop.time() - start)}\n`);
        yield* asleep(100);
      }
    }
    const tasks = [0, 1, 2, 3, 4].map((j) => createTask(sleepyCoro(`coroutine ${j}`)));
    for (const t of tasks) yield* t;
    out(`all done in ${secs(loop.time() - start)} s (one after another it would take 2.50 s)\n`);
  },
};
