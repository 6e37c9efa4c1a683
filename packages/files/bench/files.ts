/**
 * Speed of @aioloop/files against Node's own file APIs, in the same process (ratios, medians of
 * several runs). Run: npx -y tsx@4.23.15 packages/files/bench/files.ts
 *
 *   1. 10,000 files of 1 KiB read 64 at a time: open("rb") + read() + close() per file, against
 *      fs/promises.readFile at the same concurrency. Target: at most 1/3 of its time.
 *   2. iterating a 100,000-line file (text, aiter) against node:readline over fs.createReadStream
 *      (`for await (const line of rl)`, the documented idiom). Target: at most 1.5x its time.
 *   3. reading a 256 MiB file (open("rb") + read()) against the faster of fs.readFileSync and
 *      fs/promises.readFile. Target: at least 0.8x its bandwidth.
 *
 * Each aioloop case runs both ways a program can run: runSync (the thread blocks between
 * completions) and run() (cooperating with Node's event loop).
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as nodeOs from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type Coro, createTask } from "@aioloop/core";
import { run, runSync } from "@aioloop/timer-loop";
import { WorkerPool, open, setDefaultPool } from "../src/index.js";

const FILES = 10_000;
const FILE_SIZE = 1024;
const CONCURRENCY = 64;
const LINES = 100_000;
const BIG = 256 * 1024 * 1024;
const RUNS = Number(process.env.RUNS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

// Collect garbage before every timed run, so that no case pays for the garbage another left
// (a synchronous run defers collection to the host turn after it; a host-driven run pays inside).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function time(fn: () => unknown): Promise<number> {
  gc();
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Run each case `runs` times, interleaved (a, b, c, a, b, c, …) so that a change in machine
 * load hits every case alike; returns the median of each.
 */
async function measure(cases: [string, () => unknown][], runs = RUNS): Promise<number[]> {
  for (const [, fn] of cases) await fn(); // warm-up
  const ts: number[][] = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let c = 0; c < cases.length; c++) ts[c]!.push(await time(cases[c]![1]));
  }
  return cases.map(([name], c) => {
    const m = median(ts[c]!);
    console.log(
      `  ${name.padEnd(44)} median ${m.toFixed(1).padStart(8)} ms  (${ts[c]!.map((t) => t.toFixed(0)).join(" ")})`,
    );
    return m;
  });
}

const dir = fs.mkdtempSync(path.join(nodeOs.tmpdir(), "aioloop-files-bench-"));
const pool = new WorkerPool();
setDefaultPool(pool);

