/**
 * Files suite: @aioloop/files (worker-thread file I/O, aiofiles-style) against Node's
 * fs/promises, readline and synchronous fs, on files made for the run in a temporary directory.
 *
 * HOW: three scenarios, each batch a whole program (`runSync` on a fresh TimerLoop):
 *
 *   small files   10,000 files of 1 KiB, 64 tasks each doing open("rb") + read() + close()
 *                 vs 64 async workers doing fs/promises.readFile     (target: a third of its time)
 *   lines         iterate a 100,000-line text file with f.aiter()
 *                 vs `for await (const line of readline)`            (target: 1.5x its time)
 *   big read      read a 256 MiB file in one read()
 *                 vs fs/promises.readFile                            (target: 0.8x its bandwidth)
 *
 * fs.readFileSync (and readFileSync + split for lines) is shown beside each as the floor a
 * blocking program reaches. `--quick` uses 200 files, 5,000 lines and 8 MiB.
 *
 * WHY a worker pool of our own for the run: the default pool would outlive the suite; this one
 * is closed (threads joined) in `close()`, and the temporary directory removed, whatever failed.
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as nodeOs from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { type Coro, createTask } from "@aioloop/core";
import { WorkerPool, open, setDefaultPool } from "@aioloop/files";
import { TIMER_SYNC } from "../backends.js";
import type { Scenario, Suite, SuiteContext } from "../harness.js";
import { atMost } from "../harness.js";

/** Concurrent readers in the small-files scenario (both sides). */
const CONCURRENCY = 64;
/** Size of each small file. */
const SMALL_FILE_BYTES = 1024;
const MIB = 1024 * 1024;
/** Idle workers exit within milliseconds of close(); past this they are terminated. */
const POOL_EXIT_GRACE_MS = 5_000;
/** The big file is written in chunks of this size. */
const WRITE_CHUNK = 16 * MIB;

interface Sizes {
  readonly files: number;
  readonly lines: number;
  readonly bigMiB: number;
}

const FULL_SIZES: Sizes = { files: 10_000, lines: 100_000, bigMiB: 256 };
const QUICK_SIZES: Sizes = { files: 200, lines: 5_000, bigMiB: 8 };

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

