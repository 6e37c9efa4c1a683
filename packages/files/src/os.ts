/**
 * `os`: aiofiles.os for aioloop: filesystem calls as coroutines that run on the worker pool.
 *
 * HOW: each function is one job (one thread hop, batched with whatever else the loop submits in
 * the same iteration); errors are Python's OSError subclasses with Node's code, path, syscall.
 * `os.path` (ospath.ts) holds the predicates (exists, isfile, …).
 *
 *   const st = yield* os.stat("data.csv");          // StatResult: size, mtimeMs, isFile(), …
 *   for (const e of yield* os.scandir("logs")) if (e.isFile()) yield* os.remove(e.path);
 *
 * Times are milliseconds since the epoch (JavaScript's convention), not Python's seconds.
 */

import { constants } from "node:fs";
import { join } from "node:path";
import type { Coro } from "@aioloop/core";
import { pathArg } from "./file.js";
import { type WorkerPool, getDefaultPool } from "./pool.js";
import { DIRENT, OP, STAT_FIELDS } from "./protocol.js";

/** os.path: exists, isfile, isdir, islink, getsize, getmtime, getatime, getctime. */
export * as path from "./ospath.js";

/** Options every `os` function takes. */
export interface PoolOption {
  /** The worker pool (default: `getDefaultPool()`). */
  pool?: WorkerPool;
}

/** access() mode: the path exists. */
export const F_OK: number = constants.F_OK;
/** access() mode: readable. */
export const R_OK: number = constants.R_OK;
/** access() mode: writable. */
export const W_OK: number = constants.W_OK;
/** access() mode: executable (or searchable, for a directory). */
export const X_OK: number = constants.X_OK;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;

/** The result of stat() (Python's os.stat_result, with Node's field names; times in ms). */
export class StatResult {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly blksize: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;

  /** @internal From the worker's stat tuple. */
  constructor(t: readonly number[]) {
    if (t.length !== STAT_FIELDS) throw new TypeError("StatResult: malformed stat tuple");
    [
      this.dev,
      this.ino,
      this.mode,
      this.nlink,
      this.uid,
      this.gid,
      this.rdev,
      this.size,
      this.blksize,
      this.blocks,
      this.atimeMs,
      this.mtimeMs,
      this.ctimeMs,
      this.birthtimeMs,
    ] = t as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
  }
  isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
  isFIFO(): boolean {
    return (this.mode & S_IFMT) === S_IFIFO;
  }
}

const toStat = (t: number[]): StatResult => new StatResult(t);

function poolOf(opts: PoolOption | undefined): WorkerPool {
  return opts?.pool ?? getDefaultPool();
}

/** stat(2) (or lstat with `followSymlinks: false`). */
export function* stat(
  path: string | URL,
  opts: PoolOption & { followSymlinks?: boolean } = {},
): Coro<StatResult> {
  const p = pathArg(path, "os.stat()");
  return yield* poolOf(opts)._submit(OP.STAT, [p, opts.followSymlinks !== false], {
    decode: toStat,
  });
}

/** lstat(2): a symbolic link itself. */
export function* lstat(path: string | URL, opts: PoolOption = {}): Coro<StatResult> {
  const p = pathArg(path, "os.lstat()");
  return yield* poolOf(opts)._submit(OP.STAT, [p, false], { decode: toStat });
}

/** Rename `src` to `dst` (replacing `dst` if it is a file, as on POSIX). */
export function* rename(src: string | URL, dst: string | URL, opts: PoolOption = {}): Coro<void> {
  const a = pathArg(src, "os.rename()");
  const b = pathArg(dst, "os.rename()");
  yield* poolOf(opts)._submit(OP.RENAME, [a, b]);
}

/** Rename `src` to `dst`, replacing `dst` (Python's os.replace; the same as rename on POSIX). */
export function* replace(src: string | URL, dst: string | URL, opts: PoolOption = {}): Coro<void> {
  const a = pathArg(src, "os.replace()");
  const b = pathArg(dst, "os.replace()");
  yield* poolOf(opts)._submit(OP.RENAME, [a, b]);
}

/** Delete a file (not a directory: use rmdir). */
export function* remove(path: string | URL, opts: PoolOption = {}): Coro<void> {
  yield* poolOf(opts)._submit(OP.UNLINK, [pathArg(path, "os.remove()")]);
}

/** Delete a file (the same as remove). */
export function* unlink(path: string | URL, opts: PoolOption = {}): Coro<void> {
  yield* poolOf(opts)._submit(OP.UNLINK, [pathArg(path, "os.unlink()")]);
}

