/**
 * The Park coroutine behind acquire/wait/get/put (hand-made, not a generator function): driven
 * by hand with next/return/throw, it must behave as a generator that awaits would.
 */
import { describe, expect, it } from "vitest";
import { type Coro, Lock, Queue, getRunningLoop, isFuture } from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";

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
        const first = op.next(); // parks: yields its future
        const parked = first.done === false && isFuture(first.value);
        lock.release(); // hands the lock to op...
        op.return(true); // ...which is closed before it resumes
        const freed = !lock.locked();
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        yield* lock.acquire(); // no wait: the hand-off was passed on (nobody else waits)
        return { parked, freed, noWait: loop.statistics().iterations === before };
      });
      expect(out).toEqual({ parked: true, freed: true, noWait: true });
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
  });
}
