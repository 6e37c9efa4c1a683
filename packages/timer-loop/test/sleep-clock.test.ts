// Sleeping tasks live in the loop's timer store (no Future, no TimerHandle): the virtual clock
// still jumps straight to each deadline, lands on it exactly, and far-future deadlines work.
import { type Coro, createTask, getRunningLoop, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { TimerLoop } from "../src/index.js";

function jumps(loop: TimerLoop): number {
  return loop.statistics().backend.jumps as number;
}

describe("sleeping tasks on the virtual clock", () => {
  it.each(["runSync", "run"] as const)(
    "each jump lands exactly on the next deadline, fractional and far ones too (%s)",
    async (mode) => {
      const loop = new TimerLoop({ clock: "virtual" });
      const delays = [0.1, 0.2, 0.3, 1 / 3, 7, 1e9, 0.000001];
      const log: [number, number][] = [];
      const main = (function* (): Coro<void> {
        const ts = delays.map((d, i) =>
          createTask(
            (function* () {
              const start = getRunningLoop().time();
              yield* sleep(d);
              log.push([i, getRunningLoop().time() - start]);
            })(),
          ),
        );
        for (const t of ts) yield* t;
      })();
      if (mode === "runSync") loop.runSync(main);
      else await loop.runUntilComplete(main);
      // Fired in deadline order; every task saw exactly its delay pass.
      const order = delays.map((d, i) => [i, d] as [number, number]).sort((a, b) => a[1] - b[1]);
      expect(log).toEqual(order);
      // One jump per distinct deadline, nothing more (no creeping up on a deadline).
      expect(jumps(loop)).toBe(delays.length);
      expect(loop.time()).toBe(1e9);
      loop.close();
    },
  );

  it("callAt absolute times and sleeps share one exact order", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const log: string[] = [];
    loop.runSync(
      (function* () {
        const l = getRunningLoop();
        l.callAt(5, () => log.push(`at5 ${l.time()}`));
        const t = createTask(
          (function* () {
            yield* sleep(5);
            log.push(`slept ${l.time()}`);
          })(),
        );
        l.callAt(2.5, () => log.push(`at2.5 ${l.time()}`));
        yield* t;
      })(),
    );
    loop.close();
    expect(log).toEqual(["at2.5 2.5", "at5 5", "slept 5"]);
  });
});
