/**
 * SelectorLoop: a TimerLoop with I/O. Readiness callbacks over Node sockets (`addReader`,
 * `addWriter`), the `sock*` coroutines built on them, name resolution and signal handlers; the
 * transports, servers, streams and subprocesses of this package all run on it.
 *
 * HOW: the loop's backend (SelectorBackend) owns a NodeSocketSelector. A registration keeps
 * asyncio's pair of callbacks per object (registrations.ts fills and empties the slots); when
 * the selector reports the object ready, the backend queues them behind the callbacks already
 * ready in this iteration:
 *
 *   addReader(sock, cb) ─► selector.register(sock, READ, {reader: IOHandle(cb), writer})
 *   sockRecv(sock, n):  try sock.read() ─ data? ─► return it
 *                          │ null (would block)
 *                          ▼
 *                       addReader(sock, retry) ─► yield* fut ─► removeReader (finally: also
 *                                                               on cancel)
 *
 * Everything that waits is a coroutine (`yield* loop.sockRecv(...)`); `add*`/`remove*` are
 * plain calls. Only host-driven runs work (`run`, `runUntilComplete`): Node delivers socket
 * events only when the thread returns to Node, so `runSync` throws a clear error.
 *
 * Costs: add/remove O(1); a sock* call that does not have to wait allocates nothing but its
 * result; one that waits costs a future and one registration.
 */

import type { Server as NetServer, Socket } from "node:net";
import {
  type Awaitable,
  type Coro,
  type Future,
  InvalidStateError,
  LoopClosedError,
  getRunningLoop,
} from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";
import {
  type Address,
  BrokenPipeError,
  ConcurrentReadError,
  EMPTY_BYTES,
  IOHandle,
  NotSelectorLoopError,
  OSError,
  type ProtocolFactory,
  type ProtocolLike,
  type Server,
  type ServerOptions,
  type SocketAddress,
  type Transport,
  type TransportHost,
  checkAddress,
  describeAddress,
  isUnixAddress,
  peerAddress,
  serverArgs,
  toBytes,
  toOSError,
  type AddrInfo,
  type GetaddrinfoOptions,
  resolveAddresses,
} from "@aioloop/transports";
import { connectTo } from "./connect.js";
import { listenOn } from "./node-socket-ops.js";
import { Registrations } from "./registrations.js";
import { type Closeable, SelectorBackend } from "./selector-backend.js";
import {
  EVENT_READ,
  EVENT_WRITE,
  type Selectable,
  type Watch,
  eofReceived,
  errorOf,
  firstChunkLength,
  watchOf,
} from "./selector.js";
import { SignalHandlers } from "./signals.js";

/** Options of `new SelectorLoop()`. */
export interface SelectorLoopOptions {
  /** Debug mode: report slow callbacks (see `slowCallbackDuration`). */
  debug?: boolean;
}

