/**
 * StreamWriter: asyncio's writing half of a stream connection. It writes through the
 * transport and waits in `drain()` while the transport's buffer is over its high-water mark;
 * the StreamReaderProtocol (stream-protocol.ts) tells it when to wait and when to stop.
 *
 * HOW, backpressure:
 *
 *   writer.write(b) ─► transport.write(b) ─► buffer > 64 KiB ─► protocol.pauseWriting()
 *   yield* writer.drain()  ── paused? ─► park on a future ◄── resumeWriting() (≤ 16 KiB)
 *                                                        ◄── connectionLost(exc): raises exc
 *
 * So a writer that drains after each write never holds more than the high-water mark (plus
 * one write) in memory, however slow the peer reads.
 *
 * WHY drain() is not a generator function: a drain that has nothing to wait for (the common
 * case, once per write) returns one shared, finished coroutine and allocates nothing.
 */

import { type Coro, coroMethods } from "@aioloop/core";
import type { StreamReaderProtocol } from "./stream-protocol.js";
import type { StreamReader } from "./stream-reader.js";
import type { ExtraInfo, Transport } from "./transport.js";

const DONE_RESULT: IteratorReturnResult<void> = Object.freeze({ done: true, value: undefined });

/**
 * A coroutine that is already finished: `yield* DONE` returns at once. It holds no state, so
 * one object serves every call (a generator would be allocated per call).
 */
const DONE = {
  next: () => DONE_RESULT,
  return: () => DONE_RESULT,
  throw: (e: unknown) => {
    throw e;
  },
  [Symbol.iterator]() {
    return DONE;
  },
} as unknown as Coro<void>;

/**
 * The writing half of a stream connection: asyncio's `StreamWriter`, as openConnection,
 * startServer and a Process's `stdin` give it. `write` never waits; follow it with
 * `yield* drain()` so a slow peer holds the writer back (the transport pauses it above 64 KiB
 * queued and resumes it at 16 KiB).
 * @example
 * import { openConnection, run } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const [, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 *   for (let i = 0; i < 1000; i++) {
 *     writer.write(`line ${i}\n`);
 *     yield* writer.drain(); // waits while the peer is slower than us
 *   }
 *   writer.close(); // after the queued bytes are sent
 *   yield* writer.waitClosed();
 * });
 */
export class StreamWriter {
  readonly #transport: Transport;
  readonly #protocol: StreamReaderProtocol;
  readonly #reader: StreamReader | null;

  constructor(transport: Transport, protocol: StreamReaderProtocol, reader: StreamReader | null) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
  }

  /** The underlying transport (asyncio's `StreamWriter.transport`). */
  get transport(): Transport {
    return this.#transport;
  }

  /**
   * Queue bytes (or a string, sent as UTF-8); never waits (asyncio's `StreamWriter.write`).
   * Follow with `yield* drain()` to respect backpressure. Throws TransportClosedError after
   * writeEof(); after close() or the connection's loss the bytes are dropped, and the drain()
   * that follows raises ConnectionResetError, as asyncio's does.
   */
  write(data: Uint8Array | string): void {
    this.#transport.write(data);
  }

  /**
   * Queue several chunks at once, as one write each but sent together (asyncio's
   * `StreamWriter.writelines`; no separators are added). Throws as write does, and TypeError
   * when `data` is not an array.
   */
  writelines(data: readonly (Uint8Array | string)[]): void {
    this.#transport.writelines(data);
  }

  /**
   * Close the write side once the queued bytes are sent: the peer sees EOF, and reading goes
   * on (asyncio's `write_eof`, a TCP half-close). No-op when closing or done already.
   */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /** Whether writeEof() is supported (asyncio's `can_write_eof()`): true for sockets and pipes. */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /**
   * Close the connection once the queued bytes are sent (asyncio's `StreamWriter.close`);
   * follow with `yield* waitClosed()`. Idempotent.
   */
  close(): void {
    this.#transport.close();
  }

  /**
   * True once close() was called or the connection was lost (asyncio's `is_closing()`):
   * writes are dropped from then on.
   */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /**
   * Wait until the connection is closed (asyncio's `wait_closed`); raises the error it was lost
   * with (e.g. ConnectionResetError), if any.
   */
  *waitClosed(): Coro<void> {
    yield* this.#protocol._closedFuture();
  }

  /**
   * Information about the connection (asyncio's `get_extra_info`): "peername" and "sockname"
   * (`{ host, port, family }`), "socket" (the Node socket) or "pipe" (a subprocess pipe);
   * `dflt` (or undefined) when the transport does not have it.
   * @example
   * const peer = writer.getExtraInfo("peername"); // { host: "127.0.0.1", port: 52144, family: "IPv4" }
   */
  getExtraInfo<K extends keyof ExtraInfo>(name: K, dflt?: ExtraInfo[K]): ExtraInfo[K] | undefined {
    return this.#transport.getExtraInfo(name, dflt);
  }

  /**
   * Wait until the transport's buffer is back under its low-water mark (asyncio's `drain`);
   * returns at once when it is not over the high-water mark. Raises the reader's error (e.g.
   * ConnectionResetError) and, once the connection is gone, ConnectionResetError: also right
   * after close() when nothing was left to send (asyncio's `w.close(); await w.drain()`).
   */
  drain(): Coro<void> {
    const reader = this.#reader;
    if (
      (reader === null || reader.exception() === null) &&
      !this.#transport.isClosing() &&
      this.#protocol._writable()
    ) {
      return DONE; // nothing to wait for: the common case allocates nothing
    }
    return this.#drainSlow();
  }

  *#drainSlow(): Coro<void> {
    const exc = this.#reader?.exception() ?? null;
    if (exc !== null) throw exc;
    if (this.#transport.isClosing()) {
      // Let connectionLost run first (asyncio's sleep(0)), so drain sees the loss.
      yield;
    }
    yield* this.#protocol._drainHelper();
  }

  /** For logs: `<StreamWriter open>` or `<StreamWriter closing>`. */
  toString(): string {
    return `<StreamWriter ${this.#transport.isClosing() ? "closing" : "open"}>`;
  }
}

/** Calls into these are resumed from the task's own stack (see coro() in @aioloop/core). */
coroMethods(StreamWriter.prototype, "waitClosed");
