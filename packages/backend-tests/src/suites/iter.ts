/**
 * Async iteration: forEach, BREAK, toArray and aiter over coroutine-based iterators.
 */
import { describe, expect, it } from "vitest";
import { type AsyncIter, BREAK, type Coro, aiter, forEach, sleep, toArray } from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";

/** A producer of `n` numbers, one per millisecond, that records whether it was released. */
function counter(n: number, state: { released: boolean }): AsyncIter<number> {
  let i = 0;
  return {
    *next(): Coro<IteratorResult<number, undefined>> {
      yield* sleep(1);
      return i < n ? { value: i++, done: false } : { value: undefined, done: true };
    },
    *return(): Coro<void> {
      state.released = true;
    },
  };
}

export function iterTests(l: LoopUnderTest): void {
  describe(`iteration shape (${l.name})`, () => {
    it("forEach visits every value in order and does not release a finished producer", async () => {
      const state = { released: false };
      const out = await runOn(l, function* () {
        const seen: number[] = [];
        yield* forEach(counter(3, state), (v) => {
          seen.push(v);
        });
        return seen;
      });
      expect(out).toEqual([0, 1, 2]);
      expect(state.released).toBe(false);
    });

    it("BREAK stops early and releases the producer; so does an error in the body", async () => {
      const a = { released: false };
      const b = { released: false };
      const out = await runOn(l, function* () {
        const seen: number[] = [];
        yield* forEach(counter(10, a), function* (v) {
          seen.push(v);
          yield* sleep(1);
          if (v === 1) return BREAK;
        });
        try {
          yield* forEach(counter(10, b), () => {
            throw new Error("body failed");
          });
        } catch (e) {
          seen.push(-1);
          expect((e as Error).message).toBe("body failed");
        }
        return seen;
      });
      expect(out).toEqual([0, 1, -1]);
      expect(a.released).toBe(true);
      expect(b.released).toBe(true);
    });

    it("toArray and aiter work on AsyncIterableCo objects", async () => {
      const state = { released: false };
      const src = { aiter: () => counter(4, state) };
      expect(aiter(src)).not.toBe(src);
      expect(await runOn(l, () => toArray(src))).toEqual([0, 1, 2, 3]);
    });
  });
}
