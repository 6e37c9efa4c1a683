import { Worker } from "node:worker_threads";
import { type Coro, DeadlockError, createTask, getRunningLoop, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { TimerLoop, VirtualClockBackend } from "../src/index.js";

/** Host timers and immediates currently keeping Node alive. */
function hostTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate")
    .length;
}

describe("virtual clock", () => {
  it("an hour of sleeps ends at once, at exactly the scheduled loop times", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const log: string[] = [];
    loop.runSync(
      (function* () {
        const t = createTask(
          (function* () {
            yield* sleep(1_800_000);
            log.push(`half ${loop.time()}`);
          })(),
        );
        yield* sleep(3_600_000);
        log.push(`hour ${loop.time()}`);
        yield* t;
      })(),
    );
    loop.close();
    expect(log).toEqual(["half 1800000", "hour 3600000"]);
  });

  it("is deterministic: two runs of the same program see the same times", () => {
    const program = (): string[] => {
      const loop = new TimerLoop({ clock: "virtual" });
      const log: string[] = [];
      loop.runSync(
        (function* () {
          const ts = [3, 1, 2, 1].map((d, i) =>
            createTask(
              (function* () {
                yield* sleep(d * 100);
                log.push(`${i}@${loop.time()}`);
              })(),
            ),
          );
          for (const t of ts) yield* t;
        })(),
      );
      loop.close();
      return log;
    };
    const first = program();
    expect(first).toEqual(["1@100", "3@100", "2@200", "0@300"]);
    expect(program()).toEqual(first);
  });

  it("runUntilComplete on the virtual clock also jumps", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const t0 = performance.now();
    const v = await loop.runUntilComplete(sleep(86_400_000, "a day later"));
    expect(v).toBe("a day later");
    expect(loop.time()).toBe(86_400_000);
    expect(performance.now() - t0).toBeLessThan(86_400_000);
    loop.close();
  });

  it("advance() moves time by hand; it is refused on the real clock and for bad input", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    loop.advance(250);
    expect(loop.time()).toBe(250);
    expect(() => loop.advance(-1)).toThrow(RangeError);
    loop.close();
    const real = new TimerLoop();
    expect(() => real.advance(1)).toThrow(/virtual clock/);
    real.close();
  });
});

describe("real clock", () => {
  it("runSync sleeps at least as long as asked, including below a millisecond", () => {
    const loop = new TimerLoop();
    const elapsed = loop.runSync(
      (function* () {
        const t0 = loop.time();
        yield* sleep(0.3);
        const a = loop.time() - t0;
        yield* sleep(5);
        return [a, loop.time() - t0];
      })(),
    );
    loop.close();
    expect(elapsed[0]).toBeGreaterThanOrEqual(0.3);
    expect(elapsed[1]).toBeGreaterThanOrEqual(5.3);
  });

  it("runUntilComplete cooperates with Node: host callbacks run while the loop waits", async () => {
    const loop = new TimerLoop();
    const log: string[] = [];
    setTimeout(() => log.push("node timer"), 1);
    await loop.runUntilComplete(
      (function* () {
        yield* sleep(20);
        log.push("loop sleep done");
      })(),
    );
    loop.close();
    expect(log).toEqual(["node timer", "loop sleep done"]);
  });

  it("leaves no host timer behind once the loop is done or closed", async () => {
    // Let what earlier tests left (an immediate, a timer about to fire) go first: the count is
    // process-wide, and one of those ending mid-test made it drop below `before`.
    await new Promise((r) => setTimeout(r, 1));
    const before = hostTimers();
    const loop = new TimerLoop();
    const pending = loop.callLater(60_000, () => {});
    await loop.runUntilComplete(sleep(5));
    expect(hostTimers()).toBeLessThanOrEqual(before); // the 60 s timer keeps no host timer
    pending.cancel();
    loop.close();
    expect(hostTimers()).toBeLessThanOrEqual(before);
  });

  it("a host callback that completes a future wakes a parked loop (no polling)", async () => {
    const loop = new TimerLoop();
    const v = await loop.runUntilComplete(
      (function* (): Coro<string> {
        const loop = getRunningLoop();
        const fut = loop.createFuture<string>();
        const release = loop.addOutsideSource({ kind: "host", name: "a Node timer" });
        setTimeout(() => {
          release();
          fut.setResult("woken by Node");
        }, 5);
        return yield* fut;
      })(),
    );
    loop.close();
    expect(v).toBe("woken by Node");
  });

  it("rejects an unknown clock with a clear error", () => {
    expect(() => new TimerLoop({ clock: "wall" as never })).toThrow(/"real" or "virtual"/);
  });
});

