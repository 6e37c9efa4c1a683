/**
 * createConnection / createServer: asyncio's `loop.create_connection` and `loop.create_server`,
 * as coroutines on the running loop (SelectorLoop or EpollLoop: a SocketLoop).
 *
 * HOW: each finds the running SocketLoop and calls its method of the same name: the loop
 * connects (or listens) its own way and wraps each connection in this package's
 * SocketTransport.
 */

import type { Coro } from "@aioloop/core";
import type { Address } from "./address.js";
import type { ProtocolFactory, ProtocolLike } from "./protocols.js";
import { type ListenAddress, type Server, type ServerOptions, serverArgs } from "./server.js";
import { connectVia, getSocketLoop } from "./socket-loop.js";
import type { Transport } from "./transport.js";

/**
 * Open a TCP connection and run a protocol on it (asyncio's `loop.create_connection`); returns
 * `[transport, protocol]` once the protocol's `connectionMade` has run. Throws
 * ConnectionRefusedError when nobody listens there, GaiError when `host` does not resolve
 * (OSErrors: @aioloop/core's classes, re-exported here), TypeError for a bad factory or
 * address, NotSelectorLoopError when not run on a SelectorLoop; an exception thrown by the
 * factory or by `connectionMade` propagates (the connection is aborted).
 * @example
 * import { sleep } from "@aioloop/core";
 * import { Protocol, type Transport, createConnection, run } from "@aioloop/selector-loop";
 * class Hello extends Protocol {
 *   override connectionMade(t: Transport) { t.write("hello\n"); }
 *   override dataReceived(data: Uint8Array) { console.log(new TextDecoder().decode(data)); }
 *   override connectionLost(exc: Error | null) { console.log("closed", exc); }
 * }
 * await run(function* () {
 *   const [transport] = yield* createConnection(() => new Hello(), "127.0.0.1", 8888);
 *   yield* sleep(1000); // let replies arrive (ms)
 *   transport.close();
 * });
 */
export function createConnection<P extends ProtocolLike>(
  protocolFactory: ProtocolFactory<P>,
  host: string,
  port: number,
): Coro<[Transport, P]> {
  return getSocketLoop("createConnection").createConnection(protocolFactory, host, port);
}

/**
 * As createConnection, over a Unix domain socket or Windows named pipe (asyncio's
 * `loop.create_unix_connection`). FileNotFoundError when `path` does not exist.
 */
export function createUnixConnection<P extends ProtocolLike>(
  protocolFactory: ProtocolFactory<P>,
  path: string,
): Coro<[Transport, P]> {
  return connectVia(getSocketLoop("createUnixConnection"), protocolFactory, { path });
}

/**
 * Listen on `{ host, port }` or `{ path }` (the address shape startServer takes), or on
 * `host, port` given apart (asyncio's positional form; all interfaces when host is omitted or
 * "", port 0 or omitted picks a free one), and run a new protocol for each connection
 * (asyncio's `loop.create_server`). `opts` comes after the address in either form. Throws
 * AddressInUseError when the address is taken, PermissionError for a privileged port (both
 * OSErrors), TypeError for a bad factory or address. A factory that throws for one connection
 * closes that connection and reports to the loop's exception handler; the server goes on.
 * @example
 * import { Protocol, type Transport, createServer, run } from "@aioloop/selector-loop";
 * class Echo extends Protocol {
 *   transport!: Transport;
 *   override connectionMade(t: Transport) { this.transport = t; }
 *   override dataReceived(data: Uint8Array) { this.transport.write(data); }
 * }
 * await run(function* () {
 *   const server = yield* createServer(() => new Echo(), { host: "127.0.0.1", port: 0 });
 *   console.log(server.address()); // { host: "127.0.0.1", port: 40123 }
 *   yield* server.serveForever();
 * });
 */
export function createServer(
  protocolFactory: ProtocolFactory,
  address: Address,
  opts?: ServerOptions,
): Coro<Server>;
/** The positional form: `createServer(factory, "127.0.0.1", 8888, opts?)`. */
export function createServer(
  protocolFactory: ProtocolFactory,
  host?: string,
  port?: number,
  opts?: ServerOptions,
): Coro<Server>;
export function createServer(
  protocolFactory: ProtocolFactory,
  addressOrHost?: Address | string,
  portOrOpts?: number | ServerOptions,
  opts?: ServerOptions,
): Coro<Server> {
  const loop = getSocketLoop("createServer");
  const [address, options] = serverArgs("createServer", addressOrHost, portOrOpts, opts);
  return loop.createServer(protocolFactory, normalAddress(address), options);
}

/**
 * As createServer, on a Unix domain socket path (asyncio's `loop.create_unix_server`).
 * AddressInUseError when `path` exists already.
 */
export function createUnixServer(
  protocolFactory: ProtocolFactory,
  path: string,
  opts: ServerOptions = {},
): Coro<Server> {
  return getSocketLoop("createUnixServer").createServer(protocolFactory, { path }, opts);
}

/**
 * A ListenAddress (createServer's positional form) as an Address: `{ path }` as it is, a missing
 * host "" (every interface), a missing port 0 (any free one).
 */
export function normalAddress(a: ListenAddress): Address {
  if (typeof (a as { path?: unknown }).path === "string") return a as Address;
  const t = a as { host?: string | undefined; port?: number | undefined };
  return { host: t.host ?? "", port: t.port ?? 0 };
}
