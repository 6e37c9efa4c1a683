// BaseEventLoop with a fake backend: what one iteration runs, and in which order, when the
// backend delivers I/O. The loop's behaviour on real loops (lifecycle, purge, deadlocks, …) is
// tested by @aioloop/backend-tests on every loop it runs on.
import { describe, expect, it } from "vitest";
import { BaseEventLoop, type LoopHost } from "../src/index.js";
import { MinimalBackend } from "./support/minimal-loop.js";

/**
 * A backend with simulated I/O: `io.push(cb)` makes cb "ready" at the next select. As the
 * contract asks, what may deliver is an outside source (without one the loop skips select(0)).
 */
class FakeIOBackend extends MinimalBackend {
  readonly io: (() => void)[] = [];
  #release: (() => void) | null = null;
  override attach(host: LoopHost): void {
    super.attach(host);
    this.#release = host.addSource({ kind: "host", name: "fake I/O" });
  }
  override close(): void {
    this.#release?.();
    super.close();
  }
  override select(timeoutMs: number): void {
    const ready = this.io.splice(0);
    for (const cb of ready) this.host!.loop.callSoon(cb);
    if (ready.length === 0) super.select(timeoutMs);
  }
}

describe("BaseEventLoop ordering", () => {
  it("fact 9: callSoon is FIFO; an iteration runs earlier callSoons, then I/O callbacks, then due timers; new work waits", () => {
    const backend = new FakeIOBackend();
    const loop = new BaseEventLoop(backend);
    const log: string[] = [];
    loop.callLater(0, () => log.push("timer"));
    loop.callSoon(() => {
      log.push("soon 1");
      loop.callSoon(() => log.push("scheduled during iteration"));
    });
    loop.callSoon(() => log.push("soon 2"));
    backend.io.push(() => log.push("I/O"));
    loop.stop();
    void loop.runForever();
    expect(log).toEqual(["soon 1", "soon 2", "I/O", "timer"]);
    loop.stop();
    void loop.runForever();
    expect(log.at(-1)).toBe("scheduled during iteration");
    loop.close();
  });
});
