// The kit's own helpers: loopTime must still be able to fail on a real clock (an early time),
// and be the exact number on a virtual one.
import { describe, expect, it } from "vitest";
import type { LoopUnderTest } from "../src/loop-under-test.js";
import { loopTime } from "../src/support.js";

const loop = (virtualTime: boolean): LoopUnderTest => ({
  name: virtualTime ? "virtual" : "real",
  make: () => {
    throw new Error("not used");
  },
  blocking: false,
  virtualTime,
});

describe("loopTime", () => {
  it("is the number itself on a virtual clock", () => {
    expect(loopTime(loop(true), 10)).toBe(10);
    expect({ at: 10.5 }).not.toEqual({ at: loopTime(loop(true), 10) });
  });

  it("on a real clock takes the time or any later one, never an earlier one", () => {
    const real = loop(false);
    expect({ at: 10 }).toEqual({ at: loopTime(real, 10) });
    expect({ at: 10_000 }).toEqual({ at: loopTime(real, 10) });
    expect({ at: 9.9 }).not.toEqual({ at: loopTime(real, 10) });
    expect({ at: "10" }).not.toEqual({ at: loopTime(real, 10) });
    expect(String(loopTime(real, 10))).toBe("loop time 10 ms (real clock: 10 ms or later)");
  });
});