function makeFiles(dir: string, z: Sizes): { small: string[]; lines: string; big: string } {
  const small: string[] = [];
  const payload = Buffer.alloc(SMALL_FILE_BYTES, 0x61);
  fs.mkdirSync(path.join(dir, "small"));
  for (let i = 0; i < z.files; i++) {
    const p = path.join(dir, "small", `f${i}`);
    fs.writeFileSync(p, payload);
    small.push(p);
  }
  const lines = path.join(dir, "lines.txt");
  const parts: string[] = [];
  for (let i = 0; i < z.lines; i++) {
    parts.push(`line ${i}: the quick brown fox jumps over the lazy dog ${i * 7}\n`);
  }
  fs.writeFileSync(lines, parts.join(""));
  const big = path.join(dir, "big.bin");
  const fd = fs.openSync(big, "w");
  try {
    const chunk = Buffer.alloc(Math.min(WRITE_CHUNK, z.bigMiB * MIB), 0x5a);
    for (let off = 0; off < z.bigMiB * MIB; off += chunk.length) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  return { small, lines, big };
}

function smallFiles(small: readonly string[]): Scenario {
  const want = small.length * SMALL_FILE_BYTES;
  function* readAll(): Coro<void> {
    let next = 0;
    let bytes = 0;
    function* reader(): Coro<void> {
      while (next < small.length) {
        const f = yield* open(small[next++]!, "rb");
        const data = yield* f.read(); // not `bytes += yield* …`: that reads `bytes` before waiting
        bytes += data.length;
        yield* f.close();
      }
    }
    const ts = [];
    for (let i = 0; i < CONCURRENCY; i++) ts.push(createTask(reader()));
    for (const t of ts) yield* t;
    check("aioloop bytes", bytes, want);
  }
  return {
    id: "files.small",
    title: `${small.length} small files (1 KiB), ${CONCURRENCY} at a time`,
    unit: "file",
    ops: small.length,
    metric: "wall",
    ours: { name: "aioloop open+read+close", run: () => TIMER_SYNC.run(readAll) },
    compare: [
      {
        name: "fs/promises.readFile",
        role: "baseline",
        target: atMost(0.33),
        run: async () => {
          let next = 0;
          let bytes = 0;
          const reader = async () => {
            while (next < small.length) {
              const data = await fsp.readFile(small[next++]!);
              bytes += data.length;
            }
          };
          await Promise.all(Array.from({ length: CONCURRENCY }, reader));
          check("fs/promises bytes", bytes, want);
        },
      },
      {
        name: "fs.readFileSync",
        role: "baseline",
        target: null,
        run: () => {
          let bytes = 0;
          for (const p of small) bytes += fs.readFileSync(p).length;
          check("readFileSync bytes", bytes, want);
        },
      },
    ],
  };
}

function lineIteration(file: string, lines: number): Scenario {
  function* iterate(): Coro<void> {
    const f = yield* open(file);
    const it = f.aiter();
    let n = 0;
    for (let r = yield* it.next(); !r.done; r = yield* it.next()) n++;
    yield* f.close();
    check("aioloop lines", n, lines);
  }
  return {
    id: "files.lines",
    title: `iterate ${lines} lines of a text file`,
    unit: "line",
    ops: lines,
    metric: "wall",
    ours: { name: "aioloop f.aiter()", run: () => TIMER_SYNC.run(iterate) },
    compare: [
      {
        name: "readline for await",
        role: "baseline",
        target: atMost(1.5),
        run: async () => {
          const rl = readline.createInterface({
            input: fs.createReadStream(file),
            crlfDelay: Number.POSITIVE_INFINITY,
          });
          let n = 0;
          for await (const _ of rl) n++;
          check("readline lines", n, lines);
        },
      },
      {
        name: "readFileSync + split",
        role: "baseline",
        target: null,
        run: () => {
          const parts = fs.readFileSync(file, "utf8").split("\n");
          check("split lines", parts.length - 1, lines);
        },
      },
    ],
  };
}

function bigRead(file: string, mib: number): Scenario {
  const want = mib * MIB;
  function* readBig(): Coro<void> {
    const f = yield* open(file, "rb");
    const data = yield* f.read();
    yield* f.close();
    check("aioloop bytes", data.length, want);
  }
  return {
    id: "files.big-read",
    title: `read a ${mib} MiB file in one read()`,
    unit: "MiB",
    ops: mib,
    metric: "wall",
    heavy: mib >= 64,
    note: "target <= 1.25x time is the issue's >= 0.8x bandwidth",
    ours: { name: "aioloop read()", run: () => TIMER_SYNC.run(readBig) },
    compare: [
      {
        name: "fs/promises.readFile",
        role: "baseline",
        target: atMost(1.25),
        run: async () => check("fs/promises bytes", (await fsp.readFile(file)).length, want),
      },
      {
        name: "fs.readFileSync",
        role: "baseline",
        target: null,
        run: () => check("readFileSync bytes", fs.readFileSync(file).length, want),
      },
    ],
  };
}

/** The files suite. */
export const filesSuite: Suite = {
  area: "files",
  title: "10k small files, line iteration, one big read",
  async open(ctx: SuiteContext) {
    const z = ctx.quick ? QUICK_SIZES : FULL_SIZES;
    const dir = fs.mkdtempSync(
      path.join(process.env.BENCH_TMPDIR ?? nodeOs.tmpdir(), "aioloop-bench-"),
    );
    const pool = new WorkerPool();
    const previous = setDefaultPool(pool);
    const close = async () => {
      setDefaultPool(previous);
      pool.close();
      // The pool's threads are unref'd, so nothing would keep this process alive until they
      // have exited (and `waitClosed` would never settle): hold a timer meanwhile, and stop
      // the threads outright if they take longer than POOL_EXIT_GRACE_MS.
      const grace = setTimeout(() => void pool.terminate(), POOL_EXIT_GRACE_MS);
      try {
        await pool.waitClosed();
      } finally {
        clearTimeout(grace);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    try {
      ctx.log(`   writing test files under ${dir}`);
      const f = makeFiles(dir, z);
      return {
        scenarios: [smallFiles(f.small), lineIteration(f.lines, z.lines), bigRead(f.big, z.bigMiB)],
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  },
};
