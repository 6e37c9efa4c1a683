/**
 * Fact 21, nothing is lost silently: a task exception nobody retrieved, and a task destroyed
 * while pending, reach the exception handler once the garbage collector has the task. The runs
 * are host-driven (`runUntilComplete`) on every loop: tasks are then held weakly, so the
 * collector can see them.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { type Coro, type ExceptionContext, createTask, getRunningLoop, sleep } from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";

let collect: (() => void) | null = null;
/** Run a full garbage collection (exposing V8's `gc` on first use, not when the kit is imported). */
function gc(): void {
  if (collect === null) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as () => void;
  }
  collect();
}

/** Collect garbage until `done()` or give up; finalizers run between host turns. */
async function collectUntil(done: () => boolean, rounds = 50): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 1));
  }
}

export function gcTests(l: LoopUnderTest): void {
  describe(`fact 21: nothing is lost silently (${l.name})`, () => {
    it("a task exception nobody retrieved reaches the exception handler once the task is collected", async () => {
      const loop = l.make();
      const seen: ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
      await loop.runUntilComplete(
        (function* () {
          const forgotten = createTask(
            (function* (): Coro<void> {
              yield* sleep(1);
              throw new Error("nobody looked at me");
            })(),
            { name: "forgotten" },
          );
          // Wait until it failed without retrieving its exception (a done callback does not).
          // Not a longer sleep: a stall can fire main's timer before the child's first step.
          const failed = getRunningLoop().createFuture<void>();
          forgotten.addDoneCallback(() => failed.setResult(undefined));
          yield* failed;
        })(),
      );
      await collectUntil(() => seen.length > 0);
      loop.close();
      expect(seen.map((c) => c.message)).toEqual(["Task exception was never retrieved"]);
      expect((seen[0]!.exception as Error).message).toBe("nobody looked at me");
      expect(seen[0]!.source).toMatch(/forgotten/);
    });

    it("a retrieved exception is not reported", async () => {
      const loop = l.make();
      const seen: ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
      await loop.runUntilComplete(
        (function* () {
          const t = createTask(
            (function* (): Coro<void> {
              yield* sleep(1);
              throw new Error("handled");
            })(),
          );
          try {
            yield* t;
          } catch {}
        })(),
      );
      await collectUntil(() => false, 10);
      loop.close();
      expect(seen).toEqual([]);
    });

    it("a task destroyed while pending is reported", async () => {
      const loop = l.make();
      const seen: ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
      await loop.runUntilComplete(
        (function* () {
          createTask(
            (function* () {
              yield* getRunningLoop().createFuture<void>(); // nobody will ever complete this
            })(),
            { name: "orphan" },
          );
          yield* sleep(10);
        })(),
      );
      await collectUntil(() => seen.length > 0);
      loop.close();
      expect(seen.map((c) => c.message)).toEqual(["Task was destroyed but it is pending!"]);
      expect(seen[0]!.source).toMatch(/orphan/);
    });
  });
}
