/**
 * No run ends in silence (asyncio facts 22 and 23): a run that can never finish rejects with
 * DeadlockError naming what is pending; errors nobody retrieved are reported when the loop
 * closes at the latest; a timer beyond Node's 2^31-1 ms limit does not make a parked loop spin.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type Coro,
  DeadlockError,
  type ExceptionContext,
  Queue,
  createTask,
  fromPromise,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { TimerLoop, run, runSync } from "../src/index.js";

function* strandedQueue(): Coro<void> {
  const q = new Queue<number>(1);
  yield* q.put(1);
  yield* q.put(2); // nobody will ever get
}

function collect(loop: TimerLoop): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
  return seen;
}

describe.each(["real", "virtual"] as const)("a stranded run on the %s clock", (clock) => {
  it("run() rejects with DeadlockError naming the pending task and what it awaits", async () => {
    const err = await run(strandedQueue, { clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as Error).message).toMatch(/can never finish/);
    expect((err as Error).message).toMatch(/main awaits <Queue put>/);
  });

  it("runUntilComplete rejects the same way, and the loop can still be closed", async () => {
    const loop = new TimerLoop({ clock });
    const seen = collect(loop);
    const err = await loop
      .runUntilComplete(loop.createTask(strandedQueue(), { name: "producer" }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as Error).message).toMatch(/producer awaits/);
    loop.close();
    // The task can never run again: closing reports it instead of waiting for the collector.
    expect(seen.map((c) => c.message)).toEqual(["Task was destroyed but it is pending!"]);
  });

  it("runForever with nothing that can call stop() rejects with DeadlockError", async () => {
    const loop = new TimerLoop({ clock });
    await expect(loop.runForever()).rejects.toThrow(
      /no task is pending, and nothing can call stop/,
    );
    loop.close();
  });

  it("runSync throws it too, naming the task", () => {
    expect(() => runSync(strandedQueue, { clock })).toThrow(/main awaits <Queue put>/);
  });
});

describe("what is not a deadlock", () => {
  it("a future completed from a microtask or an immediate: the loop gives the host a turn first", async () => {
    const v = await run(function* (): Coro<string> {
      const fut = getRunningLoop().createFuture<string>();
      void Promise.resolve().then(() => fut.setResult("micro"));
      const a = yield* fut;
      const fut2 = getRunningLoop().createFuture<string>();
      setImmediate(() => fut2.setResult("immediate"));
      return `${a} ${yield* fut2}`;
    });
    expect(v).toBe("micro immediate");
  });

  it("a pending Promise (fromPromise) is an outside source: the run waits for it", async () => {
    const v = await run(
      function* (): Coro<number> {
        return yield* fromPromise(new Promise<number>((r) => setTimeout(() => r(7), 5)));
      },
      { clock: "virtual" },
    );
    expect(v).toBe(7);
  });

  it("a host callback that completes a future waits while it is registered as an outside source", async () => {
    const v = await run(function* (): Coro<string> {
      const loop = getRunningLoop();
      const fut = loop.createFuture<string>();
      const release = loop.addOutsideSource({ kind: "host", name: "a Node timer" });
      setTimeout(() => {
        release();
        fut.setResult("registered");
      }, 5);
      return yield* fut;
    });
    expect(v).toBe("registered");
  });

  it("without the registration, the same program fails loudly (and says how to fix it)", async () => {
    const timer: { t?: ReturnType<typeof setTimeout> } = {};
    const err = await run(function* (): Coro<string> {
      const fut = getRunningLoop().createFuture<string>();
      timer.t = setTimeout(() => fut.setResult("too late"), 50);
      return yield* fut;
    }).catch((e: unknown) => e);
    clearTimeout(timer.t);
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as Error).message).toMatch(/addOutsideSource/);
  });
});

describe("nothing is reported only by the garbage collector (fact 23)", () => {
  it("a failed task nobody awaited is reported when the loop closes", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const seen = collect(loop);
    await loop.runUntilComplete(
      (function* () {
        createTask(
          (function* () {
            yield* sleep(1);
            throw new Error("boom");
          })(),
          { name: "orphan" },
        );
        yield* sleep(10);
      })(),
    );
    expect(seen).toEqual([]); // not yet: someone could still look at it
    loop.close();
    expect(seen.map((c) => [c.message, (c.exception as Error).message])).toEqual([
      ["Task exception was never retrieved", "boom"],
    ]);
    expect(String(seen[0]!.future)).toMatch(/orphan/);
  });

  it("run() reports it at its end", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const seen = collect(loop);
    await run(
      function* () {
        createTask(
          (function* () {
            throw new Error("lost");
          })(),
        );
        yield* sleep(1);
      },
      { loop },
    );
    expect(seen.map((c) => c.message)).toEqual(["Task exception was never retrieved"]);
  });

  it("cancelling a task that already failed disarms the report (asyncio clears the flag in cancel())", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const seen = collect(loop);
    await loop.runUntilComplete(
      (function* () {
        const t = createTask(
          (function* () {
            throw new Error("seen by cleanup");
          })(),
        );
        yield* sleep(1);
        expect(t.cancel()).toBe(false);
      })(),
    );
    loop.close();
    expect(seen).toEqual([]);
  });

  it("a task left pending by runSync is reported when the loop closes", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const seen = collect(loop);
    loop.runSync(
      (function* () {
        createTask(sleep(60_000), { name: "sleeper" });
        yield* sleep(1);
      })(),
    );
    loop.close();
    expect(seen.map((c) => c.message)).toEqual(["Task was destroyed but it is pending!"]);
    expect(String(seen[0]!.task)).toMatch(/sleeper/);
  });
});

describe("timers beyond Node's host-timer limit", () => {
  it("a 30-day sleep parks with one clamped host timer: no spin, no TimeoutOverflowWarning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const loop = new TimerLoop();
    const sleeper = loop.createTask(sleep(30 * 24 * 3_600_000));
    const release = loop.addOutsideSource({ kind: "host", name: "test stopper" });
    setTimeout(() => {
      release();
      sleeper.cancel();
    }, 50);
    await loop.runUntilComplete(sleeper).catch(() => {});
    const iterations = loop.statistics().iterations;
    loop.close();
    process.off("warning", onWarning);
    expect(warnings).toEqual([]);
    expect(iterations).toBeLessThan(10); // it spun ~40 times in 50 ms before the clamp
  });
});

describe("a program never ends in silence (exit code 13 is a silent end)", () => {
  it("a stranded top-level run prints DeadlockError and exits 1", () => {
    const fixture = fileURLToPath(new URL("./fixtures/stranded.mjs", import.meta.url));
    const r = spawnSync(process.execPath, [fixture], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/DeadlockError: the run can never finish/);
    expect(r.stderr).toMatch(/main awaits/);
  });

  it("a registered source that can never deliver (a Promise nothing settles) fails when the host runs dry", () => {
    const fixture = fileURLToPath(new URL("./fixtures/never-settles.mjs", import.meta.url));
    const r = spawnSync(process.execPath, [fixture], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /DeadlockError: the run can never finish: the host has nothing left to run/,
    );
    expect(r.stderr).toMatch(/a Promise \(fromPromise\)/);
  });
});
