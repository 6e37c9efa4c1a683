import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { MainModuleInWorkerError, WorkerPool, runInWorker } from "../src/index.js";
import { checkNotMainModule, mainModuleHref } from "../src/module-url.js";
import { runSync, usePool } from "./support.js";

usePool();

const JOBS = new URL("./fixtures/jobs.mjs", import.meta.url);
const EVALUATING = Symbol.for("@aioloop/files.evaluating");

describe("runInWorker on the program's main module (issue 13)", () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[EVALUATING];
  });

  it("mainModuleHref is process.argv[1] as a file: URL", () => {
    expect(mainModuleHref()).toBe(pathToFileURL(process.argv[1] as string).href);
  });

  it("refuses the main module, with a named error that says what to do", () => {
    const main = mainModuleHref() as string;
    expect(() => checkNotMainModule(main, "f")).toThrow(MainModuleInWorkerError);
    try {
      checkNotMainModule(main, "f");
    } catch (e) {
      expect((e as Error).name).toBe("MainModuleInWorkerError");
      expect((e as Error).message).toContain("is the program's main module");
      expect((e as Error).message).toContain('Move "f" into a module of its own');
    }
    expect(() => checkNotMainModule(JOBS.href, "add")).not.toThrow();
    expect(() => checkNotMainModule("node:os", "cpus")).not.toThrow();
  });

  it("the call fails at the caller's yield*, before any worker runs", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const main = mainModuleHref() as string;
      const err = await runSync.run(function* () {
        try {
          yield* pool.runInWorker(main, "f");
          return null;
        } catch (e) {
          return e;
        }
      });
      expect(err).toBeInstanceOf(MainModuleInWorkerError);
      expect(pool.statistics()).toMatchObject({ completed: 0, failed: 0, inFlight: 0 });
      // The default pool's function refuses it too.
      await expect(runSync.run(() => runInWorker(new URL(main), "f"))).rejects.toThrow(
        MainModuleInWorkerError,
      );
    } finally {
      await pool.terminate();
    }
  });

  it("in a pool worker: a module being evaluated for a job that calls runInWorker on itself", () => {
    const reported: [string, unknown][] = [];
    (globalThis as Record<symbol, unknown>)[EVALUATING] = {
      urls: new Set([JOBS.href]),
      report: (url: string, e: unknown) => reported.push([url, e]),
    };
    expect(() => checkNotMainModule(JOBS.href, "add")).toThrow(/reached this call again/);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.[0]).toBe(JOBS.href);
    expect(reported[0]?.[1]).toBeInstanceOf(MainModuleInWorkerError);
    // Other modules are not affected.
    expect(() => checkNotMainModule("node:os", "cpus")).not.toThrow();
  });

  // Child processes run the programs from the TypeScript sources (see close-exits.mjs).
  it("a program calling runInWorker(import.meta.url, …) fails at once with the named error", async () => {
    const end = await runFixture("main-in-worker.mjs");
    expect(end.code).toBe(3);
    expect(end.out).toBe(
      "evaluated\nMainModuleInWorkerError: runInWorker(" +
        `${pathToFileURL(fixture("main-in-worker.mjs")).href}, "double"): ` +
        `${pathToFileURL(fixture("main-in-worker.mjs")).href} is the program's main module; ` +
        'a worker imports it to find "double", which would run the whole program again in every ' +
        'worker (and again in theirs). Move "double" into a module of its own and pass that ' +
        'module\'s URL (e.g. new URL("./double.js", import.meta.url))\n',
    );
    expect(end.err).toBe("");
    expect(end.ms).toBeLessThan(10_000);
  });

  it("the same module imported by the program: the worker that evaluates it again fails the job", async () => {
    const end = await runFixture("main-in-worker-launcher.mjs");
    expect(end.code).toBe(3);
    // Evaluated by the program, then once more by one worker, which stops there.
    const lines = end.out.split("\n");
    expect(lines.filter((l) => l === "evaluated").length).toBeLessThanOrEqual(2);
    expect(end.out).toContain(
      "MainModuleInWorkerError: runInWorker(" +
        `${pathToFileURL(fixture("main-in-worker.mjs")).href}, "double"): the pool worker that imports`,
    );
    expect(end.out).toContain('Move "double" into a module of its own');
    expect(end.ms).toBeLessThan(10_000);
  });
});

function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Run a fixture program under `node --import ts-register.mjs`, killed after 15 s. */
async function runFixture(name: string) {
  const start = performance.now();
  const child = spawn(process.execPath, ["--import", fixture("ts-register.mjs"), fixture(name)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += String(d);
  });
  child.stderr.on("data", (d: Buffer) => {
    err += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return { code, out, err, ms: performance.now() - start };
}
