/**
 * coro(): coroutine functions whose generators the task resumes from its own stack, so a
 * suspension costs the same at any depth; everything a user can see must match plain `yield*`.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  coro,
  coroMethods,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";

/** A hand-written iterator between two frames that counts how often the chain resumes it. */
function counted<T>(inner: Coro<T>, count: { n: number }): Coro<T> {
  const it: Coro<T> = {
    [Symbol.iterator]() {
      return it;
    },
    next(v?: unknown) {
      count.n++;
      return inner.next(v);
    },
    throw(e: unknown) {
      count.n++;
      return inner.throw(e);
    },
    return(v: T) {
      return inner.return(v);
    },
    [Symbol.dispose]() {},
  } as Coro<T>;
  return it;
}

const down = coro(function* down(d: number, awaits: number): Coro<number> {
  if (d === 0) {
    for (let i = 0; i < awaits; i++) yield* sleep(0);
    return 0;
  }
  return 1 + (yield* down(d - 1, awaits));
});

const nest = coro(function* nest(d: number, inner: () => Coro<number>): Coro<number> {
  return d === 0 ? yield* inner() : yield* nest(d - 1, inner);
});

export function coroTests(l: LoopUnderTest): void {
  describe(`coro() frames on ${l.name}`, () => {
    it("returns values through 500 levels, mixed with plain generator functions", async () => {
      function* plain(d: number): Coro<number> {
        return 1 + (yield* down(d, 3));
      }
      const out = await runOn(l, function* () {
        const a = yield* down(500, 3);
        const b = yield* plain(250);
        return [a, b];
      });
      expect(out).toEqual([500, 251]);
    });

    it("resumes only the innermost frame: what sits between frames is not re-entered per suspension", async () => {
      // Below a few levels (the first run inline, as plain generators do) every call is a
      // frame of its own: the iterator between two frames sees the call start and end only.
      const count = { n: 0 };
      const out = await runOn(l, () => nest(8, () => counted(down(3, 50), count)));
      expect(out).toBe(3);
      expect(count.n).toBe(2);
    });

    it("an error unwinds innermost first, runs each finally on the way, and can be caught midway", async () => {
      const log: string[] = [];
      const fail = coro(function* fail(): Coro<never> {
        try {
          yield* sleep(0);
          throw new Error("boom");
        } finally {
          log.push("fail.finally");
        }
      });
      const middle = coro(function* middle(): Coro<string> {
        try {
          yield* fail();
          return "unreachable";
        } finally {
          log.push("middle.finally");
        }
      });
      const top = coro(function* top(): Coro<string> {
        try {
          return yield* middle();
        } catch (e) {
          log.push(`top caught ${(e as Error).message}`);
          return "recovered";
        }
      });
      const out = await runOn(l, () => top());
      expect(out).toBe("recovered");
      expect(log).toEqual(["fail.finally", "middle.finally", "top caught boom"]);
    });

    it("names the calling coroutines in the error's stack, inline or as frames", async () => {
      const inner = coro(function* innerMost(): Coro<never> {
        yield* sleep(0);
        throw new Error("deep");
      });
      const level = coro(function* midLevel(d: number): Coro<never> {
        return d === 0 ? yield* inner() : yield* level(d - 1);
      });
      const err = await runOn(l, function* () {
        try {
          yield* level(9);
        } catch (e) {
          return e as Error;
        }
        return null;
      });
      expect(err?.stack).toContain("at innerMost");
      // Ten callers: the shallow ones as V8's own frames, the deeper ones as "at async" lines.
      const callers = (err?.stack ?? "")
        .split("\n")
        .filter((s) => /at (async )?midLevel( |$)/.test(s.trim()));
      expect(callers.length).toBeGreaterThanOrEqual(10);
      expect(err?.stack).toContain("at async midLevel");
    });

    it("cancellation lands at the innermost suspension; finally blocks run innermost first", async () => {
      const log: string[] = [];
      const leaf = coro(function* leaf(): Coro<void> {
        try {
          yield* sleep(1e9);
        } catch (e) {
          log.push(`leaf saw ${(e as Error).constructor.name}`);
          throw e;
        } finally {
          log.push("leaf.finally");
        }
      });
      const branch = coro(function* branch(d: number): Coro<void> {
        try {
          if (d === 0) yield* leaf();
          else yield* branch(d - 1);
        } finally {
          if (d === 0 || d === 9) log.push(`branch(${d}).finally`);
        }
      });
      const out = await runOn(l, function* () {
        const t = createTask(branch(9));
        yield* sleep(0);
        yield* sleep(0);
        t.cancel("stop");
        try {
          yield* t;
        } catch (e) {
          return [e instanceof CancelledError, (e as Error).message, t.cancelled()];
        }
        return null;
      });
      expect(out).toEqual([true, "stop", true]);
      expect(log).toEqual([
        "leaf saw CancelledError",
        "leaf.finally",
        "branch(0).finally",
        "branch(9).finally",
      ]);
    });

    it("a coro() call runs as a task of its own, in gather, and with `this`", async () => {
      class Counter {
        n = 0;
        bump = coro(function* bump(this: Counter, by: number): Coro<number> {
          yield* sleep(0);
          this.n += by;
          return this.n;
        });
      }
      const out = await runOn(l, function* () {
        const c = new Counter();
        const t = createTask(c.bump(2));
        const all = yield* gather([down(5, 1), down(7, 2)]);
        const v = yield* t;
        return [v, all, currentTask() !== null];
      });
      expect(out).toEqual([2, [5, 7], true]);
    });

    it("coroMethods opts a class's generator methods in, with `this`; a plain method is refused", async () => {
      class Walker {
        steps = 0;
        *walk(d: number): Coro<number> {
          if (d === 0) {
            for (let i = 0; i < 20; i++) yield* sleep(0);
            return this.steps;
          }
          this.steps++;
          return yield* this.walk(d - 1);
        }
        plain(): number {
          return 1;
        }
      }
      coroMethods(Walker.prototype, "walk");
      expect(() => coroMethods(Walker.prototype, "plain")).toThrow(/not a generator method/);
      const count = { n: 0 };
      const w = new Walker();
      const out = await runOn(l, () => nest(8, () => counted(w.walk(30), count)));
      expect(out).toBe(30);
      expect(count.n).toBe(2);
    });

    it("a coro() generator driven by hand outside a task runs inline, as a plain generator", () => {
      const gen = coro(function* (): Coro<number> {
        const x = (yield undefined) as number;
        return x * 2;
      })();
      expect(gen.next()).toEqual({ value: undefined, done: false });
      expect(gen.next(21)).toEqual({ value: 42, done: true });
    });

    it("a deep chain's suspensions leave the loop as a plain chain would (same iterations)", async () => {
      function* plainDown(d: number): Coro<number> {
        if (d === 0) {
          yield* sleep(0);
          yield* sleep(0);
          return 0;
        }
        return 1 + (yield* plainDown(d - 1));
      }
      const run = (main: () => Coro<number>) =>
        runOn(l, function* () {
          const loop = getRunningLoop();
          const before = loop.statistics().iterations;
          const v = yield* main();
          return [v, loop.statistics().iterations - before];
        });
      const a = await run(() => down(20, 2));
      const b = await run(() => plainDown(20));
      expect(a).toEqual(b);
    });
  });
}
