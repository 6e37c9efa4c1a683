/**
 * Sockets as file descriptors: `FdSocket` (the socket object users and extra info see, in the
 * manner of Python's `socket.socket`), and the socket operations of @aioloop/transports over it
 * (`FdSocketOps` for a connection, `FdListener` for a listening socket), which is all the
 * shared SocketTransport and Server need to run on EpollLoop.
 *
 * HOW, reading: the transport's reader is registered with the backend (EPOLLIN). On readiness
 * `readChunk()` is one recv(2) straight into the loop's receive slab, returned as a view of the
 * bytes read (no copy; the protocol may keep it: the slab is never written there again); a
 * short read means the kernel had no more, so the next `readChunk()` returns null without
 * asking again (readiness says when to come back).
 *
 * HOW, writing: `write(b)` sends at once when nothing is queued (the common case: no
 * registration, no copy); what the kernel does not take is queued (kept, not copied) and the
 * fd's writer (EPOLLOUT) flushes it with sendmsg(2) of up to 64 chunks per call:
 *
 *   write ─► queue empty? ─ send(2) ─ all sent ─► done
 *                 │                 └ partial / EAGAIN ─► queue the rest, watch EPOLLOUT
 *                 └ queued ─► append             writable ─► sendmsg(queue) ─► onFlushed
 *                                                 empty ─► unwatch; end? shutdown; close? close
 *
 * Errors (reset, EPIPE) are kept and the fd closed; the transport reads them through `error()`
 * after `onClosed`, so bytes received before a reset are still delivered first.
 */

import { unlinkSync } from "node:fs";
import type { Runnable } from "@aioloop/core";
import {
  type Address,
  BlockingIOError,
  type ListenerOps,
  OSError,
  type SocketAddress,
  type SocketHooks,
  type SocketOps,
} from "@aioloop/transports";
import { type EpollBackend, RECV_SIZE, RECV_SLAB_SIZE } from "./epoll-backend.js";
import { E, SHUT_WR, errnoError } from "./native.js";

/** Chunks one sendmsg(2) sends at most (the addon's iovec array). */
const MAX_IOV = 64;

/** What `FdSocket.family` says: 4 (IPv4), 6 (IPv6) or 1 (a Unix domain socket). */
export type FdFamily = 4 | 6 | 1;

/** A Unix domain socket's reported address. */
export interface UnixSocketAddress {
  /** The socket's file system path. */
  path: string;
}

/** A reported address: `{ host, port, family }` for TCP, `{ path }` for Unix sockets. */
function toAddress(a: [string, number, number] | number): SocketAddress | UnixSocketAddress | null {
  if (typeof a === "number") return null;
  if (a[2] === 1) return a[0] === "" ? null : { path: a[0] };
  return { host: a[0], port: a[1], family: a[2] === 6 ? "IPv6" : "IPv4" };
}

/**
 * A socket file descriptor of an EpollLoop, as Python's `socket.socket` (non-blocking, close-on-
 * exec): what `getExtraInfo("socket")` returns and `server.sockets` lists; make your own with
 * `FdSocket.create()` for the loop's fd-level API (`sockConnect`, `sockRecv`, ...).
 * @example
 * const sock = FdSocket.create(4);
 * yield* loop.sockConnect(sock.fileno(), { host: "127.0.0.1", port: 8888 });
 * yield* loop.sockSendall(sock.fileno(), "ping\n");
 * sock.close();
 */
export class FdSocket {
  #fd: number;
  /** 4, 6 or 1 (Unix). */
  readonly family: FdFamily;
  readonly #backend: EpollBackend;

  /** Wrap `fd` (a socket of `backend`'s addon). Use `FdSocket.create` for a new one. */
  constructor(backend: EpollBackend, fd: number, family: FdFamily) {
    this.#backend = backend;
    this.#fd = fd;
    this.family = family;
  }

  /**
   * A new non-blocking stream socket of `family` on the running EpollLoop (or `loop`). Throws
   * OSError (EMFILE: too many open files...).
   */
  static create(family: FdFamily, backend: EpollBackend): FdSocket {
    const fd = backend.native.socket(family);
    if (fd < 0) throw errnoError(fd, "socket");
    return new FdSocket(backend, fd, family);
  }

