/**
 * EpollLoop: asyncio's SelectorEventLoop over epoll, for Linux. A TimerLoop (real clock) whose
 * backend is an epoll set driven by a small native addon: asyncio's fd-level readiness API
 * (`addReader`, `addWriter`, `sockRecv`, `sockSendall`, `sockAccept`, `sockConnect` on raw file
 * descriptors), and the transports, protocols, streams and servers of @aioloop/transports over
 * non-blocking sockets, without Node's socket layer in between.
 *
 * HOW:
 *
 *   addReader(fd, cb) ─► backend.setReader(fd, IOHandle(cb)) ─► epoll_ctl(EPOLLIN)
 *   sockRecv(fd, n):  recv(2) ─ bytes? ─► return them
 *                        │ EAGAIN
 *                        ▼
 *                     reader = retry ─► yield* fut ─► reader removed (finally: also on cancel)
 *   createConnection: socket + connect(2) ─ EINPROGRESS ─► wait writable ─► SO_ERROR ─►
 *                     SocketTransport(FdSocketOps(fd), protocol)
 *   createServer:     socket + bind + listen ─► Server([FdListener]) ─► accept4 per connection
 *
 * Both run modes work: `runSync` blocks in epoll_wait, `run` / `runUntilComplete` park in
 * Node's loop (a uv_poll on the epoll fd), so Node's own I/O and Promises run beside it.
 *
 * Where the addon is missing (not Linux, no compiler at install), `new EpollLoop()` throws
 * EpollUnavailableError, saying to use SelectorLoop from @aioloop/selector-loop.
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  type Coro,
  type Future,
  LoopClosedError,
  type Runnable,
  fromPromise,
  getRunningLoop,
} from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";
import {
  type Address,
  ConcurrentReadError,
  EMPTY_BYTES,
  IOHandle,
  NotSelectorLoopError,
  type ProtocolFactory,
  type ProtocolLike,
  Server,
  type ServerOptions,
  type SocketAddress,
  SocketInUseError,
  SocketTransport,
  type Transport,
  type TransportHost,
  checkAddress,
  describeAddress,
  isUnixAddress,
  listenBacklog,
  normalAddress,
  serverArgs,
  toBytes,
  toOSError,
  type AddrInfo,
  type GetaddrinfoOptions,
  resolveAddresses,
} from "@aioloop/transports";
import { EpollBackend } from "./epoll-backend.js";
import { FdListener, type FdFamily, FdSocket, FdSocketOps } from "./fd-socket.js";
import { E, errnoError } from "./native.js";

/** Options of `new EpollLoop()`. */
export interface EpollLoopOptions {
  /** Debug mode: report slow callbacks (see `slowCallbackDuration`). */
  debug?: boolean;
}

/** A file descriptor, or the FdSocket that holds it. */
export type FdLike = number | FdSocket;

function fdOf(s: FdLike, where: string): number {
  const fd = typeof s === "number" ? s : s instanceof FdSocket ? s.fileno() : Number.NaN;
  if (!Number.isInteger(fd) || fd < 0) {
    throw new TypeError(`${where} needs an open file descriptor (or FdSocket), got ${String(s)}`);
  }
  return fd;
}

