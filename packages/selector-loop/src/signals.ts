/**
 * Signal handlers on the loop, as asyncio's `add_signal_handler`: the callback runs as a loop
 * callback (never inside Node's signal delivery), with the context of the registration.
 *
 * HOW: one Node `process.on(signal)` listener per handled signal; when it fires it hands the
 * registration's IOHandle to the loop with `callSoonThreadsafe` (which also wakes a parked
 * loop). Removing a handler removes the Node listener, so Node's default action (e.g. exit on
 * SIGINT) is back; closing the loop removes them all.
 *
 * WHY two holds while any handler is set: a program that only waits for a signal must wait, as
 * in asyncio. The loop must not call that a deadlock (one "host" outside source says work may
 * still arrive), and Node must not exit (its signal listeners do not keep the process alive:
 * one ref'd host timer does).
 */

import { constants } from "node:os";
import type { OutsideSource } from "@aioloop/core";
import { IOHandle } from "@aioloop/transports";
import type { SelectorLoop } from "./selector-loop.js";

/**
 * While any handler is set, one ref'd host timer with this period keeps Node alive (see the
 * module comment). The longest period Node accepts, so it practically never fires.
 */
const KEEP_ALIVE_PERIOD_MS = 2 ** 31 - 1;

/** Signals no process can catch (asyncio raises RuntimeError for them). */
const UNCATCHABLE = new Set(["SIGKILL", "SIGSTOP"]);

interface Registration {
  handle: IOHandle;
  listener: () => void;
}

/** The outside source every loop's signal handlers hold while any is set. */
const SIGNAL_SOURCE: OutsideSource = { kind: "host", name: "signal handler" };

/** Run a registration's callback (a loop callback: the IOHandle reports its own errors). */
function deliver(handle: IOHandle): void {
  handle._run();
}

/** @internal The signal handlers of one loop. */
export class SignalHandlers {
  readonly #loop: SelectorLoop;
  /** Invariant: one Node listener installed per entry. */
  readonly #handlers = new Map<NodeJS.Signals, Registration>();
  /** Invariant: set exactly while #handlers is not empty. */
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  /** Invariant: the release of SIGNAL_SOURCE, set exactly while #handlers is not empty. */
  #releaseSource: (() => void) | null = null;

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
      if (!loop.isClosed()) loop.callSoonThreadsafe(deliver, handle);
    };
    process.on(signal, listener);
    this.#handlers.set(signal, { handle, listener });
    this.#releaseSource ??= loop.addOutsideSource(SIGNAL_SOURCE);
    this.#keepAlive ??= setInterval(() => {}, KEEP_ALIVE_PERIOD_MS);
  }

  remove(signal: NodeJS.Signals): boolean {
    const r = this.#handlers.get(signal);
    if (r === undefined) return false;
    this.#handlers.delete(signal);
    process.removeListener(signal, r.listener);
    r.handle.cancel();
    if (this.#handlers.size === 0) {
      if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
      this.#keepAlive = null;
      this.#releaseSource?.();
      this.#releaseSource = null;
    }
    return true;
  }

  close(): void {
    for (const s of [...this.#handlers.keys()]) this.remove(s);
  }
}
