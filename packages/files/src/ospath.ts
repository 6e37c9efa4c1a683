/**
 * `os.path`: aiofiles.ospath for aioloop: the path predicates and sizes that touch the disk, as
 * coroutines on the worker pool. (Pure string functions such as join need no thread: use
 * node:path.)
 *
 * As in Python, exists/isfile/isdir/islink answer false instead of throwing (a missing path, a
 * permission problem); getsize and the times throw FileNotFoundError and friends. Times are
 * milliseconds since the epoch.
 */

import { type Coro, coro } from "@aioloop/core";
import { pathArg } from "./file.js";
import { type WorkerPool, getDefaultPool } from "./pool.js";
import { OP, PATHTEST } from "./protocol.js";

/** Options of every os.path function. */
export interface PathOptions {
  /** The worker pool (default: `getDefaultPool()`). */
  pool?: WorkerPool;
}

const test = coro(function* test(
  path: string | URL,
  kind: number,
  where: string,
  opts: PathOptions,
): Coro<boolean> {
  const p = pathArg(path, where);
  return yield* (opts.pool ?? getDefaultPool())._submit<boolean>(OP.PATHTEST, [p, kind]);
});

const statField = coro(function* statField(
  path: string | URL,
  field: number,
  where: string,
  opts: PathOptions,
): Coro<number> {
  const p = pathArg(path, where);
  const t = yield* (opts.pool ?? getDefaultPool())._submit<number[]>(OP.STAT, [p, true]);
  return t[field]!;
});

/** Index of fields in the stat tuple (worker.js statTuple). */
const SIZE = 7;
const ATIME = 10;
const MTIME = 11;
const CTIME = 12;

/**
 * Whether `path` exists (Python's os.path.exists), following symbolic links: a broken link
 * answers false. Never throws for the path itself: a missing path, one behind a directory you
 * may not search, or a file used as a directory all answer false. One job.
 * @example
 * if (!(yield* os.path.exists("settings.json"))) {
 *   yield* withFile(open("settings.json", "w"), (f) => f.write("{}\n"));
 * }
 */
export function exists(path: string | URL, opts: PathOptions = {}): Coro<boolean> {
  return test(path, PATHTEST.EXISTS, "os.path.exists()", opts);
}

/**
 * Whether `path` is a regular file, following symbolic links (Python's os.path.isfile).
 * False (not an error) when it does not exist or cannot be reached.
 */
export function isfile(path: string | URL, opts: PathOptions = {}): Coro<boolean> {
  return test(path, PATHTEST.ISFILE, "os.path.isfile()", opts);
}

/**
 * Whether `path` is a directory, following symbolic links (Python's os.path.isdir). False
 * (not an error) when it does not exist or cannot be reached.
 */
export function isdir(path: string | URL, opts: PathOptions = {}): Coro<boolean> {
  return test(path, PATHTEST.ISDIR, "os.path.isdir()", opts);
}

/**
 * Whether `path` itself is a symbolic link, broken or not (Python's os.path.islink). False
 * (not an error) when it does not exist or cannot be reached.
 */
export function islink(path: string | URL, opts: PathOptions = {}): Coro<boolean> {
  return test(path, PATHTEST.ISLINK, "os.path.islink()", opts);
}

/**
 * The size of `path` in bytes, following symbolic links (Python's os.path.getsize; the `size`
 * of `os.stat()`).
 * @throws `FileNotFoundError` when `path` does not exist; `PermissionError`,
 * `NotADirectoryError` as os.stat.
 */
export function getsize(path: string | URL, opts: PathOptions = {}): Coro<number> {
  return statField(path, SIZE, "os.path.getsize()", opts);
}

/**
 * The last modification time of `path`, in milliseconds since the epoch (Python's
 * os.path.getmtime, which gives seconds): `new Date(yield* os.path.getmtime(p))`.
 * @throws `FileNotFoundError` when `path` does not exist; `PermissionError`,
 * `NotADirectoryError` as os.stat.
 */
export function getmtime(path: string | URL, opts: PathOptions = {}): Coro<number> {
  return statField(path, MTIME, "os.path.getmtime()", opts);
}

/**
 * The last access time of `path`, in milliseconds since the epoch (Python's
 * os.path.getatime, which gives seconds). Many systems update it lazily (relatime).
 * @throws `FileNotFoundError` when `path` does not exist; `PermissionError`,
 * `NotADirectoryError` as os.stat.
 */
export function getatime(path: string | URL, opts: PathOptions = {}): Coro<number> {
  return statField(path, ATIME, "os.path.getatime()", opts);
}

/**
 * The last change of `path`'s contents or metadata, in milliseconds since the epoch (Python's
 * os.path.getctime on POSIX, which gives seconds; not a creation time).
 * @throws `FileNotFoundError` when `path` does not exist; `PermissionError`,
 * `NotADirectoryError` as os.stat.
 */
export function getctime(path: string | URL, opts: PathOptions = {}): Coro<number> {
  return statField(path, CTIME, "os.path.getctime()", opts);
}
