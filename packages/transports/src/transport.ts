/**
 * SocketTransport: asyncio's `_SelectorSocketTransport`, written once over a SocketOps
 * (socket-ops.ts): a Node socket driven by selector-loop's readiness, or a file descriptor
 * driven by epoll-loop. Reads are driven by readiness; writes go through the socket's own
 * write buffer, with asyncio's high/low water marks for flow control.
 *
 * HOW, reading (built on readiness, never on 'data' events):
 *
 *   selector: socket readable ─► loop queues the transport (it is its own Runnable)
 *   _run(): sock.read() ─ bytes ─► protocol.dataReceived(bytes)
 *                       └ null ─► error? fatal (connectionLost(exc)) / EOF? eofReceived()
 *
 *   pauseReading() unregisters the reader: Node then stops reading from the kernel once its
 *   own buffer holds `readableHighWaterMark` bytes, so TCP flow control pushes back on the peer.
 *
 * HOW, writing: `write()` hands the bytes to Node at once (Node writes to the kernel directly
 * when it can, and queues the rest). The transport's buffer *is* Node's write buffer:
 *
 *   getWriteBufferSize() = sock.bufferSize()
 *   > high (64 KiB) ─► protocol.pauseWriting()
 *   a write completes and the size is ≤ low (16 KiB) ─► protocol.resumeWriting() (on the loop)
 *
 * Closing: `close()` stops reading and lets Node flush what is queued, then closes the socket;
 * `abort()` closes at once. Either way, and on a peer reset, `connectionLost(exc)` is called
 * exactly once, after every byte Node had already received was given to `dataReceived`: a
 * reset never loses data that arrived before it.
 *
 * Costs: one selector registration per connection; per read, one `sock.read()` and one
 * Uint8Array view; per write, one `sock.write` (no copy).
 */

import { type EventLoop, type Future, InvalidStateError } from "@aioloop/core";
import type { SocketAddress } from "./address.js";
import { toBytes } from "./bytes.js";
import { TransportClosedError, toOSError } from "./errors.js";
import type { BaseProtocolLike, ProtocolLike } from "./protocols.js";
import type { SocketOps, TransportHost } from "./socket-ops.js";

/** asyncio's default high-water mark of a transport's write buffer. */
export const DEFAULT_HIGH_WATER = 64 * 1024;
/** asyncio's default low-water mark: a quarter of the high one. */
export const DEFAULT_LOW_WATER = DEFAULT_HIGH_WATER / 4;
/**
 * How much Node may read ahead into a paused socket's buffer before it stops reading from the
 * kernel. With Node's default (16 KiB) every 64 KiB read overshoots it, so Node stops and
 * restarts reading (two epoll_ctl calls) for every chunk; 256 KiB is asyncio's largest read
 * per readiness event (`max_size`), and bounds what an unread connection holds in user space.
 */
export const SOCKET_READ_HIGH_WATER = 256 * 1024;
/** Writes after the connection was lost are dropped; after this many, warn (asyncio's constant). */
export const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;

/** What `getExtraInfo` knows about. */
export interface ExtraInfo {
  /** The peer's address (TCP); undefined for pipes and Unix sockets without one. */
  peername?: SocketAddress;
  /** The local address. */
  sockname?: SocketAddress;
  /** The socket: a Node `net.Socket` on SelectorLoop, the fd's `FdSocket` on EpollLoop. */
  socket?: unknown;
  /** The Node pipe socket of a subprocess transport. */
  pipe?: unknown;
  [name: string]: unknown;
}

/**
 * A streaming transport, as asyncio's Transport (a ReadTransport and a WriteTransport): what a
 * protocol gets in `connectionMade` to write, close and control the flow of its connection.
 * @example
 * class Upper extends Protocol {
 *   transport!: Transport;
 *   override connectionMade(t: Transport) { this.transport = t; }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport.write(new TextDecoder().decode(data).toUpperCase());
 *   }
 * }
 */
