/**
 * Task (facts 5 to 8): results, cancellation and uncancel, bad yields, names, eager start.
 */
import { describe, expect, it } from "vitest";
import {
  BadYieldError,
  CancelledError,
  type Coro,
  InvalidStateError,
  NotACoroutineError,
  Task,
  allTasks,
  createTask,
  currentTask,
  eagerTaskFactory,
  Lock,
  Queue,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { AN_HOUR } from "../support.js";

export function taskTests(l: LoopUnderTest): void {
  describe(`Task on ${l.name}`, () => {
    it("a task parked on sleep, a queue or a lock keeps the first cancel's message, and uncancel() does not take the cancel back (CPython 3.13)", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        const lock = new Lock();
        yield* lock.acquire();
        const waits: Record<string, () => Coro<unknown>> = {
          sleep: () => sleep(AN_HOUR),
          queue: () => q.get(),
          lock: () => lock.acquire(),
        };
        const seen: string[] = [];
        for (const [kind, wait] of Object.entries(waits)) {
          const twice = createTask(wait());
          yield* sleep(0);
          twice.cancel("a");
          twice.cancel("b");
          try {
            yield* twice;
          } catch (e) {
            seen.push(`${kind}: ${(e as Error).message}`);
          }
          const taken = createTask(wait());
          yield* sleep(0);
          taken.cancel("x");
          const left = taken.uncancel();
          try {
            yield* taken;
            seen.push(`${kind}: finished`);
          } catch (e) {
            seen.push(`${kind}: ${left} left, ${(e as Error).message}`);
          }
        }
        return seen;
      });
      expect(out).toEqual([
        "sleep: a",
        "sleep: 0 left, x",
        "queue: a",
        "queue: 0 left, x",
        "lock: a",
        "lock: 0 left, x",
      ]);
    });

    it("runs a coroutine to its return value", async () => {
      const v = await runOn(l, function* () {
        const t = createTask(
          (function* () {
            yield* sleep(5);
            return 42;
          })(),
        );
        return (yield* t) + 1;
      });
      expect(v).toBe(43);
    });

    it("fact 5: cancel() while a task awaits a future cancels that future at once", async () => {
      const out = await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<number>();
        const t = createTask(
          (function* () {
            return yield* fut;
          })(),
        );
        yield* sleep(0);
        expect(fut.cancelled()).toBe(false);
        t.cancel("bye");
        const futCancelledAtOnce = fut.cancelled();
        try {
          yield* t;
        } catch (e) {
          return {
            futCancelledAtOnce,
            err: e instanceof CancelledError,
            taskCancelled: t.cancelled(),
          };
        }
        return null;
      });
      expect(out).toEqual({ futCancelledAtOnce: true, err: true, taskCancelled: true });
    });

    it("fact 5: a task that catches CancelledError at its yield* and goes on is not cancelled", async () => {
      const out = await runOn(l, function* () {
        const t = createTask(
          (function* () {
            try {
              yield* sleep(AN_HOUR);
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
              yield* sleep(10);
              return "recovered";
            }
            return "slept";
          })(),
        );
        yield* sleep(1);
        t.cancel();
        const v = yield* t;
        return { v, cancelled: t.cancelled(), cancelling: t.cancelling() };
      });
      expect(out).toEqual({ v: "recovered", cancelled: false, cancelling: 1 });
    });

    it("fact 6: a task that cancels itself and then returns ends cancelled", async () => {
      const out = await runOn(l, function* () {
        const t = createTask(
          (function* () {
            currentTask()!.cancel();
            return "returned";
          })(),
        );
        yield* sleep(0);
        yield* sleep(0);
        return { done: t.done(), cancelled: t.cancelled() };
      });
      expect(out).toEqual({ done: true, cancelled: true });
    });

    it("fact 6: a task cancelled before its first step never runs its body", async () => {
      const out = await runOn(l, function* () {
        let ran = false;
        const t = createTask(
          (function* () {
            ran = true;
          })(),
        );
        t.cancel();
        yield* sleep(0);
        yield* sleep(0);
        return { ran, cancelled: t.cancelled() };
      });
      expect(out).toEqual({ ran: false, cancelled: true });
    });

    it("fact 7: cancel() twice returns true both times; cancelling() counts and uncancel() counts down", async () => {
      await runOn(l, function* () {
        const t = createTask(sleep(1000));
        yield* sleep(0);
        expect(t.cancel()).toBe(true);
        expect(t.cancel()).toBe(true);
        expect(t.cancelling()).toBe(2);
        expect(t.uncancel()).toBe(1);
        expect(t.uncancel()).toBe(0);
        expect(t.uncancel()).toBe(0);
        try {
          yield* t;
        } catch {}
        expect(t.cancel()).toBe(false);
      });
    });

    it("fact 8: a task that awaits itself gets a clear error on its next step", async () => {
      const msg = await runOn(l, function* () {
        let self: Task<void> | null = null;
        const t = createTask(
          (function* (): Coro<void> {
            yield;
            yield* self!;
          })(),
        );
        self = t;
        try {
          yield* t;
        } catch (e) {
          expect(e).toBeInstanceOf(BadYieldError);
          return (e as Error).message;
        }
        return "";
      });
      expect(msg).toMatch(/awaited itself/);
    });

    it.each([
      ["a number", 42, /yielded 42/],
      ["a Promise", Promise.resolve(1), /fromPromise/],
      ["a generator", (function* () {})(), /yield\* gen/],
    ])(
      "fact 8: yielding %s gets a BadYieldError naming it and the fix",
      async (_what, value, pattern) => {
        const msg = await runOn(l, function* () {
          const t = createTask(
            (function* (): Coro<string> {
              try {
                yield value as never;
              } catch (e) {
                return `${(e as Error).name}: ${(e as Error).message}`;
              }
              return "no error";
            })(),
          );
          return yield* t;
        });
        expect(msg).toMatch(/^BadYieldError/);
        expect(msg).toMatch(pattern);
      },
    );

    it("fact 8: `yield fut` without the star is caught and explained", async () => {
      const msg = await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<number>();
        const t = createTask(
          (function* (): Coro<string> {
            try {
              // @ts-expect-error core's Coro type rejects `yield fut` too; this checks the runtime error
              yield fut;
            } catch (e) {
              return (e as Error).message;
            }
            return "no error";
          })(),
        );
        return yield* t;
      });
      expect(msg).toMatch(/write `yield\* fut`/);
    });

    it("createTask with something that is not a coroutine throws NotACoroutineError with a hint", async () => {
      await runOn(l, function* () {
        expect(() => createTask(42 as never)).toThrow(NotACoroutineError);
        expect(() => createTask(function* main() {} as never)).toThrow(
          /call it first: pass `main\(\)`/,
        );
        expect(() => createTask(Promise.resolve() as never)).toThrow(/fromPromise/);
        yield* sleep(0);
      });
    });

    it("setResult/setException on a Task throw InvalidStateError", async () => {
      await runOn(l, function* () {
        const t = createTask(sleep(0));
        expect(() => t.setResult(undefined)).toThrow(InvalidStateError);
        expect(() => t.setException(new Error())).toThrow(InvalidStateError);
        yield* t;
      });
    });

    it("names tasks, and currentTask()/allTasks() see them", async () => {
      const out = await runOn(l, function* () {
        const t = createTask(sleep(100), { name: "sleeper" });
        yield* sleep(0);
        const names = [...allTasks()].map((x) => x.getName()).sort();
        t.setName("renamed");
        const cur = currentTask()!.getName();
        t.cancel();
        return { names, renamed: t.getName(), cur, isTask: currentTask() instanceof Task };
      });
      expect(out.names).toContain("sleeper");
      expect(out.names.length).toBe(2);
      expect(out.renamed).toBe("renamed");
      expect(out.isTask).toBe(true);
    });

    it("an eager task factory runs the first step inside createTask", async () => {
      const log = await runOn(l, function* () {
        const loop = getRunningLoop();
        loop.setTaskFactory(eagerTaskFactory);
        const log: string[] = [];
        const t = createTask(
          (function* () {
            log.push("started");
            yield* sleep(1);
            log.push("resumed");
            return 1;
          })(),
        );
        log.push("after createTask");
        const done = createTask(
          (function* () {
            return 2;
          })(),
        );
        log.push(`finished without the loop: ${done.done()}`);
        yield* t;
        loop.setTaskFactory(null);
        return log;
      });
      expect(log).toEqual([
        "started",
        "after createTask",
        "finished without the loop: true",
        "resumed",
      ]);
    });

    it("a failing task fails with its error; awaiting it rethrows", async () => {
      const out = await runOn(l, function* () {
        const err = new TypeError("bad");
        const t = createTask(
          (function* (): Coro<void> {
            yield* sleep(1);
            throw err;
          })(),
        );
        try {
          yield* t;
        } catch (e) {
          return e === err && t.exception() === err;
        }
        return false;
      });
      expect(out).toBe(true);
    });
  });
}
