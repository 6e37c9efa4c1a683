/**
 * The socket workloads: `echo-server`, `echo-client` and `chat`, thin command lines over the
 * examples @aioloop/selector-loop publishes as "@aioloop/selector-loop/examples".
 *
 * HOW: these programs declare `loop: "selector"`, so the CLI runs them on a SelectorLoop
 * (readiness over Node sockets, real clock only). The servers serve until Ctrl-C (or
 * `--for SECONDS`), reporting their clients on the progress line; the client starts its own
 * echo server when no `--port` is given, so `pnpm demo echo-client` measures the loop alone.
 *
 *   echo-client ── N connections ──► echo-server (streams: a task per connection
 *   write(msg) ─► readexactly(size)              protocol: dataReceived ─► write)
 *        └── requests/s, MiB/s per message size (vmbench's 1, 10 and 100 KiB)
 */
import { type Coro, createTask, getRunningLoop, sleep } from "@aioloop/core";
import type { Server, TcpAddress } from "@aioloop/selector-loop";
import {
  type EchoClientReport,
  type EchoMode,
  VMBENCH_SIZES,
  chatServer,
  echoClient as runEchoClient,
  echoServer as startEchoServer,
} from "@aioloop/selector-loop/examples";
import {
  type DemoOptions,
  type DemoProgram,
  UsageError,
  flag,
  formatBytes,
  intArg,
  parseSize,
} from "../program.js";

/** Where the servers listen unless told otherwise (loopback: nothing outside can connect). */
const DEFAULT_HOST = "127.0.0.1";
/** The ports the seed-era examples used: echo on 8888, chat on 7000 (0: any free port). */
const DEFAULT_ECHO_PORT = 8888;
const DEFAULT_CHAT_PORT = 7000;
/** How often the servers report their clients (ms). */
const REPORT_EVERY_MS = 1000;
/** echo-client defaults: vmbench ran 10 connections for a fixed time per message size. */
const DEFAULT_CONNECTIONS = 10;
const DEFAULT_DURATION_S = 2;

function port(args: string[], fallback: number, what: string): number {
  const text = flag(args, "port");
  if (text === undefined) return fallback;
  const n = intArg(text, `${what} --port`);
  if (n < 0 || n > 65535) throw new UsageError(`${what} --port: 0 to 65535, got ${n}`);
  return n;
}

function echoMode(args: string[], what: string): EchoMode {
  const mode = flag(args, "mode") ?? "streams";
  if (mode !== "streams" && mode !== "protocol") {
    throw new UsageError(`${what} --mode: "streams" or "protocol", got ${JSON.stringify(mode)}`);
  }
  return mode;
}

/** Seconds to serve (`--for S`), or null for "until Ctrl-C". */
function serveFor(args: string[], what: string): number | null {
  const text = flag(args, "for");
  if (text === undefined) return null;
  const s = Number(text);
  if (!(s > 0))
    throw new UsageError(`${what} --for: a number of seconds > 0, got ${JSON.stringify(text)}`);
  return s;
}

function where(server: Server): string {
  const a = server.address();
  return a === null ? "(closed)" : "path" in a ? a.path : `${a.host}:${a.port}`;
}

/**
 * Serve until cancelled (Ctrl-C) or for `seconds`, reporting `describe()` on the progress line
 * every second. Returns normally after `--for`; a cancellation closes the server and propagates.
 */
function* serve(server: Server, seconds: number | null, report: (() => void) | null): Coro<void> {
  const loop = getRunningLoop();
  const ticker =
    report === null
      ? null
      : createTask(
          (function* (): Coro<void> {
            for (;;) {
              yield* sleep(REPORT_EVERY_MS);
              report();
            }
          })(),
        );
  const serving = createTask(server.serveForever());
  try {
    if (seconds === null) yield* serving;
    else {
      const until = loop.time() + seconds * 1000;
      while (!serving.done() && loop.time() < until)
        yield* sleep(Math.min(REPORT_EVERY_MS, until - loop.time()));
    }
  } finally {
    ticker?.cancel();
    if (!serving.done()) {
      serving.cancel();
      try {
        yield* serving;
      } catch {
        // the cancellation we asked for: serveForever closed the server on its way out
      }
    }
  }
}

export const echoServer: DemoProgram = {
  name: "echo-server",
  description:
    "TCP echo server from selector-loop's examples (--port 8888, --mode streams|protocol, --for S)",
  mode: "host",
  loop: "selector",
  source: "real workload: @aioloop/selector-loop/examples echoServer",
  *main({ out, args, progress }) {
    const mode = echoMode(args, "echo-server");
    const seconds = serveFor(args, "echo-server");
    const host = flag(args, "host") ?? DEFAULT_HOST;
    const server = yield* startEchoServer({
      host,
      port: port(args, DEFAULT_ECHO_PORT, "echo-server"),
      mode,
    });
    out(
      `echo server (${mode}) listening on ${where(server)}` +
        `${seconds === null ? "; Ctrl-C stops it" : ` for ${seconds} s`}\n`,
    );
    yield* serve(
      server,
      seconds,
      progress === undefined
        ? null
        : () => {
            const s = server.statistics();
            progress(`echo server: ${s.clients} clients now, ${s.accepted} accepted`);
          },
    );
    out(`echo server closed after ${server.statistics().accepted} connections\n`);
  },
};

