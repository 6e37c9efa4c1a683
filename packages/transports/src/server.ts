/**
 * Server: the listening side, as asyncio's `Server` (what createServer and startServer return).
 *
 * HOW: each listening socket is a ListenerOps (socket-ops.ts) of the loop it runs on (a
 * net.Server on SelectorLoop, a listening fd on EpollLoop). "Readable" means a connection
 * waits; the accept callback takes up to ACCEPT_BATCH of them, makes a protocol for each and
 * wraps it in a SocketTransport:
 *
 *   listener readable ─► #acceptAll ─► listener.accept() ─► factory() ─► new SocketTransport
 *
 * Lifecycle (asyncio 3.12+):
 *   close()       stop listening at once (the port is free); connected clients go on
 *   closeClients() / abortClients()   close (flush first) / abort every client transport
 *   waitClosed()  wait until the server is closed AND every client connection is gone
 *   serveForever() serve until cancelled; the cancel closes the server and waits for clients
 *
 * Costs: accepting is O(1) per connection plus the protocol factory; an idle server costs
 * nothing per loop iteration.
 */

import { readFileSync } from "node:fs";
import {
  CancelledError,
  type Coro,
  type EventLoop,
  type Future,
  InvalidStateError,
  coroMethods,
} from "@aioloop/core";
import { type Address, checkAddress, describeAddress } from "./address.js";
import { toOSError } from "./errors.js";
import type { ProtocolFactory, ProtocolLike } from "./protocols.js";
import type { ListenerOps, SocketOps, TransportHost } from "./socket-ops.js";
import { SocketTransport, type TransportOptions } from "./transport.js";

/**
 * The listen backlog when none is given: a burst of thousands of connects fits in the queue
 * while the loop is busy, instead of having its SYNs dropped (each then waits 1 s for the
 * retransmit). Capped by the OS's limit (see `defaultBacklog`).
 */
export const DEFAULT_BACKLOG = 4096;

let somaxconn: number | null | undefined;

/**
 * The OS's cap on listen backlogs (Linux's /proc/sys/net/core/somaxconn), or null when it
 * cannot be read (other systems: they cap silently too). Read once per process.
 */
function osBacklogCap(): number | null {
  if (somaxconn === undefined) {
    try {
      const n = Number.parseInt(readFileSync("/proc/sys/net/core/somaxconn", "utf8"), 10);
      somaxconn = Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      somaxconn = null;
    }
  }
  return somaxconn;
}

/**
 * The backlog a server listens with: `asked` (or DEFAULT_BACKLOG), at most the OS's
 * cap (the kernel would cut it there anyway; this way `statistics().backlog` is what the
 * kernel uses). Throws RangeError unless `asked` is a positive integer.
 */
export function listenBacklog(asked: number | undefined): number {
  if (asked !== undefined && !(Number.isInteger(asked) && asked > 0)) {
    throw new RangeError(`backlog must be a positive integer, got ${String(asked)}`);
  }
  const cap = osBacklogCap();
  const want = asked ?? DEFAULT_BACKLOG;
  return cap === null ? want : Math.min(want, cap);
}

/**
 * Connections one accept callback takes at most (asyncio takes `backlog` per readiness
 * event): the rest wait for the next iteration, so the setup of a burst of connections is
 * spread over iterations and Node gets turns in between to accept more (see
 * SelectorBackend.select).
 */
export const ACCEPT_BATCH = 16;

/** Options when creating a server (createServer, startServer and their Unix variants). */
export interface ServerOptions {
  /**
   * The listen backlog: how many connections the kernel queues before the server takes them
   * (asyncio's `backlog`). Default 4096 (DEFAULT_BACKLOG), so a burst of connects is queued
   * rather than dropped; on Linux it is capped by /proc/sys/net/core/somaxconn (4096 on
   * kernels since 5.4, 128 before), as the kernel caps any backlog. `statistics().backlog`
   * says what the server got. RangeError unless a positive integer.
   */
  backlog?: number;
  /**
   * Start accepting at once (default true, as asyncio's `start_serving`); with false, call
   * `startServing()` or `serveForever()` later.
   */
  startServing?: boolean;
}

/**
 * A listening server, as asyncio's `Server` (what createServer and startServer return).
 * `close()` stops listening; `waitClosed()` also waits for its clients; `serveForever()` serves
 * until its task is cancelled.
 * @example
 * import { run, startServer } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const server = yield* startServer(function* (reader, writer) {
 *     writer.write(yield* reader.readline()); // answer one line, then hang up
 *     writer.close();
 *   }, { host: "127.0.0.1", port: 8888 });
 *   console.log("serving on", server.address()); // { host: "127.0.0.1", port: 8888 }
 *   yield* server.serveForever(); // until cancelled (Ctrl-C): then closes and waits for clients
 * });
 */
