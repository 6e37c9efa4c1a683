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

export interface TimerLoopOptions {
  /** "real" (default): wall time. "virtual": jumps to the next deadline when idle. */
  clock?: ClockKind;
  /** Debug mode: report slow callbacks (see `slowCallbackDuration`). */
  debug?: boolean;
  /** A clock backend to use instead of the built-in one (subclasses add I/O this way). */
  backend?: ClockBackend;
}

/** An event loop over a timer heap, with a real or virtual clock. */
export class TimerLoop extends BaseEventLoop {
  readonly clock: ClockKind;
  readonly #clock: RealClockBackend | VirtualClockBackend;

  constructor(opts: TimerLoopOptions = {}) {
    const clock = opts.clock ?? "real";
    if (clock !== "real" && clock !== "virtual") {
      throw new TypeError(
        `TimerLoop: clock must be "real" or "virtual", got ${JSON.stringify(clock)}`,
      );
    }
    const backend = clock === "virtual" ? new VirtualClockBackend() : new RealClockBackend();
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

  /** Register something outside the loop that completes work on it (polled after each wait). */
  addExternalSource(src: ExternalSource): void {
    this.#clock.addSource(src);
  }

  removeExternalSource(src: ExternalSource): void {
    this.#clock.removeSource(src);
  }

  /** Virtual clock only: move time forward by `ms` now (timers due by then fire next iteration). */
  advance(ms: number): void {
    if (!(this.#clock instanceof VirtualClockBackend)) {
      throw new TypeError('advance() needs a virtual clock: new TimerLoop({ clock: "virtual" })');
    }
    this.#clock.advance(ms);
  }
}
