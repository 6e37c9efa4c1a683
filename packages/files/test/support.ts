/**
 * Shared by the files tests: temporary directories, one worker pool per test file, and the ways
 * a program can run (every behaviour is checked on each).
 */
import * as fs from "node:fs";
import * as nodeOs from "node:os";
import * as path from "node:path";
import { type BaseEventLoop, type Coro, sleep } from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { WorkerPool, type WorkerPoolOptions, setDefaultPool } from "../src/index.js";

/** A fresh directory under the system's temporary directory; removed by `cleanupDirs()`. */
const dirs: string[] = [];
export function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(nodeOs.tmpdir(), "aioloop-files-test-"));
  dirs.push(d);
  return d;
}

/** Pools a test made with `newPool()`: terminated after that test. */
const own: WorkerPool[] = [];

/** A pool for one test (terminated after it, and checked to have no worker left). */
export function newPool(opts: WorkerPoolOptions = {}): WorkerPool {
  const p = new WorkerPool(opts);
  own.push(p);
  return p;
}

/** Terminate `pools` and fail if any worker thread is still alive. */
async function endPools(pools: WorkerPool[]): Promise<void> {
  for (const p of pools) await p.terminate();
  for (const p of pools) expect(p.statistics().workers).toBe(0);
}

/**
 * A pool of two workers as the default for the whole test file; terminated (and awaited) after
 * it, as is each test's `newPool()` after the test: every test ends with no worker running.
 */
export function usePool(size = 2): { pool: () => WorkerPool } {
  let pool: WorkerPool | null = null;
  beforeAll(() => {
    pool = new WorkerPool({ size });
    setDefaultPool(pool);
  });
  afterEach(() => endPools(own.splice(0)));
  afterAll(async () => {
    const dflt = setDefaultPool(null);
    await endPools(dflt !== null && dflt !== pool ? [pool!, dflt] : [pool!]);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return { pool: () => pool! };
}

/** The number of descriptors open in this process now (the entries of /proc/self/fd). */
export function openFds(): number {
  return fs.readdirSync("/proc/self/fd").length;
}

/**
 * The descriptor count once it holds still (two reads 10 ms apart agree): a worker thread that
 * exited a moment ago may still be releasing its own event loop's descriptors.
 */
export async function steadyFds(): Promise<number> {
  let n = openFds();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const m = openFds();
    if (m === n) return n;
    n = m;
  }
  return n;
}

/** Fail unless the descriptor count comes back to `before` (waiting up to 2 s for threads). */
export async function expectFdsBack(before: number): Promise<void> {
  try {
    await waitUntil(() => openFds() === before, 2000);
  } catch {}
  expect(openFds()).toBe(before);
}

/** In a coroutine: wait (real clock) until `pred` holds (it is called once per millisecond). */
export function* until(pred: () => boolean): Coro<void> {
  for (let i = 0; i < 5000; i++) {
    if (pred()) return;
    yield* sleep(1);
  }
  throw new Error("condition never held");
}

/** Wait (on the host's event loop, so ports deliver) until `pred` holds; fail after `ms`. */
export async function waitUntil(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`condition never held within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A way to run a main coroutine to completion on a fresh loop, closing it after. */
export interface Runner {
  name: string;
  run<T>(main: () => Coro<T>): Promise<T>;
}

function viaSync(make: () => BaseEventLoop, name: string): Runner {
  return {
    name,
    async run<T>(main: () => Coro<T>): Promise<T> {
      const loop = make();
      try {
        return loop.runSync(loop.createTask(main()));
      } finally {
        loop.close();
      }
    },
  };
}

function viaHost(make: () => BaseEventLoop, name: string): Runner {
  return {
    name,
    async run<T>(main: () => Coro<T>): Promise<T> {
      const loop = make();
      try {
        return await loop.runUntilComplete(loop.createTask(main()));
      } finally {
        loop.close();
      }
    },
  };
}

/** SelectorLoop, when selector-loop exports it (it extends TimerLoop; host-driven runs only). */
async function selectorRunner(): Promise<Runner | null> {
  const spec = "@aioloop/selector-loop";
  try {
    const mod = (await import(/* @vite-ignore */ spec as string)) as {
      SelectorLoop?: new () => BaseEventLoop;
    };
    const Ctor = mod.SelectorLoop;
    return typeof Ctor === "function" ? viaHost(() => new Ctor(), "SelectorLoop") : null;
  } catch {
    return null;
  }
}

/** Every way a program using files can run. */
export const RUNNERS: Runner[] = [
  viaSync(() => new TimerLoop(), "TimerLoop runSync"),
  viaSync(() => new TimerLoop({ clock: "virtual" }), "TimerLoop(virtual) runSync"),
  viaHost(() => new TimerLoop(), "TimerLoop runUntilComplete"),
  viaHost(() => new TimerLoop({ clock: "virtual" }), "TimerLoop(virtual) runUntilComplete"),
];
const selector = await selectorRunner();
if (selector !== null) RUNNERS.push(selector);

/**
 * The runners on a real clock. A virtual clock stands still while a job is in flight, so a test
 * whose coroutine must act (sleep, poll) while a job it controls is running needs a real one.
 */
export const REAL_RUNNERS: Runner[] = RUNNERS.filter((r) => !r.name.includes("virtual"));

/** The first runner (runSync on a real clock), for tests that do not depend on the run mode. */
export const runSync = RUNNERS[0]!;

/** Write `content` to a new file in `dir`; returns its path. */
export function fixture(dir: string, name: string, content: string | Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** The error thrown by `fn`, or a failure if it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

/** The error a coroutine throws (run with runSync), or a failure if it returns. */
export async function rejects(runner: Runner, main: () => Coro<unknown>): Promise<unknown> {
  try {
    await runner.run(main);
  } catch (e) {
    return e;
  }
  throw new Error("expected the coroutine to throw");
}
