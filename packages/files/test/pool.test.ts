import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type Backend,
  BaseEventLoop,
  CancelledError,
  createTask,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_STUCK_AFTER_MS,
  MAX_JOBS_PER_WORKER,
  PoolClosedError,
  WorkerCrashedError,
  WorkerPool,
  open,
  runInWorker,
} from "../src/index.js";
import { OP } from "../src/protocol.js";
import {
  REAL_RUNNERS,
  RUNNERS,
  newPool,
  rejects,
  runSync,
  tmpDir,
  until,
  usePool,
  waitUntil,
} from "./support.js";

const { pool: sharedPool } = usePool();
const JOBS = new URL("./fixtures/jobs.mjs", import.meta.url);

describe.each(RUNNERS)("runInWorker on $name", (runner) => {
  it("returns the export's result, awaiting a Promise", async () => {
    const out = await runner.run(function* () {
      const a = yield* runInWorker<number>(JOBS, "add", 2, 3);
      const b = yield* runInWorker<number>(JOBS.href, "doubleLater", 21);
      return [a, b];
    });
    expect(out).toEqual([5, 42]);
  });

  it.skipIf(!REAL_RUNNERS.includes(runner))(
    "a worker killed mid-job fails only that job, and is replaced",
    async () => {
      const pool = newPool({ size: 1 });
      const out = await runner.run(function* () {
        const flag = new Int32Array(new SharedArrayBuffer(8));
        const blocker = createTask(pool.runInWorker(JOBS, "block", flag));
        yield* until(() => Atomics.load(flag, 1) === 1);
        // Both queue behind the blocker on the pool's only worker.
        const dying = createTask(pool.runInWorker(JOBS, "exit", 3));
        const bystander = createTask(pool.runInWorker<number>(JOBS, "add", 1, 1));
        yield;
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        const first = yield* blocker;
        let crash: unknown;
        try {
          yield* dying;
        } catch (e) {
          crash = e;
        }
        const after = yield* bystander;
        const again = yield* pool.runInWorker<number>(JOBS, "add", 2, 2);
        return { first, crash, after, again };
      });
      expect(out.first).toBe("released");
      expect(out.crash).toBeInstanceOf(WorkerCrashedError);
      expect((out.crash as WorkerCrashedError).exitCode).toBe(3);
      expect((out.crash as Error).message).toMatch(/exit/);
      expect(out.after).toBe(2);
      expect(out.again).toBe(4);
      const st = pool.statistics();
      expect(st.crashed).toBe(1);
      expect(st.started).toBe(2);
    },
  );
});

describe("runInWorker errors", () => {
  it("keep their class, name, message and code", async () => {
    const out = await runSync.run(function* () {
      const errs: unknown[] = [];
      for (const [name, args] of [
        ["fail", ["E_CUSTOM"]],
        ["typeError", []],
        ["throwString", []],
        ["nothingHere", []],
        ["unclonable", []],
      ] as const) {
        try {
          yield* runInWorker(JOBS, name, ...args);
        } catch (e) {
          errs.push(e);
        }
      }
      return errs;
    });
    const [custom, type, str, missing, clone] = out as [
      Error & { code: string; detail: number },
      Error,
      unknown,
      Error,
      Error,
    ];
    expect(custom).toBeInstanceOf(Error);
    expect([custom.name, custom.message, custom.code, custom.detail]).toEqual([
      "CustomError",
      "failed with E_CUSTOM",
      "E_CUSTOM",
      42,
    ]);
    expect(custom.stack).toMatch(/jobs\.mjs/);
    expect(type).toBeInstanceOf(TypeError);
    expect(type.message).toBe("not a number");
    expect(str).toBe("plain string");
    expect(missing).toBeInstanceOf(TypeError);
    expect(missing.message).toMatch(/no exported function "nothingHere".*add/);
    expect(clone.message).toMatch(/could not be sent back/);
  });

  it("a relative module path is refused at once with what to write instead", async () => {
    const e = (await rejects(runSync, () => runInWorker("./jobs.mjs", "add"))) as Error;
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/new URL\("\.\/jobs\.mjs", import\.meta\.url\)/);
  });

  it("an error that escapes asynchronously kills the worker: WorkerCrashedError with it as cause", async () => {
    const pool = newPool({ size: 1 });
    const e = (await rejects(runSync, () =>
      pool.runInWorker(JOBS, "escapeLater"),
    )) as WorkerCrashedError;
    expect(e).toBeInstanceOf(WorkerCrashedError);
    expect(e.exitCode).toBe(1);
    expect((e.cause as Error).message).toBe("escaped");
    const ok = await runSync.run(() => pool.runInWorker<number>(JOBS, "add", 1, 2));
    expect(ok).toBe(3);
  });

  it("arguments that cannot be cloned fail that job only", async () => {
    const out = await runSync.run(function* () {
      const bad = createTask(runInWorker(JOBS, "add", () => 1, 2));
      const good = createTask(runInWorker<number>(JOBS, "add", 1, 2));
      let err: unknown;
      try {
        yield* bad;
      } catch (e) {
        err = e;
      }
      return [err, yield* good];
    });
    expect(out[0]).toBeInstanceOf(TypeError);
    expect((out[0] as Error).message).toMatch(/cannot be sent to a worker thread/);
    expect(out[1]).toBe(3);
  });
});