export class Server<S = unknown> {
  readonly #host: TransportHost;
  readonly #loop: EventLoop;
  /** Invariant: null once close() was called. */
  #sockets: ListenerOps<S>[] | null;
  readonly #factory: ProtocolFactory;
  /** Invariant: the open transports this server accepted. */
  readonly #clients = new Set<SocketTransport>();
  #serving = false;
  /** waitClosed() waiters; null once the server is closed and its last client is gone. */
  #waiters: Future<void>[] | null = [];
  #serveForeverFut: Future<void> | null = null;
  #accepted = 0;
  readonly #address: Address | null;
  readonly #backlog: number;
  /** What every accepted connection's transport is made with (one object for all). */
  readonly #transportOptions: TransportOptions;

  /**
   * A server over `listeners` on `host`'s loop (loops make these: use createServer or
   * startServer). `noDelaySet`: the listeners' connections have Nagle off already.
   */
  constructor(
    host: TransportHost,
    listeners: ListenerOps<S>[],
    factory: ProtocolFactory,
    backlog: number,
    noDelaySet = true,
  ) {
    this.#host = host;
    this.#loop = host.loop;
    this.#sockets = listeners;
    this.#factory = factory;
    this.#address = listeners.length > 0 ? listeners[0]!.address() : null;
    this.#backlog = backlog;
    this.#transportOptions = { owner: this, noDelaySet };
    host.track(this);
  }

