/**
 * The parts a backend is composed from: clocks, a thread waiter and host parking. TimerLoop's
 * two backends are made of these, and so is SelectorLoop's; a backend of your own can use them
 * too (they depend on nothing but `@aioloop/core`'s public wake protocol).
 *
 *   part           what it does                                   used by
 *   RealClock      performance.now() in ms                        real, selector
 *   VirtualClock   a number that jumps                            virtual
 *   ThreadWaiter   blocks the thread on the loop's wake word      real and virtual (runSync)
 *                  (Atomics.wait), spinning the last bit
 *   HostAlarm      one host timer or "soon" callback at a time    HostParking, virtual
 *   HostParking    park / unpark / wake for host-driven runs      real, selector
 *
 * WHY parts and not a base class: a backend that subclasses another reaches into its fields,
 * and then the two can never change apart. Each part here has a small public surface, and a
 * backend is a few lines that wire them to the `Backend` contract.
 *
 * Portability: HostAlarm uses `setImmediate` where the host has it (Node, Bun, Deno), else a
 * MessageChannel (browsers), else `setTimeout(0)`; ThreadWaiter needs SharedArrayBuffer and
 * `Atomics.wait` (not on a browser's main thread: there `canWait` is false).
 */

import { WAKE_IDLE, WAKE_INDEX, WAKE_SET } from "@aioloop/core";

/** The real, monotonic clock: `performance.now()` in milliseconds (microsecond resolution). */
export class RealClock {
  /** performance.now() resolves microseconds. */
  readonly resolution = 0.001;
  /** The time now, in ms. */
  time(): number {
    return performance.now();
  }
}

/** A clock that only moves when told to: starts at 0; exact (resolution 0). */
export class VirtualClock {
  readonly resolution = 0;
  #now = 0;
  #jumps = 0;
  /** The time now, in ms. */
  time(): number {
    return this.#now;
  }
  /** How many times `jump` moved the clock. */
  get jumps(): number {
    return this.#jumps;
  }
  /**
   * Move forward by `ms` (a jump: counted in `jumps`).
   * @throws RangeError when `ms` is negative, NaN or not finite.
   */
  jump(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(`advance(${ms}): pass a finite, non-negative number of milliseconds`);
    }
    this.#jumps++;
    this.#now += ms;
  }
}

/**
 * runSync blocks until this long (ms) before a deadline, then spins the rest: the kernel wakes a
 * blocked thread 0.05 to 0.7 ms late (more on a loaded machine), which would make every timer
 * late and chains of sleeps drift. A quarter millisecond of spinning per timed wait is the
 * price of sub-millisecond precision; waits shorter than this are spun entirely.
 */
export const SPIN_BEFORE_DEADLINE_MS = 0.25;

/**
 * Blocks the calling thread on a loop's wake word (see `WAKE_INDEX` in @aioloop/core) until a
 * deadline or a wakeup from any thread.
 * @example
 * const waiter = new ThreadWaiter(host.wakeWord);
 * waiter.wait(5);   // up to 5 ms, or until someone sets the wake word
 * waiter.notify();  // wakes a thread blocked in wait()
 */
export class ThreadWaiter {
  readonly #word: Int32Array | null;
  /** Waits that blocked or spun. */
  waits = 0;

  constructor(word: Int32Array | null) {
    this.#word = word;
  }

  /** Whether this thread may block (a SharedArrayBuffer word exists and Atomics.wait works here). */
  get canWait(): boolean {
    return this.#word !== null && canAtomicsWait();
  }

  /**
   * Block up to `ms` (Infinity: until woken) unless a wakeup is already pending; with
   * `spinMs > 0`, block until `spinMs` before the deadline and spin the rest. Clears the wake
   * flag before returning.
   */
  wait(ms: number, spinMs = 0): void {
    const w = this.#word;
    if (w === null) return;
    if (ms > 0) {
      this.waits++;
      if (spinMs <= 0 || ms === Number.POSITIVE_INFINITY) {
        Atomics.wait(w, WAKE_INDEX, WAKE_IDLE, ms);
      } else {
        const deadline = performance.now() + ms;
        if (ms > spinMs) Atomics.wait(w, WAKE_INDEX, WAKE_IDLE, ms - spinMs);
        while (Atomics.load(w, WAKE_INDEX) === WAKE_IDLE && performance.now() < deadline) {
          // spin: see SPIN_BEFORE_DEADLINE_MS
        }
      }
    }
    // A load is a plain read; a store is a locked write: clear the flag only when it is set
    // (a zero-timeout poll runs every iteration of a busy loop).
    if (Atomics.load(w, WAKE_INDEX) !== WAKE_IDLE) Atomics.store(w, WAKE_INDEX, WAKE_IDLE);
  }

  /** Set the wake flag and wake a thread blocked in `wait` (from any thread). */
  notify(): void {
    const w = this.#word;
    if (w === null) return;
    Atomics.store(w, WAKE_INDEX, WAKE_SET);
    Atomics.notify(w, WAKE_INDEX);
  }
}

