/**
 * Echo suite: server CPU time per request of an echo server over loopback TCP, for messages of
 * 1, 10 and 100 KiB: aioloop's SelectorLoop and EpollLoop (protocol and streams styles) against
 * a plain Node `net` server, with Python's asyncio and uvloop doing the same.
 *
 * HOW: every server is a child process (echo-server.ts, or python/peers.py) that reports its own
 * CPU time on request. The client lives in the bench process: C connections, each sending one
 * message, waiting for all of it to come back, and sending the next:
 *
 *   bench (client) ── C sockets ──► server child          per size, per round, per server:
 *        │  "cpu" ─────────────────► {"cpu_us": a}           cpu a ─► N requests ─► cpu b
 *        │  N requests, ping-pong                             sample = (b - a) / N
 *        │  "cpu" ─────────────────► {"cpu_us": b}
 *
 * All servers of one size are measured in interleaved rounds (order reversed every other
 * round), after one warm-up pass each, so drift in machine load hits them alike. The Node
 * baseline is measured once per size and shared by the protocol and streams rows.
 *
 * WHY server CPU and not requests per second: on a 2-core machine the client saturates first,
 * so throughput would measure the client; CPU per request is what a server operator pays.
 */

import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import { type Interface, createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Comparison, Contender, Scenario, Suite, SuiteContext } from "../harness.js";
import { atMost } from "../harness.js";
import type { PythonFlavour } from "../python.js";

/** The server child, found from both src/suites (tests) and dist/suites (the CLI). */
export const ECHO_SERVER_SCRIPT = fileURLToPath(
  new URL("../../dist/echo-server.js", import.meta.url),
);

const KIB = 1024;

/** A server that does not answer a control line within this long is declared dead. */
const REPLY_TIMEOUT_MS = 30_000;

/** The target: at most 10% more server CPU per request than plain net. */
const ECHO_TARGET = atMost(1.1);

/** Issue 14's targets for EpollLoop, against uvloop: protocol at or below it, streams within 1.1x. */
const EPOLL_PROTOCOL_TARGET = atMost(1);
const EPOLL_STREAMS_TARGET = atMost(1.1);

interface Load {
  readonly size: number;
  /** Requests per measured round. */
  readonly requests: number;
}

interface Plan {
  readonly loads: readonly Load[];
  readonly connections: number;
  readonly rounds: number;
}

const FULL_PLAN: Plan = {
  loads: [
    { size: 1 * KIB, requests: 20_000 },
    { size: 10 * KIB, requests: 10_000 },
    { size: 100 * KIB, requests: 2_000 },
  ],
  connections: 10,
  rounds: 5,
};

const QUICK_PLAN: Plan = {
  loads: [
    { size: 1 * KIB, requests: 300 },
    { size: 10 * KIB, requests: 200 },
    { size: 100 * KIB, requests: 40 },
  ],
  connections: 4,
  rounds: 1,
};

/** A running server child and its control channel. */
class ServerChild {
  readonly name: string;
  readonly #proc: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: ((line: string | null) => void)[] = [];
  readonly #early: string[] = [];
  #ended = false;
  port = 0;

  constructor(name: string, cmd: string, args: readonly string[]) {
    this.name = name;
    this.#proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.#proc.on("error", () => this.#end());
    this.#lines = createInterface({ input: this.#proc.stdout! });
    this.#lines.on("line", (line) => {
      const w = this.#waiting.shift();
      if (w) w(line);
      else this.#early.push(line);
    });
    this.#lines.on("close", () => this.#end());
  }

  #end(): void {
    this.#ended = true;
    for (const w of this.#waiting.splice(0)) w(null);
  }

  /** The next JSON line from the child. */
  next(): Promise<Record<string, unknown>> {
    const early = this.#early.shift();
    const got =
      early !== undefined
        ? Promise.resolve<string | null>(early)
        : this.#ended
          ? Promise.resolve<string | null>(null)
          : new Promise<string | null>((resolve) => {
              const timer = setTimeout(() => resolve(null), REPLY_TIMEOUT_MS);
              this.#waiting.push((line) => {
                clearTimeout(timer);
                resolve(line);
              });
            });
    return got.then((line) => {
      if (line === null) throw new Error(`${this.name}: server exited or stopped answering`);
      return JSON.parse(line) as Record<string, unknown>;
    });
  }

  /** Start: resolves with null once listening, or with the reason it cannot run. */
  async start(): Promise<string | null> {
    const first = await this.next();
    if (typeof first["skip"] === "string") return first["skip"];
    if (typeof first["port"] !== "number")
      return `${this.name}: no port in ${JSON.stringify(first)}`;
    this.port = first["port"];
    return null;
  }

  /** The child's CPU time so far, in µs. */
  async cpu(): Promise<number> {
    this.#proc.stdin!.write("cpu\n");
    const r = await this.next();
    return r["cpu_us"] as number;
  }

  /** Ask it to exit and wait until it has (killed after a grace period). */
  async close(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#proc.once("exit", () => resolve()));
    this.#proc.stdin!.end("exit\n");
    const timer = setTimeout(() => this.#proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Drive `requests` ping-pong requests of `size` bytes over `conns` connections. */
export async function driveEcho(port: number, size: number, conns: number, requests: number) {
  const msg = Buffer.alloc(size, 0x37);
  const per = Math.ceil(requests / conns);
  let done = 0;
  await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => s.write(msg));
          let got = 0;
          let mine = 0;
          s.on("data", (d) => {
            got += d.length;
            while (got >= size) {
              got -= size;
              done++;
              if (++mine >= per) {
                s.end();
                return;
              }
              s.write(msg);
            }
          });
          s.on("error", reject);
          s.on("close", () =>
            mine >= per ? resolve() : reject(new Error("connection closed early")),
          );
        }),
    ),
  );
  return done;
}

