/**
 * Subprocesses: asyncio's `create_subprocess_exec` / `create_subprocess_shell` and `Process`.
 *
 * HOW: `child_process.spawn` starts the program; each piped stdio of the child is a Node pipe
 * socket, and gets a SocketTransport like any connection, so reading a child's output is
 * driven by the same selector readiness as a TCP socket:
 *
 *   spawn ─► 'spawn' (or 'error': FileNotFoundError...) ─► Process
 *              stdin  pipe ─► SocketTransport ─► StreamWriter (drain = backpressure)
 *              stdout pipe ─► SocketTransport ─► PipeReaderProtocol ─► StreamReader
 *              stderr pipe ─► (its own reader, or into stdout's reader with STDOUT)
 *   'exit' (code | signal) ─► returncode (a signal is -signum, as Python) ─► wait() returns
 *
 * `communicate(input)` writes the input and closes stdin while reading stdout and stderr to
 * EOF, then waits for the exit. A child that dies early is no error there (a broken stdin pipe
 * is ignored, as asyncio does); its returncode says what happened.
 *
 * Closing the loop kills (SIGKILL) every child still running and closes its pipes.
 */

import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { constants } from "node:os";
import { type Coro, type Future, fromPromise, gather } from "@aioloop/core";
import {
  BrokenPipeError,
  ConnectionResetError,
  EMPTY_BYTES,
  type ProtocolLike,
  type ReadPausable,
  SocketTransport,
  StreamReader,
  StreamReaderProtocol,
  StreamWriter,
  type Transport,
  toOSError,
} from "@aioloop/transports";
import { NodeSocketOps } from "./node-socket-ops.js";
import { type SelectorLoop, getSelectorLoop } from "./selector-loop.js";

/** A pipe to the child: the Process gets a stream for it (asyncio's subprocess.PIPE). */
export const PIPE = -1;
/** For stderr: send it to the same place as stdout (asyncio's subprocess.STDOUT). */
export const STDOUT = -2;
/** Connect to the null device (asyncio's subprocess.DEVNULL). */
export const DEVNULL = -3;

/**
 * Where a child's stdio goes: PIPE, DEVNULL, STDOUT (stderr only), null/undefined (inherit
 * ours, asyncio's None), or an open file descriptor.
 */
export type StdioSpec = typeof PIPE | typeof STDOUT | typeof DEVNULL | number | null | undefined;

/**
 * Options of createSubprocessExec / createSubprocessShell (asyncio's keyword arguments of
 * `create_subprocess_exec`). A bad stdio value throws RangeError when the call is made.
 */
export interface SubprocessOptions {
  /**
   * The child's stdin: PIPE (write to it with `proc.stdin`), DEVNULL, an open file descriptor,
   * or null/undefined (the default: inherit ours).
   */
  stdin?: StdioSpec;
  /**
   * The child's stdout: PIPE (read it from `proc.stdout`), DEVNULL, an open file descriptor,
   * or null/undefined (the default: inherit ours).
   */
  stdout?: StdioSpec;
  /**
   * The child's stderr: as stdout (`proc.stderr` with PIPE), or STDOUT to send it where
   * stdout goes (with stdout PIPE, both arrive interleaved in `proc.stdout`).
   */
  stderr?: StdioSpec;
  /** The StreamReader limit of stdout/stderr in bytes (default 64 KiB). */
  limit?: number;
  /** The child's working directory (default: ours). */
  cwd?: string;
  /**
   * The child's whole environment (default: ours, `process.env`); to add a variable, pass
   * `{ ...process.env, NAME: "value" }`.
   */
  env?: NodeJS.ProcessEnv;
  /** Passed to Node's spawn (uid, gid, detached, windowsHide, argv0...). */
  spawnOptions?: Omit<SpawnOptions, "stdio" | "cwd" | "env" | "shell">;
}

type NodeStdio = "pipe" | "ignore" | "inherit" | number;

function toNodeStdio(spec: StdioSpec, which: "stdin" | "stdout" | "stderr"): NodeStdio {
  if (spec === undefined || spec === null) return "inherit";
  switch (spec) {
    case PIPE:
      return "pipe";
    case DEVNULL:
      return "ignore";
    case STDOUT:
      if (which !== "stderr") {
        throw new RangeError(`STDOUT can only be given for stderr, not ${which}`);
      }
      return "pipe";
    default:
      if (Number.isInteger(spec) && spec >= 0) return spec;
      throw new RangeError(
        `${which}: expected PIPE, DEVNULL, STDOUT, null (inherit) or a file descriptor, got ${String(spec)}`,
      );
  }
}