try {
  // ── 1. many small files ──────────────────────────────────────────────────────────────────
  const small: string[] = [];
  const payload = Buffer.alloc(FILE_SIZE, 0x61);
  fs.mkdirSync(path.join(dir, "small"));
  for (let i = 0; i < FILES; i++) {
    const p = path.join(dir, "small", `f${i}`);
    fs.writeFileSync(p, payload);
    small.push(p);
  }
  console.log(
    `1. ${FILES} files of ${FILE_SIZE} B, ${CONCURRENCY} at a time (workers: ${pool.size})`,
  );

  const readAllNode = async () => {
    let i = 0;
    let bytes = 0;
    const one = async () => {
      while (i < small.length) {
        const data = await fsp.readFile(small[i++]!);
        bytes += data.length;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, one));
    if (bytes !== FILES * FILE_SIZE) throw new Error("short read (node)");
  };
  function* readAllOurs(): Coro<void> {
    let i = 0;
    let bytes = 0;
    function* one(): Coro<void> {
      while (i < small.length) {
        const f = yield* open(small[i++]!, "rb");
        const data = yield* f.read();
        bytes += data.length;
        yield* f.close();
      }
    }
    const tasks = Array.from({ length: CONCURRENCY }, () => createTask(one()));
    for (const t of tasks) yield* t;
    if (bytes !== FILES * FILE_SIZE) throw new Error(`short read (ours): ${bytes}`);
  }
  const [node1, sync1, host1] = await measure([
    ["fs/promises.readFile", readAllNode],
    ["aioloop open+read+close, runSync", () => runSync(readAllOurs)],
    ["aioloop open+read+close, run()", () => run(readAllOurs)],
  ]);
  console.log(
    `  ratio runSync ${(sync1 / node1).toFixed(3)}  run() ${(host1 / node1).toFixed(3)}  (target <= 0.333)`,
  );

  // ── 2. line iteration ────────────────────────────────────────────────────────────────────
  const linesPath = path.join(dir, "lines.txt");
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++)
    parts.push(`line ${i}: the quick brown fox jumps over the lazy dog ${i * 7}\n`);
  fs.writeFileSync(linesPath, parts.join(""));
  console.log(`2. iterate ${LINES} lines (${(fs.statSync(linesPath).size / 1e6).toFixed(1)} MB)`);
  const rlForAwait = async () => {
    const rl = readline.createInterface({
      input: fs.createReadStream(linesPath),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let n = 0;
    for await (const _ of rl) n++;
    if (n !== LINES) throw new Error(`readline saw ${n}`);
  };
  const rlEvents = () =>
    new Promise<void>((resolve, reject) => {
      const rl = readline.createInterface({
        input: fs.createReadStream(linesPath),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      let n = 0;
      rl.on("line", () => n++);
      rl.on("close", () => (n === LINES ? resolve() : reject(new Error(`readline saw ${n}`))));
    });
  function* iterOurs(): Coro<void> {
    const f = yield* open(linesPath);
    const it = f.aiter();
    let n = 0;
    for (let r = yield* it.next(); !r.done; r = yield* it.next()) n++;
    yield* f.close();
    if (n !== LINES) throw new Error(`aioloop saw ${n}`);
  }
  const [node2, node2e, sync2, host2] = await measure([
    ["readline for-await over createReadStream", rlForAwait],
    ["readline 'line' events (for reference)", rlEvents],
    ["aioloop aiter(), runSync", () => runSync(iterOurs)],
    ["aioloop aiter(), run()", () => run(iterOurs)],
  ]);
  console.log(
    `  ratio runSync ${(sync2 / node2).toFixed(3)}  run() ${(host2 / node2).toFixed(3)}  (target <= 1.5; vs 'line' events: ${(sync2 / node2e).toFixed(3)})`,
  );

  // ── 3. one big file ──────────────────────────────────────────────────────────────────────
  const bigPath = path.join(dir, "big.bin");
  {
    const fd = fs.openSync(bigPath, "w");
    const chunk = Buffer.alloc(16 * 1024 * 1024, 0x5a);
    for (let off = 0; off < BIG; off += chunk.length) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
  }
  console.log(`3. read a ${BIG / 1024 / 1024} MiB file`);
  const bigRuns = RUNS;
  function* bigOurs(): Coro<void> {
    const f = yield* open(bigPath, "rb");
    const data = yield* f.read();
    yield* f.close();
    if (data.length !== BIG) throw new Error(`short: ${data.length}`);
  }

  const [sync3n, prom3n, sync3, host3] = await measure(
    [
      [
        "fs.readFileSync",
        () => {
          if (fs.readFileSync(bigPath).length !== BIG) throw new Error("short");
        },
      ],
      [
        "fs/promises.readFile",
        async () => {
          if ((await fsp.readFile(bigPath)).length !== BIG) throw new Error("short");
        },
      ],
      ["aioloop read(), runSync", () => runSync(bigOurs)],
      ["aioloop read(), run()", () => run(bigOurs)],
    ],
    bigRuns,
  );
  const best = Math.min(sync3n, prom3n);
  const bw = (ms: number) => `${(BIG / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  console.log(`  bandwidth node best ${bw(best)}, runSync ${bw(sync3)}, run() ${bw(host3)}`);
  console.log(
    `  ratio runSync ${(best / sync3).toFixed(3)}  run() ${(best / host3).toFixed(3)}  (target >= 0.8)`,
  );
  console.log("pool:", JSON.stringify(pool.statistics()));
} finally {
  pool.close();
  await pool.waitClosed();
  fs.rmSync(dir, { recursive: true, force: true });
}
