import { describe, expect, it } from "vitest";
import { getRunningLoop, sleep } from "../../src/index.js";
import { LOOPS, runOn } from "./loops.js";

describe.each(LOOPS)("test loops: $name", (kind) => {
  it("runs a coroutine that sleeps an hour of virtual time at once", () => {
    const out = runOn(kind, function* () {
      const loop = getRunningLoop();
      const t0 = loop.time();
      yield* sleep(3_600_000);
      return loop.time() - t0;
    });
    expect(out).toBe(3_600_000);
  });
});
