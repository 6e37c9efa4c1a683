/**
 * A complete, small aioloop backend: a real clock, host-driven waiting, and I/O events that come
 * from any Node EventEmitter. It is the example of docs/write-a-backend.md; the conformance kit
 * (@aioloop/backend-tests) runs every suite on it (emitter-backend.test.ts, the file the guide
 * shows), and packages/backend-tests/test/emitter-loop.test.ts checks its own events.
 */
import type { EventEmitter } from "node:events";
import {
  type Backend,
  BaseEventLoop,
  type Coro,
  type LoopHost,
  type OutsideSource,
  getRunningLoop,
} from "@aioloop/core";
import { HostParking, RealClock } from "@aioloop/timer-loop";

/** One `watch`: an emitter's event, the listener on it, and the loop's outside source for it. */
interface Watch {
  emitter: EventEmitter;
  event: string;
  listener: (...args: unknown[]) => void;
  onEvent: (...args: unknown[]) => void;
  release: () => void;
}

export class EmitterBackend implements Backend {
  readonly #clock = new RealClock(); // performance.now(), in ms
  readonly resolution = this.#clock.resolution;
  readonly canBlock = false; // events arrive through Node's own loop: no runSync
  readonly #parking = new HostParking(); // one host timer for park(), replaced by wakeups
  #host: LoopHost | null = null;
  #pending: [Watch, unknown[]][] = []; // events seen since the last select()
  readonly #watches = new Set<Watch>();
  #events = 0;

  attach(host: LoopHost): void {
    this.#host = host;
  }

  time(): number {
    return this.#clock.time();
  }

  /** Queue the callbacks of the events that arrived, in arrival order; never blocks. */
  select(_timeoutMs: number): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const [w, args] of batch) this.#host!.loop.callSoon(w.onEvent, ...args);
  }

  park(timeoutMs: number, resume: () => void): void {
    // Events already waiting: resume after this host turn, without waiting for the deadline.
    this.#parking.park(this.#pending.length > 0 ? 0 : timeoutMs, resume);
  }

  unpark(): void {
    this.#parking.unpark();
  }

  wakeup(): void {
    this.#parking.wake();
  }

  close(): void {
    this.#parking.unpark();
    for (const w of this.#watches) w.emitter.off(w.event, w.listener);
    this.#watches.clear();
    this.#pending = [];
  }

  statistics(): Record<string, number> {
    return { watches: this.#watches.size, events: this.#events, parks: this.#parking.parks };
  }

  /**
   * Call `onEvent(...args)` on the loop for every `event` the emitter emits, until the returned
   * function is called. While watched, the event is an outside source of the loop: a run that
   * waits for it is waiting, not deadlocked.
   */
  watch(emitter: EventEmitter, event: string, onEvent: (...args: unknown[]) => void): () => void {
    const source: OutsideSource = { kind: "host", name: `EventEmitter '${event}' listener` };
    const w: Watch = {
      emitter,
      event,
      onEvent,
      listener: (...args) => {
        this.#events++;
        this.#pending.push([w, args]);
        this.wakeup(); // a parked loop resumes after this host turn and collects it in select()
      },
      release: this.#host!.addSource(source),
    };
    emitter.on(event, w.listener);
    this.#watches.add(w);
    return () => {
      emitter.off(event, w.listener);
      this.#watches.delete(w);
      w.release();
    };
  }
}

/** The loop: BaseEventLoop over the backend, which it keeps for `nextEvent`. */
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
