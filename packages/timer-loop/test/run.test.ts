import {
  CancelledError,
  LoopRunningError,
  NotACoroutineError,
  createTask,
  sleep,
} from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { KeyboardInterrupt, TimerLoop, run, runSync } from "../src/index.js";

describe("run()", () => {
  it("runs main and resolves to its result; main may be a generator function or a coroutine", async () => {
    expect(
      await run(function* () {
        yield* sleep(1);
        return 1;
      }),
    ).toBe(1);
    expect(await run(sleep(1, 2))).toBe(2);
  });

  it("cancels the tasks main left behind and lets their cleanup run, then closes the loop", async () => {
    const log: string[] = [];
    const loop = new TimerLoop({ clock: "virtual" });
    await run(
      function* () {
        createTask(
          (function* () {
            try {
              yield* sleep(60_000);
            } finally {
              log.push("leftover cleaned up");
            }
          })(),
        );
        yield* sleep(1);
        return "main done";
      },
      { loop },
    );
    expect(log).toEqual(["leftover cleaned up"]);
    expect(loop.isClosed()).toBe(true);
  });

  it("rejects with main's error (and still closes the loop)", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    await expect(
      run(
        function* () {
          yield* sleep(1);
          throw new RangeError("main failed");
        },
        { loop },
      ),
    ).rejects.toThrow("main failed");
    expect(loop.isClosed()).toBe(true);
  });

  it("Ctrl-C cancels main, runs its cleanup, and rejects with KeyboardInterrupt", async () => {
    const log: string[] = [];
    setTimeout(() => process.emit("SIGINT"), 5);
    const p = run(function* () {
      try {
        yield* sleep(60_000);
      } catch (e) {
        log.push(e instanceof CancelledError ? "main cancelled" : "other");
        throw e;
      } finally {
        log.push("main cleanup");
      }
    });
    await expect(p).rejects.toThrow(KeyboardInterrupt);
    expect(log).toEqual(["main cancelled", "main cleanup"]);
    expect(process.listenerCount("SIGINT")).toBe(0);
  });

  it("refuses to run inside a running loop, and refuses non-coroutines", async () => {
    await run(function* () {
      expect(() => runSync(sleep(0))).toThrow(LoopRunningError);
      yield* sleep(0);
    });
    await expect(run(42 as never)).rejects.toThrow(NotACoroutineError);
  });
});

describe("runSync()", () => {
  it("returns main's result synchronously and closes the loop", () => {
    const loop = new TimerLoop({ clock: "virtual" });
    const v = runSync(
      function* () {
        yield* sleep(10_000);
        return "sync";
      },
      { loop },
    );
    expect(v).toBe("sync");
    expect(loop.isClosed()).toBe(true);
  });

  it("throws main's error after cleaning up leftovers", () => {
    const log: string[] = [];
    expect(() =>
      runSync(
        function* () {
          createTask(
            (function* () {
              try {
                yield* sleep(1000);
              } finally {
                log.push("cleanup");
              }
            })(),
          );
          yield* sleep(1);
          throw new Error("sync failure");
        },
        { clock: "virtual" },
      ),
    ).toThrow("sync failure");
    expect(log).toEqual(["cleanup"]);
  });
});
