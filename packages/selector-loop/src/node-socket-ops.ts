/**
 * The socket operations (@aioloop/transports' SocketOps and ListenerOps) over Node sockets:
 * what lets the shared SocketTransport and Server run on SelectorLoop, plus `listenOn`, the
 * Node side of createServer.
 *
 * HOW: reads come from Node's buffer of a paused socket (selector.ts's readChunk), readiness
 * from the loop's NodeSocketSelector (Registrations: the reader slot), writes go into Node's
 * own write buffer (its `writableLength` is the transport's buffer size, its write callback
 * the flush hook), and Node's 'close' event reaches the transport through the socket's Watch.
 * A listener is a `net.Server` created with `pauseOnConnect`, whose accepted connections wait
 * in the Watch's backlog until the Server takes them.
 *
 * Costs: one NodeSocketOps per connection (a few fields); nothing per read or write beyond
 * what Node itself does.
 */

import type { Server as NetServer, Socket } from "node:net";
import net from "node:net";
import { type Coro, type Runnable, fromPromise } from "@aioloop/core";
import {
  type Address,
  type ListenAddress,
  type ListenerOps,
  type ProtocolFactory,
  SOCKET_READ_HIGH_WATER,
  Server,
  type ServerOptions,
  type SocketAddress,
  type SocketHooks,
  type SocketOps,
  checkAddress,
  isUnixAddress,
  listenBacklog,
  normalAddress,
  localAddress,
  peerAddress,
  serverAddress,
  toOSError,
} from "@aioloop/transports";
import type { Registrations } from "./registrations.js";
import type { SelectorLoop } from "./selector-loop.js";
import { EVENT_READ, type Watch, eofReceived, errorOf, readChunk, watchOf } from "./selector.js";