export interface Transport {
  /**
   * Queue bytes (or a string, sent as UTF-8) to send; never blocks (asyncio's
   * `WriteTransport.write`). Over the high-water mark the protocol's pauseWriting is called.
   * Throws TransportClosedError after writeEof(); after close() or the connection's loss the
   * bytes are dropped (a warning is logged after a few such writes).
   */
  write(data: Uint8Array | string): void;
  /**
   * Queue several chunks, sent together (asyncio's `WriteTransport.writelines`; no
   * separators are added). Throws as write does, and TypeError when `list` is not an array.
   */
  writelines(list: readonly (Uint8Array | string)[]): void;
  /**
   * Close the write side after what is queued: the peer sees EOF, reading goes on (asyncio's
   * `WriteTransport.write_eof`). No-op when closing or done already.
   */
  writeEof(): void;
  /** Whether writeEof() is supported (asyncio's `can_write_eof()`): true for sockets and pipes. */
  canWriteEof(): boolean;
  /**
   * Close after the queued bytes are sent (asyncio's `BaseTransport.close`): reading stops at
   * once, then connectionLost(null) follows. Idempotent.
   */
  close(): void;
  /**
   * Close now, dropping queued bytes (asyncio's `WriteTransport.abort`); connectionLost(null)
   * follows.
   */
  abort(): void;
  /** True once close() or abort() was called or the connection was lost (`is_closing()`). */
  isClosing(): boolean;
  /**
   * Information about the connection (asyncio's `get_extra_info`): "peername", "sockname",
   * "socket" (or "pipe"): see ExtraInfo. `dflt` (or undefined) when not known.
   */
  getExtraInfo<K extends keyof ExtraInfo>(name: K, dflt?: ExtraInfo[K]): ExtraInfo[K] | undefined;
  /**
   * Stop calling dataReceived until resumeReading (asyncio's `ReadTransport.pause_reading`).
   * Node then stops reading from the kernel once SOCKET_READ_HIGH_WATER bytes (256 KiB) wait,
   * so TCP flow control holds the peer back. No-op when paused already or closing.
   */
  pauseReading(): void;
  /**
   * Deliver data again, starting with what arrived while paused (asyncio's
   * `ReadTransport.resume_reading`). No-op when not paused or closing.
   */
  resumeReading(): void;
  /** True unless reading is paused or the transport is closing (`is_reading()`). */
  isReading(): boolean;
  /**
   * Set the write buffer's water marks in bytes (asyncio's
   * `WriteTransport.set_write_buffer_limits`): the protocol's pauseWriting is called when
   * more than `high` bytes are queued, resumeWriting once they drain to `low`. Defaults:
   * high 64 KiB (4 × low when only low is given), low high / 4. Throws RangeError unless
   * high >= low >= 0.
   * @example
   * transport.setWriteBufferLimits(1024 * 1024); // pause the writer above 1 MiB, resume at 256 KiB
   */
  setWriteBufferLimits(high?: number, low?: number): void;
  /** The water marks in bytes, `[low, high]` (asyncio's `get_write_buffer_limits()`). */
  getWriteBufferLimits(): [number, number];
  /**
   * Bytes queued and not yet handed to the kernel (asyncio's `get_write_buffer_size()`;
   * the socket's write queue).
   */
  getWriteBufferSize(): number;
  /** The protocol whose callbacks this transport calls (asyncio's `get_protocol()`). */
  getProtocol(): ProtocolLike;
  /**
   * Call another protocol's callbacks from now on (asyncio's `set_protocol`), e.g. to switch
   * a connection to another wire protocol after a handshake. A protocol with getBuffer and
   * bufferUpdated is fed as a BufferedProtocolLike. Throws TypeError for a non-object.
   */
  setProtocol(protocol: ProtocolLike): void;
}

/** A protocol that receives into its own buffers (asyncio's BufferedProtocol). */
export interface BufferedProtocolLike extends BaseProtocolLike {
  /** A buffer to receive into; `sizeHint` is how many bytes wait (-1: unknown). */
  getBuffer(sizeHint: number): Uint8Array;
  /** `n` bytes were written at the start of the last buffer returned by getBuffer. */
  bufferUpdated(n: number): void;
  /**
   * The peer will send no more (asyncio's `BufferedProtocol.eof_received`). Return true to
   * keep the transport open for writing; anything else closes it.
   */
  eofReceived?(): boolean | undefined | void;
}