describe("cancellation", () => {
  it("a job cancelled before it was posted never runs", async () => {
    const dir = tmpDir();
    const target = path.join(dir, "never.txt");
    const pool = newPool({ size: 1 });
    await runSync.run(function* () {
      const t = createTask(pool.runInWorker(JOBS, "touch", target));
      yield; // the task submits the job; the flush is scheduled for the next iteration
      t.cancel();
      yield* sleep(20);
      expect(t.cancelled()).toBe(true);
      yield* pool.runInWorker(JOBS, "add", 1, 1); // the worker is idle and alive
    });
    expect(fs.existsSync(target)).toBe(false);
    expect(pool.statistics().cancelled).toBe(1);
  });

  it("a job posted to a busy worker and cancelled is skipped by the worker", async () => {
    const dir = tmpDir();
    const target = path.join(dir, "skipped.txt");
    const pool = newPool({ size: 1 });
    await runSync.run(function* () {
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const blocker = createTask(pool.runInWorker(JOBS, "block", flag));
      yield* until(() => Atomics.load(flag, 1) === 1);
      const t = createTask(pool.runInWorker(JOBS, "touch", target));
      yield* sleep(5); // posted behind the blocker
      expect(pool.statistics().inFlight).toBe(2);
      t.cancel();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      yield* blocker;
      yield* until(() => pool.statistics().inFlight === 0);
    });
    expect(fs.existsSync(target)).toBe(false);
  });

  it("a running job whose task is cancelled: the task ends at once, the result is discarded", async () => {
    const pool = newPool({ size: 1 });
    const out = await runSync.run(function* () {
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const t = createTask(pool.runInWorker(JOBS, "block", flag));
      yield* until(() => Atomics.load(flag, 1) === 1);
      t.cancel();
      let err: unknown;
      try {
        yield* t;
      } catch (e) {
        err = e;
      }
      const inFlightWhileCancelled = pool.statistics().inFlight;
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      yield* until(() => pool.statistics().inFlight === 0);
      return [err instanceof CancelledError, inFlightWhileCancelled];
    });
    expect(out).toEqual([true, 1]);
  });

  it("an open() cancelled while the worker opens the file closes the descriptor it got", async () => {
    const dir = tmpDir();
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const fds = () =>
      fs.readdirSync("/proc/self/fd").map((fd) => {
        try {
          return `${fd}:${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
        } catch {
          return fd;
        }
      });
    const pool = newPool({ size: 1 });
    await runSync.run(() => pool.runInWorker(JOBS, "add", 0, 0)); // start the worker
    const before = fds();
    await runSync.run(function* () {
      const t = createTask(open(fifo, "rb", { pool }));
      // The writer side opens only once the worker is inside open(): the job is running.
      let writer = -1;
      yield* until(() => {
        try {
          writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
          return true;
        } catch {
          return false;
        }
      });
      t.cancel();
      fs.writeSync(writer, "x");
      fs.closeSync(writer);
      let cancelled = false;
      try {
        yield* t;
      } catch (e) {
        cancelled = e instanceof CancelledError;
      }
      expect(cancelled).toBe(true);
      yield* until(() => pool.statistics().inFlight === 0 && pool.statistics().queued === 0);
    });
    expect(fds().filter((x) => x.includes("fifo"))).toEqual(
      before.filter((x) => x.includes("fifo")),
    );
    expect(fds().length).toBe(before.length);
  });
});

describe("a loop that closes with jobs in flight", () => {
  it("withdraws its queued jobs, cancels the posted ones and abandons the running one", async () => {
    const dir = tmpDir();
    const posted = path.join(dir, "posted.txt");
    const queued = path.join(dir, "queued.txt");
    const pool = newPool({ size: 1 });
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const loop = new TimerLoop();
    loop.setExceptionHandler(() => {}); // the tasks left pending are reported: expected here
    const full = MAX_JOBS_PER_WORKER;
    const portsBefore = heldPorts();
    loop.runSync(
      loop.createTask(
        (function* () {
          createTask(pool.runInWorker(JOBS, "block", flag));
          yield* until(() => Atomics.load(flag, 1) === 1);
          // Fill the worker: behind the running job, full - 1 posted ones it has not started.
          createTask(pool.runInWorker(JOBS, "touch", posted));
          for (let i = 2; i < full; i++) createTask(pool.runInWorker(JOBS, "add", i, 1));
          yield* until(() => pool.statistics().inFlight === full);
          // No room left on the worker: this one waits on the main thread.
          createTask(pool.runInWorker(JOBS, "touch", queued));
          yield* until(() => pool.statistics().queued === 1);
        })(),
      ),
    );
    expect(pool.statistics()).toMatchObject({ queued: 1, inFlight: full, cancelled: 0 });
    expect(heldPorts()).toBe(portsBefore + 1); // the pool's port keeps the process alive
    loop.close();
    expect(pool.statistics()).toMatchObject({ queued: 0, cancelled: full + 1 });
    // ... no longer: a program could end here (test/fixtures/close-exits.mjs runSync does).
    expect(heldPorts()).toBe(portsBefore);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    await waitUntil(() => pool.statistics().inFlight === 0);
    expect(pool.statistics()).toMatchObject({ completed: 1, failed: 0 });
    expect([fs.existsSync(posted), fs.existsSync(queued)]).toEqual([false, false]);
  });

  // Child processes run the program (test/fixtures/close-exits.mjs) from the TypeScript sources.
  // The job is long (30 s) so that "at once" has a wide margin on a loaded machine (two test
  // runs in parallel on 2 cores start this child slowly, and it took over 20 s with a 3 s job).
  it("a program whose run() ends while a 30 s job runs exits at once", async () => {
    const end = await runClosing("run");
    expect(end).toMatchObject({ code: 0, out: "closed\n", err: "" });
    // Before, the process lived until the job ended: 30 s after the loop closed.
    expect(end.afterClose).toBeLessThan(15_000);
  }, 60_000);
});

/** The message ports that keep this process alive now. */
function heldPorts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;
}

/** Run test/fixtures/close-exits.mjs in `mode`; how it ended, and how long after "closed". */
async function runClosing(mode: string) {
  const fixtures = new URL("./fixtures/", import.meta.url);
  const child = spawn(
    process.execPath,
    [
      "--import",
      fileURLToPath(new URL("ts-register.mjs", fixtures)),
      fileURLToPath(new URL("close-exits.mjs", fixtures)),
      mode,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  let closedAt = 0;
  child.stdout.on("data", (d: Buffer) => {
    out += String(d);
    if (closedAt === 0 && out.includes("closed")) closedAt = performance.now();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { mode, code, out, err, afterClose: performance.now() - closedAt };
}

describe("the pool", () => {
  it("batches: many jobs submitted together cost few messages", async () => {
    const pool = newPool({ size: 2 });
    await runSync.run(function* () {
      const tasks = Array.from({ length: 200 }, (_, i) =>
        createTask(pool.runInWorker<number>(JOBS, "add", i, 1)),
      );
      let sum = 0;
      for (const t of tasks) sum += yield* t;
      expect(sum).toBe((200 * 201) / 2);
    });
    const st = pool.statistics();
    expect(st.completed).toBe(200);
    // At most MAX_JOBS_PER_WORKER jobs wait on a worker; the rest follow as answers come back.
    expect(st.batches).toBeGreaterThanOrEqual(Math.ceil(200 / MAX_JOBS_PER_WORKER / 2));
    expect(st.batches).toBeLessThan(20);
  });

  it("starts workers lazily, up to its size, and spreads work over them", async () => {
    const pool = newPool({ size: 2 });
    expect(pool.statistics().workers).toBe(0);
    const ids = await runSync.run(function* () {
      const tasks = Array.from({ length: 32 }, () =>
        createTask(pool.runInWorker<number>(JOBS, "busy", 2)),
      );
      for (const t of tasks) yield* t;
      const who = Array.from({ length: 32 }, () =>
        createTask(pool.runInWorker<number>(JOBS, "whoAmI")),
      );
      const out = new Set<number>();
      for (const t of who) out.add(yield* t);
      return out;
    });
    expect(pool.statistics().workers).toBe(2);
    expect(ids.size).toBe(2);
  });

  it("close(): no new jobs; queued ones finish; waitClosed() resolves when the threads are gone", async () => {
    const pool = newPool({ size: 1 });
    const out = await runSync.run(function* () {
      const a = createTask(pool.runInWorker<number>(JOBS, "busy", 20));
      const b = createTask(pool.runInWorker<number>(JOBS, "add", 1, 2));
      yield;
      pool.close();
      let refused: unknown;
      try {
        yield* pool.runInWorker(JOBS, "add", 1, 1);
      } catch (e) {
        refused = e;
      }
      return [yield* a, yield* b, refused];
    });
    expect(out.slice(0, 2)).toEqual([20, 3]);
    expect(out[2]).toBeInstanceOf(PoolClosedError);
    await pool.waitClosed();
    expect(pool.statistics().workers).toBe(0);
  });

  it("close({ cancelFutures: true }) cancels what has not finished", async () => {
    const pool = newPool({ size: 1 });
    const out = await runSync.run(function* () {
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const running = createTask(pool.runInWorker(JOBS, "block", flag));
      yield* until(() => Atomics.load(flag, 1) === 1);
      const queued = createTask(pool.runInWorker(JOBS, "add", 1, 1));
      yield;
      pool.close({ cancelFutures: true });
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const results: string[] = [];
      for (const t of [running, queued]) {
        try {
          yield* t;
          results.push("done");
        } catch (e) {
          results.push(e instanceof CancelledError ? "cancelled" : String(e));
        }
      }
      return results;
    });
    expect(out).toEqual(["cancelled", "cancelled"]);
    await pool.waitClosed();
  });

  it("a virtual clock does not jump past a job in flight", async () => {
    const loop = new TimerLoop({ clock: "virtual" });
    try {
      const out = loop.runSync(
        loop.createTask(
          (function* () {
            const order: string[] = [];
            const timer = createTask(
              (function* () {
                yield* sleep(1000);
                order.push(`timer at ${getRunningLoop().time()}`);
              })(),
            );
            yield* runInWorker(JOBS, "busy", 30);
            order.push(`job at ${getRunningLoop().time()}`);
            yield* timer;
            return order;
          })(),
        ),
      );
      expect(out).toEqual(["job at 0", "timer at 1000"]);
    } finally {
      loop.close();
    }
  });

  it("works on a custom BaseEventLoop (host-driven)", async () => {
    const loop = new MinimalLoop();
    try {
      const out = await loop.runUntilComplete(
        loop.createTask(
          (function* () {
            const a = yield* runInWorker<number>(JOBS, "add", 20, 22);
            const f = yield* open(fileURLToPathSafe(JOBS), "r");
            const first = yield* f.readline();
            yield* f.close();
            return [a, first];
          })(),
        ),
      );
      expect(out).toEqual([
        42,
        "// Functions the runInWorker tests call in a worker (plain JavaScript: a worker imports it as is).\n",
      ]);
    } finally {
      loop.close();
    }
  });

  it("statistics() counts what happened", async () => {
    const pool = newPool({ size: 1 });
    await runSync.run(function* () {
      yield* pool.runInWorker(JOBS, "add", 1, 1);
      try {
        yield* pool.runInWorker(JOBS, "fail", "X");
      } catch {}
      yield* pool._submit(OP.PATHTEST, ["/", 0]);
    });
    const st = pool.statistics();
    expect(st).toMatchObject({
      size: 1,
      workers: 1,
      started: 1,
      crashed: 0,
      submitted: 3,
      completed: 2,
      failed: 1,
      cancelled: 0,
      queued: 0,
      inFlight: 0,
    });
    expect(st.batches).toBeGreaterThanOrEqual(3);
    expect(sharedPool().size).toBe(2);
  });

  it("size must be a whole number ≥ 1, stuckAfterMs a number of milliseconds ≥ 0", () => {
    expect(() => new WorkerPool({ size: 0 })).toThrow(RangeError);
    expect(() => new WorkerPool({ size: 1.5 })).toThrow(/whole number/);
    expect(() => new WorkerPool({ stuckAfterMs: -1 })).toThrow(RangeError);
    expect(() => new WorkerPool({ stuckAfterMs: Number.NaN })).toThrow(/stuckAfterMs/);
    expect(new WorkerPool({ stuckAfterMs: Number.POSITIVE_INFINITY }).stuckAfterMs).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(new WorkerPool().stuckAfterMs).toBe(DEFAULT_STUCK_AFTER_MS);
  });
});

function fileURLToPathSafe(u: URL): string {
  return decodeURIComponent(u.pathname);
}

/** A user's own loop: BaseEventLoop over the simplest backend (nothing but the Backend contract). */
class MinimalBackend implements Backend {
  now = 0;
  readonly resolution = 0;
  readonly canBlock = true;
  #resume: (() => void) | null = null;
  attach(): void {}
  time(): number {
    return this.now;
  }
  select(): void {}
  park(timeoutMs: number, resume: () => void): void {
    this.#resume = resume;
    if (timeoutMs !== Number.POSITIVE_INFINITY) {
      setImmediate(() => {
        this.now += timeoutMs;
        this.#fire();
      });
    }
  }
  #fire(): void {
    const r = this.#resume;
    this.#resume = null;
    r?.();
  }
  unpark(): void {
    this.#resume = null;
  }
  wakeup(): void {
    if (this.#resume !== null) setImmediate(() => this.#fire());
  }
  close(): void {
    this.#resume = null;
  }
  statistics(): Record<string, number> {
    return { now: this.now };
  }
}

class MinimalLoop extends BaseEventLoop {
  constructor() {
    super(new MinimalBackend());
  }
}