/** A Node socket (TCP, Unix, or a child's pipe) as a transport drives it. */
export class NodeSocketOps implements SocketOps {
  readonly #regs: Registrations;
  readonly #sock: Socket;
  readonly #watch: Watch;
  #hooks: SocketHooks | null = null;
  readonly handleKind: "socket" | "pipe";
  readonly #flushed = (err?: Error | null): void => {
    if (!err) this.#hooks?.onFlushed();
  };

  constructor(regs: Registrations, sock: Socket, pipe = false) {
    this.#regs = regs;
    this.#sock = sock;
    this.#watch = watchOf(sock);
    this.handleKind = pipe ? "pipe" : "socket";
  }

  get handle(): Socket {
    return this.#sock;
  }

  get readable(): boolean {
    return this.#sock.readable;
  }

  get destroyed(): boolean {
    return this.#sock.destroyed;
  }

  setHooks(hooks: SocketHooks): void {
    this.#hooks = hooks;
    this.#watch.closeHook = () => hooks.onClosed(); // Node's 'close', through the watch
  }

  setReader(r: Runnable | null): void {
    if (r === null) this.#regs.clear(this.#sock, EVENT_READ);
    else this.#regs.set(this.#sock, EVENT_READ, r);
  }

  readChunk(): Uint8Array | null {
    return readChunk(this.#sock);
  }

  error(): unknown {
    return errorOf(this.#watch);
  }

  eofReceived(): boolean {
    return eofReceived(this.#sock);
  }

  consumeEof(): void {
    this.#sock.read(); // lets Node emit 'end' (and close once both directions are done)
  }

  write(bytes: Uint8Array): void {
    this.#sock.write(bytes, this.#flushed);
  }

  cork(): void {
    this.#sock.cork();
  }

  uncork(): void {
    this.#sock.uncork();
  }

  bufferSize(): number {
    return this.#sock.writableLength;
  }

  end(): void {
    this.#sock.end();
  }

  /**
   * True when Node holds no bytes (every write has completed) and no shutdown is still under
   * way: closing then sends nothing more than the FIN that destroying it sends.
   */
  nothingToFlush(): boolean {
    const sock = this.#sock;
    return sock.writableLength === 0 && (!sock.writableEnded || sock.writableFinished);
  }

  /**
   * End the socket once what is queued has been written, then destroy it: Node's
   * `destroySoon()`, which Bun's sockets lack (there: end, then destroy on 'finish').
   */
  closeAfterFlush(): void {
    const sock = this.#sock;
    if (typeof sock.destroySoon === "function") {
      sock.destroySoon();
      return;
    }
    const s = sock as Partial<Socket> & Pick<Socket, "destroy">;
    if (typeof s.end !== "function" || typeof s.once !== "function") {
      s.destroy(); // not a stream we can flush (a runtime's own pipe object): close it now
      return;
    }
    s.end();
    if (s.writableFinished) s.destroy();
    else s.once("finish", () => s.destroy());
  }

  destroy(): void {
    this.#sock.destroy();
  }

  setNoDelay(): void {
    if (typeof this.#sock.setNoDelay === "function") this.#sock.setNoDelay(true);
  }

  peer(): SocketAddress | null {
    return peerAddress(this.#sock);
  }

  local(): SocketAddress | null {
    return localAddress(this.#sock);
  }
}

/** A listening `net.Server` (watched from before it listens) as a Server drives it. */
export class NodeListener implements ListenerOps<NetServer> {
  readonly #regs: Registrations;
  readonly handle: NetServer;
  readonly #watch: Watch;

  constructor(regs: Registrations, server: NetServer) {
    this.#regs = regs;
    this.handle = server;
    this.#watch = watchOf(server);
  }

  setAcceptor(r: Runnable | null): void {
    if (r === null) this.#regs.clear(this.handle, EVENT_READ);
    else this.#regs.set(this.handle, EVENT_READ, r);
  }

  accept(): SocketOps | null {
    const sock = this.#watch.backlog.shift();
    return sock === undefined ? null : new NodeSocketOps(this.#regs, sock);
  }

  takeError(): unknown {
    const err = errorOf(this.#watch);
    if (err !== undefined) this.#watch.error = undefined; // Node keeps listening after it
    return err;
  }

  close(): void {
    for (const s of this.#watch.backlog.splice(0)) s.destroy(); // accepted by Node, never ours
    this.handle.close();
  }

  address(): Address | null {
    return serverAddress(this.handle);
  }
}

/**
 * Listen on `address` and return the Server. Errors: AddressInUseError when the port is taken,
 * PermissionError for privileged ports.
 */
export function* listenOn(
  loop: SelectorLoop,
  factory: ProtocolFactory,
  address: ListenAddress,
  opts: ServerOptions = {},
): Coro<Server<NetServer>> {
  if (typeof factory !== "function") {
    throw new TypeError("a server needs a protocol factory: a function returning a new protocol");
  }
  const target = normalAddress(address);
  checkAddress(target, "createServer");
  const listenOpts: net.ListenOptions = {};
  if (isUnixAddress(target)) listenOpts.path = target.path;
  else {
    if (target.host !== "") listenOpts.host = target.host;
    listenOpts.port = target.port;
  }
  const backlog = listenBacklog(opts.backlog);
  listenOpts.backlog = backlog;
  const ns = net.createServer({
    pauseOnConnect: true,
    allowHalfOpen: true,
    highWaterMark: SOCKET_READ_HIGH_WATER,
    // asyncio disables Nagle on every TCP connection; Node does it on the accepted handle,
    // cheaper than a setNoDelay call per socket (ignored for Unix sockets).
    noDelay: true,
  });
  watchOf(ns); // queue connections from the very first one
  const where = isUnixAddress(target) ? target.path : `${listenOpts.host ?? "*"}:${target.port}`;
  try {
    yield* fromPromise(
      new Promise<void>((resolve, reject) => {
        ns.once("error", reject);
        ns.listen(listenOpts, () => {
          ns.removeListener("error", reject);
          resolve();
        });
      }),
      loop,
    );
  } catch (e) {
    watchOf(ns).error = undefined;
    ns.close();
    throw toOSError(e, `error while attempting to bind on address ${where}`);
  }
  const server = new Server(loop._host, [new NodeListener(loop._regs, ns)], factory, backlog);
  if (opts.startServing !== false) server.startServingNow();
  return server;
}
