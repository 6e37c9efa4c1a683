// The guide's backend (docs/examples/emitter-backend.ts): every suite of the kit, through the
// very file the guide shows, then what is its own: events from an EventEmitter.
import "../../../docs/examples/emitter-backend.test.js";
import { EventEmitter } from "node:events";
import {
  DeadlockError,
  InvalidStateError,
  TimeoutError,
  createTask,
  gather,
  sleep,
  waitFor,
} from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { EmitterLoop, nextEvent } from "../../../docs/examples/emitter-backend.js";

describe("docs/write-a-backend.md: EmitterBackend", () => {
  it("runs timers, tasks and emitter events together, in asyncio's order", async () => {
    const loop = new EmitterLoop();
    const bus = new EventEmitter();
    const log: string[] = [];
    setTimeout(() => bus.emit("message", "hello", 1), 5);
    const out = await loop.runUntilComplete(
      (function* () {
        const ticker = createTask(
          (function* () {
            for (let i = 0; i < 3; i++) {
              yield* sleep(2);
              log.push(`tick ${i}`);
            }
          })(),
        );
        const [args] = yield* gather([nextEvent(bus, "message"), ticker]);
        return args;
      })(),
    );
    expect(out).toEqual(["hello", 1]);
    expect(log).toEqual(["tick 0", "tick 1", "tick 2"]);
    expect(bus.listenerCount("message")).toBe(0);
    loop.close();
  });

  it("cancellation unwatches the emitter; closing leaves nothing behind", async () => {
    const loop = new EmitterLoop();
    const bus = new EventEmitter();
    await expect(loop.runUntilComplete(waitFor(nextEvent(bus, "never"), 10))).rejects.toThrow(
      TimeoutError,
    );
    expect(bus.listenerCount("never")).toBe(0);
    expect(() => loop.runSync(sleep(1))).toThrow(InvalidStateError);
    loop.close();
    expect(loop.statistics().backend).toMatchObject({ watches: 0 });
  });

  it("a watched event is an outside source: the run waits for it; unwatched, it is a deadlock", async () => {
    const loop = new EmitterLoop();
    const bus = new EventEmitter();
    // Nothing ready, no timer: only the watch keeps this run alive until the event comes.
    setTimeout(() => bus.emit("late", "here"), 20);
    expect(await loop.runUntilComplete(nextEvent(bus, "late"))).toEqual(["here"]);
    expect(loop.statistics().outsideSources).toBe(0);
    // A future nobody completes, and no watch: the run fails instead of ending in silence.
    await expect(loop.runUntilComplete(loop.createFuture<void>())).rejects.toThrow(DeadlockError);
    loop.close();
  });
});
