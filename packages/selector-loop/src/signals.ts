/**
 * Signal handlers on the loop, as asyncio's `add_signal_handler`: the callback runs as a loop
 * callback (never inside Node's signal delivery), with the context of the registration.
 *
 * HOW: one Node `process.on(signal)` listener per handled signal; when it fires it queues the
 * registration's IOHandle on the loop and wakes it (the same handle each time: no allocation
 * per signal). Removing a handler removes the Node listener, so Node's default action (e.g.
 * exit on SIGINT) is back; closing the loop removes them all.
 */

import { constants } from "node:os";
import { IOHandle } from "./io-handle.js";
import type { SelectorLoop } from "./selector-loop.js";

/**
 * While any handler is set, one ref'd host timer with this period keeps Node alive: a program
 * that only waits for a signal must not end (Node's signal listeners do not hold the process).
 * The longest period Node accepts, so it practically never fires.
 */
const KEEP_ALIVE_PERIOD_MS = 2 ** 31 - 1;

/** Signals no process can catch (asyncio raises RuntimeError for them). */
const UNCATCHABLE = new Set(["SIGKILL", "SIGSTOP"]);

interface Registration {
  handle: IOHandle;
  listener: () => void;
}

/** @internal The signal handlers of one loop. */
export class SignalHandlers {
  readonly #loop: SelectorLoop;
  /** Invariant: one Node listener installed per entry. */
  readonly #handlers = new Map<NodeJS.Signals, Registration>();
  /** Invariant: set exactly while #handlers is not empty. */
  #keepAlive: ReturnType<typeof setInterval> | null = null;

  constructor(loop: SelectorLoop) {
    this.#loop = loop;
  }

  add(signal: NodeJS.Signals, cb: (...args: any[]) => void, args: unknown[]): void {
    if (typeof cb !== "function") throw new TypeError("addSignalHandler needs a callback function");
    if (typeof signal !== "string" || !(signal in constants.signals)) {
      throw new RangeError(
        `addSignalHandler: unknown signal ${JSON.stringify(signal)}: use a name such as "SIGINT" or "SIGTERM"`,
      );
    }
    if (UNCATCHABLE.has(signal)) {
      throw new RangeError(`addSignalHandler: ${signal} cannot be caught by any process`);
    }
    this.remove(signal);
    const loop = this.#loop;
    const handle = new IOHandle(cb, args, loop);
    const listener = () => {
      if (loop.isClosed()) return;
      loop._scheduleRunnable(handle);
      loop._io.wakeup();
    };
    process.on(signal, listener);
    this.#handlers.set(signal, { handle, listener });
    this.#keepAlive ??= setInterval(() => {}, KEEP_ALIVE_PERIOD_MS);
  }

  remove(signal: NodeJS.Signals): boolean {
    const r = this.#handlers.get(signal);
    if (r === undefined) return false;
    this.#handlers.delete(signal);
    process.removeListener(signal, r.listener);
    r.handle.cancel();
    if (this.#handlers.size === 0 && this.#keepAlive !== null) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
    return true;
  }

  close(): void {
    for (const s of [...this.#handlers.keys()]) this.remove(s);
  }
}
