/**
 * The two backends of TimerLoop, each a few lines wiring parts (parts.ts) to the `Backend`
 * contract of @aioloop/core: a real clock and a virtual one.
 *
 * HOW, real clock: `time()` is `performance.now()` (monotonic, microsecond resolution).
 *   - runSync: `select(timeout)` blocks the thread on the loop's wake word (ThreadWaiter), so a
 *     0.3 ms sleep takes 0.3 ms (Node's own timers round to 1 ms). `wakeup()` (and worker
 *     threads, through `loop.wakeWord`) set the word and notify.
 *   - host runs: `park(timeout)` arms ONE host timer for the earliest deadline (HostParking),
 *     and `wakeup()` replaces it with a "soon" callback. `unpark()` clears it, so a stopped or
 *     closed loop leaves nothing that keeps the host alive.
 *
 * HOW, virtual clock: `time()` is a number the backend moves. Whenever the loop would wait and
 * no outside source holds the clock (`host.holdsClock()`: worker jobs, sockets), the clock jumps
 * by the whole timeout: `sleep(3_600_000)` ends at once, and every run of a program sees the
 * same times. While such work is in flight, time stands still and the backend really waits for
 * it, so a simulated hour never overtakes a real file read.
 */

import type { Backend, LoopHost } from "@aioloop/core";
import {
  HostAlarm,
  HostParking,
  RealClock,
  SPIN_BEFORE_DEADLINE_MS,
  ThreadWaiter,
  VirtualClock,
} from "./parts.js";

/** The backend of `new TimerLoop()` (the default real clock). */
export class RealClockBackend implements Backend {
  readonly kind = "real" as const;
  readonly #clock = new RealClock();
  readonly resolution = this.#clock.resolution;
  readonly #parking = new HostParking();
  #waiter: ThreadWaiter | null = null;
  #wakeups = 0;

  /** True where the thread can block (needed by runSync). */
  get canBlock(): boolean {
    return this.#waiter?.canWait ?? false;
  }

  attach(host: LoopHost): void {
    this.#waiter = new ThreadWaiter(host.wakeWord);
  }

  time(): number {
    return this.#clock.time();
  }

  select(timeoutMs: number): void {
    this.#waiter!.wait(timeoutMs, SPIN_BEFORE_DEADLINE_MS);
  }

  park(timeoutMs: number, resume: () => void): void {
    this.#parking.park(timeoutMs, resume);
  }

  unpark(): void {
    this.#parking.unpark();
  }

  wakeup(): void {
    this.#wakeups++;
    this.#waiter?.notify();
    this.#parking.wake();
  }

  close(): void {
    this.#parking.unpark();
  }

  statistics(): Record<string, number | string | boolean> {
    return {
      clock: this.kind,
      waits: (this.#waiter?.waits ?? 0) + this.#parking.parks,
      wakeups: this.#wakeups,
    };
  }
}

/**
 * How often (real ms) a waiting virtual clock looks again while outside work is in flight:
 * short enough that tests do not notice, long enough not to spin. Work normally wakes the loop
 * when it delivers; this covers work that ends without delivering (a cancelled job).
 */
export const VIRTUAL_RECHECK_MS = 1;

/**
 * The backend of `new TimerLoop({ clock: "virtual" })`: a clock that starts at 0 and jumps to
 * the next deadline whenever the loop is idle. While an outside source holds the clock (worker
 * jobs, I/O), time stands still and the loop really waits for it.
 */
export class VirtualClockBackend implements Backend {
  readonly kind = "virtual" as const;
  readonly #clock = new VirtualClock();
  readonly resolution = this.#clock.resolution;
  readonly #alarm = new HostAlarm();
  #host: LoopHost | null = null;
  #waiter: ThreadWaiter | null = null;
  #resume: (() => void) | null = null;
  #timeout = 0;
  #parks = 0;
  #wakeups = 0;
  readonly #fire = (): void => {
    const r = this.#resume;
    this.#resume = null;
    if (r !== null) r();
  };
  /** After one host turn (Promises, I/O callbacks had their chance): jump, wait, or resume. */
  readonly #afterHostTurn = (): void => {
    const t = this.#timeout;
    if (t > 0 && this.#host!.holdsClock()) {
      this.#alarm.arm(VIRTUAL_RECHECK_MS, this.#fire);
      return;
    }
    if (t === Number.POSITIVE_INFINITY) return; // only a wakeup can give the loop work
    if (t > 0) this.#clock.jump(t);
    this.#fire();
  };

  /** Virtual time never blocks for long, but runSync needs the wake word for outside work. */
  readonly canBlock = true;

  attach(host: LoopHost): void {
    this.#host = host;
    this.#waiter = new ThreadWaiter(host.wakeWord);
  }

  time(): number {
    return this.#clock.time();
  }

  /**
   * Move the clock forward by `ms` milliseconds now (tests that drive time by hand).
   * @throws RangeError when `ms` is negative, NaN or not finite.
   */
  advance(ms: number): void {
    this.#clock.jump(ms);
  }

  select(timeoutMs: number): void {
    const host = this.#host!;
    if (timeoutMs <= 0 || host.hasReady()) return;
    if (host.holdsClock()) {
      // Time stands still while outside work is in flight: wait for it for real (the loop
      // polls its sources right after), looking again every VIRTUAL_RECHECK_MS.
      this.#waiter!.wait(Math.min(timeoutMs, VIRTUAL_RECHECK_MS));
      return;
    }
    if (timeoutMs !== Number.POSITIVE_INFINITY) this.#clock.jump(timeoutMs);
  }

  park(timeoutMs: number, resume: () => void): void {
    this.#parks++;
    this.#resume = resume;
    this.#timeout = timeoutMs;
    // Give the host one turn (Promises, I/O callbacks) before deciding the loop is idle.
    this.#alarm.arm(0, this.#afterHostTurn);
  }

  unpark(): void {
    this.#resume = null;
    this.#alarm.disarm();
  }

  wakeup(): void {
    this.#wakeups++;
    this.#waiter?.notify();
    if (this.#resume !== null) this.#alarm.arm(0, this.#fire);
  }

  close(): void {
    this.unpark();
  }

  statistics(): Record<string, number | string | boolean> {
    return {
      clock: this.kind,
      waits: (this.#waiter?.waits ?? 0) + this.#parks,
      wakeups: this.#wakeups,
      jumps: this.#clock.jumps,
      now: this.#clock.time(),
    };
  }
}