describe("external sources (how worker threads complete work on a loop)", () => {
  it.each(["real", "virtual"] as const)(
    "runSync on the %s clock waits for a worker that wakes it through wakeWord",
    (clock) => {
      const loop = new TimerLoop({ clock });
      const shared = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(
        `const { workerData } = require("node:worker_threads");
         const [w, s] = workerData;
         setTimeout(() => { Atomics.store(s, 0, 42); Atomics.store(w, 0, 1); Atomics.notify(w, 0); }, 20);`,
        { eval: true, workerData: [loop.wakeWord, shared] },
      );
      const fut = loop.createFuture<number>();
      const release = loop.addOutsideSource({
        kind: "thread",
        name: "a test worker",
        poll: () => {
          if (!fut.done() && Atomics.load(shared, 0) !== 0) {
            release();
            fut.setResult(Atomics.load(shared, 0));
          }
        },
      });
      const v = loop.runSync(fut);
      loop.close();
      void worker.terminate();
      expect(v).toBe(42);
      if (clock === "virtual") expect(loop.time()).toBe(0); // time stood still while the worker ran
    },
  );

  it("without a pending source, runSync of a stuck future reports a deadlock", () => {
    const loop = new TimerLoop();
    expect(() => loop.runSync(loop.createFuture())).toThrow(DeadlockError);
    loop.close();
  });
});

describe("custom clock backends", () => {
  it("a subclass's backend is used, and its kind sets the clock", () => {
    class Counting extends VirtualClockBackend {
      selects = 0;
      override select(timeoutMs: number): void {
        this.selects++;
        super.select(timeoutMs);
      }
    }
    const backend = new Counting();
    const loop = new TimerLoop({ backend });
    expect(loop.clock).toBe("virtual");
    loop.runSync(sleep(1000));
    expect(loop.time()).toBe(1000);
    expect(backend.selects).toBeGreaterThan(0);
    loop.close();
    expect(() => new TimerLoop({ clock: "real", backend: new Counting() })).toThrow(
      /does not match/,
    );
  });
});

describe("virtual clock with outside work (host-driven)", () => {
  it("notices outside work that ends without waking the loop, then lets time move on", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const release = loop.addOutsideSource({ kind: "thread", name: "busy work" });
    setTimeout(() => {
      release(); // finished, but delivered nothing and woke nobody
    }, 5);
    const v = await loop.runUntilComplete(sleep(60_000, "time moved on"));
    expect(v).toBe("time moved on");
    expect(loop.time()).toBe(60_000);
    loop.close();
  });
});

describe("virtual clock with outside work (runSync)", () => {
  it("when polling completes the last outside job, time does not jump to infinity", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const fut = loop.createFuture<string>();
    const release = loop.addOutsideSource({
      kind: "thread",
      name: "one job",
      poll: () => {
        release();
        fut.setResult("delivered");
      },
    });
    const v = loop.runSync(
      (function* () {
        const r = yield* fut;
        yield* sleep(10);
        return `${r} at ${loop.time()}`;
      })(),
    );
    expect(v).toBe("delivered at 10");
    loop.close();
  });
});