  /** The file descriptor; -1 once closed (Python's `fileno()`). */
  fileno(): number {
    return this.#fd;
  }

  /** The local address (`getsockname`), or null once closed. */
  getsockname(): SocketAddress | UnixSocketAddress | null {
    return this.#fd < 0 ? null : toAddress(this.#backend.native.getsockname(this.#fd));
  }

  /** The peer's address (`getpeername`), or null (not connected, closed). */
  getpeername(): SocketAddress | UnixSocketAddress | null {
    return this.#fd < 0 ? null : toAddress(this.#backend.native.getpeername(this.#fd));
  }

  /** Bind to `address` (SO_REUSEADDR is set for TCP, as asyncio does). Throws OSError. */
  bind(address: Address): void {
    const a = this.#backend.native;
    const fd = this.#checkOpen("bind");
    let rc: number;
    if ("path" in address) rc = a.bindUnix(fd, address.path);
    else {
      a.setReuseAddr(fd);
      rc = a.bind(fd, address.host, address.port);
    }
    if (rc < 0) {
      const where = "path" in address ? address.path : `${address.host}:${address.port}`;
      throw errnoError(rc, "bind", `error while attempting to bind on address ${where}`);
    }
  }

  /** Listen with `backlog` (Python's `listen`). Throws OSError. */
  listen(backlog: number): void {
    const rc = this.#backend.native.listen(this.#checkOpen("listen"), backlog);
    if (rc < 0) throw errnoError(rc, "listen");
  }

  /**
   * Receive up to `n` bytes now (Python's `recv` on a non-blocking socket): the bytes, empty at
   * EOF; throws BlockingIOError when none are there yet (wait with `loop.sockRecv` or a reader
   * instead), the socket's error otherwise (ConnectionResetError...).
   */
  recv(n: number): Uint8Array {
    const fd = this.#checkOpen("recv");
    const out = Buffer.allocUnsafe(n);
    const got = this.#backend.native.recv(fd, out, 0, n);
    if (got >= 0) return out.subarray(0, got);
    if (got === -E.AGAIN) {
      throw new BlockingIOError("recv: nothing to read yet: wait until the socket is readable", {
        code: "EAGAIN",
        syscall: "recv",
      });
    }
    throw errnoError(got, "recv");
  }

  /**
   * Send what the kernel takes of `data` now (Python's `send` on a non-blocking socket): how
   * many bytes; throws BlockingIOError when its buffer is full, the socket's error otherwise
   * (BrokenPipeError...). `loop.sockSendall` sends everything, waiting as needed.
   */
  send(data: Uint8Array | string): number {
    const fd = this.#checkOpen("send");
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const n = this.#backend.native.send(fd, bytes, 0, bytes.length);
    if (n >= 0) return n;
    if (n === -E.AGAIN) {
      throw new BlockingIOError("send: the socket's buffer is full: wait until it is writable", {
        code: "EAGAIN",
        syscall: "send",
      });
    }
    throw errnoError(n, "send");
  }

  /** Shut down reading (0), writing (1) or both (2). Throws OSError (ENOTCONN...). */
  shutdown(how: 0 | 1 | 2): void {
    const rc = this.#backend.native.shutdown(this.#checkOpen("shutdown"), how);
    if (rc < 0) throw errnoError(rc, "shutdown");
  }

  /**
   * Make the next close abortive (SO_LINGER 0): the peer gets a reset (RST) instead of an
   * orderly EOF, as Node's `resetAndDestroy()`. Throws OSError.
   */
  resetOnClose(): void {
    const rc = this.#backend.native.resetOnClose(this.#checkOpen("resetOnClose"));
    if (rc < 0) throw errnoError(rc, "setsockopt");
  }

  /** Bytes the kernel has received for this socket and nobody has read yet (FIONREAD). */
  bytesToRead(): number {
    const n = this.#backend.native.inq(this.#checkOpen("bytesToRead"));
    if (n < 0) throw errnoError(n, "ioctl");
    return n;
  }