function checkSize(n: unknown, where: string): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${where}: the size must be a non-negative integer, got ${String(n)}`);
  }
}

/**
 * Up to `n` bytes Node has already received on `sock`; EMPTY_BYTES at EOF (or after a local
 * close); null when none are there yet (would block); throws the socket's error once the
 * bytes received before it are consumed.
 */
function tryRecv(w: Watch, n: number): Uint8Array | null {
  const sock = w.obj as Socket;
  const first = firstChunkLength(sock);
  if (first > 0) {
    // At most the oldest chunk: a partial read, as recv(2) gives, with no copying.
    const b = sock.read(Math.min(first, n)) as Uint8Array | null;
    if (b !== null) return b; // Node's own Buffer (a Uint8Array): no copy, no extra view
  }
  const err = errorOf(w);
  if (err !== undefined) throw toOSError(err, "recv");
  if (eofReceived(sock)) {
    sock.read(); // let Node see the buffer drained at EOF (it then emits 'end')
    return EMPTY_BYTES;
  }
  if (sock.destroyed) return EMPTY_BYTES;
  return null;
}

/**
 * The event loop of this package (asyncio's `SelectorEventLoop`): a TimerLoop (real clock) with
 * socket readiness, transports, servers, streams, signals and subprocesses. `run(main)` makes
 * and closes one for you; make one yourself to keep it across several runs. Only host-driven
 * runs work (`runUntilComplete`, `runForever`): `runSync` throws InvalidStateError.
 * @example
 * import { openConnection, SelectorLoop } from "@aioloop/selector-loop";
 * const loop = new SelectorLoop();
 * try {
 *   const line = await loop.runUntilComplete((function* () {
 *     const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 *     writer.write("ping\n");
 *     const reply = yield* reader.readline();
 *     writer.close();
 *     yield* writer.waitClosed();
 *     return new TextDecoder().decode(reply);
 *   })());
 *   console.log(line);
 * } finally {
 *   loop.close(); // closes whatever the run left open
 * }
 */
export class SelectorLoop extends TimerLoop {
  /** @internal */ readonly _io: SelectorBackend;
  /** @internal The reader/writer slots of `_io.selector` (transports and servers use them). */
  readonly _regs: Registrations;
  /** @internal What the shared transports and servers hold of this loop. */
  readonly _host: TransportHost;
  readonly #signals: SignalHandlers;

  constructor(opts: SelectorLoopOptions = {}) {
    const io = new SelectorBackend();
    super({ clock: "real", backend: io, ...(opts.debug === true ? { debug: true } : {}) });
    this._io = io;
    this._regs = new Registrations(io.selector);
    this._host = { loop: this, track: (c) => io.track(c), untrack: (c) => io.untrack(c) };
    this.#signals = new SignalHandlers(this);
  }

  /**
   * Not available: always throws InvalidStateError. Node delivers socket events only when the
   * thread returns to Node, which a synchronous run never does; use
   * `await loop.runUntilComplete(main())` or `await run(main)`.
   */
  override runSync<T>(_aw: Awaitable<T>): T {
    throw new InvalidStateError(
      "SelectorLoop cannot runSync(): Node delivers socket events only when the thread returns to " +
        "Node's event loop, which runSync never does. Use `await loop.runUntilComplete(main())` or " +
        "`await run(main)` from @aioloop/selector-loop.",
    );
  }

  /**
   * Close the loop (asyncio's `loop.close()`): remove its signal handlers, drop pending
   * callbacks and timers, close every transport and server it still holds, destroy every
   * socket still registered, and SIGKILL child processes still running. Idempotent; throws
   * LoopRunningError (from @aioloop/core) while the loop runs: stop it first.
   */
  override close(): void {
    if (!this.isClosed() && !this.isRunning()) this.#signals.close();
    super.close();
  }

  // ── readiness callbacks ─────────────────────────────────────────────────────────────────

  /**
   * Call `cb(...args)` whenever `sock` is readable (data, EOF or an error waits), until
   * `removeReader(sock)`: asyncio's `loop.add_reader`. Level-triggered: the callback runs
   * again each iteration until it consumes what is there. Pass a `net.Server` to be called
   * when a connection waits to be accepted. Replaces a reader already registered for `sock`.
   * Throws SocketInUseError when a transport or server drives `sock`, TypeError when `cb` is
   * not a function, LoopClosedError once the loop is closed.
   * @example
   * loop.addReader(sock, () => {
   *   const b: Buffer | null = sock.read();
   *   if (b !== null) console.log("got", b.length, "bytes");
   *   else if (eofReceived(sock) || sock.destroyed) loop.removeReader(sock); // peer done
   * });
   */
  addReader<A extends unknown[]>(sock: Selectable, cb: (...args: A) => void, ...args: A): void {
    this.#checkOpen();
    if (typeof cb !== "function") throw new TypeError("addReader needs a callback function");
    this._regs.checkUserOwned(sock, "addReader");
    this._regs.set(sock, EVENT_READ, new IOHandle(cb, args, this));
  }

  /**
   * Stop watching `sock` for reading (asyncio's `loop.remove_reader`); false when no reader
   * was registered. Throws SocketInUseError when a transport or server drives `sock`.
   */
  removeReader(sock: Selectable): boolean {
    this._regs.checkUserOwned(sock, "removeReader");
    return this._regs.clear(sock, EVENT_READ);
  }

  /**
   * Call `cb(...args)` whenever `sock` is writable (connected, and Node's write buffer under
   * its high-water mark), until `removeWriter(sock)`: asyncio's `loop.add_writer`. Replaces a
   * writer already registered. Throws as addReader does.
   */
  addWriter<A extends unknown[]>(sock: Socket, cb: (...args: A) => void, ...args: A): void {
    this.#checkOpen();
    if (typeof cb !== "function") throw new TypeError("addWriter needs a callback function");
    this._regs.checkUserOwned(sock, "addWriter");
    this._regs.set(sock, EVENT_WRITE, new IOHandle(cb, args, this));
  }

  /**
   * Stop watching `sock` for writing (asyncio's `loop.remove_writer`); false when no writer
   * was registered. Throws SocketInUseError when a transport drives `sock`.
   */
  removeWriter(sock: Socket): boolean {
    this._regs.checkUserOwned(sock, "removeWriter");
    return this._regs.clear(sock, EVENT_WRITE);
  }

  /** LoopClosedError once the loop is closed (what core's own calls throw then). */
  #checkOpen(): void {
    if (this.isClosed()) {
      throw new LoopClosedError("the event loop is closed: create a new loop (or use run())");
    }
  }

  /** @internal Close `r` with the loop unless it is released first (`_untrack`). */
  _track(r: Closeable): void {
    this._io.track(r);
  }

  /** @internal */
  _untrack(r: Closeable): void {
    this._io.untrack(r);
  }

  // ── socket operations ───────────────────────────────────────────────────────────────────

  /**
   * Receive up to `n` bytes from `sock` (asyncio's `loop.sock_recv`): waits until at least one
   * byte (or EOF) is there; returns an empty array at EOF. Throws the socket's error (e.g.
   * ConnectionResetError) once the bytes received before it have been returned,
   * ConcurrentReadError when another reader (a transport, addReader, another sockRecv) is
   * registered for `sock`, RangeError when `n` is not a non-negative integer.
   * @example
   * const data = yield* loop.sockRecv(sock, 65536);
   * if (data.length === 0) return; // peer closed
   */
  *sockRecv(sock: Socket, n: number): Coro<Uint8Array> {
    checkSize(n, "sockRecv");
    const w = this.#readableWatch(sock, "sockRecv");
    if (n === 0) return EMPTY_BYTES;
    const now = tryRecv(w, n);
    if (now !== null) return now;
    const fut = this.createFuture<Uint8Array>();
    this._regs.set(sock, EVENT_READ, new IOHandle(recvReady, [fut, w, n], this));
    try {
      return yield* fut;
    } finally {
      this._regs.clear(sock, EVENT_READ);
    }
  }

  /**
   * Receive into `buf`, up to `buf.length` bytes (asyncio's `loop.sock_recv_into`); returns how
   * many bytes were written (0 at EOF). Throws as sockRecv does.
   */
  *sockRecvInto(sock: Socket, buf: Uint8Array): Coro<number> {
    if (!(buf instanceof Uint8Array)) {
      throw new TypeError("sockRecvInto needs a Uint8Array (or Buffer) to receive into");
    }
    const data = yield* this.sockRecv(sock, buf.length);
    buf.set(data);
    return data.length;
  }

  /**
   * Send all of `data` (bytes, or a string sent as UTF-8) on `sock` (asyncio's
   * `loop.sock_sendall`): hands it to Node and waits while Node's write buffer is over its
   * high-water mark (the socket is not writable), so a fast sender is held back. Throws
   * BrokenPipeError when the socket is closed or its write side shut down, and the socket's
   * error (e.g. ConnectionResetError) when it failed.
   * @example
   * yield* loop.sockSendall(sock, "GET / HTTP/1.0\r\n\r\n");
   */
  *sockSendall(sock: Socket, data: Uint8Array | string): Coro<void> {
    const bytes = toBytes(data, "sockSendall");
    const w = watchOf(sock);
    checkWritable(w, "sockSendall");
    if (bytes.length === 0) return;
    if (!writableNow(sock)) yield* this.#waitWritable(w);
    checkWritable(w, "sockSendall");
    sock.write(bytes);
    if (sock.writableNeedDrain) yield* this.#waitWritable(w);
  }

  /**
   * Connect `sock` (a new `net.Socket()`) to `address` and wait until connected (asyncio's
   * `loop.sock_connect`). Throws ConnectionRefusedError when nobody listens there, GaiError
   * when the host name does not resolve, OSError when `sock` is connected already, TypeError
   * for a malformed address.
   * @example
   * const sock = new net.Socket();
   * yield* loop.sockConnect(sock, { host: "127.0.0.1", port: 8888 });
   */
  *sockConnect(sock: Socket, address: Address): Coro<void> {
    checkAddress(address, "sockConnect");
    const w = watchOf(sock);
    if (!sock.pending) {
      throw new OSError("sockConnect: this socket is connected already: use a new net.Socket()");
    }
    if (isUnixAddress(address)) sock.connect({ path: address.path });
    else sock.connect({ host: address.host, port: address.port });
    const fut = this.createFuture<void>();
    this._regs.set(sock, EVENT_WRITE, new IOHandle(connectReady, [fut, w, address], this));
    try {
      yield* fut;
    } finally {
      this._regs.clear(sock, EVENT_WRITE);
    }
  }

  /**
   * Accept the next connection of a listening `server` (asyncio's `loop.sock_accept`):
   * `[socket, peer address]`. The socket is paused (nothing is read until you ask). Call
   * `watch(server)` before `server.listen()` so no connection arriving before the first
   * sockAccept is missed. Throws ConcurrentReadError when another reader is registered for the
   * server, OSError when it is not listening, TypeError when it is not a `net.Server`.
   */
  *sockAccept(server: NetServer): Coro<[Socket, SocketAddress | null]> {
    const w = watchOf(server);
    if (!w.isServer) throw new TypeError("sockAccept needs a listening net.Server");
    if (this._regs.has(server, EVENT_READ)) {
      throw new ConcurrentReadError(
        "sockAccept: another reader is registered for this server (a Server from createServer, addReader or another sockAccept): accept in one place",
      );
    }
    const now = takeConnection(w);
    if (now !== null) return now;
    const fut = this.createFuture<[Socket, SocketAddress | null]>();
    this._regs.set(server, EVENT_READ, new IOHandle(acceptReady, [fut, w], this));
    try {
      return yield* fut;
    } finally {
      this._regs.clear(server, EVENT_READ);
    }
  }

  /**
   * Resolve `host` to addresses (asyncio's `loop.getaddrinfo`; Node's dns.lookup, i.e.
   * getaddrinfo(3), run off the loop). Throws GaiError when the name does not resolve,
   * RangeError when `port` is not a non-negative integer.
   * @example
   * const [first] = yield* loop.getaddrinfo("localhost", 80);
   */
  getaddrinfo(host: string, port: number, opts: GetaddrinfoOptions = {}): Coro<AddrInfo[]> {
    return resolveAddresses(this, host, port, opts);
  }

  // ── transports and servers ──────────────────────────────────────────────────────────────

  /**
   * Open a TCP connection running `protocolFactory()` (asyncio's `loop.create_connection`);
   * returns `[transport, protocol]`. See the free function createConnection.
   */
  createConnection<P extends ProtocolLike>(
    protocolFactory: ProtocolFactory<P>,
    host: string,
    port: number,
  ): Coro<[Transport, P]> {
    return connectTo(this, protocolFactory, { host, port });
  }

  /** As createConnection, over a Unix domain socket (`loop.create_unix_connection`). */
  createUnixConnection<P extends ProtocolLike>(
    protocolFactory: ProtocolFactory<P>,
    path: string,
  ): Coro<[Transport, P]> {
    return connectTo(this, protocolFactory, { path });
  }

  /**
   * Listen on `{ host, port }` or `{ path }` (or `host, port` given apart), one
   * `protocolFactory()` per connection (asyncio's `loop.create_server`); see the free function
   * createServer.
   */
  createServer(
    protocolFactory: ProtocolFactory,
    address: Address,
    opts?: ServerOptions,
  ): Coro<Server>;
  /** The positional form: `loop.createServer(factory, "127.0.0.1", 8888, opts?)`. */
  createServer(
    protocolFactory: ProtocolFactory,
    host?: string,
    port?: number,
    opts?: ServerOptions,
  ): Coro<Server>;
  createServer(
    protocolFactory: ProtocolFactory,
    addressOrHost?: Address | string,
    portOrOpts?: number | ServerOptions,
    opts?: ServerOptions,
  ): Coro<Server> {
    return listenOn(
      this,
      protocolFactory,
      ...serverArgs("createServer", addressOrHost, portOrOpts, opts),
    );
  }

  /** As createServer, on a Unix domain socket path (`loop.create_unix_server`). */
  createUnixServer(
    protocolFactory: ProtocolFactory,
    path: string,
    opts: ServerOptions = {},
  ): Coro<Server> {
    return listenOn(this, protocolFactory, { path }, opts);
  }

  // ── signals ─────────────────────────────────────────────────────────────────────────────

  /**
   * Call `cb(...args)` on the loop whenever the process receives `signal` (e.g. "SIGTERM"), as
   * asyncio's `loop.add_signal_handler`: the callback runs as a loop callback, never inside
   * Node's signal delivery. Replaces a handler already set for it; while one is set, Node's
   * default action (e.g. exit on SIGINT) does not happen. Closing the loop removes them all.
   * While a handler is set the process stays alive, so a program that only waits for a signal
   * waits, as in asyncio. Throws RangeError for an unknown signal name and for SIGKILL / SIGSTOP (no process can
   * catch them; asyncio raises RuntimeError), TypeError when `cb` is not a function,
   * LoopClosedError once the loop is closed.
   * @example
   * import { getSelectorLoop, run, startServer } from "@aioloop/selector-loop";
   * await run(function* () {
   *   const loop = getSelectorLoop("main");
   *   const server = yield* startServer(function* (reader, writer) {
   *     writer.write(yield* reader.readline());
   *     writer.close();
   *   }, { host: "127.0.0.1", port: 8888 });
   *   const stop = loop.createFuture<void>();
   *   loop.addSignalHandler("SIGTERM", () => {
   *     if (!stop.done()) stop.setResult(undefined);
   *   });
   *   yield* stop; // serve until `kill <pid>`, then shut down cleanly
   *   loop.removeSignalHandler("SIGTERM");
   *   server.close();
   *   yield* server.waitClosed();
   * });
   */
  addSignalHandler<A extends unknown[]>(
    signal: NodeJS.Signals,
    cb: (...args: A) => void,
    ...args: A
  ): void {
    this.#checkOpen();
    this.#signals.add(signal, cb, args);
  }

  /**
   * Remove the handler for `signal` (asyncio's `loop.remove_signal_handler`), restoring Node's
   * default action; false when none was set.
   */
  removeSignalHandler(signal: NodeJS.Signals): boolean {
    return this.#signals.remove(signal);
  }

  #readableWatch(sock: Socket, where: string): Watch {
    const w = watchOf(sock);
    if (w.isServer) throw new TypeError(`${where} needs a net.Socket, got a net.Server`);
    if (this._regs.has(sock, EVENT_READ)) {
      throw new ConcurrentReadError(
        `${where}: another reader is registered for this socket (a transport, addReader or another ${where}): read it from one place`,
      );
    }
    return w;
  }

  *#waitWritable(w: Watch): Coro<void> {
    const sock = w.obj as Socket;
    const fut = this.createFuture<void>();
    this._regs.set(sock, EVENT_WRITE, new IOHandle(writeReady, [fut, w], this));
    try {
      yield* fut;
    } finally {
      this._regs.clear(sock, EVENT_WRITE);
    }
  }
}

function writableNow(sock: Socket): boolean {
  return !sock.pending && !sock.writableNeedDrain;
}

function checkWritable(w: Watch, where: string): void {
  const err = errorOf(w);
  if (err !== undefined) throw toOSError(err, where);
  const sock = w.obj as Socket;
  if (sock.destroyed || sock.writableEnded) {
    throw new BrokenPipeError(
      `${where}: the socket is closed (or its write side was shut down): nothing more can be sent`,
    );
  }
}

function recvReady(fut: Future<Uint8Array>, w: Watch, n: number): void {
  if (fut.done()) return;
  try {
    const data = tryRecv(w, n);
    if (data !== null) fut.setResult(data);
  } catch (e) {
    fut.setException(e);
  }
}

function writeReady(fut: Future<void>, w: Watch): void {
  if (fut.done()) return;
  try {
    checkWritable(w, "send");
    fut.setResult(undefined);
  } catch (e) {
    fut.setException(e);
  }
}

function connectReady(fut: Future<void>, w: Watch, address: Address): void {
  if (fut.done()) return;
  const sock = w.obj as Socket;
  const err = errorOf(w);
  if (err !== undefined) {
    fut.setException(toOSError(err, `connect to ${describeAddress(address)}`));
  } else if (sock.destroyed) {
    fut.setException(new OSError(`connect to ${describeAddress(address)}: the socket was closed`));
  } else if (!sock.pending) {
    fut.setResult(undefined);
  }
}

function takeConnection(w: Watch): [Socket, SocketAddress | null] | null {
  const sock = w.backlog.shift();
  if (sock !== undefined) return [sock, peerAddress(sock)];
  const err = errorOf(w);
  if (err !== undefined) throw toOSError(err, "accept");
  if (w.closed || !(w.obj as NetServer).listening) {
    throw new OSError("accept: the server is not listening (closed, or listen() not called yet)");
  }
  return null;
}

function acceptReady(fut: Future<[Socket, SocketAddress | null]>, w: Watch): void {
  if (fut.done()) return;
  try {
    const got = takeConnection(w);
    if (got !== null) fut.setResult(got);
  } catch (e) {
    fut.setException(e);
  }
}

/**
 * The running loop as a SelectorLoop (asyncio's `get_running_loop()`, typed for I/O); `where`
 * names the caller in the error message. Throws NoRunningLoopError (from @aioloop/core) when no
 * loop runs, NotSelectorLoopError (saying what to do) when another kind of loop runs.
 * @example
 * function* resolve(host: string): Coro<string[]> {
 *   const loop = getSelectorLoop("resolve");
 *   return (yield* loop.getaddrinfo(host, 0)).map((a) => a.host);
 * }
 */
export function getSelectorLoop(where: string): SelectorLoop {
  const loop = getRunningLoop();
  if (!(loop instanceof SelectorLoop)) {
    throw new NotSelectorLoopError(
      `${where} needs a SelectorLoop, but the running loop is a ${loop.constructor.name}: ` +
        "run the program with run() from @aioloop/selector-loop (or new SelectorLoop())",
    );
  }
  return loop;
}
