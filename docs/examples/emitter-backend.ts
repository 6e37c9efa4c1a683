/**
 * A complete, small aioloop backend: a real clock, host-driven waiting, and I/O events that come
 * from any Node EventEmitter. It is the example of docs/write-a-backend.md and is tested by
 * packages/core/test/docs-backend.test.ts.
 */
import type { EventEmitter } from "node:events";
import { type Backend, BaseEventLoop, type Coro, getRunningLoop } from "@aioloop/core";

interface Watch {
  emitter: EventEmitter;
  event: string;
  listener: (...args: unknown[]) => void;
  onEvent: (...args: unknown[]) => void;
}

export class EmitterBackend implements Backend {
  readonly resolution = 0.001; // performance.now() resolves microseconds
  readonly canBlock = false; // events arrive through Node's own loop: no runSync
  #loop: BaseEventLoop | null = null;
  #pending: [Watch, unknown[]][] = []; // events seen since the last select()
  #watches = new Set<Watch>();
  #resume: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #events = 0;

  attach(loop: BaseEventLoop): void {
    this.#loop = loop;
  }

  time(): number {
    return performance.now();
  }

  /** Queue the callbacks of the events that arrived; never blocks (canBlock is false). */
  select(_timeoutMs: number): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const [w, args] of batch) this.#loop!.callSoon(w.onEvent, ...args);
  }

  park(timeoutMs: number, resume: () => void): void {
    this.#resume = resume;
    if (this.#pending.length > 0) timeoutMs = 0; // events are already waiting
    if (timeoutMs !== Number.POSITIVE_INFINITY)
      this.#timer = setTimeout(() => this.#fire(), Math.max(0, timeoutMs));
  }

  unpark(): void {
    this.#resume = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  wakeup(): void {
    if (this.#resume === null) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fire(), 0);
  }

  hasPendingIO(): boolean {
    return this.#watches.size > 0;
  }

  close(): void {
    this.unpark();
    for (const w of this.#watches) w.emitter.off(w.event, w.listener);
    this.#watches.clear();
    this.#pending = [];
  }

  statistics(): Record<string, number> {
    return { watches: this.#watches.size, events: this.#events };
  }

  /** Call `onEvent(...args)` on the loop for every `event` the emitter emits, until unwatched. */
  watch(emitter: EventEmitter, event: string, onEvent: (...args: unknown[]) => void): () => void {
    const w: Watch = {
      emitter,
      event,
      onEvent,
      listener: (...args) => {
        this.#events++;
        this.#pending.push([w, args]);
        this.wakeup();
      },
    };
    emitter.on(event, w.listener);
    this.#watches.add(w);
    return () => {
      emitter.off(event, w.listener);
      this.#watches.delete(w);
    };
  }

  #fire(): void {
    this.#timer = null;
    const r = this.#resume;
    this.#resume = null;
    r?.();
  }
}

/** The loop: BaseEventLoop over the backend, plus a coroutine that waits for one event. */
export class EmitterLoop extends BaseEventLoop {
  readonly emitterBackend: EmitterBackend;
  constructor() {
    const backend = new EmitterBackend();
    super(backend);
    this.emitterBackend = backend;
  }
}

/** Wait for the next `event` from `emitter`; returns its arguments. */
export function* nextEvent(emitter: EventEmitter, event: string): Coro<unknown[]> {
  const loop = getRunningLoop() as EmitterLoop;
  const fut = loop.createFuture<unknown[]>();
  const unwatch = loop.emitterBackend.watch(emitter, event, (...args) => {
    if (!fut.done()) fut.setResult(args);
  });
  try {
    return yield* fut;
  } finally {
    unwatch();
  }
}