  /** The loop the server runs on (asyncio's `Server.get_loop()`). */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** Whether the server accepts connections now (asyncio's `Server.is_serving()`). */
  isServing(): boolean {
    return this.#serving;
  }

  /**
   * The listening sockets (asyncio's `Server.sockets`): net.Servers on SelectorLoop, FdSockets
   * on EpollLoop; empty once closed.
   */
  get sockets(): readonly S[] {
    return (this.#sockets ?? []).map((l) => l.handle);
  }

  /**
   * Where it listens, in the shape openConnection takes: `{ host, port }` (the real port when
   * 0 was asked for) or `{ path }`; null when it listens nowhere. Stays readable after close.
   */
  address(): Address | null {
    return this.#address;
  }

  /**
   * Start accepting connections (asyncio's `Server.start_serving()`); no-op when serving
   * already or closed.
   */
  *startServing(): Coro<void> {
    this.startServingNow();
    yield;
  }

  /**
   * Accept connections until cancelled (asyncio's `Server.serve_forever()`); the cancellation
   * closes the server and waits until its clients are gone, then propagates (CancelledError).
   * Throws InvalidStateError when another task already serves it or it is closed.
   */
  *serveForever(): Coro<void> {
    if (this.#serveForeverFut !== null) {
      throw new InvalidStateError(
        "serveForever(): this server is already being served by another task",
      );
    }
    if (this.#sockets === null) {
      throw new InvalidStateError("serveForever(): the server is closed: create a new one");
    }
    this.startServingNow();
    const fut = this.#loop.createFuture<void>();
    this.#serveForeverFut = fut;
    try {
      yield* fut;
    } catch (e) {
      if (e instanceof CancelledError) {
        this.close();
        yield* this.waitClosed();
      }
      throw e;
    } finally {
      this.#serveForeverFut = null;
    }
  }

  /**
   * Stop listening (asyncio's `Server.close()`): the port is released at once and connections
   * not yet accepted are dropped; connected clients are left alone. Idempotent.
   */
  close(): void {
    const socks = this.#sockets;
    if (socks === null) return;
    this.#sockets = null;
    this.#serving = false;
    for (const ns of socks) this.#closeListener(ns);
    const fut = this.#serveForeverFut;
    if (fut !== null && !fut.done()) fut.cancel();
    if (this.#clients.size === 0) this.#wakeup();
  }

  /**
   * Close every client transport, each after flushing what it has queued (asyncio 3.13's
   * `Server.close_clients()`).
   */
  closeClients(): void {
    for (const t of [...this.#clients]) t.close();
  }

  /** Abort every client transport, dropping queued bytes (`Server.abort_clients()`). */
  abortClients(): void {
    for (const t of [...this.#clients]) t.abort();
  }

  /**
   * Wait until the server is closed and all its client connections are gone (asyncio 3.12+
   * `Server.wait_closed()`); returns at once when that happened already.
   */
  *waitClosed(): Coro<void> {
    if (this.#waiters === null) return;
    const fut = this.#loop.createFuture<void>();
    this.#waiters.push(fut);
    yield* fut;
  }

  /**
   * Counters: `serving` (accepting now), `clients` (open client connections), `accepted`
   * (connections accepted since it was created) and `backlog` (the listen backlog it asked the
   * kernel for: the `backlog` option or the default, capped by the OS).
   */
  statistics(): Record<string, number | boolean> {
    return {
      serving: this.#serving,
      clients: this.#clients.size,
      accepted: this.#accepted,
      backlog: this.#backlog,
    };
  }

  /** For logs: `<Server 127.0.0.1:8888 serving>` or `... closed>`. */
  toString(): string {
    const a = this.#address;
    return `<Server ${a === null ? "" : describeAddress(a)} ${this.#serving ? "serving" : "closed"}>`;
  }

  /** Start accepting now (what startServing does, without waiting). */
  startServingNow(): void {
    if (this.#serving || this.#sockets === null) return;
    this.#serving = true;
    for (const ns of this.#sockets) ns.setAcceptor({ _run: () => this.#acceptAll(ns) });
  }

  /** A client transport closed (TransportOwner). Not for user code. */
  detach(t: SocketTransport): void {
    this.#clients.delete(t);
    if (this.#clients.size === 0 && this.#sockets === null) this.#wakeup();
  }

  /** The loop is closing (Closeable). Not for user code. */
  forceClose(): void {
    const socks = this.#sockets;
    this.#sockets = null;
    this.#serving = false;
    if (socks !== null) for (const ns of socks) this.#closeListener(ns);
  }

  #closeListener(ns: ListenerOps<S>): void {
    ns.setAcceptor(null);
    ns.close();
  }

  #wakeup(): void {
    const ws = this.#waiters;
    this.#waiters = null;
    if (ws === null) return;
    for (const w of ws) if (!w.done()) w.setResult(undefined);
    this.#host.untrack(this);
  }

  #acceptAll(ns: ListenerOps<S>): void {
    if (!this.#serving) return;
    let sock: SocketOps | null;
    // The rest keep the server readable: they are taken next iteration.
    for (let i = 0; i < ACCEPT_BATCH && (sock = ns.accept()) !== null; i++) this.#accept(sock);
    const err = ns.takeError(); // reported once; the listener keeps listening after it
    if (err !== undefined) {
      this.#loop.callExceptionHandler({
        message: "socket.accept() failed",
        exception: toOSError(err, "accept"),
        server: this,
      });
    }
  }

  #accept(sock: SocketOps): void {
    let protocol: ProtocolLike;
    try {
      protocol = this.#factory();
    } catch (exception) {
      sock.destroy();
      this.#loop.callExceptionHandler({
        message: "the protocol factory of a server failed",
        exception,
        server: this,
      });
      return;
    }
    this.#accepted++;
    this.#clients.add(new SocketTransport(this.#host, sock, protocol, this.#transportOptions));
  }
}

/** Calls into these are resumed from the task's own stack (see coro() in @aioloop/core). */
coroMethods(Server.prototype, "startServing", "serveForever", "waitClosed");

/** Where listenOn listens: an Address, or what createServer's positional form gives. */
export type ListenAddress =
  | Address
  | {
      /** Host to listen on; undefined or "": every interface. */
      host?: string | undefined;
      /** Port; undefined or 0: any free one. */
      port?: number | undefined;
    };

/**
 * createServer's two call forms as `[address, opts]`: `(address, opts?)`, the shape
 * startServer takes, or asyncio's positional `(host?, port?, opts?)`. Throws TypeError for a
 * malformed address or a port next to an address object.
 */
export function serverArgs(
  where: string,
  addressOrHost: Address | string | undefined,
  portOrOpts: number | ServerOptions | undefined,
  opts: ServerOptions | undefined,
): [ListenAddress, ServerOptions] {
  if (typeof addressOrHost === "object" && addressOrHost !== null) {
    checkAddress(addressOrHost, where);
    if (portOrOpts !== undefined && typeof portOrOpts !== "object") {
      throw new TypeError(
        `${where}(factory, address, options): the address object has the port; pass options (or nothing) after it, got ${JSON.stringify(portOrOpts)}`,
      );
    }
    return [addressOrHost, portOrOpts ?? {}];
  }
  if (typeof portOrOpts === "object") {
    throw new TypeError(
      `${where}(factory, host, port, options): pass the port before the options, or the address as one object: ${where}(factory, { host, port }, options)`,
    );
  }
  return [{ host: addressOrHost, port: portOrOpts }, opts ?? {}];
}
