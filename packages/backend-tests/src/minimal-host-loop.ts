/**
 * The smallest backend the seam allows: a virtual clock and host-driven waiting, nothing else
 * (no I/O, no thread waits, so no `runSync`). The kit runs every suite on it to show that
 * core's behaviour does not depend on anything TimerLoop or SelectorLoop add, and it is a
 * starting point to copy: about forty lines, on `@aioloop/core` alone.
 *
 * HOW: `park(timeout, resume)` gives the host one turn (Promises, I/O callbacks and host timers
 * that are already due run first: they may give the loop work), then
 *   - while an outside source holds the clock (`host.holdsClock()`: a socket, a worker job),
 *     time stands still and it looks again every millisecond: the work arrives through
 *     `host.schedule`, which wakes the loop, or its source is released;
 *   - with no deadline (Infinity) it waits for a wakeup: only outside work can come;
 *   - else it jumps the clock by the whole timeout and resumes.
 * `wakeup()` replaces whatever is pending with a resume after this host turn.
 */
import { type Backend, BaseEventLoop, type LoopHost } from "@aioloop/core";

/** A virtual clock that jumps when the loop is idle; host-driven runs only (`canBlock` false). */
export class MinimalHostBackend implements Backend {
  readonly resolution = 0;
  readonly canBlock = false;
  #now = 0;
  #host: LoopHost | null = null;
  #resume: (() => void) | null = null;
  #timeout = 0;
  #immediate: ReturnType<typeof setImmediate> | null = null;
  #recheck: ReturnType<typeof setTimeout> | null = null;
  #jumps = 0;

  attach(host: LoopHost): void {
    this.#host = host;
  }

  time(): number {
    return this.#now;
  }

  /** Never waits (the loop calls it with 0 only, as `canBlock` is false); no I/O to collect. */
  select(_timeoutMs: number): void {}

  park(timeoutMs: number, resume: () => void): void {
    this.#resume = resume;
    this.#timeout = timeoutMs;
    this.#immediate = setImmediate(this.#afterHostTurn);
  }

  unpark(): void {
    this.#resume = null;
    this.#clear();
  }

  wakeup(): void {
    if (this.#resume === null) return;
    this.#clear();
    this.#immediate = setImmediate(this.#fire);
  }

  close(): void {
    this.unpark();
  }

  statistics(): Record<string, number> {
    return { now: this.#now, jumps: this.#jumps };
  }

  readonly #afterHostTurn = (): void => {
    this.#immediate = this.#recheck = null;
    const t = this.#timeout;
    if (t > 0 && this.#host!.holdsClock()) {
      this.#recheck = setTimeout(this.#afterHostTurn, 1);
      return;
    }
    if (t === Number.POSITIVE_INFINITY) return;
    if (t > 0) {
      this.#now += t;
      this.#jumps++;
    }
    this.#fire();
  };

  readonly #fire = (): void => {
    this.#immediate = null;
    const r = this.#resume;
    this.#resume = null;
    r?.();
  };

  #clear(): void {
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    if (this.#recheck !== null) clearTimeout(this.#recheck);
    this.#immediate = this.#recheck = null;
  }
}

/**
 * A loop over `MinimalHostBackend`: virtual time, `runUntilComplete`/`runForever` only.
 * @example
 * const loop = new MinimalHostLoop();
 * await loop.runUntilComplete(sleep(3_600_000)); // an hour of loop time, at once
 * loop.close();
 */
export class MinimalHostLoop extends BaseEventLoop {
  constructor() {
    super(new MinimalHostBackend());
  }
}
