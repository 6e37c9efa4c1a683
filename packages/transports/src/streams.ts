/**
 * openConnection / startServer: asyncio's high-level stream API. A connection is a
 * `[StreamReader, StreamWriter]` pair; a server calls `onClient(reader, writer)` for each
 * connection (a generator function runs as a task per client).
 *
 * HOW: the same transports as createConnection/createServer, with a StreamReaderProtocol
 * feeding a StreamReader (see stream-writer.ts):
 *
 *   openConnection({ host, port }) ─► loop.createConnection(StreamReaderProtocol) ─► [r, w]
 *   startServer(onClient, addr)    ─► loop.createServer(() => StreamReaderProtocol(r, onClient))
 */

import type { Coro } from "@aioloop/core";
import { type Address, checkAddress } from "./address.js";
import type { Server, ServerOptions } from "./server.js";
import { connectVia, getSocketLoop } from "./socket-loop.js";
import { StreamReader } from "./stream-reader.js";
import { type ClientConnectedCallback, StreamReaderProtocol } from "./stream-protocol.js";
import { StreamWriter } from "./stream-writer.js";

/** Options of openConnection. */
export interface OpenConnectionOptions {
  /**
   * The StreamReader's buffer limit in bytes (asyncio's `limit`, default 64 KiB): the longest
   * line readline accepts; reading pauses once more than twice this many bytes wait unread.
   */
  limit?: number;
}

/** Options of startServer. */
export interface StartServerOptions extends ServerOptions {
  /** Each connection's StreamReader buffer limit in bytes (default 64 KiB): see OpenConnectionOptions. */
  limit?: number;
}

function readerOptions(limit: number | undefined): { limit?: number } {
  return limit === undefined ? {} : { limit };
}

/**
 * Connect to `{ host, port }` (TCP) or `{ path }` (Unix socket); returns `[reader, writer]`
 * (asyncio's `open_connection`, and `open_unix_connection` for a path). Throws
 * ConnectionRefusedError when nobody listens there, GaiError when the host name does not
 * resolve, FileNotFoundError for a Unix socket path that does not exist (all OSErrors: the
 * classes of @aioloop/core, re-exported here), TypeError for a malformed address,
 * NotSelectorLoopError when not run on a SelectorLoop.
 * @example
 * import { openConnection, run } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 *   writer.write("hello\n");
 *   yield* writer.drain();
 *   const reply = yield* reader.readline(); // empty at EOF
 *   console.log(new TextDecoder().decode(reply));
 *   writer.close();
 *   yield* writer.waitClosed();
 * });
 */
export function* openConnection(
  address: Address,
  opts: OpenConnectionOptions = {},
): Coro<[StreamReader, StreamWriter]> {
  const loop = getSocketLoop("openConnection");
  checkAddress(address, "openConnection");
  const reader = new StreamReader({ ...readerOptions(opts.limit), loop });
  const protocol = new StreamReaderProtocol(reader);
  const [transport] = yield* connectVia(loop, () => protocol, address);
  return [reader, new StreamWriter(transport, protocol, reader)];
}

/**
 * Listen on `{ host, port }` (port 0: any free port) or `{ path }`, calling
 * `onClient(reader, writer)` for each connection (asyncio's `start_server`, and
 * `start_unix_server` for a path). A generator function runs as a task per connection, and
 * the connection is closed when that task is done: when the handler returns (what it wrote is
 * still sent first), throws (the error goes to the loop's exception handler first) or is
 * cancelled. asyncio closes on an error or a cancel too, and after a plain return whenever the
 * garbage collector finalizes the writer; here it is at once, so `server.close()` then
 * `yield* server.waitClosed()` finishes as soon as every handler has. Neither closing the
 * server nor the peer leaving cancels a running handler (it sees EOF or a connection error). A
 * plain function handler just runs: its connection stays open until its writer is closed.
 * Throws AddressInUseError when the address is taken, PermissionError for a privileged port,
 * TypeError when `onClient` is not a function or the address is malformed.
 * @example
 * import { type TcpAddress, run, startServer } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const server = yield* startServer(function* (reader, writer) {
 *     for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
 *       writer.write(line); // echo each line
 *       yield* writer.drain();
 *     }
 *     writer.close();
 *   }, { host: "127.0.0.1", port: 0 });
 *   const { port } = server.address() as TcpAddress; // the free port picked
 *   console.log(`echoing lines on port ${port}`);
 *   yield* server.serveForever();
 * });
 */
export function* startServer(
  onClient: ClientConnectedCallback,
  address: Address,
  opts: StartServerOptions = {},
): Coro<Server> {
  if (typeof onClient !== "function") {
    throw new TypeError("startServer needs a client callback: (reader, writer) => coroutine");
  }
  const loop = getSocketLoop("startServer");
  checkAddress(address, "startServer");
  const rOpts = { ...readerOptions(opts.limit), loop }; // one object for every connection
  const sOpts: ServerOptions = {};
  if (opts.backlog !== undefined) sOpts.backlog = opts.backlog;
  if (opts.startServing !== undefined) sOpts.startServing = opts.startServing;
  return yield* loop.createServer(
    () => new StreamReaderProtocol(new StreamReader(rOpts), onClient),
    address,
    sOpts,
  );
}

/** openConnection over a Unix domain socket path (asyncio's `open_unix_connection`). */
export function openUnixConnection(
  path: string,
  opts: OpenConnectionOptions = {},
): Coro<[StreamReader, StreamWriter]> {
  return openConnection({ path }, opts);
}

/** startServer on a Unix domain socket path (asyncio's `start_unix_server`). */
export function startUnixServer(
  onClient: ClientConnectedCallback,
  path: string,
  opts: StartServerOptions = {},
): Coro<Server> {
  return startServer(onClient, { path }, opts);
}