/**
 * Feeds one StreamReader from one or more pipes (two when stderr goes to STDOUT); EOF (or the
 * first error) once every pipe is closed.
 */
class PipeReaderProtocol implements ProtocolLike, ReadPausable {
  readonly #reader: StreamReader;
  readonly #transports: Transport[] = [];
  #open: number;
  #error: Error | null = null;

  constructor(reader: StreamReader, pipes: number) {
    this.#reader = reader;
    this.#open = pipes;
    reader.setTransport(this);
  }

  connectionMade(t: Transport): void {
    this.#transports.push(t);
  }
  dataReceived(data: Uint8Array): void {
    this.#reader.feedData(data);
  }
  eofReceived(): boolean {
    return false; // close this pipe; connectionLost counts it
  }
  connectionLost(exc: Error | null): void {
    if (exc !== null && this.#error === null) this.#error = exc;
    if (--this.#open > 0) return;
    if (this.#error !== null) this.#reader.setException(this.#error);
    else this.#reader.feedEof();
  }
  pauseReading(): void {
    for (const t of this.#transports) t.pauseReading();
  }
  resumeReading(): void {
    for (const t of this.#transports) t.resumeReading();
  }
}

/**
 * A running child process, as asyncio's `asyncio.subprocess.Process`: its streams (`stdin`,
 * `stdout`, `stderr` for the ones given PIPE), `pid`, `returncode` once it exited, `wait()`,
 * `communicate()` and signals. Made by createSubprocessExec / createSubprocessShell; closing
 * the loop kills a child still running.
 * @example
 * import { PIPE, createSubprocessExec, run } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const proc = yield* createSubprocessExec(process.execPath, ["-e", "console.log(6 * 7)"], {
 *     stdout: PIPE,
 *   });
 *   const [out] = yield* proc.communicate();
 *   console.log(new TextDecoder().decode(out!), proc.returncode); // "42\n" 0
 * });
 */
export class Process {
  // Not `implements Closeable`: forceClose is package-internal (`_track(this)` checks the shape).
  readonly #loop: SelectorLoop;
  readonly #child: ChildProcess;
  /** The writer to the child's stdin (with PIPE), else null. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout (with PIPE), else null. */
  readonly stdout: StreamReader | null;
  /** The child's stderr (with PIPE), else null (also with STDOUT: it is in stdout). */
  readonly stderr: StreamReader | null;
  readonly #pipes: SocketTransport[] = [];
  /** Invariant: null until the child exited; then its code, or -signal when a signal ended it. */
  #returncode: number | null = null;
  #exitWaiters: Future<number>[] = [];

  /** @internal Use createSubprocessExec / createSubprocessShell. */
  constructor(loop: SelectorLoop, child: ChildProcess, opts: SubprocessOptions) {
    this.#loop = loop;
    this.#child = child;
    const limit = opts.limit === undefined ? {} : { limit: opts.limit };
    child.on("exit", (code, signal) => {
      if (!loop.isClosed()) loop.callSoonThreadsafe(() => this.#exited(code, signal));
    });

    let stdout: StreamReader | null = null;
    let stderr: StreamReader | null = null;
    const merge = opts.stderr === STDOUT && child.stdout !== null;
    if (child.stdout !== null) {
      stdout = new StreamReader({ ...limit, loop });
      const proto = new PipeReaderProtocol(stdout, merge && child.stderr !== null ? 2 : 1);
      this.#pipe(child.stdout, proto);
      if (merge && child.stderr !== null) this.#pipe(child.stderr, proto);
    }
    if (child.stderr !== null && !merge) {
      stderr = new StreamReader({ ...limit, loop });
      this.#pipe(child.stderr, new PipeReaderProtocol(stderr, 1));
    }
    let stdin: StreamWriter | null = null;
    if (child.stdin !== null) {
      const proto = new StreamReaderProtocol(null);
      const t = this.#pipe(child.stdin, proto);
      stdin = new StreamWriter(t, proto, null);
    }
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    loop._track(this);
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid!;
  }

  /** The exit status once the child exited (a signal is -signum, as Python), else null. */
  get returncode(): number | null {
    return this.#returncode;
  }

  /**
   * Wait for the child to exit; returns its returncode (asyncio's `Process.wait`). With
   * stdout/stderr PIPE, read them (or use communicate): a child blocked on a full pipe never
   * exits.
   */
  *wait(): Coro<number> {
    if (this.#returncode !== null) return this.#returncode;
    const fut = this.#loop.createFuture<number>();
    this.#exitWaiters.push(fut);
    try {
      return yield* fut;
    } finally {
      const i = this.#exitWaiters.indexOf(fut);
      if (i >= 0) this.#exitWaiters.splice(i, 1);
    }
  }

  /**
   * Send `input` (bytes, or a string sent as UTF-8) to stdin and close it, read stdout and
   * stderr to EOF, and wait for the exit (asyncio's `Process.communicate`). Returns
   * `[stdout, stderr]`, null for streams that are not PIPE. A child that exits without reading
   * all its input is no error here: check `returncode`. Cancelling leaves the child running.
   * @example
   * const proc = yield* createSubprocessExec("sort", [], { stdin: PIPE, stdout: PIPE });
   * const [out] = yield* proc.communicate("b\na\n"); // "a\nb\n"
   */
  *communicate(input?: Uint8Array | string): Coro<[Uint8Array | null, Uint8Array | null]> {
    const feeding = this.#feedStdin(input);
    const out = this.stdout === null ? null : this.stdout.read();
    const err = this.stderr === null ? null : this.stderr.read();
    const [, o, e] = yield* gather([feeding, out ?? nothing(), err ?? nothing()]);
    yield* this.wait();
    return [out === null ? null : o, err === null ? null : e];
  }

  /**
   * Send `signal` (a name such as "SIGTERM", or a number) to the child (asyncio's
   * `send_signal`); no-op once the child exited. Throws RangeError for an unknown signal name,
   * TypeError (Node's ERR_UNKNOWN_SIGNAL) for an unknown signal number.
   */
  sendSignal(signal: NodeJS.Signals | number): void {
    if (this.#returncode !== null || this.#child.exitCode !== null) return;
    if (typeof signal === "string" && !(signal in constants.signals)) {
      throw new RangeError(`sendSignal: unknown signal ${JSON.stringify(signal)}`);
    }
    try {
      this.#child.kill(signal);
    } catch (e) {
      throw toOSError(e, "sendSignal");
    }
  }

  /** Ask the child to stop: SIGTERM (asyncio's `terminate`); no-op once it exited. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Stop the child at once: SIGKILL (asyncio's `kill`); no-op once it exited. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  /** @internal The loop is closing: kill the child and close its pipes. */
  forceClose(): void {
    if (this.#returncode === null && this.#child.exitCode === null) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // gone already
      }
    }
    for (const p of this.#pipes) p.forceClose();
  }

  /**
   * Counters: `pid` (-1 if none), `returncode` (null while running) and `openPipes` (pipe
   * transports to the child not yet closing).
   */
  statistics(): Record<string, number | boolean | null> {
    return {
      pid: this.#child.pid ?? -1,
      returncode: this.#returncode,
      openPipes: this.#pipes.filter((p) => !p.isClosing()).length,
    };
  }

  /** For logs: `<Process 1234 running>` or `<Process 1234 returncode=0>`. */
  toString(): string {
    return `<Process ${this.#child.pid} ${this.#returncode === null ? "running" : `returncode=${this.#returncode}`}>`;
  }

  /** `stream` is one of the child's stdio: with "pipe", Node makes each a net.Socket. */
  #pipe(stream: object, proto: ProtocolLike): SocketTransport {
    const loop = this.#loop;
    const ops = new NodeSocketOps(loop._regs, stream as Socket, true);
    const t = new SocketTransport(loop._host, ops, proto);
    this.#pipes.push(t);
    return t;
  }

  #exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#returncode !== null) return;
    this.#returncode = code ?? (signal === null ? 0 : -(constants.signals[signal] ?? 0));
    const waiters = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const w of waiters) if (!w.done()) w.setResult(this.#returncode);
    this.#loop._untrack(this);
  }

  *#feedStdin(input: Uint8Array | string | undefined): Coro<void> {
    const w = this.stdin;
    if (w === null) return;
    try {
      if (input !== undefined && input.length > 0) {
        w.write(input);
        yield* w.drain();
      }
    } catch (e) {
      // The child stopped reading (exited): asyncio ignores this in communicate().
      if (!(e instanceof BrokenPipeError) && !(e instanceof ConnectionResetError)) throw e;
    }
    w.close();
  }
}

function* nothing(): Coro<Uint8Array> {
  return EMPTY_BYTES;
}

/** Node's stdio array for `opts` (validated when the call is made, not when it runs). */
function stdioOf(opts: SubprocessOptions): NodeStdio[] {
  const stdio: NodeStdio[] = [
    toNodeStdio(opts.stdin, "stdin"),
    toNodeStdio(opts.stdout, "stdout"),
    toNodeStdio(opts.stderr, "stderr"),
  ];
  if (opts.stderr === STDOUT && stdio[1] !== "pipe") stdio[2] = stdio[1]!;
  return stdio;
}

function* spawnOn(
  loop: SelectorLoop,
  file: string,
  args: readonly string[],
  opts: SubprocessOptions,
  stdio: NodeStdio[],
  shell: boolean,
): Coro<Process> {
  const spawnOpts: SpawnOptions = { ...opts.spawnOptions, stdio, shell };
  if (opts.cwd !== undefined) spawnOpts.cwd = opts.cwd;
  if (opts.env !== undefined) spawnOpts.env = opts.env;
  const child = spawn(file, args as string[], spawnOpts);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", () => {
      child.removeListener("error", reject);
      resolve();
    });
    child.once("error", reject);
  });
  // Take the pipes now, before Node runs anything else: a quick child can exit (and Node then
  // drains any pipe nobody reads) before the 'spawn' event reaches us.
  const proc = new Process(loop, child, opts);
  try {
    yield* fromPromise(spawned, loop);
  } catch (e) {
    proc.forceClose();
    loop._untrack(proc);
    throw toOSError(e, `cannot run ${JSON.stringify(file)}`);
  }
  child.on("error", () => {
    // After a successful spawn, errors are failed kill()s; sendSignal reports those.
  });
  return proc;
}

/**
 * Run `program` with `args`, no shell (asyncio's `create_subprocess_exec`); returns the Process
 * once it started. `program` is a path, or a name looked up in PATH. stdio defaults to
 * inheriting ours; pass PIPE to get streams. Throws FileNotFoundError when the program does
 * not exist, PermissionError when it is not executable (OSErrors: @aioloop/core's classes,
 * re-exported here), TypeError for a missing program or non-string args, RangeError for a
 * bad stdio value, NotSelectorLoopError when not run on a SelectorLoop.
 * @example
 * import { forEach } from "@aioloop/core";
 * import { PIPE, createSubprocessExec, run } from "@aioloop/selector-loop";
 * const code = await run(function* () {
 *   const proc = yield* createSubprocessExec("ls", ["-l"], { stdout: PIPE });
 *   yield* forEach(proc.stdout!.lines(), function* (line) {
 *     process.stdout.write(line);
 *   });
 *   return yield* proc.wait(); // 0
 * });
 */
export function createSubprocessExec(
  program: string,
  args: readonly string[] = [],
  opts: SubprocessOptions = {},
): Coro<Process> {
  if (typeof program !== "string" || program.length === 0) {
    throw new TypeError("createSubprocessExec needs the program to run (a path or a name)");
  }
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw new TypeError("createSubprocessExec: args must be an array of strings");
  }
  return spawnOn(
    getSelectorLoop("createSubprocessExec"),
    program,
    args,
    opts,
    stdioOf(opts),
    false,
  );
}

/**
 * Run `cmd` through the shell, /bin/sh -c (cmd.exe on Windows): asyncio's
 * `create_subprocess_shell`. Quote what you put in `cmd`; a missing command is no error here
 * (the shell exits with 127). Throws as createSubprocessExec does.
 * @example
 * const proc = yield* createSubprocessShell("echo $HOME", { stdout: PIPE });
 * const [out] = yield* proc.communicate();
 */
export function createSubprocessShell(cmd: string, opts: SubprocessOptions = {}): Coro<Process> {
  if (typeof cmd !== "string" || cmd.length === 0) {
    throw new TypeError("createSubprocessShell needs a command line string");
  }
  return spawnOn(getSelectorLoop("createSubprocessShell"), cmd, [], opts, stdioOf(opts), true);
}
