/**
 * Core's own loop for the few tests that need a running loop but test core's internals
 * (WaiterList and Park, the ordering of one iteration against fake I/O): a BaseEventLoop over the
 * simplest backend there is, with a virtual clock, on @aioloop/core alone. Behaviour tests
 * that hold on every loop live in @aioloop/backend-tests, which runs them on real loops.
 */
import { type Backend, BaseEventLoop, type Coro, type LoopHost } from "../../src/index.js";

/** Virtual time that jumps in select(); host-driven runs give the host one turn per park. */
export class MinimalBackend implements Backend {
  now = 0;
  readonly resolution = 0;
  readonly canBlock = true;
  host: LoopHost | null = null;
  #resume: (() => void) | null = null;
  #immediate: ReturnType<typeof setImmediate> | null = null;
  attach(host: LoopHost): void {
    this.host = host;
  }
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
    setImmediate(r);
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

/** Run `main` to completion on a fresh MinimalLoop (synchronously) and close it. */
export function runOnMinimal<T>(main: () => Coro<T>): T {
  const loop = new MinimalLoop();
  try {
    return loop.runSync(loop.createTask(main()));
  } finally {
    loop.close();
  }
}
