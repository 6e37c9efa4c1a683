/**
 * The errors of @aioloop/files, named after Python's, and the code that rebuilds an error that
 * crossed the thread boundary.
 *
 * HOW: an OS error thrown in a worker travels as plain data ({ name, message, stack, props }),
 * because a structured clone keeps an Error's message but drops `code`, `path` and `syscall`. On
 * the main thread `osErrorFromWire` turns it into the class Python would raise for that errno:
 *
 *   ENOENT → FileNotFoundError     EEXIST → FileExistsError     EACCES, EPERM → PermissionError
 *   EISDIR → IsADirectoryError     ENOTDIR → NotADirectoryError  anything else → OSError
 *
 * each keeping Node's `code`, `errno`, `syscall`, `path` and `dest`, so both
 * `catch (e) { if (e instanceof FileNotFoundError) … }` and `e.code === "ENOENT"` work.
 * Errors thrown by user code in `runInWorker` keep their own name, message, code and stack
 * (`remoteErrorFromWire`).
 *
 * WHY Python's names: this package is aiofiles for aioloop; code ported from Python catches the
 * same classes. Misuse errors (a closed file, a read on a write-only file) are ValueError and
 * UnsupportedOperation as in Python's io module, and say what to do instead.
 */

import { namedError as named, osErrorClass } from "@aioloop/core";

// The OSError family lives in @aioloop/core, shared with selector-loop, so one class catches a
// missing file whichever package raised it; re-exported here so `@aioloop/files` keeps them.
export {
  FileExistsError,
  FileNotFoundError,
  IsADirectoryError,
  NotADirectoryError,
  OSError,
  type OSErrorInfo,
  PermissionError,
  osErrorClass,
} from "@aioloop/core";

/** A bad value: e.g. an I/O operation on a closed file, an invalid mode (Python's ValueError). */
export class ValueError extends Error {}
named(ValueError, "ValueError");

/**
 * The file does not support this operation: reading a write-only file, writing a read-only
 * one, a relative seek in text mode (Python's io.UnsupportedOperation).
 */
export class UnsupportedOperation extends ValueError {}
named(UnsupportedOperation, "UnsupportedOperation");

/** Bytes that are not valid in the file's encoding (Python's UnicodeDecodeError). */
export class UnicodeDecodeError extends ValueError {
  /** The encoding that failed. */
  readonly encoding: string;
  constructor(encoding: string, message: string) {
    super(message);
    this.encoding = encoding;
  }
}
named(UnicodeDecodeError, "UnicodeDecodeError");

/** Text that the file's encoding cannot represent (Python's UnicodeEncodeError). */
export class UnicodeEncodeError extends ValueError {
  /** The encoding that failed. */
  readonly encoding: string;
  constructor(encoding: string, message: string) {
    super(message);
    this.encoding = encoding;
  }
}
named(UnicodeEncodeError, "UnicodeEncodeError");

/**
 * The worker thread running this job died (the job called `process.exit`, or an error escaped
 * it asynchronously). Only the job that was running fails; the pool starts a new worker for the
 * others. `cause` holds the error that killed the worker, when there was one.
 */
export class WorkerCrashedError extends Error {
  /** The worker's exit code. */
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}
named(WorkerCrashedError, "WorkerCrashedError");

/**
 * `runInWorker()` was asked to run a function of the program's main module (or of a module that
 * a pool worker is still evaluating, which is the same trap seen from inside the worker). A
 * worker imports the module to find the function, so it would run the whole program again in
 * every worker, each of which would do the same: move the function into a module of its own.
 */
export class MainModuleInWorkerError extends Error {}
named(MainModuleInWorkerError, "MainModuleInWorkerError");

/** A job was submitted to a WorkerPool after `close()`. */
export class PoolClosedError extends Error {}
named(PoolClosedError, "PoolClosedError");

/** An error as it crosses the thread boundary (see wireError in worker.js). */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  props?: Record<string, unknown>;
  ctor?: string;
  /** A thrown non-Error primitive, rethrown as itself. */
  thrown?: unknown;
  nonError?: boolean;
  /** A failed write: the bytes it did not write (fileops.js writeAt). */
  unwritten?: Uint8Array;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Rebuild an error from a file operation: OS errors become OSError subclasses. */
export function osErrorFromWire(w: WireError): unknown {
  const p = w.props ?? {};
  if (typeof p.code === "string" && typeof p.syscall === "string") {
    const Cls = osErrorClass(p.code);
    const e = new Cls(w.message, {
      code: p.code,
      errno: typeof p.errno === "number" ? p.errno : undefined,
      syscall: p.syscall,
      path: str(p.path),
      dest: str(p.dest),
    });
    if (w.stack !== undefined) e.stack = `${e.name}: ${w.message}\n${stackFrames(w.stack)}`;
    return e;
  }
  return remoteErrorFromWire(w);
}

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuild an error thrown by user code in a worker: same class (built-ins), name, message, code. */
export function remoteErrorFromWire(w: WireError): unknown {
  if (w.nonError === true) return w.thrown !== undefined ? w.thrown : new Error(w.message);
  if (w.name === "MainModuleInWorkerError") {
    const e = new MainModuleInWorkerError(w.message);
    if (w.stack !== undefined) e.stack = w.stack;
    return e;
  }
  const Ctor = BUILTIN[w.ctor ?? "Error"] ?? Error;
  const e = new Ctor(w.message) as Error & Record<string, unknown>;
  if (e.name !== w.name) {
    Object.defineProperty(e, "name", {
      value: w.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  for (const [k, v] of Object.entries(w.props ?? {})) e[k] = v;
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

/** The "    at …" lines of a stack. */
function stackFrames(stack: string): string {
  const i = stack.indexOf("\n    at ");
  return i < 0 ? "    at (file worker)" : stack.slice(i + 1);
}