function checkSize(n: unknown, where: string): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${where}: the size must be a non-negative integer, got ${String(n)}`);
  }
}

/**
 * The epoll event loop (asyncio's SelectorEventLoop with an EpollSelector): both run modes,
 * raw-fd readiness and socket calls, and the transports, servers and streams of
 * @aioloop/transports. `run(main)` makes and closes one for you.
 * @example
 * import { openConnection } from "@aioloop/transports";
 * import { EpollLoop } from "@aioloop/epoll-loop";
 * const loop = new EpollLoop();
 * try {
 *   await loop.runUntilComplete((function* () {
 *     const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 *     writer.write("ping\n");
 *     console.log(new TextDecoder().decode(yield* reader.readline()));
 *     writer.close();
 *     yield* writer.waitClosed();
 *   })());
 * } finally {
 *   loop.close(); // closes whatever the run left open
 * }
 */
export class EpollLoop extends TimerLoop {
  readonly #io: EpollBackend;
  readonly #host: TransportHost;

  /** A new loop; throws EpollUnavailableError where the native addon is missing. */
  constructor(opts: EpollLoopOptions = {}) {
    const io = new EpollBackend();
    super({ clock: "real", backend: io, ...(opts.debug === true ? { debug: true } : {}) });
    this.#io = io;
    this.#host = { loop: this, track: (c) => io.track(c), untrack: (c) => io.untrack(c) };
  }

  /** A new non-blocking stream socket (4: IPv4, 6: IPv6, 1: Unix) for the fd-level API. */
  socket(family: FdFamily = 4): FdSocket {
    this.#checkOpen();
    return FdSocket.create(family, this.#io);
  }

  // ── readiness callbacks ─────────────────────────────────────────────────────────────────

  /**
   * Call `cb(...args)` whenever `fd` is readable (data, EOF, an error or a connection to
   * accept waits), until `removeReader(fd)`: asyncio's `loop.add_reader`. Level-triggered.
   * Replaces a reader already registered. Throws SocketInUseError when a transport or server
   * drives `fd`, TypeError for a bad fd or callback, LoopClosedError once closed.
   * @example
   * loop.addReader(sock.fileno(), () => console.log("readable"));
   */
  addReader<A extends unknown[]>(fd: FdLike, cb: (...args: A) => void, ...args: A): void {
    this.#checkOpen();
    if (typeof cb !== "function") throw new TypeError("addReader needs a callback function");
    const n = fdOf(fd, "addReader");
    this.#checkUserOwned(n, "addReader");
    cancelled(this.#io.setReader(n, new IOHandle(cb, args, this)));
  }

  /** Stop watching `fd` for reading (`loop.remove_reader`); false when no reader was set. */
  removeReader(fd: FdLike): boolean {
    const n = fdOf(fd, "removeReader");
    this.#checkUserOwned(n, "removeReader");
    if (this.#io.registration(n)?.reader == null) return false;
    cancelled(this.#io.setReader(n, null));
    return true;
  }

  /**
   * Call `cb(...args)` whenever `fd` is writable, until `removeWriter(fd)`: asyncio's
   * `loop.add_writer`. Throws as addReader does.
   */
  addWriter<A extends unknown[]>(fd: FdLike, cb: (...args: A) => void, ...args: A): void {
    this.#checkOpen();
    if (typeof cb !== "function") throw new TypeError("addWriter needs a callback function");
    const n = fdOf(fd, "addWriter");
    this.#checkUserOwned(n, "addWriter");
    cancelled(this.#io.setWriter(n, new IOHandle(cb, args, this)));
  }

  /** Stop watching `fd` for writing (`loop.remove_writer`); false when no writer was set. */
  removeWriter(fd: FdLike): boolean {
    const n = fdOf(fd, "removeWriter");
    this.#checkUserOwned(n, "removeWriter");
    if (this.#io.registration(n)?.writer == null) return false;
    cancelled(this.#io.setWriter(n, null));
    return true;
  }

  // ── socket operations on file descriptors ───────────────────────────────────────────────

  /**
   * Receive up to `n` bytes from `fd` (asyncio's `loop.sock_recv`): waits until at least one
   * byte (or EOF) is there; an empty array at EOF. Throws the socket's error as a named
   * OSError (ConnectionResetError...), ConcurrentReadError when another reader is registered.
   * @example
   * const data = yield* loop.sockRecv(sock, 65536);
   */
  *sockRecv(fd: FdLike, n: number): Coro<Uint8Array> {
    checkSize(n, "sockRecv");
    const f = this.#readable(fd, "sockRecv");
    if (n === 0) return EMPTY_BYTES;
    const now = this.#tryRecv(f, n);
    if (now !== null) return now;
    const fut = this.createFuture<Uint8Array>();
    const retry = () => {
      if (fut.done()) return;
      try {
        const data = this.#tryRecv(f, n);
        if (data !== null) fut.setResult(data);
      } catch (e) {
        fut.setException(e);
      }
    };
    return yield* this.#waitOn(f, true, retry, fut);
  }

  /**
   * Receive into `buf` (asyncio's `loop.sock_recv_into`); returns how many bytes were written
   * (0 at EOF). Throws as sockRecv does.
   */
  *sockRecvInto(fd: FdLike, buf: Uint8Array): Coro<number> {
    if (!(buf instanceof Uint8Array)) {
      throw new TypeError("sockRecvInto needs a Uint8Array (or Buffer) to receive into");
    }
    const f = this.#readable(fd, "sockRecvInto");
    if (buf.length === 0) return 0;
    const a = this.#io.native;
    const attempt = (): number | null => {
      const got = a.recv(f, buf, 0, buf.length);
      if (got >= 0) return got;
      if (got === -E.AGAIN || got === -E.INTR) return null;
      throw errnoError(got, "recv");
    };
    const now = attempt();
    if (now !== null) return now;
    const fut = this.createFuture<number>();
    const retry = () => {
      if (fut.done()) return;
      try {
        const got = attempt();
        if (got !== null) fut.setResult(got);
      } catch (e) {
        fut.setException(e);
      }
    };
    return yield* this.#waitOn(f, true, retry, fut);
  }

  /**
   * Send all of `data` (bytes, or a string as UTF-8) on `fd` (asyncio's `loop.sock_sendall`),
   * waiting while the kernel's buffer is full. Throws BrokenPipeError (EPIPE) when the peer is
   * gone, ConnectionResetError, or another named OSError.
   * @example
   * yield* loop.sockSendall(sock, "GET / HTTP/1.0\r\n\r\n");
   */
  *sockSendall(fd: FdLike, data: Uint8Array | string): Coro<void> {
    const bytes = toBytes(data, "sockSendall");
    const f = fdOf(fd, "sockSendall");
    const a = this.#io.native;
    let off = 0;
    const attempt = (): boolean => {
      while (off < bytes.length) {
        const n = a.send(f, bytes, off, bytes.length - off);
        if (n === -E.AGAIN || n === -E.INTR) return false;
        if (n < 0) throw errnoError(n, "send");
        off += n;
      }
      return true;
    };
    if (attempt()) return;
    const fut = this.createFuture<void>();
    const retry = () => {
      if (fut.done()) return;
      try {
        if (attempt()) fut.setResult(undefined);
      } catch (e) {
        fut.setException(e);
      }
    };
    yield* this.#waitOn(f, false, retry, fut);
  }

  /**
   * Accept a connection on the listening `fd` (asyncio's `loop.sock_accept`): the new socket
   * (non-blocking) and the peer's address. Throws ConcurrentReadError when another reader is
   * registered, OSError when `fd` is not listening.
   */
  *sockAccept(fd: FdLike): Coro<[FdSocket, SocketAddress | null]> {
    const f = this.#readable(fd, "sockAccept");
    const a = this.#io.native;
    const own = a.getsockname(f);
    const family: FdFamily =
      fd instanceof FdSocket ? fd.family : typeof own === "number" ? 4 : (own[2] as FdFamily);
    const attempt = (): [FdSocket, SocketAddress | null] | null => {
      const c = a.accept(f);
      if (c === -E.AGAIN || c === -E.INTR) return null;
      if (c < 0) throw errnoError(c, "accept");
      const sock = new FdSocket(this.#io, c, family);
      const peer = sock.getpeername();
      return [sock, peer !== null && "host" in peer ? peer : null];
    };
    const now = attempt();
    if (now !== null) return now;
    const fut = this.createFuture<[FdSocket, SocketAddress | null]>();
    const retry = () => {
      if (fut.done()) return;
      try {
        const got = attempt();
        if (got !== null) fut.setResult(got);
      } catch (e) {
        fut.setException(e);
      }
    };
    return yield* this.#waitOn(f, true, retry, fut);
  }

  /**
   * Connect `fd` to `address` (asyncio's `loop.sock_connect`): `{ host, port }` (a name is
   * resolved first) or `{ path }`. Throws ConnectionRefusedError when nobody listens there,
   * GaiError when the name does not resolve, TypeError for a malformed address.
   * @example
   * const sock = loop.socket(4);
   * yield* loop.sockConnect(sock, { host: "127.0.0.1", port: 8888 });
   */
  *sockConnect(fd: FdLike, address: Address): Coro<void> {
    checkAddress(address, "sockConnect");
    const f = fdOf(fd, "sockConnect");
    const a = this.#io.native;
    let rc: number;
    if (isUnixAddress(address)) rc = a.connectUnix(f, address.path);
    else rc = a.connect(f, yield* this.#resolve(address.host), address.port);
    const what = `connect to ${describeAddress(address)}`;
    if (rc === 0) return;
    if (rc !== -E.INPROGRESS && rc !== -E.AGAIN && rc !== -E.INTR) {
      throw errnoError(rc, "connect", what);
    }
    const fut = this.createFuture<void>();
    const done = () => {
      if (fut.done()) return;
      const err = a.soError(f);
      if (err === 0) fut.setResult(undefined);
      else fut.setException(errnoError(err, "connect", what));
    };
    yield* this.#waitOn(f, false, done, fut);
  }

  /**
   * Resolve `host` to addresses (asyncio's `loop.getaddrinfo`; getaddrinfo(3) through Node's
   * dns.lookup, off the loop). Throws GaiError when the name does not resolve, RangeError for a
   * bad port.
   * @example
   * const [first] = yield* loop.getaddrinfo("localhost", 80);
   */
  getaddrinfo(host: string, port: number, opts: GetaddrinfoOptions = {}): Coro<AddrInfo[]> {
    return resolveAddresses(this, host, port, opts);
  }

  // ── transports and servers ──────────────────────────────────────────────────────────────

  /**
   * Open a TCP connection running `protocolFactory()` (asyncio's `loop.create_connection`);
   * returns `[transport, protocol]` once connectionMade has run. Throws as sockConnect does.
   */
  createConnection<P extends ProtocolLike>(
    protocolFactory: ProtocolFactory<P>,
    host: string,
    port: number,
  ): Coro<[Transport, P]> {
    return this.#connect(protocolFactory, { host, port });
  }

  /** As createConnection, over a Unix domain socket (`loop.create_unix_connection`). */
  createUnixConnection<P extends ProtocolLike>(
    protocolFactory: ProtocolFactory<P>,
    path: string,
  ): Coro<[Transport, P]> {
    return this.#connect(protocolFactory, { path });
  }

  /**
   * Listen on `{ host, port }` or `{ path }` (or `host, port` given apart), one
   * `protocolFactory()` per connection (asyncio's `loop.create_server`). A host of "" (or
   * none) listens on every IPv4 interface; a name listens on its first address. Throws
   * AddressInUseError when the address is taken, PermissionError for a privileged port.
   */
  createServer(
    protocolFactory: ProtocolFactory,
    address: Address,
    opts?: ServerOptions,
  ): Coro<Server<FdSocket>>;
  /** The positional form: `loop.createServer(factory, "127.0.0.1", 8888, opts?)`. */
  createServer(
    protocolFactory: ProtocolFactory,
    host?: string,
    port?: number,
    opts?: ServerOptions,
  ): Coro<Server<FdSocket>>;
  createServer(
    protocolFactory: ProtocolFactory,
    addressOrHost?: Address | string,
    portOrOpts?: number | ServerOptions,
    opts?: ServerOptions,
  ): Coro<Server<FdSocket>> {
    const [address, options] = serverArgs("createServer", addressOrHost, portOrOpts, opts);
    return this.#listen(protocolFactory, normalAddress(address), options);
  }

  /** As createServer, on a Unix domain socket path (`loop.create_unix_server`). */
  createUnixServer(
    protocolFactory: ProtocolFactory,
    path: string,
    opts: ServerOptions = {},
  ): Coro<Server<FdSocket>> {
    return this.#listen(protocolFactory, { path }, opts);
  }

  /** How many transports and servers of this loop are open. */
  get openResources(): number {
    return this.#io.openResources;
  }

  *#connect<P extends ProtocolLike>(
    factory: ProtocolFactory<P>,
    address: Address,
  ): Coro<[Transport, P]> {
    if (typeof factory !== "function") {
      throw new TypeError(
        "createConnection needs a protocol factory: a function returning a new protocol",
      );
    }
    checkAddress(address, "createConnection");
    let family: FdFamily = 1;
    let target: Address = address;
    if (!isUnixAddress(address)) {
      const ip = yield* this.#resolve(address.host);
      family = isIP(ip) === 6 ? 6 : 4;
      target = { host: ip, port: address.port };
    }
    const sock = this.socket(family);
    try {
      yield* this.sockConnect(sock, target);
    } catch (e) {
      sock.close();
      throw e;
    }
    const ops = new FdSocketOps(this.#io, sock);
    let transport: SocketTransport | null = null;
    try {
      const protocol = factory();
      const waiter = this.createFuture<void>();
      transport = new SocketTransport(this.#host, ops, protocol, { waiter });
      yield* waiter;
      return [transport, protocol];
    } catch (e) {
      if (transport !== null) transport.abort();
      else ops.destroy();
      throw e;
    }
  }

  *#listen(
    factory: ProtocolFactory,
    address: Address,
    opts: ServerOptions,
  ): Coro<Server<FdSocket>> {
    if (typeof factory !== "function") {
      throw new TypeError("a server needs a protocol factory: a function returning a new protocol");
    }
    checkAddress(address, "createServer");
    const backlog = listenBacklog(opts.backlog);
    let sock: FdSocket;
    if (isUnixAddress(address)) {
      sock = this.socket(1);
      try {
        sock.bind(address);
      } catch (e) {
        sock.close();
        throw e;
      }
    } else {
      const host = address.host === "" ? "0.0.0.0" : yield* this.#resolve(address.host);
      sock = this.socket(isIP(host) === 6 ? 6 : 4);
      try {
        sock.bind({ host, port: address.port });
      } catch (e) {
        sock.close();
        throw e;
      }
    }
    try {
      sock.listen(backlog);
    } catch (e) {
      sock.close();
      throw e;
    }
    const server = new Server(this.#host, [new FdListener(this.#io, sock)], factory, backlog, true);
    if (opts.startServing !== false) server.startServingNow();
    return server;
  }

  /** `host` as a numeric IP: as it is, or resolved (the first address). GaiError otherwise. */
  *#resolve(host: string): Coro<string> {
    if (isIP(host) !== 0) return host;
    try {
      const found = yield* fromPromise(lookup(host), this);
      return found.address;
    } catch (e) {
      throw toOSError(e, `getaddrinfo(${JSON.stringify(host)})`);
    }
  }

  /** The fd of `fd`, checked for a sock* read: no other reader may be registered. */
  #readable(fd: FdLike, where: string): number {
    const f = fdOf(fd, where);
    if (this.#io.registration(f)?.reader != null) {
      throw new ConcurrentReadError(
        `${where}: another reader is registered for this socket (a transport, addReader or another ${where}): read it from one place`,
      );
    }
    return f;
  }

  #tryRecv(fd: number, n: number): Uint8Array | null {
    const b = this.#io;
    const into = n <= b.scratch.length ? b.scratch : Buffer.allocUnsafe(n);
    const got = b.native.recv(fd, into, 0, n);
    if (got === 0) return EMPTY_BYTES;
    if (got > 0) {
      const out = Buffer.allocUnsafe(got);
      into.copy(out, 0, 0, got);
      return out;
    }
    if (got === -E.AGAIN || got === -E.INTR) return null;
    throw errnoError(got, "recv");
  }

  /** Wait for `fut`, with `cb` as `fd`'s reader (or writer) meanwhile; removed however it ends. */
  *#waitOn<T>(fd: number, read: boolean, cb: () => void, fut: Future<T>): Coro<T> {
    const h: Runnable = new IOHandle(cb, [], this);
    if (read) cancelled(this.#io.setReader(fd, h));
    else cancelled(this.#io.setWriter(fd, h));
    try {
      return yield* fut;
    } finally {
      const reg = this.#io.registration(fd);
      if (reg !== undefined) {
        if (read && reg.reader === h) this.#io.setReader(fd, null);
        if (!read && reg.writer === h) this.#io.setWriter(fd, null);
      }
      (h as IOHandle).cancel();
    }
  }

  #checkUserOwned(fd: number, where: string): void {
    const reg = this.#io.registration(fd);
    if (reg === undefined) return;
    const { reader, writer } = reg;
    if (
      (reader !== null && !(reader instanceof IOHandle)) ||
      (writer !== null && !(writer instanceof IOHandle))
    ) {
      throw new SocketInUseError(
        `${where}: this socket is driven by a transport or server: use the transport (pauseReading, write...) instead`,
      );
    }
  }

  #checkOpen(): void {
    if (this.isClosed()) {
      throw new LoopClosedError("the event loop is closed: create a new loop (or use run())");
    }
  }
}

/** A replaced IOHandle does not run again (a transport or server is never cancelled). */
function cancelled(old: Runnable | null): void {
  if (old instanceof IOHandle) old.cancel();
}

/**
 * The running loop as an EpollLoop; `where` names the caller. Throws NoRunningLoopError when no
 * loop runs, NotSelectorLoopError when another kind of loop runs.
 * @example
 * const loop = getEpollLoop("myReader");
 * loop.addReader(fd, onReadable);
 */
export function getEpollLoop(where: string): EpollLoop {
  const loop = getRunningLoop();
  if (!(loop instanceof EpollLoop)) {
    throw new NotSelectorLoopError(
      `${where} needs an EpollLoop, but the running loop is a ${loop.constructor.name}: ` +
        "run the program with run() from @aioloop/epoll-loop (or new EpollLoop())",
    );
  }
  return loop;
}
