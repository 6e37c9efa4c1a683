/**
 * The loops every core test runs on: TimerLoop (virtual clock) and a deliberately minimal
 * custom loop, a BaseEventLoop over the simplest backend that can exist, to prove that core's
 * machinery works on any loop and not only on ours.
 */
import { type Backend, BaseEventLoop, type Coro } from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";

/** The simplest backend: virtual time, no I/O, no host interaction beyond setImmediate. */
export class MinimalBackend implements Backend {
  now = 0;
  readonly resolution = 0;
  readonly canBlock = true;
  #resume: (() => void) | null = null;
  #immediate: ReturnType<typeof setImmediate> | null = null;
  attach(_loop: BaseEventLoop): void {}
  time(): number {
    return this.now;
  }
  select(timeoutMs: number): void {
    if (timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY) this.now += timeoutMs;
  }
  park(timeoutMs: number, resume: () => void): void {
    this.#resume = resume;
    this.#immediate = setImmediate(() => {
      this.#immediate = null;
      if (timeoutMs === Number.POSITIVE_INFINITY) return;
      this.now += timeoutMs;
      const r = this.#resume;
      this.#resume = null;
      r?.();
    });
  }
  unpark(): void {
    this.#resume = null;
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#immediate = null;
  }
  wakeup(): void {
    const r = this.#resume;
    if (r === null) return;
    this.unpark();
    this.#resume = null;
    setImmediate(r);
  }
  hasPendingIO(): boolean {
    return false;
  }
  close(): void {
    this.unpark();
  }
  statistics(): Record<string, number> {
    return { now: this.now };
  }
}

/** A custom loop as a user would write one: BaseEventLoop + MinimalBackend. */
export class MinimalLoop extends BaseEventLoop {
  constructor() {
    super(new MinimalBackend());
  }
}

export interface LoopKind {
  name: string;
  make(): BaseEventLoop;
}

/** Run a test body on each of these. */
export const LOOPS: LoopKind[] = [
  { name: "TimerLoop(virtual)", make: () => new TimerLoop({ clock: "virtual" }) },
  { name: "MinimalLoop", make: () => new MinimalLoop() },
];

/** Run `main` to completion on a fresh loop of `kind` (synchronously) and close it. */
export function runOn<T>(kind: LoopKind, main: () => Coro<T>): T {
  const loop = kind.make();
  try {
    return loop.runSync(loop.createTask(main()));
  } finally {
    loop.close();
  }
}
