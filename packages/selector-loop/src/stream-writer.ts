/**
 * StreamWriter and StreamReaderProtocol: asyncio's bridge between a transport and the stream
 * API. The protocol feeds the StreamReader and tracks write flow control; the writer writes
 * through the transport and waits in `drain()` while the transport's buffer is over its
 * high-water mark.
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
 * HOW, serving: for startServer, `connectionMade` makes the StreamWriter and calls the user's
 * `onClient(reader, writer)`; a coroutine result runs as a task, and when that task fails the
 * error goes to the loop's exception handler and the connection is closed (asyncio 3.12).
 */

import { type Coro, type EventLoop, type Future, getRunningLoop, isCoroutine } from "@aioloop/core";
import { connectionLost } from "./errors.js";
import type { ProtocolLike } from "./protocols.js";
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
 * What startServer calls for each connection (asyncio's `client_connected_cb`): a generator
 * function runs as a task; a plain function just runs.
 */
export type ClientConnectedCallback = (
  reader: StreamReader,
  writer: StreamWriter,
) => Coro<void> | void;

/**
 * The protocol behind every stream connection (asyncio's StreamReaderProtocol, with
 * FlowControlMixin's drain logic). openConnection and startServer make it; make one yourself
 * only to put streams over a transport of your own (`createConnection(() => protocol, ...)`).
 */
export class StreamReaderProtocol implements ProtocolLike {
  readonly #loop: EventLoop;
  #reader: StreamReader | null;
  readonly #onClient: ClientConnectedCallback | null;
  /** Invariant: true between pauseWriting and resumeWriting. */
  #paused = false;
  /** Invariant: true once connectionLost was called. */
  #lost = false;
  #drainWaiters: Future<void>[] = [];
  /** Completes at connectionLost: result for a clean close, the error otherwise. */
  readonly #closed: Future<void>;
  #task: ReturnType<EventLoop["createTask"]> | null = null;

  constructor(reader: StreamReader | null, onClient: ClientConnectedCallback | null = null) {
    this.#loop = getRunningLoop();
    this.#reader = reader;
    this.#onClient = onClient;
    this.#closed = this.#loop.createFuture<void>();
  }

  connectionMade(transport: Transport): void {
    this.#reader?.setTransport(transport);
    const cb = this.#onClient;
    if (cb === null) return;
    const writer = new StreamWriter(transport, this, this.#reader);
    const res = cb(this.#reader!, writer);
    if (isCoroutine(res)) {
      const task = this.#loop.createTask(res as Coro<void>);
      this.#task = task;
      task.addDoneCallback((t) => {
        this.#task = null;
        if (t.cancelled()) {
          transport.close();
          return;
        }
        const exc = t.exception();
        if (exc !== null) {
          this.#loop.callExceptionHandler({
            message: "Unhandled exception in client_connected_cb",
            exception: exc,
            transport,
          });
          transport.close();
        }
      });
    }
  }

  connectionLost(exc: Error | null): void {
    const reader = this.#reader;
    if (reader !== null) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    if (!this.#closed.done()) {
      if (exc === null) this.#closed.setResult(undefined);
      else {
        this.#closed.setException(exc);
        this.#closed.exception(); // seen here: waitClosed() re-raises it, nobody must
      }
    }
    this.#lost = true;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) {
      if (w.done()) continue;
      if (exc === null) w.setResult(undefined);
      else w.setException(exc);
    }
    this.#reader = null;
  }

  dataReceived(data: Uint8Array): void {
    this.#reader?.feedData(data);
  }

  eofReceived(): boolean {
    this.#reader?.feedEof();
    return true; // keep the write side open: the application closes it
  }

  pauseWriting(): void {
    this.#paused = true;
  }

  resumeWriting(): void {
    this.#paused = false;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) if (!w.done()) w.setResult(undefined);
  }

  /** @internal True when drain() has nothing to wait for (the fast path: no coroutine made). */
  _writable(): boolean {
    return !this.#paused && !this.#lost;
  }

  /** @internal drain(): wait while writing is paused; raise once the connection is lost. */
  *_drainHelper(): Coro<void> {
    if (this.#lost) throw connectionLost();
    if (!this.#paused) return;
    const w = this.#loop.createFuture<void>();
    this.#drainWaiters.push(w);
    try {
      yield* w;
    } finally {
      const i = this.#drainWaiters.indexOf(w);
      if (i >= 0) this.#drainWaiters.splice(i, 1);
    }
  }

  /** @internal The future waitClosed() awaits. */
  _closedFuture(): Future<void> {
    return this.#closed;
  }

  /** @internal The client_connected_cb task, while it runs. */
  _clientTask(): ReturnType<EventLoop["createTask"]> | null {
    return this.#task;
  }
}

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
   * writeEof(); after close() or the connection's loss the bytes are dropped (and a drain()
   * after the loss raises ConnectionResetError).
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
   * ConnectionResetError) and, once the connection is gone, ConnectionResetError.
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
