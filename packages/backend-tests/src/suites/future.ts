/**
 * Future (facts 1 to 4): done-callbacks go through the loop, cancellation, awaiting done and
 * pending futures, errors, and native `await` of a future.
 */
import { describe, expect, it } from "vitest";
import { CancelledError, Future, InvalidStateError, getRunningLoop, sleep } from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";

export function futureTests(l: LoopUnderTest): void {
  describe(`Future on ${l.name}`, () => {
    it("fact 1: done-callbacks never run inline; they run through the loop in registration order", async () => {
      const log = await runOn(l, function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture<number>();
        const log: string[] = [];
        fut.addDoneCallback(() => log.push("first"));
        fut.addDoneCallback((f) => log.push(`second:${f.result()}`));
        loop.callSoon(() => log.push("earlier callSoon"));
        fut.setResult(7);
        log.push("after setResult");
        yield* sleep(0);
        yield* sleep(0);
        return log;
      });
      expect(log).toEqual(["after setResult", "earlier callSoon", "first", "second:7"]);
    });

    it("fact 1: a callback added to a done future is scheduled too, not run inline", async () => {
      const log = await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<string>();
        fut.setResult("x");
        const log: string[] = [];
        fut.addDoneCallback(() => log.push("cb"));
        log.push("added");
        yield* sleep(0);
        return log;
      });
      expect(log).toEqual(["added", "cb"]);
    });

    it("fact 2: removeDoneCallback removes every registration of the callback and returns how many", async () => {
      const out = await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<void>();
        const calls: string[] = [];
        const a = () => calls.push("a");
        const b = () => calls.push("b");
        fut.addDoneCallback(a);
        fut.addDoneCallback(b);
        fut.addDoneCallback(a);
        const removed = fut.removeDoneCallback(a);
        const removedAgain = fut.removeDoneCallback(a);
        fut.setResult();
        yield* sleep(0);
        return { removed, removedAgain, calls };
      });
      expect(out).toEqual({ removed: 2, removedAgain: 0, calls: ["b"] });
    });

    it("fact 3: a cancelled future throws CancelledError from result/exception, refuses setResult, and cancels once", async () => {
      await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<number>();
        expect(fut.cancel("stop")).toBe(true);
        expect(fut.cancelled()).toBe(true);
        expect(fut.done()).toBe(true);
        expect(() => fut.result()).toThrow(CancelledError);
        expect(() => fut.result()).toThrow("stop");
        expect(() => fut.exception()).toThrow(CancelledError);
        expect(() => fut.setResult(1)).toThrow(InvalidStateError);
        expect(() => fut.setException(new Error("x"))).toThrow(InvalidStateError);
        expect(fut.cancel()).toBe(false);
        yield* sleep(0);
      });
    });

    it("fact 4: awaiting a done future does not give up the loop", async () => {
      const log = await runOn(l, function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture<number>();
        fut.setResult(1);
        const log: string[] = [];
        loop.callSoon(() => log.push("other callback"));
        const v = yield* fut;
        log.push(`awaited ${v}`);
        yield* sleep(0);
        return log;
      });
      expect(log).toEqual(["awaited 1", "other callback"]);
    });

    it("fact 4: awaiting a pending future yields exactly once (the future itself)", async () => {
      await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<number>();
        const it = fut[Symbol.iterator]();
        const first = it.next();
        expect(first.done).toBe(false);
        expect(first.value).toBe(fut);
        fut.setResult(5);
        expect(it.next()).toEqual({ value: 5, done: true });
        yield* sleep(0);
      });
    });

    it("result() and exception() of a pending future throw InvalidStateError that says what to do", async () => {
      await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<number>();
        expect(() => fut.result()).toThrow(/pending future: wait for it/);
        expect(() => fut.exception()).toThrow(InvalidStateError);
        yield* sleep(0);
      });
    });

    it("setResult twice throws InvalidStateError naming the fix", async () => {
      await runOn(l, function* () {
        const fut = getRunningLoop().createFuture<number>();
        fut.setResult(1);
        expect(() => fut.setResult(2)).toThrow(/check done\(\)/);
        expect(fut.result()).toBe(1);
        yield* sleep(0);
      });
    });

    it("an exception set on a future is thrown at the awaiting yield* and returned by exception()", async () => {
      const out = await runOn(l, function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture<number>();
        const err = new Error("boom");
        loop.callSoon(() => fut.setException(err));
        try {
          yield* fut;
          return "no error";
        } catch (e) {
          return e === err && fut.exception() === err ? "same error" : "other";
        }
      });
      expect(out).toBe("same error");
    });

    it("is PromiseLike: native await of a future works from async code", async () => {
      const loop = l.make();
      const fut = new Future<string>(loop);
      loop.callLater(10, () => fut.setResult("via then"));
      // The run lasts until the async side has its value: then() settles only while the loop
      // runs, and a stall can fire the timer in the run's first turn, before await calls then().
      const seen = new Future<string>(loop);
      const reader = (async () => seen.setResult(await fut))();
      await loop.runUntilComplete(seen);
      await reader;
      expect(seen.result()).toBe("via then");
      loop.close();
    });

    it("new Future() outside a running loop throws a clear error", () => {
      expect(() => new Future()).toThrow(/no running event loop/);
    });
  });
}
