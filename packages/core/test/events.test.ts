// runningLoopOrNull: the non-throwing lookup of the running loop (asyncio's _get_running_loop).
import { describe, expect, it } from "vitest";
import { NoRunningLoopError, getRunningLoop, runningLoopOrNull } from "../src/index.js";
import { runOnMinimal } from "./support/minimal-loop.js";

describe("runningLoopOrNull", () => {
  it("is null outside a loop (where getRunningLoop throws) and the loop inside one", () => {
    expect(runningLoopOrNull()).toBeNull();
    expect(() => getRunningLoop()).toThrow(NoRunningLoopError);
    const inside = runOnMinimal(function* () {
      yield;
      return runningLoopOrNull() === getRunningLoop();
    });
    expect(inside).toBe(true);
    expect(runningLoopOrNull()).toBeNull();
  });
});