  /**
   * Close the fd (idempotent). Unregisters it from the loop first, so no reader or writer of
   * it runs again.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#backend.forget(fd);
    this.#backend.native.close(fd);
  }

  /** For logs: `<FdSocket fd=12 family=4>`. */
  toString(): string {
    return `<FdSocket fd=${this.#fd} family=${this.family}>`;
  }

  #checkOpen(where: string): number {
    if (this.#fd < 0) throw new OSError(`${where}: the socket is closed`, { code: "EBADF" });
    return this.#fd;
  }
}

/** One connected socket as a transport drives it (see the module comment). */
export class FdSocketOps implements SocketOps {
  readonly handleKind = "socket" as const;
  readonly handle: FdSocket;
  readonly #backend: EpollBackend;
  readonly #fd: number;
  #hooks: SocketHooks | null = null;
  /** Invariant: set once the fd is closed (destroy, close after flush, a write error). */
  #closed = false;
  #error: Error | undefined = undefined;
  #eof = false;
  /** The last recv was short: the kernel has nothing more until readiness says so. */
  #drained = false;
  /** Unsent chunks, oldest first; `#offset` bytes of the first were sent. */
  #queue: Uint8Array[] = [];
  #offset = 0;
  #queued = 0;
  #corked = false;
  #ending = false;
  #closeAfter = false;
  #writerRunnable: Runnable | null = null;

  constructor(backend: EpollBackend, sock: FdSocket) {
    this.#backend = backend;
    this.handle = sock;
    this.#fd = sock.fileno();
  }

  get readable(): boolean {
    return true;
  }

  get destroyed(): boolean {
    return this.#closed;
  }

  setHooks(hooks: SocketHooks): void {
    this.#hooks = hooks;
  }