/** One line of the client's report. */
function reportLine(r: EchoClientReport): string {
  return (
    `${formatBytes(r.messageSize).padStart(9)} messages, ${r.connections} connections: ` +
    `${r.requests} requests in ${r.seconds.toFixed(2)} s = ` +
    `${Math.round(r.requestsPerSecond)} req/s, ${r.mibPerSecond.toFixed(1)} MiB/s\n`
  );
}

export const echoClient: DemoProgram = {
  name: "echo-client",
  description:
    "echo load: N connections of 1/10/100 KiB messages, req/s and MiB/s (own server unless --port)",
  mode: "host",
  loop: "selector",
  source: "real workload: @aioloop/selector-loop/examples echoClient (vmbench's echo client)",
  *main({ out, args, progress }: DemoOptions) {
    const connections = intArg(
      flag(args, "connections") ?? String(DEFAULT_CONNECTIONS),
      "echo-client --connections",
    );
    if (connections < 1)
      throw new UsageError(`echo-client --connections: at least 1, got ${connections}`);
    const sizeArg = flag(args, "size") ?? "all";
    const sizes: number[] =
      sizeArg === "all"
        ? [...VMBENCH_SIZES]
        : sizeArg.split(",").map((s) => parseSize(s, "echo-client --size"));
    if (sizes.some((s) => s < 1))
      throw new UsageError("echo-client --size: messages of at least 1 byte");
    const requestsArg = flag(args, "requests");
    const requests =
      requestsArg === undefined ? undefined : intArg(requestsArg, "echo-client --requests");
    const durationArg = flag(args, "duration");
    const duration = durationArg === undefined ? DEFAULT_DURATION_S : Number(durationArg);
    if (!(duration > 0))
      throw new UsageError(
        `echo-client --duration: seconds > 0, got ${JSON.stringify(durationArg)}`,
      );

    let server: Server | null = null;
    let target: TcpAddress;
    if (flag(args, "port") === undefined) {
      const mode = echoMode(args, "echo-client");
      server = yield* startEchoServer({ host: DEFAULT_HOST, port: 0, mode });
      const a = server.address() as TcpAddress;
      target = { host: a.host, port: a.port };
      out(`echo server (${mode}, in this process) on ${a.host}:${a.port}\n`);
    } else {
      target = {
        host: flag(args, "host") ?? DEFAULT_HOST,
        port: port(args, DEFAULT_ECHO_PORT, "echo-client"),
      };
    }
    const loop = getRunningLoop();
    try {
      for (const size of sizes) {
        const started = loop.time();
        const ticker =
          progress === undefined || requests !== undefined
            ? null
            : createTask(
                (function* (): Coro<void> {
                  for (;;) {
                    yield* sleep(REPORT_EVERY_MS / 4);
                    progress(
                      `${formatBytes(size)} messages: ${((loop.time() - started) / 1000).toFixed(1)} of ${duration} s…`,
                    );
                  }
                })(),
              );
        try {
          const r = yield* runEchoClient({
            ...target,
            connections,
            messageSize: size,
            ...(requests === undefined ? { duration: duration * 1000 } : { requests }),
          });
          out(reportLine(r));
        } finally {
          ticker?.cancel();
        }
      }
    } finally {
      if (server !== null) {
        server.close();
        yield* server.waitClosed();
      }
    }
  },
};

export const chat: DemoProgram = {
  name: "chat",
  description: "a chat server from selector-loop's examples: nc 127.0.0.1 7000 (--port N, --for S)",
  mode: "host",
  loop: "selector",
  source: "real workload: @aioloop/selector-loop/examples chatServer",
  *main({ out, args }) {
    const seconds = serveFor(args, "chat");
    const host = flag(args, "host") ?? DEFAULT_HOST;
    const room = yield* chatServer({ host, port: port(args, DEFAULT_CHAT_PORT, "chat") });
    const at = where(room.server);
    const [h, p] = [at.slice(0, at.lastIndexOf(":")), at.slice(at.lastIndexOf(":") + 1)];
    out(
      `chat server on ${at}: connect with \`nc ${h} ${p}\` in two terminals` +
        `${seconds === null ? "; Ctrl-C stops it" : ` (for ${seconds} s)`}\n`,
    );
    let last = "";
    yield* serve(room.server, seconds, () => {
      const now = room.members().join(", ");
      if (now !== last) out(`here now: ${now === "" ? "nobody" : now}\n`);
      last = now;
    });
    out("chat server closed\n");
  },
};