/** ns of server CPU per request, one sample per round, all servers of one load interleaved. */
async function measureLoad(
  servers: readonly ServerChild[],
  load: Load,
  plan: Plan,
): Promise<Map<ServerChild, number[]>> {
  const out = new Map<ServerChild, number[]>(servers.map((s) => [s, []]));
  for (const s of servers) {
    await driveEcho(s.port, load.size, plan.connections, Math.ceil(load.requests / 5)); // warm-up
  }
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      const a = await s.cpu();
      const n = await driveEcho(s.port, load.size, plan.connections, load.requests);
      const b = await s.cpu();
      out.get(s)!.push(((b - a) * 1000) / n);
    }
  }
  return out;
}

/** The echo suite. */
export const echoSuite: Suite = {
  area: "echo",
  title: "echo over loopback at 1/10/100 KiB: server CPU per request",
  async open(ctx: SuiteContext) {
    const plan = ctx.quick ? QUICK_PLAN : FULL_PLAN;
    const servers: ServerChild[] = [];
    const skips = new Map<string, string>();
    const started = new Map<string, ServerChild>();
    const startOne = async (key: string, name: string, cmd: string, args: string[]) => {
      const s = new ServerChild(name, cmd, args);
      servers.push(s);
      const why = await s
        .start()
        .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
      if (why === null) started.set(key, s);
      else skips.set(key, why);
    };
    const close = async () => {
      await Promise.all(servers.map((s) => s.close()));
    };
    try {
      if (!fs.existsSync(ECHO_SERVER_SCRIPT)) {
        const why = `${ECHO_SERVER_SCRIPT} missing: build the bench first (pnpm bench builds it)`;
        for (const k of ["net", "protocol", "streams", "epoll-protocol", "epoll-streams"]) {
          skips.set(k, why);
        }
      } else {
        for (const mode of ["net", "protocol", "streams", "epoll-protocol", "epoll-streams"]) {
          await startOne(mode, mode, process.execPath, [ECHO_SERVER_SCRIPT, mode]);
        }
      }
      const py = ctx.python;
      for (const flavour of ["asyncio", "uvloop"] as PythonFlavour[]) {
        for (const style of ["protocol", "streams"] as const) {
          const key = `${flavour}-${style}`;
          const why =
            py === null ? "python peers disabled (--no-python)" : await py.unavailable(flavour);
          if (py === null || why !== null) {
            skips.set(key, why!);
            continue;
          }
          const [cmd, args] = py.echoServerCommand(flavour, style);
          await startOne(key, `${await py.label(flavour)} ${style}`, cmd, args);
        }
      }
      ctx.log(`   servers: ${[...started.keys()].join(", ")}`);

      const cache = new Map<Load, Promise<Map<ServerChild, number[]>>>();
      const samplesOf = (key: string, load: Load) => {
        let p = cache.get(load);
        if (p === undefined) {
          p = measureLoad([...started.values()], load, plan);
          cache.set(load, p);
        }
        return p.then((m) => m.get(started.get(key)!)!);
      };
      const contender = (key: string, name: string, load: Load): Contender =>
        started.has(key)
          ? { name, samples: () => samplesOf(key, load) }
          : { name, skip: skips.get(key) ?? `${key} did not start` };
      const peer = (key: string, label: string, load: Load): Comparison => ({
        ...contender(key, label, load),
        role: "peer",
        target: null,
      });
      const pyLabel = async (flavour: PythonFlavour) =>
        py === null ? `${flavour} (python)` : await py.label(flavour);
      const asyncioLabel = await pyLabel("asyncio");
      const uvloopLabel = await pyLabel("uvloop");

      const scenarios: Scenario[] = [];
      for (const style of ["protocol", "streams"] as const) {
        for (const load of plan.loads) {
          scenarios.push({
            id: `echo.${style}-${load.size / KIB}k`,
            title: `echo ${load.size / KIB} KiB, ${style} [selector-loop]`,
            unit: "request",
            ops: 1,
            metric: "server-cpu",
            ours: contender(style, `aioloop ${style}`, load),
            compare: [
              {
                ...contender("net", "plain net server", load),
                role: "baseline",
                target: ECHO_TARGET,
              },
              peer(`asyncio-${style}`, `${asyncioLabel} ${style}`, load),
              peer(`uvloop-${style}`, `${uvloopLabel} ${style}`, load),
            ],
          });
        }
      }
      for (const style of ["protocol", "streams"] as const) {
        for (const load of plan.loads) {
          scenarios.push({
            id: `echo.epoll-${style}-${load.size / KIB}k`,
            title: `echo ${load.size / KIB} KiB, ${style} [epoll-loop]`,
            unit: "request",
            ops: 1,
            metric: "server-cpu",
            ours: contender(`epoll-${style}`, `aioloop epoll ${style}`, load),
            compare: [
              { ...contender("net", "plain net server", load), role: "baseline", target: null },
              peer(`asyncio-${style}`, `${asyncioLabel} ${style}`, load),
              {
                ...contender(`uvloop-${style}`, `${uvloopLabel} ${style}`, load),
                role: "peer",
                target: style === "protocol" ? EPOLL_PROTOCOL_TARGET : EPOLL_STREAMS_TARGET,
              },
            ],
          });
        }
      }
      return { scenarios, close };
    } catch (e) {
      await close();
      throw e;
    }
  },
};
