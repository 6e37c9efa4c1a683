/**
 * The Park coroutine behind acquire/wait/get/put (hand-made, not a generator function): driven
 * by hand with next/return/throw, it must behave as a generator that awaits would. (A blocked op
 * parks its task on itself rather than yielding a Future, so these tests check what the user
 * sees: the place in line, the hand-off passed on, nothing taken.)
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  type Coro,
  Lock,
  Queue,
  TraceRecorder,
  createTask,
  getRunningLoop,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { drive } from "../support.js";

export function parkTests(l: LoopUnderTest): void {
  describe(`Park (the hand-made coroutine behind acquire/wait/get/put) on ${l.name}`, () => {
    it("is lazy: nothing happens until the first step", async () => {
      await runOn(l, function* (): Coro<void> {
        const lock = new Lock();
        const op = lock.acquire();
        expect(lock.locked()).toBe(false);
        expect(op.next()).toEqual({ done: true, value: true });
        expect(lock.locked()).toBe(true);
        expect(op.next()).toEqual({ done: true, value: true }); // finished: stays finished
        lock.release();
        yield;
      });
    });

    it("closing a parked op with return() gives up its place, passing on a hand-off", async () => {
      const out = await runOn(l, function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const op = lock.acquire();
        const first = op.next(); // parks: suspends, queued behind the holder
        const parked = first.done === false && lock.statistics().waiters === 1;
        lock.release(); // hands the lock to op...
        op.return(true); // ...which is closed before it resumes
        const freed = !lock.locked();
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        yield* lock.acquire(); // no wait: the hand-off was passed on (nobody else waits)
        const noWait = loop.statistics().iterations === before;
        lock.release();
        yield; // the task was not queued twice by the hand-off it got while running
        return { parked, freed, noWait };
      });
      expect(out).toEqual({ parked: true, freed: true, noWait: true });
    });

    it("a queue getter driven by hand and woken gets the item; closed unwoken it takes nothing", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>(1);
        const op = q.get();
        const first = op.next(); // empty: suspends
        q.putNowait(7); // wakes op (its task is running: not queued)
        const got = op.next(); // resumed by hand: takes the item
        const op2 = q.get();
        op2.next();
        op2.return(0); // closed while parked: nothing taken, no getter left
        q.putNowait(8);
        yield;
        return { suspended: first.done, got, left: q.qsize(), getters: q.statistics().getters };
      });
      expect(out).toEqual({ suspended: false, got: { done: true, value: 7 }, left: 1, getters: 0 });
    });

    it("throw() into an op that has not started re-throws and takes nothing", async () => {
      await runOn(l, function* (): Coro<void> {
        const q = new Queue<number>();
        q.putNowait(1);
        const op = q.get();
        expect(() => op.throw(new Error("stop"))).toThrow("stop");
        expect(op.next()).toEqual({ done: true, value: undefined });
        expect(q.qsize()).toBe(1);
        yield;
      });
    });

    it("two waits made before either runs are two waits (each takes its own item)", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        const a = q.get();
        const b = q.get();
        q.putNowait(1);
        q.putNowait(2);
        const x = yield* a;
        const y = yield* b;
        const c = createTask(q.get());
        const d = createTask(q.get());
        yield;
        q.putNowait(3);
        q.putNowait(4);
        return [x, y, yield* c, yield* d, q.qsize()];
      });
      expect(out).toEqual([1, 2, 3, 4, 0]);
    });

    it("cancelled while blocked and un-cancelled before it runs: the wait still ends in CancelledError (asyncio)", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        const t = createTask(
          (function* (): Coro<string> {
            try {
              return String(yield* q.get());
            } catch (e) {
              if (e instanceof CancelledError) return "cancelled";
              throw e;
            }
          })(),
        );
        yield;
        t.cancel();
        t.uncancel();
        q.putNowait(1);
        return [yield* t, q.qsize()];
      });
      expect(out).toEqual(["cancelled", 1]);
    });

    it("with a tracer set, a blocked wait shows the future it waits on, as before", async () => {
      const loop = l.make();
      const rec = new TraceRecorder();
      loop.setTracer(rec);
      const q = new Queue<number>();
      const main = loop.createTask(
        (function* (): Coro<number> {
          const getter = createTask(q.get(), { name: "getter" });
          yield;
          q.putNowait(5);
          return yield* getter;
        })(),
        { name: "main" },
      );
      expect(await drive(l, loop, main)).toBe(5);
      loop.close();
      const parked = rec.events.find(
        (e) => e.kind === "task-step" && e.name === "getter" && e.outcome === "suspended",
      );
      expect(parked).toMatchObject({ waitingOn: expect.stringContaining("Future") });
    });
  });
}
