/**
 * openConnection / startServer: asyncio's high-level stream API. A connection is a
 * `[StreamReader, StreamWriter]` pair; a server calls `onClient(reader, writer)` for each
 * connection (a generator function runs as a task per client).
 *
 * HOW: the same transports as createConnection/createServer, with a StreamReaderProtocol
 * feeding a StreamReader (see stream-writer.ts):
 *
 *   openConnection({ host, port }) ─► connectTo(StreamReaderProtocol) ─► [reader, writer]
 *   startServer(onClient, addr)    ─► listenOn(() => StreamReaderProtocol(reader, onClient))
 */

import type { Coro } from "@aioloop/core";
import { type Address, checkAddress } from "./address.js";
import { connectTo } from "./connection.js";
import { getSelectorLoop } from "./selector-loop.js";
import { type Server, type ServerOptions, listenOn } from "./server.js";
import { StreamReader } from "./stream-reader.js";
import {
  type ClientConnectedCallback,
  StreamReaderProtocol,
  StreamWriter,
} from "./stream-writer.js";

/** Options of openConnection. */
export interface OpenConnectionOptions {
  /** The StreamReader's buffer limit (default 64 KiB). */
  limit?: number;
}

/** Options of startServer. */
export interface StartServerOptions extends ServerOptions {
  /** Each connection's StreamReader buffer limit (default 64 KiB). */
  limit?: number;
}

function readerOptions(limit: number | undefined): { limit?: number } {
  return limit === undefined ? {} : { limit };
}

/**
 * Connect to `{ host, port }` (TCP) or `{ path }` (Unix socket); returns `[reader, writer]`.
 * Throws ConnectionRefusedError when nobody listens there.
 * @example
 * const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 * writer.write("hello\n");
 * yield* writer.drain();
 * const reply = yield* reader.readline();
 * writer.close();
 * yield* writer.waitClosed();
 */
export function* openConnection(
  address: Address,
  opts: OpenConnectionOptions = {},
): Coro<[StreamReader, StreamWriter]> {
  const loop = getSelectorLoop("openConnection");
  checkAddress(address, "openConnection");
  const reader = new StreamReader({ ...readerOptions(opts.limit), loop });
  const protocol = new StreamReaderProtocol(reader);
  const [transport] = yield* connectTo(loop, () => protocol, address);
  return [reader, new StreamWriter(transport, protocol, reader)];
}

/**
 * Listen on `{ host, port }` (port 0: any free port) or `{ path }`, calling
 * `onClient(reader, writer)` for each connection.
 * @example
 * const server = yield* startServer(function* (reader, writer) {
 *   for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
 *     writer.write(line);
 *     yield* writer.drain();
 *   }
 *   writer.close();
 * }, { host: "127.0.0.1", port: 0 });
 * const { port } = server.address();
 */
export function* startServer(
  onClient: ClientConnectedCallback,
  address: Address,
  opts: StartServerOptions = {},
): Coro<Server> {
  if (typeof onClient !== "function") {
    throw new TypeError("startServer needs a client callback: (reader, writer) => coroutine");
  }
  const loop = getSelectorLoop("startServer");
  checkAddress(address, "startServer");
  const rOpts = readerOptions(opts.limit);
  const sOpts: ServerOptions = {};
  if (opts.backlog !== undefined) sOpts.backlog = opts.backlog;
  if (opts.startServing !== undefined) sOpts.startServing = opts.startServing;
  return yield* listenOn(
    loop,
    () => new StreamReaderProtocol(new StreamReader({ ...rOpts, loop }), onClient),
    address,
    sOpts,
  );
}

/** openConnection over a Unix domain socket path. */
export function openUnixConnection(
  path: string,
  opts: OpenConnectionOptions = {},
): Coro<[StreamReader, StreamWriter]> {
  return openConnection({ path }, opts);
}

/** startServer on a Unix domain socket path. */
export function startUnixServer(
  onClient: ClientConnectedCallback,
  path: string,
  opts: StartServerOptions = {},
): Coro<Server> {
  return startServer(onClient, { path }, opts);
}
