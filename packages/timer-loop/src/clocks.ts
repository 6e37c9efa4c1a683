/**
 * The two backends of TimerLoop: a real clock and a virtual one.
 *
 * HOW, real clock: `time()` is `performance.now()` (monotonic, microsecond resolution).
 *   - runSync: `select(timeout)` blocks the thread with `Atomics.wait` on a one-word
 *     SharedArrayBuffer, so a 0.3 ms sleep takes 0.3 ms (Node's own timers round to 1 ms).
 *     `wakeup()` (and worker threads, through `wakeWord`) store 1 and `Atomics.notify`.
 *   - host runs: `park(timeout)` arms ONE host timer for the earliest deadline (setImmediate for
 *     0), and `wakeup()` replaces it with a setImmediate. `unpark()` clears it, so a stopped or
 *     closed loop leaves nothing that keeps Node alive.
 *
 * HOW, virtual clock: `time()` is a number the backend moves. Whenever the loop would wait and
 * nothing outside it is pending, the clock jumps by the whole timeout: `sleep(3_600_000)` ends
 * at once, and every run of a program sees the same times. When outside work is pending
 * (worker jobs, I/O), time stands still and the backend really waits for
 * that work, so a simulated hour never overtakes a real file read.
 *
 * External sources (the files package's worker completions) plug in with `addSource`: each is
 * polled after every wait, and says whether it still has work in flight.
 */

import type { Backend, BaseEventLoop } from "@aioloop/core";

/**
 * Something outside the loop that can queue work on it (e.g. the files package's worker pool),
 * registered with `TimerLoop.addExternalSource`. The backend polls it after every wait, and
 * while it reports `pending()`, a virtual clock does not jump and `runSync` waits for it instead
 * of reporting a deadlock.
 * @example
 * const src: ExternalSource = {
 *   poll: () => { for (const done of drainCompletions()) loop.callSoon(done); },
 *   pending: () => jobsInFlight > 0,
 * };
 * loop.addExternalSource(src);
 */
export interface ExternalSource {
  /** Queue the callbacks of whatever completed (without blocking). */
  poll(): void;
  /** Whether work is still in flight (the loop may be woken later). */
  pending(): boolean;
}

/** Index of the wake flag in `wakeWord`. */
const WAKE_FLAG = 0;
/** The flag's values: IDLE while nobody asked to wake the loop, SET once someone did. */
const IDLE = 0;
const SET = 1;

/**
 * The `Backend` (see `@aioloop/core`) shared by both clocks: the wake word, external sources and
 * host parking. Extend it (as selector-loop does) to add I/O readiness to a clock.
 */
export abstract class ClockBackend implements Backend {
  /** Which clock this is: "real" (`performance.now()`) or "virtual" (jumps when idle). */
  abstract readonly kind: "real" | "virtual";
  abstract readonly resolution: number;
  readonly canBlock: boolean = true;
  /**
   * One Int32 on a SharedArrayBuffer: `Atomics.store(w, 0, 1); Atomics.notify(w, 0)` from any
   * thread wakes a loop blocked in runSync.
   */
  readonly wakeWord = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  protected loop: BaseEventLoop | null = null;
  protected readonly sources: ExternalSource[] = [];
  /** Invariant: non-null exactly while the loop is parked in a host run. */
  protected resume: (() => void) | null = null;
  protected timer: ReturnType<typeof setTimeout> | null = null;
  protected immediate: ReturnType<typeof setImmediate> | null = null;
  protected waits = 0;
  protected wakeups = 0;

  attach(loop: BaseEventLoop): void {
    this.loop = loop;
  }

  abstract time(): number;
  abstract select(timeoutMs: number): void;
  abstract park(timeoutMs: number, resume: () => void): void;

  /** Poll `src` after every wait, and count its `pending()` work as work outside the loop. */
  addSource(src: ExternalSource): void {
    this.sources.push(src);
  }

  /** Stop polling `src`; does nothing if it was not added. */
  removeSource(src: ExternalSource): void {
    const i = this.sources.indexOf(src);
    if (i >= 0) this.sources.splice(i, 1);
  }

  hasPendingIO(): boolean {
    for (const s of this.sources) if (s.pending()) return true;
    return false;
  }

  wakeup(): void {
    this.wakeups++;
    Atomics.store(this.wakeWord, WAKE_FLAG, SET);
    Atomics.notify(this.wakeWord, WAKE_FLAG);
    if (this.resume !== null) this.resumeSoon();
  }

  unpark(): void {
    this.resume = null;
    this.clearHostTimers();
  }

  close(): void {
    this.unpark();
    this.sources.length = 0;
  }

  statistics(): Record<string, number | string | boolean> {
    return {
      clock: this.kind,
      waits: this.waits,
      wakeups: this.wakeups,
      sources: this.sources.length,
    };
  }

  /** Block up to `ms` (Infinity: until woken) unless a wakeup is already pending. */
  protected blockingWait(ms: number): void {
    this.waits++;
    if (ms > 0) Atomics.wait(this.wakeWord, WAKE_FLAG, IDLE, ms);
  }

  protected pollSources(): void {
    for (let i = 0; i < this.sources.length; i++) this.sources[i]!.poll();
  }

