import { describe, expect, it } from "vitest";
import { getRunningLoop, sleep } from "../../src/index.js";
import { runOnMinimal } from "./minimal-loop.js";

describe("core's test loop: MinimalLoop", () => {
  it("runs a coroutine that sleeps an hour of virtual time at once", () => {
    const out = runOnMinimal(function* () {
      const loop = getRunningLoop();
      const t0 = loop.time();
      yield* sleep(3_600_000);
      return loop.time() - t0;
    });
    expect(out).toBe(3_600_000);
  });
});
