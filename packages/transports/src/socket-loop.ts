/**
 * SocketLoop: what the free functions of this package (createConnection, createServer,
 * openConnection, startServer) need of the running loop: asyncio's `loop.create_connection`
 * and `loop.create_server`, as methods. SelectorLoop and EpollLoop have them; the functions
 * find the running loop and call them, so the one stream and protocol API runs on either.
 */

import { type Coro, type EventLoop, getRunningLoop } from "@aioloop/core";
import type { Address } from "./address.js";
import { NotSelectorLoopError } from "./errors.js";
import type { ProtocolFactory, ProtocolLike } from "./protocols.js";
import type { Server, ServerOptions } from "./server.js";
import type { Transport } from "./transport.js";

/** An event loop with TCP and Unix-socket connections and servers (SelectorLoop, EpollLoop). */
export interface SocketLoop extends EventLoop {
  /** Open a TCP connection running `protocolFactory()` (asyncio's `loop.create_connection`). */
  createConnection<P extends ProtocolLike>(
    protocolFactory: ProtocolFactory<P>,
    host: string,
    port: number,
  ): Coro<[Transport, P]>;
  /** As createConnection, over a Unix domain socket (`loop.create_unix_connection`). */
  createUnixConnection<P extends ProtocolLike>(
    protocolFactory: ProtocolFactory<P>,
    path: string,
  ): Coro<[Transport, P]>;
  /** Listen on `address`, one `protocolFactory()` per connection (`loop.create_server`). */
  createServer(
    protocolFactory: ProtocolFactory,
    address: Address,
    opts?: ServerOptions,
  ): Coro<Server>;
}

/** Whether `loop` has the SocketLoop methods. */
export function isSocketLoop(loop: unknown): loop is SocketLoop {
  const l = loop as Partial<SocketLoop> | null;
  return (
    typeof l === "object" &&
    l !== null &&
    typeof l.createConnection === "function" &&
    typeof l.createUnixConnection === "function" &&
    typeof l.createServer === "function"
  );
}

/**
 * The running loop as a SocketLoop; `where` names the caller in the error message. Throws
 * NoRunningLoopError (from @aioloop/core) when no loop runs, NotSelectorLoopError (saying what
 * to do) when the running loop has no sockets (a TimerLoop).
 * @example
 * const loop = getSocketLoop("myConnect");
 * const [transport] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", 8888);
 */
export function getSocketLoop(where: string): SocketLoop {
  const loop = getRunningLoop();
  if (!isSocketLoop(loop)) {
    throw new NotSelectorLoopError(
      `${where} needs a SelectorLoop (or an EpollLoop), but the running loop is a ${loop.constructor.name}: ` +
        "run the program with run() from @aioloop/selector-loop (or new SelectorLoop())",
    );
  }
  return loop;
}

/** `loop`'s connection to `address`: createConnection, or createUnixConnection for a path. */
export function connectVia<P extends ProtocolLike>(
  loop: SocketLoop,
  factory: ProtocolFactory<P>,
  address: Address,
): Coro<[Transport, P]> {
  return typeof (address as { path?: unknown }).path === "string"
    ? loop.createUnixConnection(factory, (address as { path: string }).path)
    : loop.createConnection(
        factory,
        (address as { host: string }).host,
        (address as { port: number }).port,
      );
}