  setReader(r: Runnable | null): void {
    if (!this.#closed) this.#backend.setReader(this.#fd, r);
  }

  readChunk(): Uint8Array | null {
    if (this.#closed || this.#eof || this.#error !== undefined) return null;
    if (this.#drained) {
      this.#drained = false;
      return null;
    }
    const b = this.#backend;
    let slab = b.slab;
    let at = b.slabUsed;
    if (slab.length - at < RECV_SIZE) {
      slab = b.slab = Buffer.allocUnsafeSlow(RECV_SLAB_SIZE);
      at = b.slabUsed = 0;
    }
    const n = b.native.recv(this.#fd, slab, at, RECV_SIZE);
    if (n > 0) {
      b.slabUsed = (at + n + 7) & ~7; // the next read starts 8-byte aligned
      if (n < RECV_SIZE) this.#drained = true;
      return slab.subarray(at, at + n);
    }
    if (n === 0) this.#eof = true;
    else if (n !== -E.AGAIN && n !== -E.INTR) this.#error = errnoError(n, "recv");
    return null;
  }

  error(): unknown {
    return this.#error;
  }

  eofReceived(): boolean {
    return this.#eof;
  }

  consumeEof(): void {
    // Nothing to do: the kernel keeps the connection half-open until both sides are done.
  }

  write(bytes: Uint8Array): void {
    if (this.#closed || bytes.length === 0) return;
    if (this.#queued === 0 && !this.#corked) {
      const n = this.#backend.native.send(this.#fd, bytes, 0, bytes.length);
      if (n === bytes.length) return;
      if (n < 0 && n !== -E.AGAIN && n !== -E.INTR) {
        this.#fail(errnoError(n, "send"));
        return;
      }
      this.#queue.push(bytes);
      this.#offset = Math.max(n, 0);
      this.#queued = bytes.length - this.#offset;
      this.#watchWritable();
      return;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length;
  }

  cork(): void {
    this.#corked = true;
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    if (this.#queued > 0) this.#flush();
  }

  bufferSize(): number {
    return this.#queued;
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    if (this.#queued === 0) this.#shutdownWrite();
  }

  nothingToFlush(): boolean {
    return this.#queued === 0;
  }

  closeAfterFlush(): void {
    if (this.#closed) return;
    if (this.#queued === 0) this.destroy();
    else this.#closeAfter = true;
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    this.handle.close();
    this.#hooks?.onClosed();
  }

  setNoDelay(): void {
    if (this.handle.family !== 1 && !this.#closed) this.#backend.native.setNoDelay(this.#fd, true);
  }

  peer(): SocketAddress | null {
    const a = this.handle.getpeername();
    return a !== null && "host" in a ? a : null;
  }

  local(): SocketAddress | null {
    const a = this.handle.getsockname();
    return a !== null && "host" in a ? a : null;
  }

  #watchWritable(): void {
    if (this.#writerRunnable === null) this.#writerRunnable = { _run: () => this.#flush() };
    this.#backend.setWriter(this.#fd, this.#writerRunnable);
  }

  /** The fd is writable (or uncork): send what is queued, as much as the kernel takes. */
  #flush(): void {
    if (this.#closed || this.#queued === 0) return;
    const q = this.#queue;
    const n = this.#backend.native.sendv(this.#fd, q, Math.min(q.length, MAX_IOV), this.#offset);
    if (n < 0) {
      if (n !== -E.AGAIN && n !== -E.INTR) this.#fail(errnoError(n, "send"));
      else this.#watchWritable();
      return;
    }
    let left = n;
    this.#queued -= n;
    while (left > 0) {
      const rest = q[0]!.length - this.#offset;
      if (left >= rest) {
        left -= rest;
        q.shift();
        this.#offset = 0;
      } else {
        this.#offset += left;
        left = 0;
      }
    }
    if (this.#queued > 0) {
      this.#watchWritable();
      this.#hooks?.onFlushed();
      return;
    }
    this.#backend.setWriter(this.#fd, null);
    this.#hooks?.onFlushed();
    if (this.#closeAfter) this.destroy();
    else if (this.#ending) this.#shutdownWrite();
  }

  #shutdownWrite(): void {
    const rc = this.#backend.native.shutdown(this.#fd, SHUT_WR);
    if (rc < 0 && rc !== -E.NOTCONN) this.#fail(errnoError(rc, "shutdown"));
  }

  /** A write failed: keep the error (the transport reports it), close the fd. */
  #fail(err: Error): void {
    if (this.#error === undefined) this.#error = err;
    this.destroy();
  }
}

/** A listening socket as a Server drives it. */
export class FdListener implements ListenerOps<FdSocket> {
  readonly handle: FdSocket;
  readonly #backend: EpollBackend;
  readonly #address: Address | null;
  #error: Error | undefined = undefined;

  constructor(backend: EpollBackend, sock: FdSocket) {
    this.#backend = backend;
    this.handle = sock;
    const a = sock.getsockname();
    this.#address = a === null ? null : "path" in a ? a : { host: a.host, port: a.port };
  }

  setAcceptor(r: Runnable | null): void {
    const fd = this.handle.fileno();
    if (fd >= 0) this.#backend.setReader(fd, r);
  }

  accept(): FdSocketOps | null {
    const lfd = this.handle.fileno();
    if (lfd < 0) return null;
    const a = this.#backend.native;
    const fd = a.accept(lfd);
    if (fd < 0) {
      if (fd !== -E.AGAIN && fd !== -E.INTR) this.#error = errnoError(fd, "accept");
      return null;
    }
    const family = this.handle.family;
    if (family !== 1) a.setNoDelay(fd, true); // asyncio disables Nagle on every TCP connection
    return new FdSocketOps(this.#backend, new FdSocket(this.#backend, fd, family));
  }

  takeError(): unknown {
    const e = this.#error;
    this.#error = undefined;
    return e;
  }

  /** Close the listening fd; a Unix socket's file is removed (as Node and asyncio 3.13 do). */
  close(): void {
    this.handle.close();
    const a = this.#address;
    if (a !== null && "path" in a) {
      try {
        unlinkSync(a.path);
      } catch {
        // Removed already: nothing to clean up.
      }
    }
  }

  address(): Address | null {
    return this.#address;
  }
}