  /** Replace whatever host timer is armed with a setImmediate that resumes the loop. */
  protected resumeSoon(): void {
    this.clearHostTimers();
    this.immediate = setImmediate(this.fire);
  }

  protected readonly fire = (): void => {
    this.timer = null;
    this.immediate = null;
    const r = this.resume;
    this.resume = null;
    if (r !== null) r();
  };

  protected clearHostTimers(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}

/** Node's timers cannot fire sooner than this (ms); shorter host waits round up to it. */
const HOST_TIMER_MIN_MS = 1;
/**
 * runSync blocks until this long (ms) before a deadline, then spins the rest: the kernel wakes a
 * blocked thread 0.05 to 0.7 ms late (more on a loaded machine), which would make every timer
 * late and chains of sleeps drift. A quarter millisecond of spinning per timed wait is the
 * price of sub-millisecond precision; waits shorter than this are spun entirely.
 */
export const SPIN_BEFORE_DEADLINE_MS = 0.25;

/**
 * The real, monotonic clock: `time()` is `performance.now()` in milliseconds. `runSync` blocks
 * the thread between deadlines (sub-millisecond precision); host-driven runs arm one Node timer
 * for the next deadline.
 */
export class RealClockBackend extends ClockBackend {
  readonly kind = "real" as const;
  /** performance.now() resolves microseconds. */
  readonly resolution = 0.001;

  time(): number {
    return performance.now();
  }

  select(timeoutMs: number): void {
    if (timeoutMs > 0) {
      const deadline = performance.now() + timeoutMs;
      if (timeoutMs > SPIN_BEFORE_DEADLINE_MS)
        this.blockingWait(timeoutMs - SPIN_BEFORE_DEADLINE_MS);
      else this.waits++;
      while (Atomics.load(this.wakeWord, WAKE_FLAG) === IDLE && performance.now() < deadline) {
        // spin: see SPIN_BEFORE_DEADLINE_MS
      }
    }
    Atomics.store(this.wakeWord, WAKE_FLAG, IDLE);
    this.pollSources();
  }

  park(timeoutMs: number, resume: () => void): void {
    this.resume = resume;
    this.waits++;
    if (timeoutMs <= 0) this.immediate = setImmediate(this.fire);
    else if (timeoutMs !== Number.POSITIVE_INFINITY) {
      this.timer = setTimeout(this.fire, Math.max(HOST_TIMER_MIN_MS, Math.ceil(timeoutMs)));
    }
  }
}

/**
 * How often (real ms) a parked virtual clock looks again while outside work is in flight: short
 * enough that tests do not notice, long enough not to spin.
 */
const VIRTUAL_RECHECK_MS = 1;

/**
 * A clock that starts at 0 and jumps to the next deadline whenever the loop is idle, so
 * `sleep(3_600_000)` ends at once and every run sees the same times. While outside work is
 * pending (worker jobs, I/O), time stands still and the loop really waits for it.
 */
export class VirtualClockBackend extends ClockBackend {
  readonly kind = "virtual" as const;
  /** Virtual time is exact. */
  readonly resolution = 0;
  #now = 0;
  #jumps = 0;

  time(): number {
    return this.#now;
  }

  /**
   * Move the clock forward by `ms` milliseconds now (tests that drive time by hand).
   * @throws RangeError when `ms` is negative, NaN or not finite.
   */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(`advance(${ms}): pass a finite, non-negative number of milliseconds`);
    }
    this.#now += ms;
  }

  select(timeoutMs: number): void {
    this.pollSources();
    // Polling may have queued work (the last outside job delivered): then nothing is idle.
    if (timeoutMs <= 0 || this.loop!._ready.length > 0) return;
    if (this.loop!._hasExternalWork()) {
      // Time stands still while outside work is in flight: wait for it for real, looking again
      // every VIRTUAL_RECHECK_MS in case it ends without waking us (a cancelled job).
      this.blockingWait(VIRTUAL_RECHECK_MS);
      Atomics.store(this.wakeWord, WAKE_FLAG, IDLE);
      this.pollSources();
      return;
    }
    if (timeoutMs !== Number.POSITIVE_INFINITY) this.jump(timeoutMs);
  }

  park(timeoutMs: number, resume: () => void): void {
    this.resume = resume;
    this.waits++;
    // Give the host one turn (Promises, I/O callbacks) before deciding the loop is idle.
    this.immediate = setImmediate(() => {
      this.immediate = null;
      if (this.resume === null) return;
      if (timeoutMs > 0 && this.loop!._hasExternalWork()) {
        // Outside work in flight: time stands still until it is done. It normally wakes the
        // loop when it delivers, but work can also end without delivering anything (a
        // cancelled job): look again shortly rather than trust a wakeup that may never come.
        this.timer = setTimeout(this.fire, VIRTUAL_RECHECK_MS);
        return;
      }
      // Nothing to jump to: only a wakeup (a host callback) can give the loop work.
      if (timeoutMs === Number.POSITIVE_INFINITY) return;
      if (timeoutMs > 0) this.jump(timeoutMs);
      this.fire();
    });
  }

  override statistics(): Record<string, number | string | boolean> {
    return { ...super.statistics(), jumps: this.#jumps, now: this.#now };
  }

  private jump(ms: number): void {
    this.#jumps++;
    this.#now += ms;
  }
}
