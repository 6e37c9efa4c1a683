/**
 * StreamReaderProtocol: asyncio's bridge from a transport to the stream API. It feeds the
 * connection's StreamReader, keeps write flow control for its StreamWriter's `drain()`, and,
 * behind startServer, runs the user's handler for each connection.
 *
 * HOW, a connection's life:
 *
 *   connectionMade ─► reader.setTransport; startServer: writer + onClient(reader, writer)
 *   dataReceived / eofReceived ─► reader.feedData / feedEof
 *   pauseWriting / resumeWriting ─► drain() waits / drain() waiters wake
 *   connectionLost(exc) ─► reader: EOF or exc; drain() waiters wake (or raise exc);
 *                          waitClosed() completes
 *
 * HOW, serving: a handler that is a generator function runs as a task per connection. When
 * that task is done, however it ended, the connection is closed:
 *
 *   returned  ─► transport.close() (queued bytes are still sent)
 *   threw     ─► the loop's exception handler, then transport.close()
 *   cancelled ─► transport.close()
 *
 * asyncio 3.13 closes on an error or a cancel too, and on a plain return leaves it to the
 * StreamWriter's finalizer (whenever the garbage collector runs); here it is deterministic, so
 * `server.waitClosed()` finishes once every handler is done. The task is never cancelled
 * because its connection closed: a handler sees the peer leave as EOF or a connection error.
 */

import { type Coro, type EventLoop, type Future, getRunningLoop, isCoroutine } from "@aioloop/core";
import { connectionLost } from "./errors.js";
import type { ProtocolLike } from "./protocols.js";
import type { StreamReader } from "./stream-reader.js";
import { StreamWriter } from "./stream-writer.js";
import type { Transport } from "./transport.js";

/**
 * What startServer calls for each connection (asyncio's `client_connected_cb`): a generator
 * function runs as a task, and the connection is closed once that task is done; a plain
 * function just runs, and leaves closing the writer to whoever it handed the streams to.
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
  /** drain() waiters while writing is paused; null when none ever waited (most connections). */
  #drainWaiters: Future<void>[] | null = null;
  /**
   * What waitClosed() awaits: completes at connectionLost, with a result for a clean close,
   * else the error. Made on first ask (most connections never wait for their close).
   */
  #closed: Future<void> | null = null;
  /** Invariant: undefined until connectionLost, then its argument. */
  #lostWith: Error | null | undefined = undefined;
  /**
   * The handler's task while it runs: the loop holds tasks weakly, so the connection holds its
   * handler strongly (asyncio's `_task`), whatever the handler waits on.
   */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held for its reference only
  #task: ReturnType<EventLoop["createTask"]> | null = null;

  constructor(reader: StreamReader | null, onClient: ClientConnectedCallback | null = null) {
    this.#loop = getRunningLoop();
    this.#reader = reader;
    this.#onClient = onClient;
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
        const exc = t.cancelled() ? null : t.exception();
        if (exc !== null) {
          this.#loop.callExceptionHandler({
            message: "Unhandled exception in client_connected_cb",
            exception: exc,
            transport,
          });
        }
        transport.close(); // returned, threw or was cancelled: the handler is done with it
      });
    }
  }

  connectionLost(exc: Error | null): void {
    const reader = this.#reader;
    if (reader !== null) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    this.#lostWith = exc;
    if (this.#closed !== null) settleClosed(this.#closed, exc);
    this.#lost = true;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = null;
    if (waiters !== null) {
      for (const w of waiters) {
        if (w.done()) continue;
        if (exc === null) w.setResult(undefined);
        else w.setException(exc);
      }
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
    this.#drainWaiters = null;
    if (waiters !== null) for (const w of waiters) if (!w.done()) w.setResult(undefined);
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
    (this.#drainWaiters ??= []).push(w);
    try {
      yield* w;
    } finally {
      const ws = this.#drainWaiters;
      const i = ws === null ? -1 : ws.indexOf(w);
      if (i >= 0) ws!.splice(i, 1);
    }
  }

  /** @internal The future waitClosed() awaits. */
  _closedFuture(): Future<void> {
    let f = this.#closed;
    if (f === null) {
      f = this.#loop.createFuture<void>();
      this.#closed = f;
      if (this.#lostWith !== undefined) settleClosed(f, this.#lostWith);
    }
    return f;
  }
}

/** Complete a closed-future: a result for a clean close, else the error. */
function settleClosed(f: Future<void>, exc: Error | null): void {
  if (f.done()) return;
  if (exc === null) f.setResult(undefined);
  else {
    f.setException(exc);
    f.exception(); // seen here: waitClosed() re-raises it, nobody must
  }
}
