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

import { BaseEventLoop } from "@aioloop/core";
import {
  type ClockBackend,
  type ExternalSource,
  RealClockBackend,
  VirtualClockBackend,
} from "./clocks.js";

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
   * Meant for subclasses that add I/O: a clock backend to use instead of the built-in one
   * (`clock` then defaults to the backend's `kind`).
   */
  backend?: ClockBackend;
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
  readonly #clock: ClockBackend;

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
    this.#clock = backend;
    if (opts.debug === true) this.setDebug(true);
  }

  /**
   * The wake word: a worker thread that queued work for this loop does
   * `Atomics.store(w, 0, 1); Atomics.notify(w, 0)` to wake a loop blocked in `runSync`.
   */
  get wakeWord(): Int32Array {
    return this.#clock.wakeWord;
  }

  /**
   * Register something outside the loop that completes work on it: it is polled after each
   * wait, and while it has work pending the loop waits for it (a virtual clock does not jump).
   */
  addExternalSource(src: ExternalSource): void {
    this.#clock.addSource(src);
  }

  /** Stop polling `src` (added with `addExternalSource`); does nothing if it was not added. */
  removeExternalSource(src: ExternalSource): void {
    this.#clock.removeSource(src);
  }

  /**
   * Virtual clock only: move time forward by `ms` milliseconds now (timers due by then fire in
   * the next iteration).
   * @throws TypeError when the loop has a real clock.
   * @throws RangeError when `ms` is negative, NaN or not finite.
   */
  advance(ms: number): void {
    if (!(this.#clock instanceof VirtualClockBackend)) {
      throw new TypeError('advance() needs a virtual clock: new TimerLoop({ clock: "virtual" })');
    }
    this.#clock.advance(ms);
  }
}