let atomicsWaitWorks: boolean | null = null;
function canAtomicsWait(): boolean {
  if (atomicsWaitWorks === null) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      atomicsWaitWorks = true;
    } catch {
      atomicsWaitWorks = false; // a browser's main thread
    }
  }
  return atomicsWaitWorks;
}

/**
 * Host timers cannot wait longer than this (ms): Node turns a longer delay into 1 ms (with a
 * TimeoutOverflowWarning), which would make a parked loop spin. Longer waits are armed for this
 * long; the loop then finds nothing due and parks again for the rest.
 */
export const MAX_HOST_TIMER_MS = 2 ** 31 - 1;
/** Host timers cannot fire sooner than this (ms); shorter waits round up to it. */
const HOST_TIMER_MIN_MS = 1;

type SoonHandle = unknown;
const soon: { set(cb: () => void): SoonHandle; clear(h: SoonHandle): void } = (() => {
  const g = globalThis as unknown as {
    setImmediate?: (cb: () => void) => unknown;
    clearImmediate?: (h: unknown) => void;
    MessageChannel?: new () => {
      port1: { onmessage: (() => void) | null };
      port2: { postMessage(m: unknown): void };
    };
  };
  if (typeof g.setImmediate === "function" && typeof g.clearImmediate === "function") {
    const set = g.setImmediate;
    const clear = g.clearImmediate;
    return { set: (cb) => set(cb), clear: (h) => clear(h) };
  }
  if (typeof g.MessageChannel === "function") {
    // Browsers: a message to ourselves runs as a task, after rendering and I/O, with no 4 ms
    // clamp. A cancelled callback is skipped by identity.
    const ch = new g.MessageChannel();
    const queue: Array<{ cb: (() => void) | null }> = [];
    ch.port1.onmessage = () => {
      const e = queue.shift();
      e?.cb?.();
    };
    return {
      set: (cb) => {
        const e = { cb };
        queue.push(e);
        ch.port2.postMessage(null);
        return e;
      },
      clear: (h) => {
        (h as { cb: (() => void) | null }).cb = null;
      },
    };
  }
  return { set: (cb) => setTimeout(cb, 0), clear: (h) => clearTimeout(h as number) };
})();

/**
 * One host callback at a time: `arm(ms, cb)` replaces whatever is armed. 0 means "after the
 * host's current turn" (setImmediate); Infinity arms nothing. Nothing armed keeps no host alive.
 */
export class HostAlarm {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #soon: SoonHandle | null = null;
  #cb: (() => void) | null = null;
  readonly #fire = (): void => {
    this.#timer = null;
    this.#soon = null;
    const cb = this.#cb;
    this.#cb = null;
    if (cb !== null) cb();
  };

  /** True while a "soon" (0 ms) callback is armed. */
  get armedSoon(): boolean {
    return this.#soon !== null;
  }

  /** Call `cb` once after `ms` (0: after this host turn; Infinity: never), replacing any armed callback. */
  arm(ms: number, cb: () => void): void {
    this.disarm();
    if (ms === Number.POSITIVE_INFINITY) return;
    this.#cb = cb;
    if (ms <= 0) this.#soon = soon.set(this.#fire);
    else
      this.#timer = setTimeout(
        this.#fire,
        Math.min(MAX_HOST_TIMER_MS, Math.max(HOST_TIMER_MIN_MS, Math.ceil(ms))),
      );
  }

  /** Drop whatever is armed. */
  disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#soon !== null) soon.clear(this.#soon);
    this.#timer = null;
    this.#soon = null;
    this.#cb = null;
  }
}

/**
 * Host-driven waiting for a backend: `park(timeout, resume)` arms one host timer for the
 * deadline, `wake()` replaces it with a "soon" callback, `unpark()` drops it. This is the
 * whole of `Backend.park`/`unpark` and the host half of `wakeup` for a real clock.
 * @example
 * class MyBackend implements Backend {
 *   readonly #parking = new HostParking();
 *   park(ms: number, resume: () => void) { this.#parking.park(ms, resume); }
 *   unpark() { this.#parking.unpark(); }
 *   wakeup() { this.#parking.wake(); }
 *   // …
 * }
 */
export class HostParking {
  readonly #alarm = new HostAlarm();
  #resume: (() => void) | null = null;
  /** Parks so far. */
  parks = 0;
  readonly #fire = (): void => {
    const r = this.#resume;
    this.#resume = null;
    if (r !== null) r();
  };

  /** Invariant: true exactly while a park is pending (resume not called, not unparked). */
  get parked(): boolean {
    return this.#resume !== null;
  }

  /** True while the park will end in this host turn's "soon" callback. */
  get resumingSoon(): boolean {
    return this.#alarm.armedSoon;
  }

  /** Call `resume` once, after `timeoutMs` (Infinity: only on `wake()`). */
  park(timeoutMs: number, resume: () => void): void {
    this.parks++;
    this.#resume = resume;
    this.#alarm.arm(timeoutMs, this.#fire);
  }

  /** End a pending park soon (after this host turn); does nothing when not parked. */
  wake(): void {
    if (this.#resume !== null) this.#alarm.arm(0, this.#fire);
  }

  /** Drop a pending park without calling its `resume`. */
  unpark(): void {
    this.#resume = null;
    this.#alarm.disarm();
  }
}
