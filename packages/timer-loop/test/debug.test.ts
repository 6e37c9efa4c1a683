/**
 * Debug mode reports a coroutine that was created and never awaited or scheduled (asyncio's
 * "coroutine … was never awaited"), with where it was created, at the latest when the loop
 * closes.
 */
import { type Coro, type ExceptionContext, coro, createTask, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { TimerLoop } from "../src/index.js";

const work = coro(function* doubleLater(n: number): Coro<number> {
  yield* sleep(1);
  return n * 2;
});

function debugLoop(): [TimerLoop, ExceptionContext[]] {
  const loop = new TimerLoop({ clock: "virtual", debug: true });
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
  return [loop, seen];
}

describe("debug mode: coroutines never awaited", () => {
  it("a call without yield* is reported with where it was created", async () => {
    const [loop, seen] = debugLoop();
    await loop.runUntilComplete(
      (function* () {
        work(1); // the missing yield*
        yield* sleep(5);
      })(),
    );
    loop.close();
    expect(seen.map((c) => c.message)).toEqual([
      "coroutine doubleLater was never awaited: use `yield* doubleLater(…)`, or createTask(doubleLater(…)) to run it concurrently",
    ]);
    expect(String(seen[0]!.source)).toMatch(/debug\.test\.ts/);
  });

  it("awaited and scheduled coroutines are not reported; types are inferred", async () => {
    const [loop, seen] = debugLoop();
    const v = await loop.runUntilComplete(
      (function* (): Coro<number> {
        const t = createTask(work(2));
        const a: number = yield* work(1);
        return a + (yield* t);
      })(),
    );
    loop.close();
    expect(v).toBe(6);
    expect(seen).toEqual([]);
  });

  it("outside debug mode nothing is recorded: the generator is returned as is", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const seen: ExceptionContext[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
    loop.runSync(
      (function* () {
        work(1);
        yield* sleep(1);
      })(),
    );
    loop.close();
    expect(seen).toEqual([]);
  });

  it("coro() refuses what is not a function", () => {
    expect(() => coro(42 as never)).toThrow(/coro\(\) needs a generator function/);
  });
});
