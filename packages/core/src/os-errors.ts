/**
 * Python's OSError family, shared by every package: one class per errno that Python names.
 *
 * HOW: each class keeps Node's fields (`code`, `errno`, `syscall`, `path`, `dest`, `address`,
 * `port`) so both `e instanceof FileNotFoundError` and `e.code === "ENOENT"` work;
 * `osErrorClass(code)` picks the class for a Node error code:
 *
 *   ENOENT ► FileNotFoundError       EEXIST ► FileExistsError      EACCES/EPERM ► PermissionError
 *   EISDIR ► IsADirectoryError       ENOTDIR ► NotADirectoryError  ESRCH ► ProcessLookupError
 *   EAGAIN ► BlockingIOError         EINTR ► InterruptedError      EADDRINUSE ► AddressInUseError
 *   ECONNRESET ► ConnectionResetError  ECONNREFUSED ► ConnectionRefusedError
 *   ECONNABORTED ► ConnectionAbortedError  EPIPE ► BrokenPipeError   (the last four: ConnectionError)
 *   anything else ► OSError
 *
 * WHY in core: @aioloop/files and @aioloop/selector-loop both raise these (a subprocess whose
 * program is missing and a missing file are the same FileNotFoundError), so a user catches one
 * class whichever package threw. Core only defines them; it imports nothing from Node.
 */

import { namedError as named } from "./errors.js";

/** The system-call details an OSError carries (Node's own names). */
export interface OSErrorInfo {
  /** Node's error code, e.g. "ENOENT"; undefined for errors made here. */
  code?: string | undefined;
  /** The (negative) errno Node reports, e.g. -2. */
  errno?: number | undefined;
  /** The system call that failed, e.g. "open" or "connect". */
  syscall?: string | undefined;
  /** The path involved, when there is one. */
  path?: string | undefined;
  /** The second path of a rename, link or symlink. */
  dest?: string | undefined;
  /** The network address involved, when there is one. */
  address?: string | undefined;
  /** The port involved, when there is one. */
  port?: number | undefined;
  /** The error this one was made from (usually Node's). */
  cause?: unknown;
}

/**
 * A system call failed: Python's OSError. Keeps Node's `code`, `errno`, `syscall` and, when
 * Node gave them, `path`, `dest`, `address` and `port`.
 * @example
 * try {
 *   yield* open("/nope");
 * } catch (e) {
 *   if (e instanceof FileNotFoundError) console.log(e.code, e.path); // ENOENT /nope
 * }
 */
export class OSError extends Error {
  /** Node's error code, e.g. "ENOENT". */
  readonly code: string | undefined;
  /** The (negative) errno Node reports. */
  readonly errno: number | undefined;
  /** The system call that failed. */
  readonly syscall: string | undefined;
  /** The path involved. */
  readonly path: string | undefined;
  /** The second path of a rename, link or symlink. */
  readonly dest: string | undefined;
  /** The network address involved. */
  readonly address: string | undefined;
  /** The port involved. */
  readonly port: number | undefined;
  /** An OSError with `message` and Node's details in `info` (`info.cause` becomes `cause`). */
  constructor(message: string, info: OSErrorInfo = {}, options?: ErrorOptions) {
    super(message, options ?? (info.cause === undefined ? undefined : { cause: info.cause }));
    this.code = info.code;
    this.errno = info.errno;
    this.syscall = info.syscall;
    this.path = info.path;
    this.dest = info.dest;
    this.address = info.address;
    this.port = info.port;
  }
}
named(OSError, "OSError");

/** ENOENT: no such file or directory (also: a subprocess whose program does not exist). */
export class FileNotFoundError extends OSError {}
named(FileNotFoundError, "FileNotFoundError");

/** EEXIST: the file already exists (e.g. mode "x", or mkdir of an existing directory). */
export class FileExistsError extends OSError {}
named(FileExistsError, "FileExistsError");

/** EACCES or EPERM: not allowed. */
export class PermissionError extends OSError {}
named(PermissionError, "PermissionError");

/** EISDIR: a directory was used as a file. */
export class IsADirectoryError extends OSError {}
named(IsADirectoryError, "IsADirectoryError");

/** ENOTDIR: a file was used as a directory. */
export class NotADirectoryError extends OSError {}
named(NotADirectoryError, "NotADirectoryError");

/** ESRCH: no such process. */
export class ProcessLookupError extends OSError {}
named(ProcessLookupError, "ProcessLookupError");

/** EAGAIN: a non-blocking call found nothing to do yet; wait for readiness and try again. */
export class BlockingIOError extends OSError {}
named(BlockingIOError, "BlockingIOError");

/** EINTR: a system call was interrupted by a signal. */
export class InterruptedError extends OSError {}
named(InterruptedError, "InterruptedError");

/** EADDRINUSE: the address is already in use (pick another port, or port 0). */
export class AddressInUseError extends OSError {}
named(AddressInUseError, "AddressInUseError");

/** A connection-related OSError (Python's ConnectionError). */
export class ConnectionError extends OSError {}
named(ConnectionError, "ConnectionError");

/** ECONNRESET: the peer reset the connection, or it was lost mid-operation. */
export class ConnectionResetError extends ConnectionError {}
named(ConnectionResetError, "ConnectionResetError");

/** ECONNREFUSED: nothing listens at that address. */
export class ConnectionRefusedError extends ConnectionError {}
named(ConnectionRefusedError, "ConnectionRefusedError");

/** ECONNABORTED: the connection was aborted. */
export class ConnectionAbortedError extends ConnectionError {}
named(ConnectionAbortedError, "ConnectionAbortedError");

/** EPIPE: writing to a connection or pipe whose other end is closed. */
export class BrokenPipeError extends ConnectionError {}
named(BrokenPipeError, "BrokenPipeError");

/** An OSError subclass, as `osErrorClass` returns. */
export type OSErrorClass = new (
  message: string,
  info?: OSErrorInfo,
  options?: ErrorOptions,
) => OSError;

/** The OSError subclass Python raises for Node's error `code` (OSError itself when none fits). */
export function osErrorClass(code: string | undefined): OSErrorClass {
  switch (code) {
    case "ENOENT":
      return FileNotFoundError;
    case "EEXIST":
      return FileExistsError;
    case "EACCES":
    case "EPERM":
      return PermissionError;
    case "EISDIR":
      return IsADirectoryError;
    case "ENOTDIR":
      return NotADirectoryError;
    case "ESRCH":
      return ProcessLookupError;
    case "EAGAIN":
      return BlockingIOError;
    case "EINTR":
      return InterruptedError;
    case "EADDRINUSE":
      return AddressInUseError;
    case "ECONNRESET":
      return ConnectionResetError;
    case "ECONNREFUSED":
      return ConnectionRefusedError;
    case "ECONNABORTED":
      return ConnectionAbortedError;
    case "EPIPE":
      return BrokenPipeError;
    default:
      return OSError;
  }
}
