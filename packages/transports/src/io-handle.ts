/**
 * IOHandle: the callback of an `addReader`/`addWriter` registration (asyncio keeps a Handle per
 * registration in the selector key and queues that same handle every time the object is ready).
 *
 * HOW: made once per registration, queued by the backend as a Runnable whenever the object is
 * ready (no allocation per event); runs the callback in the context captured at registration
 * and hands errors to the loop's exception handler, as every loop callback does. Removing the
 * registration cancels it, so a handle already queued in this iteration does not run.
 */

import { type Context, type EventLoop, copyContext } from "@aioloop/core";

type Callback = (...args: any[]) => void;

/**
 * A registered reader, writer or signal callback: asyncio's `Handle` as `loop.add_reader`,
 * `loop.add_writer` and `loop.add_signal_handler` keep it. The loop makes these; user code
 * only sees them in logs and in the loop's exception-handler context.
 */
export class IOHandle {
  /** Invariant: null exactly when cancelled. */
  #cb: Callback | null;
  #args: unknown[];
  readonly #loop: EventLoop;
  readonly #context: Context;

  constructor(cb: Callback, args: unknown[], loop: EventLoop) {
    this.#cb = cb;
    this.#args = args;
    this.#loop = loop;
    this.#context = copyContext();
  }

  /** Do not run again. Idempotent. */
  cancel(): void {
    this.#cb = null;
    this.#args = [];
  }

  /**
   * True once the registration was removed (`removeReader`, `removeWriter`,
   * `removeSignalHandler`, or replaced by a new one): asyncio's `Handle.cancelled()`.
   */
  cancelled(): boolean {
    return this.#cb === null;
  }

  /** Runs the callback once (the Runnable the loop queues); called by the loop's runOnce only. */
  _run(): void {
    const cb = this.#cb;
    if (cb === null) return;
    try {
      this.#context.run(cb, ...this.#args);
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: `Exception in I/O callback ${cb.name || "(anonymous)"}`,
        exception,
      });
    }
  }

  /** For logs: `<IOHandle onReadable>` (the callback's name) or `<IOHandle cancelled>`. */
  toString(): string {
    return `<IOHandle ${this.#cb === null ? "cancelled" : this.#cb.name || "(anonymous)"}>`;
  }
}
