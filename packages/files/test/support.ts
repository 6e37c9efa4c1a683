/**
 * Shared by the files tests: temporary directories, one worker pool per test file, and the ways
 * a program can run (every behaviour is checked on each).
 */
import * as fs from "node:fs";
import * as nodeOs from "node:os";
import * as path from "node:path";
import type { BaseEventLoop, Coro } from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";
import { afterAll, beforeAll } from "vitest";
import { WorkerPool, setDefaultPool } from "../src/index.js";

/** A fresh directory under the system's temporary directory; removed by `cleanupDirs()`. */
const dirs: string[] = [];
export function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(nodeOs.tmpdir(), "aioloop-files-test-"));
  dirs.push(d);
  return d;
}

/** A pool of two workers as the default for the whole test file; closed (and awaited) after. */
export function usePool(size = 2): { pool: () => WorkerPool } {
  let pool: WorkerPool | null = null;
  beforeAll(() => {
    pool = new WorkerPool({ size });
    setDefaultPool(pool);
  });
  afterAll(async () => {
    setDefaultPool(null);
    await pool!.terminate();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return { pool: () => pool! };
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
