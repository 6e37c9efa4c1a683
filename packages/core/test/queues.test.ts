// Queue argument checks, which need no loop; the queues' behaviour is tested on every loop by
// @aioloop/backend-tests (suites/queues.ts).
import { describe, expect, it } from "vitest";
import { LifoQueue, PriorityQueue, Queue } from "../src/queues.js";
import { InvalidArgumentError } from "../src/sync-errors.js";

describe("Queue arguments", () => {
  it("a negative, NaN, infinite or non-number maxsize throws InvalidArgumentError", () => {
    for (const bad of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, "3", null]) {
      expect(() => new Queue(bad as number)).toThrow(InvalidArgumentError);
      expect(() => new LifoQueue(bad as number)).toThrow(/LifoQueue\(.*\): maxsize must be/);
      expect(() => new PriorityQueue(bad as number)).toThrow(InvalidArgumentError);
    }
    expect(() => new PriorityQueue({ compare: 3 as never })).toThrow(InvalidArgumentError);
    expect(() => new PriorityQueue(null as never)).toThrow(InvalidArgumentError);
    expect(new Queue().maxsize).toBe(0);
    // As asyncio: a fractional maxsize is accepted (it bounds the queue at its ceiling).
    expect(new Queue(1.5).maxsize).toBe(1.5);
    expect(new PriorityQueue({ maxsize: 4 }).maxsize).toBe(4);
  });
});
