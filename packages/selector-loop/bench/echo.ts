/**
 * Echo server CPU cost: aioloop's echo server (protocol and streams style) against a plain
 * Node `net` echo server, in CPU time per request, vmbench style (10 connections, one message
 * in flight each, 1 KiB / 10 KiB / 100 KiB messages).
 *
 * HOW. Each measurement starts a fresh server process (bench/echo-server.mjs, plain `node` on
 * the built dist) and a fresh client process (bench/echo-client.mjs, plain Node sockets, the
 * same for every server). The client warms up, goes quiet, and the driver reads the server's
 * `process.cpuUsage()` (user + system, every thread: GC and libuv included) over IPC; then the
 * client runs exactly REQUESTS requests and goes quiet again, and the driver reads it again.
 *
 *   driver ──fork──► server (mode)          driver ──fork──► client (port, size)
 *      │  ◄── {port}                           │  ◄── "warm" (idle)
 *      ├─ "cpu" ─► cpu0                        ├─ "go" ─► N requests ─► {done, ms}
 *      └─ "cpu" ─► cpu1        µs/request = (cpu1 - cpu0) / N
 *
 * Each round runs every mode once, back to back, in a rotating order so drift hits all alike.
 * The ratio of a round is aioloop's CPU per request over plain Node's in that same round (the
 * machine's load changes slowly, so neighbours in time are compared); the report gives the
 * median of those ratios and the median CPU per request. Target: ratio ≤ 1.1 in both styles at
 * every size.
 *
 * Run (from the repository root, after `npx tsc -b` in packages/selector-loop):
 *   npx -y tsx@4.23.15 packages/selector-loop/bench/echo.ts [rounds] [--json]
 */

import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Concurrent connections (vmbench's default). */
const CONNECTIONS = 10;
/** Message sizes (vmbench's). */
const SIZES = [1024, 10 * 1024, 100 * 1024];
/** Requests per measurement: enough for about a second of work at each size. */
const REQUESTS: Record<number, number> = { 1024: 60_000, 10240: 50_000, 102400: 12_000 };
/** Warm-up requests before measuring (JIT, socket buffers), as a share of REQUESTS. */
const WARMUP_SHARE = 0.25;
/** Rounds by default; the median of an odd count is one actual run. */
const DEFAULT_ROUNDS = 9;
/** The target: aioloop may spend at most this much CPU per request relative to plain Node. */
const MAX_RATIO = 1.1;

type Mode = "node" | "protocol" | "streams";
const MODES: Mode[] = ["node", "protocol", "streams"];

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

interface Sample {
  usPerRequest: number;
  requestsPerSecond: number;
  mibPerSecond: number;
}

function nextMessage<T>(child: ChildProcess, pred: (m: unknown) => m is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!pred(m)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => {
      child.off("message", onMessage);
      reject(new Error(`child exited (${code}) before answering`));
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

const has =
  <K extends string>(k: K) =>
  (m: unknown): m is Record<K, number> =>
    typeof m === "object" && m !== null && k in m;
const isWarm = (m: unknown): m is "warm" => m === "warm";

async function serverCpu(server: ChildProcess): Promise<number> {
  const reply = nextMessage(server, has("cpu"));
  server.send("cpu");
  return (await reply).cpu;
}

async function measure(mode: Mode, size: number): Promise<Sample> {
  const server = fork(here("./echo-server.mjs"), [mode], { execArgv: [], stdio: "inherit" });
  try {
    const { port } = await nextMessage(server, has("port"));
    const n = REQUESTS[size]!;
    const args = [port, size, CONNECTIONS, Math.round(n * WARMUP_SHARE), n].map(String);
    const client = fork(here("./echo-client.mjs"), args, { execArgv: [], stdio: "inherit" });
    try {
      await nextMessage(client, isWarm);
      const cpu0 = await serverCpu(server);
      const done = nextMessage(client, has("requests"));
      client.send("go");
      const { requests, ms } = (await done) as { requests: number; ms: number };
      const cpu1 = await serverCpu(server);
      return {
        usPerRequest: (cpu1 - cpu0) / requests,
        requestsPerSecond: (requests / ms) * 1000,
        mibPerSecond: (requests * size) / (1024 * 1024) / (ms / 1000),
      };
    } finally {
      client.kill();
    }
  } finally {
    server.send("exit");
    await new Promise((r) => server.once("exit", r));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  if (!existsSync(here("../dist/examples/index.js"))) {
    console.error("build first: cd packages/selector-loop && npx tsc -b");
    process.exit(2);
  }
  const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? DEFAULT_ROUNDS);
  const json = process.argv.includes("--json");
  const results: Record<string, Record<Mode, Sample[]>> = {};
  for (const size of SIZES) {
    const bySize = { node: [], protocol: [], streams: [] } as Record<Mode, Sample[]>;
    results[size] = bySize;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(r + k) % MODES.length]!;
        bySize[mode].push(await measure(mode, size));
      }
      if (!json) process.stderr.write(".");
    }
  }
  if (!json) process.stderr.write("\n");
  const table: Record<string, unknown>[] = [];
  let ok = true;
  for (const size of SIZES) {
    const bySize = results[size]!;
    for (const mode of MODES) {
      const us = median(bySize[mode].map((s) => s.usPerRequest));
      const ratio = median(
        bySize[mode].map((s, r) => s.usPerRequest / bySize.node[r]!.usPerRequest),
      );
      if (mode !== "node" && ratio > MAX_RATIO) ok = false;
      table.push({
        size: `${size / 1024} KiB`,
        server: mode === "node" ? "plain node:net" : `aioloop ${mode}`,
        "CPU µs/request": Number(us.toFixed(2)),
        "ratio vs node (median of rounds)": Number(ratio.toFixed(3)),
        "requests/s": Math.round(median(bySize[mode].map((s) => s.requestsPerSecond))),
        "MiB/s": Number(median(bySize[mode].map((s) => s.mibPerSecond)).toFixed(1)),
      });
    }
  }
  if (json) console.log(JSON.stringify({ rounds, connections: CONNECTIONS, table }, null, 2));
  else {
    console.log(
      `echo servers, ${CONNECTIONS} connections, median of ${rounds} rounds (target: ratio ≤ ${MAX_RATIO})`,
    );
    console.table(table);
    console.log(ok ? "all ratios within target" : "SOME RATIOS OVER TARGET");
  }
}

await main();
