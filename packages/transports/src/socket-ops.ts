/**
 * The seam between the shared transports, servers and streams of this package and the loop
 * that moves their bytes: a small socket-operations interface, one implementation per I/O loop
 * (selector-loop: a Node `net.Socket` driven by readiness; epoll-loop: a file descriptor driven
 * by epoll through a native addon).
 *
 * HOW: a SocketTransport (transport.ts) holds one `SocketOps` and a `TransportHost`; a Server
 * (server.ts) holds `ListenerOps`. Everything asyncio-shaped (protocol callbacks and their
 * order, flow control with water marks, half-close, close and abort, connection loss, extra
 * info, the server's lifecycle) is written once against these; the loops only answer "read a
 * chunk", "write these bytes", "tell me when readable", "close":
 *
 *   protocol ◄─► SocketTransport ──SocketOps──► NodeSocketOps (net.Socket + selector)
 *                     │                      └► FdSocketOps   (fd + epoll, -errno calls)
 *                     └─TransportHost── the loop (callSoon, exception handler, tracking)
 *
 * Contract of a SocketOps, in the terms of readiness:
 *   - `setReader(r)`: queue `r` (a Runnable) on the loop whenever the socket is readable
 *     (bytes, EOF or an error wait); `setReader(null)` stops. Level-triggered.
 *   - `readChunk()`: the next bytes received, as a Uint8Array the caller may keep, or null
 *     when none can be had now; then `error()` and `eofReceived()` say why.
 *   - `write(bytes)` never blocks: what cannot be sent now is queued (`bufferSize()`), and
 *     `onFlushed` is called (from any host callback) after queued bytes left.
 *   - `onClosed` is called once the socket is gone (after `closeAfterFlush`, `destroy`, or an
 *     error that closed it); the transport then reports the loss on the loop.
 */

import type { EventLoop, Runnable } from "@aioloop/core";
import type { Address, SocketAddress } from "./address.js";

/** Something the loop must release when it closes (a transport, server or child process). */
export interface Closeable {
  /** Release at once, without calling back into the (closed) loop. */
  forceClose(): void;
}

/** What a transport or server needs of the loop it runs on, besides its public interface. */
export interface TransportHost {
  /** The loop: callSoon, callSoonThreadsafe, callExceptionHandler, getDebug, isClosed. */
  readonly loop: EventLoop;
  /** Release `c` (its `forceClose`) when the loop closes, unless `untrack`ed first. */
  track(c: Closeable): void;
  /** Forget `c`: it closed by itself. */
  untrack(c: Closeable): void;
}

/** What a SocketOps tells its transport (set once with `setHooks`). */
export interface SocketHooks {
  /** Queued bytes were handed to the kernel (the buffer shrank). */
  onFlushed(): void;
  /** The socket is closed (for whatever reason); called once. */
  onClosed(): void;
}

/** One connected socket or pipe, as a transport drives it (see the module comment). */
export interface SocketOps {
  /** False for a write-only pipe: there is nothing to read. */
  readonly readable: boolean;
  /** True once the socket is closed (destroyed, or closed after flushing). */
  readonly destroyed: boolean;
  /** "socket" or "pipe": the name getExtraInfo gives `handle` under. */
  readonly handleKind: "socket" | "pipe";
  /** What getExtraInfo("socket") (or "pipe") returns: the Node socket, or the fd's wrapper. */
  readonly handle: unknown;
  /** Set the transport's hooks (once, before anything else). */
  setHooks(hooks: SocketHooks): void;
  /** Queue `r` on the loop whenever the socket is readable; null: stop watching. */
  setReader(r: Runnable | null): void;
  /** The next bytes received now (the caller keeps them), or null when none can be had now. */
  readChunk(): Uint8Array | null;
  /** The socket's error as the loop reported it (mapped with toOSError), or undefined. */
  error(): unknown;
  /** Whether the peer's EOF was received (and every byte before it read). */
  eofReceived(): boolean;
  /** EOF was seen and handled: let the socket finish its side of it. */
  consumeEof(): void;
  /** Send `bytes` (kept, not copied, until sent); never blocks. */
  write(bytes: Uint8Array): void;
  /** Hold writes back until `uncork` (several writes leave as one). */
  cork(): void;
  /** Send what was held since `cork`. */
  uncork(): void;
  /** Bytes queued and not yet handed to the kernel. */
  bufferSize(): number;
  /** Shut the write side down once the queue is sent (the peer sees EOF). */
  end(): void;
  /** True when nothing is queued and no shutdown is still under way. */
  nothingToFlush(): boolean;
  /** Send what is queued, then close. */
  closeAfterFlush(): void;
  /** Close now, dropping what is queued. Idempotent. */
  destroy(): void;
  /** Turn Nagle's algorithm off (asyncio does on every TCP connection); no-op for pipes. */
  setNoDelay(): void;
  /** The peer's address, or null (pipes, Unix sockets without one, closed sockets). */
  peer(): SocketAddress | null;
  /** The local address, or null. */
  local(): SocketAddress | null;
}

/** A listening socket, as a Server drives it. */
export interface ListenerOps<S = unknown> {
  /** What `server.sockets` lists for it (a net.Server, or the listening fd's wrapper). */
  readonly handle: S;
  /** Queue `r` on the loop whenever a connection waits to be accepted; null: stop. */
  setAcceptor(r: Runnable | null): void;
  /** The next accepted connection, or null when none waits now. */
  accept(): SocketOps | null;
  /** An accept error to report (once: taking it clears it), or undefined. */
  takeError(): unknown;
  /** Stop listening now: the address is free; connections not yet accepted are closed. */
  close(): void;
  /** Where it listens, in the shape openConnection takes. */
  address(): Address | null;
}
