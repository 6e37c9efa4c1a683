import { type Coro, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { FileNotFoundError } from "@aioloop/transports";
import { run } from "../src/run.js";
import {
  DEVNULL,
  PIPE,
  STDOUT,
  createSubprocessExec,
  createSubprocessShell,
} from "../src/subprocess.js";
import { dec, pattern } from "./support/net.js";

const NODE = process.execPath;

/** `node -e <code>` with the given stdio. */
function node(code: string, opts: Parameters<typeof createSubprocessExec>[2] = {}) {
  return createSubprocessExec(NODE, ["-e", code], opts);
}

function errorOf(fn: () => Coro<unknown>): Coro<unknown> {
  return (function* () {
    try {
      yield* fn();
    } catch (e) {
      return e;
    }
    throw new Error("expected an error");
  })();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("subprocesses", () => {
  it("runs a program and collects its output with communicate()", async () => {
    await run(function* () {
      const proc = yield* node("console.log(6 * 7)", { stdout: PIPE });
      expect(proc.pid).toBeGreaterThan(0);
      expect(proc.stdin).toBeNull();
      expect(proc.stderr).toBeNull();
      const [out, err] = yield* proc.communicate();
      expect(dec(out!)).toBe("42\n");
      expect(err).toBeNull();
      expect(proc.returncode).toBe(0);
      expect(yield* proc.wait()).toBe(0);
    });
  });

  it("pipes a megabyte through the child's stdin and stdout", async () => {
    await run(function* () {
      const proc = yield* node("process.stdin.pipe(process.stdout)", {
        stdin: PIPE,
        stdout: PIPE,
      });
      const input = pattern(1024 * 1024, 5);
      const [out] = yield* proc.communicate(input);
      expect(Buffer.from(out!).equals(Buffer.from(input))).toBe(true);
      expect(proc.returncode).toBe(0);
    });
  });

  it("keeps stderr apart, or merges it into stdout with STDOUT", async () => {
    await run(function* () {
      const code = "process.stdout.write('out'); process.stderr.write('err')";
      const p1 = yield* node(code, { stdout: PIPE, stderr: PIPE });
      const [o1, e1] = yield* p1.communicate();
      expect([dec(o1!), dec(e1!)]).toEqual(["out", "err"]);
      const p2 = yield* node(code, { stdout: PIPE, stderr: STDOUT });
      expect(p2.stderr).toBeNull();
      const [o2, e2] = yield* p2.communicate();
      expect(dec(o2!).split("").sort().join("")).toBe("eorrtu"); // both, in some order
      expect(e2).toBeNull();
      const p3 = yield* node(code, { stdout: DEVNULL, stderr: PIPE });
      expect(p3.stdout).toBeNull();
      const [, e3] = yield* p3.communicate();
      expect(dec(e3!)).toBe("err");
    });
  });

  it("streams a running child's output line by line", async () => {
    await run(function* () {
      const proc = yield* node(
        "let i = 0; const t = setInterval(() => { console.log('tick ' + i); if (++i === 3) clearInterval(t); }, 5)",
        { stdout: PIPE },
      );
      const lines: string[] = [];
      for (let line = yield* proc.stdout!.readline(); line.length > 0; ) {
        lines.push(dec(line));
        line = yield* proc.stdout!.readline();
      }
      expect(lines).toEqual(["tick 0\n", "tick 1\n", "tick 2\n"]);
      expect(yield* proc.wait()).toBe(0);
    });
  });

  it("reports exit codes and signals as Python does (a signal is -signum)", async () => {
    await run(function* () {
      const exits = yield* node("process.exit(3)");
      expect(yield* exits.wait()).toBe(3);
      exits.kill(); // after the exit: a no-op
      const sleeper = yield* node("setInterval(() => {}, 1000)");
      sleeper.kill();
      expect(yield* sleeper.wait()).toBe(-9);
      const sleeper2 = yield* node("setInterval(() => {}, 1000)");
      sleeper2.terminate();
      expect(yield* sleeper2.wait()).toBe(-15);
      const sleeper3 = yield* node("setInterval(() => {}, 1000)");
      sleeper3.sendSignal("SIGINT");
      expect(yield* sleeper3.wait()).toBe(-2);
      expect(() => sleeper3.sendSignal("SIGNOPE" as NodeJS.Signals)).not.toThrow(); // exited
    });
  });

  it("a child that dies without reading its input: communicate returns its returncode", async () => {
    await run(function* () {
      const proc = yield* node("process.exit(5)", { stdin: PIPE, stdout: PIPE });
      const [out] = yield* proc.communicate(pattern(8 * 1024 * 1024));
      expect(out!.length).toBe(0);
      expect(proc.returncode).toBe(5);
    });
  });

  it("a child killed mid-stream: the bytes it wrote are read, then EOF", async () => {
    await run(function* () {
      const proc = yield* node("process.stdout.write('partial'); setInterval(() => {}, 1000)", {
        stdout: PIPE,
      });
      expect(dec(yield* proc.stdout!.readexactly(7))).toBe("partial");
      proc.kill();
      expect((yield* proc.stdout!.read()).length).toBe(0);
      expect(yield* proc.wait()).toBe(-9);
    });
  });

  it("runs a shell command line", async () => {
    await run(function* () {
      const proc = yield* createSubprocessShell("echo hi && exit 2", { stdout: PIPE });
      const [out] = yield* proc.communicate();
      expect(dec(out!)).toBe("hi\n");
      expect(proc.returncode).toBe(2);
    });
  });

  it("a program that does not exist is FileNotFoundError", async () => {
    await run(function* () {
      const err = yield* errorOf(() => createSubprocessExec("/no/such/program-aioloop"));
      expect(err).toBeInstanceOf(FileNotFoundError);
      expect((err as FileNotFoundError).code).toBe("ENOENT");
      const piped = yield* errorOf(() =>
        createSubprocessExec("/no/such/program-aioloop", [], { stdin: PIPE, stdout: PIPE }),
      );
      expect(piped).toBeInstanceOf(FileNotFoundError);
      expect(() => createSubprocessExec(NODE, ["-e", "1"], { stdin: STDOUT })).toThrow(RangeError);
    });
  });

  it("closing the loop kills the children it started", async () => {
    const pid = await run(function* () {
      const proc = yield* node("setInterval(() => {}, 1000)", { stdout: PIPE });
      yield* sleep(0);
      return proc.pid;
    });
    for (let i = 0; i < 500 && alive(pid); i++) await new Promise((r) => setTimeout(r, 2));
    expect(alive(pid)).toBe(false);
  });
});