/** What a transport tells the Server that accepted it (its `detach` when it closes). */
export interface TransportOwner {
  /** The transport `t` is gone. */
  detach(t: SocketTransport): void;
}

/**
 * How a SocketTransport is made. A server passes one object for all its connections, so
 * accepting allocates none.
 */
export interface TransportOptions {
  /** Resolved once connectionMade has run (createConnection waits on it). */
  readonly waiter?: Future<void>;
  /** The server that accepted the connection. */
  readonly owner?: TransportOwner;
  /** More extra info (getExtraInfo). */
  readonly extra?: ExtraInfo;
  /** Nagle is off already (a server created with noDelay): skip the setsockopt. */
  readonly noDelaySet?: boolean;
}

const NO_OPTIONS: TransportOptions = {};

/**
 * A transport over a socket (asyncio's `_SelectorSocketTransport`); made by createConnection,
 * createServer, openConnection, startServer and the subprocess functions, and by loops that
 * implement SocketOps. Its methods are the Transport interface's; `statistics()` adds counters.
 */
export class SocketTransport implements Transport {
  readonly #host: TransportHost;
  readonly #loop: EventLoop;
  readonly #sock: SocketOps;
  #protocol: ProtocolLike | BufferedProtocolLike;
  /** Invariant: true when the protocol has getBuffer/bufferUpdated. */
  #buffered = false;
  /** getExtraInfo's answers, built when first asked (addresses cost a system call each). */
  #extra: ExtraInfo | null = null;
  readonly #moreExtra: ExtraInfo | undefined;
  readonly #pipe: boolean;
  #owner: TransportOwner | null;
  /** Invariant: true once close()/abort() was called or the connection was lost. */
  #closing = false;
  /** Invariant: true once connectionLost was called (or the loop force-closed us). */
  #connLost = false;
  #lostWrites = 0;
  /** Invariant: true between pauseReading() and resumeReading() (the reader is unregistered). */
  #paused = false;
  /** Invariant: true once EOF from the peer was handled (the reader is unregistered). */
  #eofSeen = false;
  /** Invariant: true once writeEof() was called. */
  #eofWritten = false;
  /** Invariant: true between pauseWriting() and resumeWriting() calls to the protocol. */
  #protocolPaused = false;
  #resumeScheduled = false;
  #high = DEFAULT_HIGH_WATER;
  #low = DEFAULT_LOW_WATER;
  #bytesIn = 0;
  #bytesOut = 0;