/** Create a directory; FileExistsError if it exists, FileNotFoundError if its parent does not. */
export function* mkdir(path: string | URL, opts: PoolOption & { mode?: number } = {}): Coro<void> {
  const p = pathArg(path, "os.mkdir()");
  yield* poolOf(opts)._submit(OP.MKDIR, [p, opts.mode ?? 0o777, false, false]);
}

/** Create a directory and its missing parents; FileExistsError if it exists, unless `existOk`. */
export function* makedirs(
  path: string | URL,
  opts: PoolOption & { mode?: number; existOk?: boolean } = {},
): Coro<void> {
  const p = pathArg(path, "os.makedirs()");
  yield* poolOf(opts)._submit(OP.MKDIR, [p, opts.mode ?? 0o777, true, opts.existOk === true]);
}

/** Remove an empty directory. */
export function* rmdir(path: string | URL, opts: PoolOption = {}): Coro<void> {
  yield* poolOf(opts)._submit(OP.RMDIR, [pathArg(path, "os.rmdir()")]);
}

/** The names in a directory (not "." or ".."), in the order the system gives them. */
export function* listdir(path: string | URL = ".", opts: PoolOption = {}): Coro<string[]> {
  return yield* poolOf(opts)._submit<string[]>(OP.READDIR, [pathArg(path, "os.listdir()")]);
}

/** One entry of scandir() (Python's os.DirEntry). */
export class DirEntry {
  /** The entry's name. */
  readonly name: string;
  /** The directory joined with the name. */
  readonly path: string;
  readonly #type: number;
  readonly #followed: number;
  readonly #pool: WorkerPool;

  /** @internal */
  constructor(dir: string, name: string, type: number, followed: number, pool: WorkerPool) {
    this.name = name;
    this.path = join(dir, name);
    this.#type = type;
    this.#followed = followed;
    this.#pool = pool;
  }
  /** A directory (following a symbolic link unless `followSymlinks` is false). */
  isDir(opts: { followSymlinks?: boolean } = {}): boolean {
    return (opts.followSymlinks === false ? this.#type : this.#followed) === DIRENT.DIR;
  }
  /** A regular file (following a symbolic link unless `followSymlinks` is false). */
  isFile(opts: { followSymlinks?: boolean } = {}): boolean {
    return (opts.followSymlinks === false ? this.#type : this.#followed) === DIRENT.FILE;
  }
  /** A symbolic link. */
  isSymlink(): boolean {
    return this.#type === DIRENT.SYMLINK;
  }
  /** stat() of the entry (a job). */
  stat(opts: { followSymlinks?: boolean } = {}): Coro<StatResult> {
    return stat(this.path, { pool: this.#pool, followSymlinks: opts.followSymlinks !== false });
  }
  toString(): string {
    return `<DirEntry ${JSON.stringify(this.name)}>`;
  }
}

/** The entries of a directory, with their types (one job for the whole directory). */
export function* scandir(path: string | URL = ".", opts: PoolOption = {}): Coro<DirEntry[]> {
  const dir = pathArg(path, "os.scandir()");
  const pool = poolOf(opts);
  const flat = yield* pool._submit<unknown[]>(OP.SCANDIR, [dir]);
  const out: DirEntry[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    out.push(
      new DirEntry(dir, flat[i] as string, flat[i + 1] as number, flat[i + 2] as number, pool),
    );
  }
  return out;
}

/** Whether the process may access `path` with `mode` (F_OK, R_OK, W_OK, X_OK, or-ed). */
export function* access(path: string | URL, mode: number, opts: PoolOption = {}): Coro<boolean> {
  if (!Number.isInteger(mode)) {
    throw new TypeError(
      `os.access(): mode must be F_OK or R_OK | W_OK | X_OK, got ${String(mode)}`,
    );
  }
  return yield* poolOf(opts)._submit<boolean>(OP.ACCESS, [pathArg(path, "os.access()"), mode]);
}

/** The target of a symbolic link. */
export function* readlink(path: string | URL, opts: PoolOption = {}): Coro<string> {
  return yield* poolOf(opts)._submit<string>(OP.READLINK, [pathArg(path, "os.readlink()")]);
}

/** Create a symbolic link `dst` pointing to `src` (Python's argument order). */
export function* symlink(src: string | URL, dst: string | URL, opts: PoolOption = {}): Coro<void> {
  const a = pathArg(src, "os.symlink()");
  const b = pathArg(dst, "os.symlink()");
  yield* poolOf(opts)._submit(OP.SYMLINK, [a, b]);
}
