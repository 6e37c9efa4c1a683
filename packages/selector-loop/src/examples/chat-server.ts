/**
 * A multi-client chat server in the streams style: every line a client sends is broadcast to
 * the others as "<name>: text". Commands: "/nick NAME" renames, "/who" lists, "/quit" leaves.
 *
 *   client ─► readline ─► broadcast ─► every other writer.write(line)
 *                                         (a slow client is dropped rather than stalling all)
 *
 * Try it: start it from the demo, then `nc 127.0.0.1 <port>` in two terminals.
 */

import type { Coro } from "@aioloop/core";
import { ConnectionError, LineTooLongError } from "@aioloop/transports";
import type { Server } from "@aioloop/transports";
import type { StreamReader } from "@aioloop/transports";
import type { StreamWriter } from "@aioloop/transports";
import { startServer } from "@aioloop/transports";

/** A client whose unsent output grows past this is too slow to keep: it is disconnected. */
const MAX_CLIENT_BACKLOG = 1024 * 1024;

const decoder = new TextDecoder();

/** Options of chatServer. */
export interface ChatServerOptions {
  port?: number;
  host?: string;
}

/** A running chat: the server, and who is connected. */
export interface Chat {
  server: Server;
  /** The names of the connected clients. */
  members(): string[];
}

/**
 * Start the chat server on the running SelectorLoop.
 * @example
 * const chat = yield* chatServer({ port: 7000 });
 * yield* chat.server.serveForever();
 */
export function* chatServer(opts: ChatServerOptions = {}): Coro<Chat> {
  const clients = new Map<StreamWriter, string>();
  let nextId = 1;

  function broadcast(from: StreamWriter | null, text: string): void {
    for (const [w] of clients) {
      if (w === from || w.isClosing()) continue;
      if (w.transport.getWriteBufferSize() > MAX_CLIENT_BACKLOG) {
        w.transport.abort(); // never let one stuck reader hold everyone's memory
        continue;
      }
      w.write(text);
    }
  }

  function* handle(reader: StreamReader, writer: StreamWriter): Coro<void> {
    let name = `user${nextId++}`;
    clients.set(writer, name);
    writer.write(`welcome, ${name}! /nick NAME, /who, /quit\n`);
    broadcast(writer, `* ${name} joined\n`);
    try {
      for (;;) {
        let raw: Uint8Array;
        try {
          raw = yield* reader.readline();
        } catch (e) {
          if (e instanceof LineTooLongError) {
            writer.write("* line too long, dropped\n");
            continue;
          }
          throw e;
        }
        if (raw.length === 0) break;
        const line = decoder.decode(raw).replace(/\r?\n$/, "");
        if (line === "/quit") break;
        if (line === "/who") writer.write(`* here: ${[...clients.values()].join(", ")}\n`);
        else if (line.startsWith("/nick ")) {
          const old = name;
          name = line.slice(6).trim() || name;
          clients.set(writer, name);
          broadcast(null, `* ${old} is now ${name}\n`);
        } else if (line.length > 0) broadcast(writer, `${name}: ${line}\n`);
        yield* writer.drain();
      }
    } catch (e) {
      if (!(e instanceof ConnectionError)) throw e;
    } finally {
      clients.delete(writer);
      broadcast(null, `* ${name} left\n`);
      writer.close();
    }
  }

  const server = yield* startServer(handle, {
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
  });
  return { server, members: () => [...clients.values()] };
}