  /**
   * A transport over `sock` on `host`'s loop (loops make these: createConnection,
   * createServer...). Schedules `connectionMade`, then resolves `waiter`, and starts reading.
   */
  constructor(
    host: TransportHost,
    sock: SocketOps,
    protocol: ProtocolLike | BufferedProtocolLike,
    opts: TransportOptions = NO_OPTIONS,
  ) {
    this.#host = host;
    this.#loop = host.loop;
    this.#sock = sock;
    this.#protocol = protocol;
    this.#buffered = isBuffered(protocol);
    this.#owner = opts.owner ?? null;
    this.#moreExtra = opts.extra;
    this.#pipe = sock.handleKind === "pipe";
    if (!this.#pipe && opts.noDelaySet !== true) sock.setNoDelay(); // asyncio disables Nagle
    sock.setHooks(this); // flushes and the close reach us through onFlushed / onClosed
    host.track(this);
    this.#loop.callSoon(SocketTransport.#madeCallback, this, opts.waiter ?? null);
    if (sock.readable) sock.setReader(this);
    else this.#eofSeen = true; // a write-only pipe: nothing to read
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────────

  /** The socket is readable (the Runnable the loop's backend queues); not for user code. */
  _run(): void {
    if (this.#connLost || this.#paused || this.#eofSeen) return;
    const sock = this.#sock;
    let data: Uint8Array | null;
    let got = false;
    try {
      // Chunk by chunk, as the socket read them (no joining copy); stop if the protocol pauses us.
      while ((data = sock.readChunk()) !== null) {
        got = true;
        this.#deliver(data);
        if (this.#paused || this.#connLost) return;
      }
    } catch (e) {
      this.#fatalError(e, "Fatal read error on socket transport");
      return;
    }
    if (got) return;
    const err = sock.error();
    if (err !== undefined) this.#fatalError(toOSError(err, "read"), null);
    else if (sock.eofReceived()) this.#readEof();
    else if (sock.destroyed) this.#connectionGone();
  }

  #deliver(data: Uint8Array): void {
    this.#bytesIn += data.length;
    try {
      if (this.#buffered) feedBuffered(this.#protocol as BufferedProtocolLike, data);
      else (this.#protocol as ProtocolLike).dataReceived?.(data);
    } catch (e) {
      this.#fatalError(e, "Fatal error: protocol.dataReceived() call failed.");
    }
  }

  #readEof(): void {
    this.#eofSeen = true;
    this.#sock.setReader(null);
    this.#sock.consumeEof(); // Node: lets it emit 'end' (and close once both directions are done)
    let keepOpen: unknown;
    try {
      keepOpen = this.#protocol.eofReceived?.();
    } catch (e) {
      this.#fatalError(e, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    if (keepOpen !== true) this.close();
  }

  pauseReading(): void {
    if (this.#closing || this.#paused) return;
    this.#paused = true;
    this.#sock.setReader(null);
  }

  resumeReading(): void {
    if (this.#closing || !this.#paused) return;
    this.#paused = false;
    if (!this.#eofSeen) this.#sock.setReader(this);
  }

  isReading(): boolean {
    return !this.#paused && !this.#closing;
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────────

  write(data: Uint8Array | string): void {
    const bytes = data instanceof Uint8Array ? data : toBytes(data, "write");
    if (this.#eofWritten) {
      throw new TransportClosedError(
        "write() after writeEof(): the write side is shut down; write everything before writeEof()",
      );
    }
    if (bytes.length === 0) return;
    if (this.#connLost || this.#closing || this.#sock.destroyed) {
      this.#droppedWrite();
      return;
    }
    this.#bytesOut += bytes.length;
    this.#sock.write(bytes);
    if (!this.#protocolPaused && this.#sock.bufferSize() > this.#high) this.#pauseProtocol();
  }

  writelines(list: readonly (Uint8Array | string)[]): void {
    if (!Array.isArray(list)) throw new TypeError("writelines needs an array of byte arrays");
    const sock = this.#sock;
    sock.cork();
    try {
      for (const d of list) this.write(d);
    } finally {
      sock.uncork();
    }
  }

  writeEof(): void {
    if (this.#closing || this.#eofWritten) return;
    this.#eofWritten = true;
    this.#sock.end();
  }

  canWriteEof(): boolean {
    return true;
  }

  getWriteBufferSize(): number {
    return this.#sock.bufferSize();
  }

  getWriteBufferLimits(): [number, number] {
    return [this.#low, this.#high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    let h = high;
    let l = low;
    if (h === undefined) h = l === undefined ? DEFAULT_HIGH_WATER : 4 * l;
    if (l === undefined) l = Math.floor(h / 4);
    if (!(h >= l && l >= 0)) {
      throw new RangeError(`setWriteBufferLimits: high (${h}) must be >= low (${l}) must be >= 0`);
    }
    this.#high = h;
    this.#low = l;
    if (!this.#protocolPaused && this.#sock.bufferSize() > h) this.#pauseProtocol();
    else if (this.#protocolPaused && this.#sock.bufferSize() <= l) this.#scheduleResume();
  }

  #pauseProtocol(): void {
    this.#protocolPaused = true;
    try {
      this.#protocol.pauseWriting?.();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: "protocol.pauseWriting() failed",
        exception,
        transport: this,
        protocol: this.#protocol,
      });
    }
  }

  /**
   * The socket handed queued bytes to the kernel (SocketHooks; may be called outside the
   * loop's turn, from a host callback). Not for user code.
   */
  onFlushed(): void {
    if (!this.#protocolPaused) return;
    if (this.#sock.bufferSize() <= this.#low) this.#scheduleResume();
  }

  #scheduleResume(): void {
    if (this.#resumeScheduled || this.#loop.isClosed()) return;
    this.#resumeScheduled = true;
    this.#loop.callSoonThreadsafe(SocketTransport.#resumeCallback, this);
  }

  static #resumeCallback(t: SocketTransport): void {
    t.#resumeProtocol();
  }

  #resumeProtocol(): void {
    this.#resumeScheduled = false;
    if (!this.#protocolPaused || this.#connLost) return;
    if (this.#sock.bufferSize() > this.#low) return;
    this.#protocolPaused = false;
    try {
      this.#protocol.resumeWriting?.();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: "protocol.resumeWriting() failed",
        exception,
        transport: this,
        protocol: this.#protocol,
      });
    }
  }

  #droppedWrite(): void {
    if (this.#lostWrites++ === LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
      console.warn(
        "aioloop: write() on a closed transport: the data is dropped (check isClosing() before writing)",
      );
    }
  }

  // ── closing ─────────────────────────────────────────────────────────────────────────────

  isClosing(): boolean {
    return this.#closing;
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const sock = this.#sock;
    sock.setReader(null);
    // Nothing left to send (asyncio's empty buffer): the connection is lost in the next
    // iteration, as asyncio's close() schedules it, whatever the socket's events do meanwhile,
    // so a drain() after close() raises. Otherwise the socket flushes what is queued, then
    // closes, and its onClosed calls connectionLost.
    if (sock.destroyed || sock.nothingToFlush()) this.#scheduleGone();
    else sock.closeAfterFlush();
  }

  abort(): void {
    if (this.#connLost) return;
    this.#closing = true;
    this.#sock.setReader(null);
    if (this.#sock.destroyed) this.#scheduleGone();
    else this.#sock.destroy();
  }

  /** The loop is closing (Closeable): release the socket without calling back. Not for user code. */
  forceClose(): void {
    this.#connLost = true;
    this.#closing = true;
    this.#sock.destroy();
    this.#owner?.detach(this);
    this.#owner = null;
  }

  /**
   * The socket closed (SocketHooks: after our close, an error, or both sides ending). Not for
   * user code.
   */
  onClosed(): void {
    this.#scheduleGone();
  }

  /**
   * Lose the connection in the next iteration. callSoon wakes a parked loop itself, so this
   * works from Node's events too; the callback is shared and the transport its argument, so
   * nothing is allocated beyond the handle.
   */
  #scheduleGone(): void {
    if (this.#connLost || this.#loop.isClosed()) return;
    this.#loop.callSoon(SocketTransport.#goneCallback, this);
  }

  static #goneCallback(t: SocketTransport): void {
    t.#connectionGone();
  }

  /** The socket is closed: hand over what Node still holds, then connectionLost. */
  #connectionGone(): void {
    if (this.#connLost) return;
    const sock = this.#sock;
    if (!this.#closing) {
      // Bytes that arrived before the close or reset: nothing received is lost.
      let b: Uint8Array | null;
      while (!this.#connLost && (b = sock.readChunk()) !== null) this.#deliver(b);
      if (this.#connLost) return;
    }
    const err = sock.error();
    if (err === undefined && !this.#closing && !this.#eofSeen && sock.eofReceived()) {
      // The peer's EOF came before the close (both sides ended): report it, as it happened.
      this.#eofSeen = true;
      try {
        this.#protocol.eofReceived?.();
      } catch (e) {
        this.#fatalError(e, "Fatal error: protocol.eofReceived() call failed.");
        return;
      }
    }
    this.#callConnectionLost(err === undefined ? null : (toOSError(err) as Error));
  }

  #fatalError(exc: unknown, message: string | null): void {
    const isOSError = typeof (exc as { code?: unknown })?.code === "string";
    if (message !== null && (!isOSError || this.#loop.getDebug())) {
      this.#loop.callExceptionHandler({
        message,
        exception: exc,
        transport: this,
        protocol: this.#protocol,
      });
    }
    this.#closing = true;
    this.#sock.setReader(null);
    this.#callConnectionLost(exc instanceof Error ? exc : new Error(String(exc)));
  }

  #callConnectionLost(exc: Error | null): void {
    if (this.#connLost) return;
    this.#connLost = true;
    this.#closing = true;
    this.#sock.setReader(null);
    try {
      this.#protocol.connectionLost?.(exc);
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: "protocol.connectionLost() failed",
        exception,
        transport: this,
        protocol: this.#protocol,
      });
    } finally {
      this.#sock.destroy();
      this.#host.untrack(this);
      this.#owner?.detach(this);
      this.#owner = null;
    }
  }

  static #madeCallback(t: SocketTransport, waiter: Future<void> | null): void {
    t.#connectionMade(waiter);
  }

  #connectionMade(waiter: Future<void> | null): void {
    if (this.#connLost) {
      if (waiter !== null && !waiter.done())
        waiter.setException(new TransportClosedError("closed"));
      return;
    }
    try {
      this.#protocol.connectionMade?.(this);
    } catch (e) {
      if (waiter !== null && !waiter.done()) waiter.setException(e);
      this.#fatalError(e, "Fatal error: protocol.connectionMade() call failed.");
      return;
    }
    if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
  }

  // ── the rest of the Transport interface ─────────────────────────────────────────────────

  getExtraInfo<K extends keyof ExtraInfo>(name: K, dflt?: ExtraInfo[K]): ExtraInfo[K] | undefined {
    const v = (this.#extra ?? this.#makeExtra())[name];
    return v === undefined ? dflt : v;
  }

  /**
   * The extra info, read from the socket on first use: a server that never asks pays no
   * getpeername/getsockname per connection. A socket whose handle is gone by then (closed,
   * reset) may have none.
   */
  #makeExtra(): ExtraInfo {
    const sock = this.#sock;
    const extra: ExtraInfo = { ...this.#moreExtra };
    if (this.#pipe) extra.pipe = sock.handle;
    else {
      extra.socket = sock.handle;
      const peer = sock.peer();
      const local = sock.local();
      if (peer !== null) extra.peername = peer;
      if (local !== null) extra.sockname = local;
    }
    this.#extra = extra;
    return extra;
  }

  getProtocol(): ProtocolLike {
    return this.#protocol as ProtocolLike;
  }

  setProtocol(protocol: ProtocolLike | BufferedProtocolLike): void {
    if (typeof protocol !== "object" || protocol === null) {
      throw new TypeError("setProtocol needs a protocol object");
    }
    this.#protocol = protocol;
    this.#buffered = isBuffered(protocol);
  }

  /** Counters: bytes in/out, write buffer, states. */
  statistics(): Record<string, number | boolean> {
    return {
      bytesReceived: this.#bytesIn,
      bytesSent: this.#bytesOut,
      writeBufferSize: this.#sock.bufferSize(),
      readingPaused: this.#paused,
      writingPaused: this.#protocolPaused,
      closing: this.#closing,
    };
  }

  toString(): string {
    const state = this.#connLost ? "closed" : this.#closing ? "closing" : "open";
    return `<SocketTransport ${state}>`;
  }
}

function isBuffered(p: object): boolean {
  return (
    typeof (p as BufferedProtocolLike).getBuffer === "function" &&
    typeof (p as BufferedProtocolLike).bufferUpdated === "function"
  );
}

/** Copy `data` into the protocol's buffers (as many getBuffer calls as it takes). */
function feedBuffered(p: BufferedProtocolLike, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    const buf = p.getBuffer(data.length - off);
    if (!(buf instanceof Uint8Array) || buf.length === 0) {
      throw new InvalidStateError("getBuffer() returned an empty buffer: return room for bytes");
    }
    const n = Math.min(buf.length, data.length - off);
    buf.set(data.subarray(off, off + n));
    off += n;
    p.bufferUpdated(n);
  }
}
