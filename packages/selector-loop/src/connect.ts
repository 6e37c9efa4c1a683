/**
 * connectTo: the client side of a connection, as asyncio's `_create_connection_transport`:
 * connect a new socket, make the protocol, wrap both in a SocketTransport, and return once the
 * protocol's `connectionMade` has run. Server-side, server.ts's `listenOn` is its counterpart.
 *
 * HOW:
 *
 *   new net.Socket ─► loop.sockConnect ─► protocolFactory() ─► SocketTransport ─► connectionMade
 *                        │ refused / unresolvable: ConnectionRefusedError / GaiError, socket closed
 *
 * WHY its own module: the loop's `createConnection` methods and the free functions (which need
 * `getSelectorLoop`, i.e. the loop class) both use it; here it needs the loop's type only, so
 * no run-time import cycle runs through the loop.
 */

import net from "node:net";
import type { Coro } from "@aioloop/core";
import {
  type Address,
  type ProtocolFactory,
  type ProtocolLike,
  SOCKET_READ_HIGH_WATER,
  SocketTransport,
  type Transport,
  checkAddress,
} from "@aioloop/transports";
import { NodeSocketOps } from "./node-socket-ops.js";
import type { SelectorLoop } from "./selector-loop.js";

/** @internal Connect to `address` and wrap the socket in a transport running `factory()`. */
export function* connectTo<P extends ProtocolLike>(
  loop: SelectorLoop,
  factory: ProtocolFactory<P>,
  address: Address,
): Coro<[Transport, P]> {
  if (typeof factory !== "function") {
    throw new TypeError(
      "createConnection needs a protocol factory: a function returning a new protocol",
    );
  }
  checkAddress(address, "createConnection");
  // Node hands readableHighWaterMark to the stream (@types/node's SocketConstructorOpts omits it).
  const opts: net.SocketConstructorOpts & { readableHighWaterMark: number } = {
    allowHalfOpen: true,
    readableHighWaterMark: SOCKET_READ_HIGH_WATER,
  };
  const sock = new net.Socket(opts);
  try {
    yield* loop.sockConnect(sock, address);
  } catch (e) {
    sock.destroy();
    throw e;
  }
  let transport: SocketTransport | null = null;
  try {
    const protocol = factory();
    const waiter = loop.createFuture<void>();
    transport = new SocketTransport(loop._host, new NodeSocketOps(loop._regs, sock), protocol, {
      waiter,
    });
    yield* waiter;
    return [transport, protocol];
  } catch (e) {
    if (transport !== null) transport.abort();
    else sock.destroy();
    throw e;
  }
}
