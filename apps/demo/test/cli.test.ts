import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const demo = (...args: string[]) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: "utf8" });

describe("the demo command line (built)", () => {
  it("lists the programs with no arguments", () => {
    const out = demo();
    expect(out).toMatch(/count\s+five concurrent count\(\) coroutines/);
    expect(out).toMatch(/chess/);
  });

  it("lists every program, each with its description", async () => {
    const { PROGRAMS } = await import("../src/programs/index.js");
    const out = demo();
    const lines = out.split("\n");
    const width = Math.max(...PROGRAMS.map((p) => p.name.length));
    for (const p of PROGRAMS) {
      expect(lines).toContainEqual(`  ${p.name.padEnd(width)}  ${p.description}`);
    }
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(11);
  });

  it("prints colours only when asked: not into a pipe, --color forces, NO_COLOR wins", () => {
    expect(demo("futures", "--virtual")).not.toContain("\x1b[");
    expect(demo("futures", "--virtual", "--color")).toContain(
      "\x1b[32mfoo will await the future\x1b[0m",
    );
    const env = { ...process.env, NO_COLOR: "1" };
    const out = execFileSync(process.execPath, [cli, "futures", "--virtual"], {
      encoding: "utf8",
      env,
    });
    expect(out).toContain("foo will await the future\n");
    expect(out).not.toContain("\x1b[");
  });

  it("a bad program argument exits with code 2 and says what to write", () => {
    try {
      demo("queue", "--virtual", "--producers", "3");
      expect.unreachable();
    } catch (e) {
      const err = e as { status: number; stderr: string };
      expect(err.status).toBe(2);
      expect(err.stderr).toMatch(/use -p N \(producers\) and -c N \(consumers\)/);
    }
  });

  it("socket programs refuse --virtual (exit code 2) and run on a SelectorLoop", () => {
    try {
      demo("echo-client", "--virtual");
      expect.unreachable();
    } catch (e) {
      const err = e as { status: number; stderr: string };
      expect(err.status).toBe(2);
      expect(err.stderr).toContain("echo-client uses real sockets");
    }
    const out = demo("echo-client", "--requests", "3", "--connections", "1", "--size", "1K");
    expect(out).toMatch(/1\.0 KiB messages, 1 connections: 3 requests in/);
  });

  it("Ctrl-C stops a server: exit code 130, nothing left listening", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [cli, "echo-server", "--port", "0"]);
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d;
        if (out.includes("Ctrl-C stops it")) resolve();
      });
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(130);
    expect(err).toContain("echo-server: interrupted (Ctrl-C)");
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const { connect } = await import("node:net");
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve("connected");
      });
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("runs chess --virtual to the end at once", () => {
    expect(demo("chess", "--virtual")).toContain("Exhibition over after 1:00:55");
  });

  it("rejects an unknown program with exit code 2 and the list of known ones", () => {
    try {
      demo("nope");
      expect.unreachable();
    } catch (e) {
      const err = e as { status: number; stderr: string };
      expect(err.status).toBe(2);
      expect(err.stderr).toMatch(/unknown demo program "nope". Known: count, sleepy, [a-z, -]+/);
    }
  });
});

describe("--trace", () => {
  it("prints a loop timeline and writes a Chrome trace file", async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "aioloop-demo-"));
    const file = join(dir, "t.json");
    try {
      const out = demo("count", "--virtual", `--trace=${file}`);
      expect(out).toMatch(/── loop timeline \(\d+ events\) ──/);
      expect(out).toMatch(/⏰ sleepDone fired/);
      const trace = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: { ph: string }[] };
      expect(trace.traceEvents.filter((e) => e.ph === "X").length).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
