/**
 * Echo server child process for the echo suite: `node dist/echo-server.js <mode>`.
 *
 * HOW: it listens on 127.0.0.1 (a free port), prints one JSON line, then serves and answers the
 * bench over stdin/stdout:
 *
 *   stdout  {"port": 40123}              or {"skip": "why this mode cannot run"} and exit
 *   stdin   "cpu"   ─► stdout {"cpu_us": <this process's user+system CPU time so far>}
 *           "exit" or end of stdin ─► exit (so a crashed bench leaves no server behind)
 *
 * Modes: `net` (plain Node: 'data' ─► write), `protocol` (aioloop SelectorLoop transport and
 * protocol, asyncio's Protocol echo), `streams` (aioloop startServer, read ─► write ─► drain),
 * and `epoll-protocol` / `epoll-streams`: the same two on EpollLoop (@aioloop/epoll-loop), which
 * reports `skip` where its native addon is not built.
 *
 * WHY a separate process: the bench compares SERVER CPU per request, and the client (in the bench
 * process) saturates first on small machines; a process of its own makes the server's CPU time
 * exact and keeps the client's work out of it. The packages are imported by name (their built
 * dist), as a user's program would.
 */

import * as net from "node:net";
import { createInterface } from "node:readline";
import type { Coro } from "@aioloop/core";
import type { StreamReader, StreamWriter, Transport } from "@aioloop/selector-loop";

/** Bytes a streams-mode reader asks for at once (what asyncio's examples use). */
const READ_CHUNK = 64 * 1024;

type Mode = "net" | "protocol" | "streams" | "epoll-protocol" | "epoll-streams";

function say(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function control(): void {
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    const cmd = line.trim();
    if (cmd === "cpu") {
      const u = process.cpuUsage();
      say({ cpu_us: u.user + u.system });
    } else if (cmd === "exit") {
      process.exit(0);
    }
  });
  rl.on("close", () => process.exit(0));
}

function serveNet(): void {
  const server = net.createServer((c) => {
    c.on("data", (d) => c.write(d));
    c.on("error", () => c.destroy());
  });
  server.listen(0, "127.0.0.1", () => {
    say({ port: (server.address() as net.AddressInfo).port });
    control();
  });
}

async function serveAioloop(
  mode: "protocol" | "streams",
  loop: "selector" | "epoll",
): Promise<void> {
  // Loaded here, not at the top: the `net` mode's CPU time should not include loading aioloop.
  const { getRunningLoop } = await import("@aioloop/core");
  const { Protocol, createServer, run, startServer } =
    loop === "epoll" ? await import("@aioloop/epoll-loop") : await import("@aioloop/selector-loop");
  if (loop === "epoll") {
    const { epollAvailable } = await import("@aioloop/epoll-loop");
    if (!epollAvailable()) {
      say({ skip: "EpollLoop unavailable here (its native addon is not built)" });
      process.exit(0);
    }
  }

  /** asyncio's Protocol echo: write back whatever arrives. */
  class Echo extends Protocol {
    transport: Transport | null = null;
    override connectionMade(t: Transport): void {
      this.transport = t;
    }
    override dataReceived(data: Uint8Array): void {
      this.transport!.write(data);
    }
  }

  function* onClient(reader: StreamReader, writer: StreamWriter): Coro<void> {
    try {
      for (;;) {
        const data = yield* reader.read(READ_CHUNK);
        if (data.length === 0) break;
        writer.write(data);
        yield* writer.drain();
      }
    } catch {
      // a reset connection ends this client, not the server
    } finally {
      writer.close();
    }
  }

  await run(function* () {
    const server =
      mode === "protocol"
        ? yield* createServer(() => new Echo(), { host: "127.0.0.1", port: 0 })
        : yield* startServer(onClient, { host: "127.0.0.1", port: 0 });
    const address = server.address();
    say({ port: address !== null && "port" in address ? address.port : undefined });
    control();
    yield* getRunningLoop().createFuture<void>(); // until the bench says exit
  });
}

const mode = process.argv[2] as Mode | undefined;
switch (mode) {
  case "net":
    serveNet();
    break;
  case "protocol":
  case "streams":
  case "epoll-protocol":
  case "epoll-streams": {
    const style = mode === "protocol" || mode === "epoll-protocol" ? "protocol" : "streams";
    serveAioloop(style, mode.startsWith("epoll-") ? "epoll" : "selector").catch((e: unknown) => {
      say({ skip: `server failed: ${e instanceof Error ? e.message : String(e)}` });
      process.exit(1);
    });
    break;
  }
  default:
    say({
      skip: `unknown mode ${String(mode)}: use net, protocol, streams, epoll-protocol or epoll-streams`,
    });
    process.exit(2);
}
