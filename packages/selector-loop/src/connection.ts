/**
 * createConnection / createServer: asyncio's `loop.create_connection` and `loop.create_server`,
 * as coroutines on the running SelectorLoop (also available as methods of the loop).
 *
 * HOW: each finds the running SelectorLoop and hands over to the code the loop's methods use
 * too: connect.ts's `connectTo` (connect, then a SocketTransport around the socket and the
 * protocol) and server.ts's `listenOn` (listen, then a transport per accepted connection).
 */

import type { Coro } from "@aioloop/core";
import type { Address } from "./address.js";
import { connectTo } from "./connect.js";
import type { ProtocolFactory, ProtocolLike } from "./protocols.js";
import { getSelectorLoop } from "./selector-loop.js";
import { type Server, type ServerOptions, listenOn, serverArgs } from "./server.js";
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
  return connectTo(getSelectorLoop("createConnection"), protocolFactory, { host, port });
}

/**
 * As createConnection, over a Unix domain socket or Windows named pipe (asyncio's
 * `loop.create_unix_connection`). FileNotFoundError when `path` does not exist.
 */
export function createUnixConnection<P extends ProtocolLike>(
  protocolFactory: ProtocolFactory<P>,
  path: string,
): Coro<[Transport, P]> {
  return connectTo(getSelectorLoop("createUnixConnection"), protocolFactory, { path });
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
  const loop = getSelectorLoop("createServer");
  return listenOn(
    loop,
    protocolFactory,
    ...serverArgs("createServer", addressOrHost, portOrOpts, opts),
  );
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
  return listenOn(getSelectorLoop("createUnixServer"), protocolFactory, { path }, opts);
}
