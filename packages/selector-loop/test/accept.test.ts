// Accepting connections: the listen backlog a server asks the kernel for, and a burst of
// concurrent loopback connects all accepted and served. Counts only: nothing here is timed.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { type Coro, fromPromise } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_BACKLOG,
  type Server,
  type StreamReader,
  type StreamWriter,
  createServer,
  startServer,
} from "@aioloop/transports";
import { SOCKET_LOOPS } from "./support/loops.js";
import { HOST, portOf, until } from "./support/net.js";
import { Echo } from "./support/protocols.js";

/** Linux's cap on listen backlogs, or null elsewhere. */
function somaxconn(): number | null {
  try {
    return Number.parseInt(readFileSync("/proc/sys/net/core/somaxconn", "utf8"), 10);
  } catch {
    return null;
  }
}

/**
 * The backlog the kernel keeps for the listener on `port` (`ss` shows it as the Send-Q of a
 * listening socket), or null where `ss` is not available.
 */
function kernelBacklog(port: number): number | null {
  let out: string;
  try {
    out = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8", timeout: 5_000 });
  } catch {
    return null;
  }
  const fields = out.trim().split(/\s+/); // LISTEN Recv-Q Send-Q local peer
  return fields[0] === "LISTEN" ? Number(fields[2]) : null;
}

function* closeServer(server: Server): Coro<void> {
  server.close();
  yield* server.waitClosed();
}

function* echoOnce(reader: StreamReader, writer: StreamWriter): Coro<void> {
  writer.write(yield* reader.readline());
  yield* writer.drain();
}

/**
 * Open `n` connections to `port` at once (plain Node sockets, so the client costs the loop
 * nothing), each sending a line and waiting for it to come back; resolves with how many did.
 * Fails after `deadlineMs` (sockets destroyed) rather than hang.
 */
function burst(port: number, n: number, deadlineMs: number): Promise<number> {
  const sockets: net.Socket[] = [];
  const all = Array.from(
    { length: n },
    (_, i) =>
      new Promise<boolean>((resolve) => {
        const line = `client ${i}\n`;
        let got = "";
        const s = net.connect({ port, host: HOST }, () => s.write(line));
        sockets.push(s);
        s.setEncoding("utf8");
        s.on("data", (d: string) => {
          got += d;
          if (got.length >= line.length) s.end();
        });
        s.on("error", () => resolve(false));
        s.on("close", () => resolve(got === line));
      }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`burst not done in ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([Promise.all(all), deadline])
    .then((ok) => ok.filter(Boolean).length)
    .finally(() => {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
    });
}

describe.each(SOCKET_LOOPS)("accepting connections on $name", ({ run }) => {
  it("listens with the backlog asked for, 4096 by default, capped by the OS", async () => {
    const cap = somaxconn();
    const capped = (n: number) => (cap === null ? n : Math.min(n, cap));
    await run(function* () {
      const dflt = yield* createServer(() => new Echo(), { host: HOST, port: 0 });
      const asked = yield* startServer(echoOnce, { host: HOST, port: 0 }, { backlog: 64 });
      const huge = yield* createServer(() => new Echo(), HOST, 0, { backlog: 1_000_000 });
      expect(DEFAULT_BACKLOG).toBe(4096);
      expect(dflt.statistics().backlog).toBe(capped(4096));
      expect(asked.statistics().backlog).toBe(64);
      expect(huge.statistics().backlog).toBe(capped(1_000_000));
      // What the kernel got (where ss can tell): the same numbers.
      for (const s of [dflt, asked, huge]) {
        const k = kernelBacklog(portOf(s));
        if (k !== null) expect(k).toBe(s.statistics().backlog);
      }
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        let err: unknown = null;
        try {
          yield* createServer(() => new Echo(), { host: HOST, port: 0 }, { backlog: bad });
        } catch (e) {
          err = e;
        }
        expect(err, String(bad)).toBeInstanceOf(RangeError);
      }
      for (const s of [dflt, asked, huge]) yield* closeServer(s);
    });
  });

  for (const style of ["protocol", "streams"] as const) {
    it(`accepts and serves 2,000 concurrent connects (${style})`, async () => {
      const n = 2_000;
      await run(function* () {
        const server =
          style === "protocol"
            ? yield* createServer(() => new Echo(), { host: HOST, port: 0 })
            : yield* startServer(echoOnce, { host: HOST, port: 0 });
        const served = yield* fromPromise(burst(portOf(server), n, 30_000));
        expect(served).toBe(n);
        expect(server.statistics().accepted).toBe(n);
        yield* until(() => server.statistics().clients === 0, "every connection closed");
        yield* closeServer(server);
      });
    }, 60_000);
  }
});
