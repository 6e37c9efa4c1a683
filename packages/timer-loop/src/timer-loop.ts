/**
 * TimerLoop: the minimal complete backend: timers, a real or virtual clock, and both run modes.
 *
 * HOW: a BaseEventLoop (ready queue, typed-array timer heap, runOnce) over a clock backend
 * (clocks.ts). `runSync` runs on the calling thread, blocking with `Atomics.wait` between
 * deadlines; `runUntilComplete` cooperates with Node's event loop through one host timer.
 *
 * @example
 * const loop = new TimerLoop({ clock: "virtual" });
 * loop.runSync(sleep(3_600_000)); // an hour of loop time, instantly
 * loop.time();                    // 3600000
 * loop.close();
 */

import { type Backend, BaseEventLoop } from "@aioloop/core";
import { RealClockBackend, VirtualClockBackend } from "./clocks.js";

/** Which clock a TimerLoop runs on. */
export type ClockKind = "real" | "virtual";

/** Options of `new TimerLoop(opts)`. */
export interface TimerLoopOptions {
  /**
   * "real" (default): the monotonic clock (`performance.now()`, ms). "virtual": starts at 0
   * and jumps to the next deadline when idle.
   */
  clock?: ClockKind;
  /** Turn debug mode on: report slow callbacks (see `setDebug` and `slowCallbackDuration`). */
  debug?: boolean;
  /**
   * Meant for subclasses that add I/O: a backend to use instead of the built-in one, which
   * says which clock it runs on (`clock` then defaults to its `kind`).
   */
  backend?: Backend & { readonly kind: ClockKind };
}

/**
 * An event loop over a timer heap, with a real or virtual clock: the pure-timer backend of
 * asyncio's event loop (no I/O). It has both run modes of `BaseEventLoop`: `runUntilComplete`
 * / `runForever` cooperate with Node's event loop, `runSync` holds the thread and blocks
 * between deadlines. `run()` and `runSync()` make one for you.
 * @example
 * const loop = new TimerLoop({ clock: "virtual" });
 * loop.runSync(sleep(3_600_000)); // an hour of loop time, instantly
 * loop.time();                    // 3600000
 * loop.close();
 * @example
 * const loop = new TimerLoop(); // real clock
 * const v = await loop.runUntilComplete(main()); // Node's I/O and Promises keep running
 * loop.close();
 */
export class TimerLoop extends BaseEventLoop {
  /** The clock this loop runs on ("real" or "virtual"). */
  readonly clock: ClockKind;
  readonly #virtual: VirtualClockBackend | null;

  /**
   * A new loop, not running yet. Close it with `close()` when done.
   * @throws TypeError when `opts.clock` is neither "real" nor "virtual".
   */
  constructor(opts: TimerLoopOptions = {}) {
    const clock = opts.clock ?? opts.backend?.kind ?? "real";
    if (clock !== "real" && clock !== "virtual") {
      throw new TypeError(
        `TimerLoop: clock must be "real" or "virtual", got ${JSON.stringify(clock)}`,
      );
    }
    const backend =
      opts.backend ?? (clock === "virtual" ? new VirtualClockBackend() : new RealClockBackend());
    if (backend.kind !== clock) {
      throw new TypeError(
        `TimerLoop: clock "${clock}" does not match the backend's clock "${backend.kind}"`,
      );
    }
    super(backend);
    this.clock = clock;
    this.#virtual = backend instanceof VirtualClockBackend ? backend : null;
    if (opts.debug === true) this.setDebug(true);
  }

  /**
   * Virtual clock only: move time forward by `ms` milliseconds now (timers due by then fire in
   * the next iteration).
   * @throws TypeError when the loop has a real clock.
   * @throws RangeError when `ms` is negative, NaN or not finite.
   */
  advance(ms: number): void {
    if (this.#virtual === null) {
      throw new TypeError('advance() needs a virtual clock: new TimerLoop({ clock: "virtual" })');
    }
    this.#virtual.advance(ms);
  }
}
