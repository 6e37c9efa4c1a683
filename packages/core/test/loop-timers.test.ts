// The loop's timers with sleeping tasks in them: sleep() files the task itself (no Future, no
// TimerHandle), cancelling it leaves no timer, equal deadlines keep insertion order,
// and a task asleep says so in DeadlockError and close() reports.
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  DeadlockError,
  Future,
  type Task,
  TraceRecorder,
  createTask,
  getRunningLoop,
  sleep,
} from "../src/index.js";
import { MinimalLoop, runOnMinimal } from "./support/minimal-loop.js";

describe("sleep files the task in the loop's timers", () => {
  it("counts as a timer while asleep, returns its value, and leaves nothing behind", () => {
    const loop = new MinimalLoop();
    const seen: unknown[] = [];
    const v = loop.runSync(
      loop.createTask(
        (function* (): Coro<string> {
          const t = createTask(sleep(50, "late"));
          yield* sleep(0);
          seen.push(getRunningLoop().statistics().timers);
          const mine = yield* sleep(10, "mine");
          seen.push(mine, getRunningLoop().time());
          return yield* t;
        })(),
      ),
    );
    expect(v).toBe("late");
    expect(seen).toEqual([1, "mine", 10]);
    expect(loop.statistics()).toMatchObject({ timers: 0, cancelledTimers: 0 });
    loop.close();
  });

  it("cancelling sleeping tasks leaves no timer behind (statistics)", () => {
    const n = 20_000;
    const stats = runOnMinimal(function* () {
      const loop = getRunningLoop();
      const ts: Task<undefined>[] = [];
      for (let i = 0; i < n; i++) ts.push(createTask(sleep(1000 + (i % 7))));
      yield* sleep(0); // every sleeper has filed itself
      const asleep = loop.statistics().timers;
      for (const t of ts) t.cancel();
      const after = loop.statistics();
      let cancelled = 0;
      for (const t of ts) {
        try {
          yield* t;
        } catch (e) {
          if (e instanceof CancelledError) cancelled++;
        }
      }
      return { asleep, after, cancelled, now: loop.time() };
    });
    expect(stats.asleep).toBe(n);
    expect(stats.after).toMatchObject({ timers: 0, cancelledTimers: 0 });
    expect(stats.cancelled).toBe(n);
    expect(stats.now).toBe(0); // no sleeper's deadline was waited for
  });

  it("a sleep cancelled and then uncancelled before its step still ends in CancelledError", () => {
    const log = runOnMinimal(function* () {
      const out: string[] = [];
      const t = createTask(
        (function* (): Coro<void> {
          try {
            yield* sleep(10);
            out.push("slept");
          } catch (e) {
            out.push(e instanceof CancelledError ? "cancelled" : "other");
          }
        })(),
      );
      yield* sleep(0);
      t.cancel();
      t.uncancel();
      yield* t;
      return out;
    });
    expect(log).toEqual(["cancelled"]);
  });

  it("a sleeper cancelled after its deadline came but before it resumed ends in CancelledError, once; the others still wake", () => {
    const log = runOnMinimal(function* () {
      const loop = getRunningLoop();
      const out: string[] = [];
      const sleeper = (name: string): Task<void> =>
        createTask(
          (function* (): Coro<void> {
            try {
              out.push(`${name} ${String(yield* sleep(10, "woke"))}`);
            } catch (e) {
              out.push(
                `${name} ${e instanceof CancelledError ? `cancelled: ${e.message}` : "other"}`,
              );
              // A second sleep: a stale wake-up of the first would end it early, or in error.
              out.push(`${name} ${String(yield* sleep(5, "slept again"))} at ${loop.time()}`);
            }
          })(),
        );
      // Filed before the sleepers at the same deadline: it runs in the iteration their
      // deadline comes, after they fired and before they resume.
      let a: Task<void> | null = null;
      loop.callLater(10, () => a!.cancel("late cancel"));
      a = sleeper("a");
      const b = sleeper("b");
      const c = sleeper("c");
      yield* a;
      yield* b;
      yield* c;
      return out;
    });
    expect(log).toEqual(["a cancelled: late cancel", "b woke", "c woke", "a slept again at 15"]);
  });

  it("equal deadlines fire in insertion order; a sleeper resumes one iteration after its deadline, as asyncio's", () => {
    const log = runOnMinimal(function* () {
      const loop = getRunningLoop();
      const out: string[] = [];
      const at = loop.time() + 10;
      const sleeper = (name: string): Coro<void> =>
        (function* () {
          yield* sleep(at - getRunningLoop().time());
          out.push(name);
        })();
      loop.callAt(at, () => {
        out.push("h1");
        loop.callSoon(() => out.push("h1 soon"));
      });
      const ts = [createTask(sleeper("t1")), createTask(sleeper("t2"))];
      yield* sleep(0); // t1, t2 file themselves after h1
      loop.callAt(at, () => out.push("h2"));
      ts.push(createTask(sleeper("t3")));
      for (const t of ts) yield* t;
      return out;
    });
    // h1 and h2 run in the deadline's iteration; each sleeper's wake-up takes the place of
    // asyncio's sleep callback there, so the sleepers run in the next iteration, after h1's
    // callSoon, in the order they filed themselves.
    expect(log).toEqual(["h1", "h2", "h1 soon", "t1", "t2", "t3"]);
  });

  it("a sleeping task's DeadlockError and close() report say what it waits for", () => {
    const loop = new MinimalLoop();
    expect(() =>
      loop.runSync(
        loop.createTask(
          (function* () {
            yield* sleep(Number.POSITIVE_INFINITY);
          })(),
          { name: "forever" },
        ),
      ),
    ).toThrow(DeadlockError);
    try {
      loop.runSync(loop.createTask(sleep(0)));
    } catch {}
    const reports: string[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(String(ctx.source)));
    loop.runSync(
      loop.createTask(
        (function* () {
          createTask(sleep(1234), { name: "napper" });
          yield* sleep(1);
        })(),
      ),
    );
    loop.close();
    expect(reports.join("\n")).toMatch(/forever.* awaits sleep\(Infinity\)/);
    expect(reports.join("\n")).toMatch(/napper.* awaits sleep\(1234 ms\)/);
  });

  it("names the sleep in a DeadlockError", () => {
    const loop = new MinimalLoop();
    let err: unknown;
    try {
      loop.runSync(
        loop.createTask(
          (function* () {
            yield* sleep(Number.POSITIVE_INFINITY);
          })(),
          { name: "main" },
        ),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeadlockError);
    expect((err as Error).message).toMatch(/main awaits sleep\(Infinity\)/);
    loop.setExceptionHandler(() => {});
    loop.close();
  });

  it("outside a task, and while a tracer records, sleep runs on a Future and a TimerHandle", () => {
    const loop = new MinimalLoop();
    const rec = new TraceRecorder();
    loop.setTracer(rec);
    expect(loop.runSync(loop.createTask(sleep(5, "v")))).toBe("v");
    expect(rec.events.map((e) => e.kind)).toContain("timer-fired");
    loop.setTracer(null);
    loop.runSync(
      loop.createTask(
        (function* () {
          const it = sleep(5)[Symbol.iterator]();
          let first: unknown;
          getRunningLoop().callSoon(() => {
            first = it.next().value; // stepped from a callback: no task to file
          });
          yield* sleep(0);
          yield* sleep(0);
          expect(first).toBeInstanceOf(Future);
          it.return?.(undefined);
        })(),
      ),
    );
    loop.close();
  });
});
