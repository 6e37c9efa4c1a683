/**
 * The errors of selector-loop: Python's OSError family over Node's system errors, plus the
 * named errors for mistakes a user can make with sockets, transports and streams.
 *
 * HOW: `toOSError(nodeError)` maps a Node system error (an `Error` with `code`, `errno`,
 * `syscall`) to the class Python would raise, keeping Node's fields and the original error as
 * `cause`:
 *
 *   ECONNRESET ─► ConnectionResetError ┐
 *   ECONNREFUSED ► ConnectionRefusedError├─ ConnectionError ─┐
 *   ECONNABORTED ► ConnectionAbortedError│                   │
 *   EPIPE ──────► BrokenPipeError ──────┘                    ├─ OSError ─ Error
 *   EADDRINUSE ─► AddressInUseError ─────────────────────────┤
 *   ENOENT ─────► FileNotFoundError,  EACCES/EPERM ► PermissionError,
 *   ESRCH ──────► ProcessLookupError, ENOTFOUND/EAI_* ► GaiError, anything else ► OSError
 *
 * WHY: users catch by class (`catch (e) { if (e instanceof ConnectionResetError) ... }`) as
 * they would `except ConnectionResetError`, and still see Node's `code` and `syscall`.
 */

import {
  AddressInUseError,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  OSError,
  type OSErrorClass,
  type OSErrorInfo,
  PermissionError,
  ProcessLookupError,
  namedError,
} from "@aioloop/core";

/** A Node system error, as Node reports it. */
export interface NodeSystemError extends Error {
  /** The error code, e.g. "ECONNRESET". */
  code?: string;
  /** The negative errno. */
  errno?: number;
  /** The system call that failed. */
  syscall?: string;
  /** The network address involved. */
  address?: string;
  /** The port involved. */
  port?: number;
  /** The path involved. */
  path?: string;
}

/** Every named error of aioloop is named with core's one helper. */
const named = namedError;

// The OSError family lives in @aioloop/core, shared with @aioloop/files, so one class catches
// a missing file or a refused connection whichever package raised it; re-exported here so
// `@aioloop/selector-loop` keeps its names.
export {
  AddressInUseError,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  OSError,
  PermissionError,
  ProcessLookupError,
} from "@aioloop/core";

/** What `new OSError(...)` takes besides the message (core's OSErrorInfo). */
export type OSErrorFields = OSErrorInfo;

/** A host name could not be resolved (Python's socket.gaierror). */
export class GaiError extends OSError {}
named(GaiError, "GaiError");

/** Which class, and what to say, for each Node code (a switch keeps it exhaustive and fast). */
function classify(code: string | undefined): [OSErrorClass, string] {
  switch (code) {
    case "ECONNRESET":
      return [ConnectionResetError, "connection reset by peer"];
    case "ECONNREFUSED":
      return [ConnectionRefusedError, "connection refused: nothing listens at that address"];
    case "ECONNABORTED":
      return [ConnectionAbortedError, "connection aborted"];
    case "EPIPE":
    case "ERR_STREAM_WRITE_AFTER_END":
    case "ERR_STREAM_DESTROYED":
      return [BrokenPipeError, "broken pipe: the other end is closed"];
    case "EADDRINUSE":
      return [AddressInUseError, "address already in use: pick another port (or port 0)"];
    case "ENOENT":
      return [FileNotFoundError, "no such file or directory"];
    case "EACCES":
    case "EPERM":
      return [PermissionError, "permission denied"];
    case "ESRCH":
      return [ProcessLookupError, "no such process"];
    case "EAGAIN":
      return [BlockingIOError, "the operation would block"];
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
    case "EAI_NODATA":
      return [GaiError, "could not resolve the host name"];
    default:
      return [OSError, "operating-system error"];
  }
}

/** System error codes (E...), and the two stream codes that mean "the other end is gone". */
function isSystemCode(code: unknown): code is string {
  if (typeof code !== "string") return false;
  if (code === "ERR_STREAM_WRITE_AFTER_END" || code === "ERR_STREAM_DESTROYED") return true;
  return code.startsWith("E") && !code.startsWith("ERR_");
}

/**
 * The named OSError for a Node error (returned as is when it is one already; non-system errors
 * are returned unchanged).
 * @example
 * sock.once("error", (e) => fut.setException(toOSError(e)));
 */
export function toOSError(err: unknown, what?: string): unknown {
  if (err instanceof OSError) return err;
  if (!(err instanceof Error)) return err;
  const e = err as NodeSystemError;
  if (!isSystemCode(e.code)) return err;
  const [cls, text] = classify(e.code);
  const prefix = what === undefined ? text : `${what}: ${text}`;
  return new cls(`${prefix} (${e.message})`, {
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    address: e.address,
    port: e.port,
    path: e.path,
    cause: err,
  });
}

/**
 * drain() on a connection that is gone (closed here, or by the peer): asyncio's
 * ConnectionResetError("Connection lost").
 */
export function connectionLost(cause?: unknown): ConnectionResetError {
  return new ConnectionResetError(
    "Connection lost: the connection is closed (close() was called, or the peer closed it), so nothing more can be sent",
    cause === undefined || cause === null ? {} : { cause },
  );
}

/** `register` of an object already registered, or `modify`/`unregister` of one that is not. */
export class SelectorKeyError extends Error {}
named(SelectorKeyError, "SelectorKeyError");

/** An I/O call needs a SelectorLoop but the running loop is another kind. */
export class NotSelectorLoopError extends TypeError {}
named(NotSelectorLoopError, "NotSelectorLoopError");

/**
 * addReader/addWriter/removeReader/removeWriter on a socket that a transport (or a server)
 * drives: it would steal the transport's readiness (asyncio's "used by transport").
 */
export class SocketInUseError extends Error {}
named(SocketInUseError, "SocketInUseError");

/** A transport or stream was used after close(), or written after writeEof(). */
export class TransportClosedError extends Error {}
named(TransportClosedError, "TransportClosedError");

/**
 * Two coroutines read one StreamReader (or wait on one socket) at the same time: which one gets
 * the next bytes would be undefined (asyncio's RuntimeError).
 */
export class ConcurrentReadError extends Error {}
named(ConcurrentReadError, "ConcurrentReadError");

/**
 * A line (or chunk up to a separator) is longer than the stream's limit: asyncio's readline
 * raises ValueError here. `cause` is the LimitOverrunError, whose `consumed` says how far the
 * overrun went.
 */
export class LineTooLongError extends RangeError {}
named(LineTooLongError, "LineTooLongError");
