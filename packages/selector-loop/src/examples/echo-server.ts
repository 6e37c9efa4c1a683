/**
 * An echo server in both of asyncio's styles, for the demo and the echo benchmark:
 *
 *   streams:  per connection a task: read(64 KiB) ─► write ─► drain, until EOF
 *   protocol: per connection a protocol: dataReceived(d) ─► transport.write(d)
 *
 * The protocol style does no task switch per message, so it is the faster one; the streams
 * style is the one most code is written in. Both close the connection at the peer's EOF.
 */

import type { Coro } from "@aioloop/core";
import { ConnectionError } from "@aioloop/transports";
import { Protocol } from "@aioloop/transports";
import { getSelectorLoop } from "../selector-loop.js";
import type { Server } from "@aioloop/transports";
import type { StreamReader } from "@aioloop/transports";
import type { StreamWriter } from "@aioloop/transports";
import { startServer } from "@aioloop/transports";
import type { Transport } from "@aioloop/transports";

/** Largest read of the streams echo: one Node socket read is at most 64 KiB. */
const READ_SIZE = 64 * 1024;

/** Which style the echo server is written in. */
export type EchoMode = "streams" | "protocol";

/** Options of echoServer. */
export interface EchoServerOptions {
  /** Port to listen on (0: any free port; read it back with `server.address()`). */
  port?: number;
  /** Interface to listen on (default "127.0.0.1"). */
  host?: string;
  /** "streams" (default) or "protocol". */
  mode?: EchoMode;
}

/** The protocol-style echo: every byte received is written back. */
export class EchoProtocol extends Protocol {
  #transport: Transport | null = null;
  override connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  override dataReceived(data: Uint8Array): void {
    this.#transport!.write(data);
  }
}

/** The streams-style echo handler for one connection. */
export function* echoStream(reader: StreamReader, writer: StreamWriter): Coro<void> {
  try {
    for (;;) {
      const data = yield* reader.read(READ_SIZE);
      if (data.length === 0) break;
      writer.write(data);
      yield* writer.drain();
    }
  } catch (e) {
    if (!(e instanceof ConnectionError)) throw e; // a client that vanished is not our error
  } finally {
    writer.close();
  }
}

/**
 * Start an echo server on the running SelectorLoop.
 * @example
 * await run(function* () {
 *   const server = yield* echoServer({ port: 8888, mode: "protocol" });
 *   yield* server.serveForever();
 * });
 */
export function* echoServer(opts: EchoServerOptions = {}): Coro<Server> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 0;
  const mode = opts.mode ?? "streams";
  switch (mode) {
    case "streams":
      return yield* startServer(echoStream, { host, port });
    case "protocol":
      return yield* getSelectorLoop("echoServer").createServer(
        () => new EchoProtocol(),
        host,
        port,
      );
    default:
      throw new RangeError(`echoServer: mode must be "streams" or "protocol", got ${String(mode)}`);
  }
}
