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
import { type Coro, coro } from "@aioloop/core";
import { pathArg } from "./file.js";
import { type WorkerPool, getDefaultPool } from "./pool.js";
import { DIRENT, OP, STAT_FIELDS } from "./protocol.js";

/**
 * os.path (aiofiles.ospath): exists, isfile, isdir, islink, getsize, getmtime, getatime,
 * getctime, each a coroutine on the worker pool. The predicates answer false rather than throw.
 * @example
 * if (!(yield* os.path.isdir("cache"))) yield* os.makedirs("cache", { existOk: true });
 * const bytes = yield* os.path.getsize("cache/index.json"); // FileNotFoundError if missing
 */
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

/**
 * The result of {@link stat} and {@link lstat}: Python's os.stat_result with Node's field names
 * (`size` for `st_size`, `mtimeMs` for `st_mtime`, …). Times are milliseconds since the epoch,
 * with a fractional part (Python's are seconds); `new Date(st.mtimeMs)` makes a Date.
 * @example
 * const st = yield* os.stat("data.csv");
 * if (st.isFile() && Date.now() - st.mtimeMs > 86_400_000) console.log(`stale: ${st.size} bytes`);
 */
export class StatResult {
  /** The device the file lives on (Python's st_dev). */
  readonly dev: number;
  /** The inode number, unique on its device (Python's st_ino). */
  readonly ino: number;
  /**
   * File type and permission bits (Python's st_mode): `mode & 0o777` are the permissions; the
   * type is easier to read with isFile(), isDirectory(), isSymbolicLink(), isFIFO().
   */
  readonly mode: number;
  /** The number of hard links (Python's st_nlink). */
  readonly nlink: number;
  /** The owner's user id (Python's st_uid). */
  readonly uid: number;
  /** The owner's group id (Python's st_gid). */
  readonly gid: number;
  /** For a device file, the device it stands for (Python's st_rdev); 0 otherwise. */
  readonly rdev: number;
  /** The size in bytes (Python's st_size; for a symbolic link from lstat, its target's length). */
  readonly size: number;
  /** The preferred block size for I/O, in bytes (Python's st_blksize). */
  readonly blksize: number;
  /** Space allocated, in 512-byte blocks (Python's st_blocks); smaller than size for sparse files. */
  readonly blocks: number;
  /** Last access, in ms since the epoch (Python's st_atime, in seconds). */
  readonly atimeMs: number;
  /** Last change of the contents, in ms since the epoch (Python's st_mtime, in seconds). */
  readonly mtimeMs: number;
  /**
   * Last change of the contents or the metadata (permissions, owner, links), in ms since the
   * epoch (Python's st_ctime on POSIX, in seconds).
   */
  readonly ctimeMs: number;
  /**
   * Creation time, in ms since the epoch (Python's st_birthtime); where the file system does
   * not record it, Node reports ctimeMs or 0.
   */
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
  /** A regular file (Python's stat.S_ISREG(st.st_mode)). */
  isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  /** A directory (Python's stat.S_ISDIR(st.st_mode)). */
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  /**
   * A symbolic link (Python's stat.S_ISLNK(st.st_mode)): only ever true for a result of
   * {@link lstat} or `stat(path, { followSymlinks: false })`, since stat() follows links.
   */
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
  /** A named pipe (Python's stat.S_ISFIFO(st.st_mode)). */
  isFIFO(): boolean {
    return (this.mode & S_IFMT) === S_IFIFO;
  }
}

const toStat = (t: number[]): StatResult => new StatResult(t);

function poolOf(opts: PoolOption | undefined): WorkerPool {
  return opts?.pool ?? getDefaultPool();
}

/**
 * The status of `path` (Python's os.stat; stat(2)), following symbolic links unless
 * `followSymlinks` is false (then the same as {@link lstat}). One job.
 * @throws `FileNotFoundError` when `path` (or the target of a link) does not exist.
 * @throws `PermissionError` when a directory on the way cannot be searched.
 * @throws `NotADirectoryError` when a part of the path before the last is a file.
 * @example
 * const st = yield* os.stat("data.csv");
 * console.log(st.size, new Date(st.mtimeMs), st.isFile());
 */
export const stat = coro(function* stat(
  path: string | URL,
  opts: PoolOption & { followSymlinks?: boolean } = {},
): Coro<StatResult> {
  const p = pathArg(path, "os.stat()");
  return yield* poolOf(opts)._submit(OP.STAT, [p, opts.followSymlinks !== false], {
    decode: toStat,
  });
});

/**
 * The status of `path` without following a final symbolic link (Python's os.lstat; lstat(2)):
 * for a link, `isSymbolicLink()` is true and `size` is the length of its target path.
 * @throws `FileNotFoundError`, `PermissionError`, `NotADirectoryError` as {@link stat}.
 */
export const lstat = coro(function* lstat(
  path: string | URL,
  opts: PoolOption = {},
): Coro<StatResult> {
  const p = pathArg(path, "os.lstat()");
  return yield* poolOf(opts)._submit(OP.STAT, [p, false], { decode: toStat });
});

/**
 * Rename (move) `src` to `dst` on the same file system (Python's os.rename; rename(2)). As on
 * POSIX, an existing file `dst` is replaced atomically, and so is an empty directory `dst` when
 * `src` is a directory.
 * @throws `FileNotFoundError` when `src` (or the directory of `dst`) does not exist.
 * @throws `IsADirectoryError` when `dst` is a directory and `src` is not;
 * `NotADirectoryError` when `src` is a directory and `dst` is not.
 * @throws `OSError` with code `ENOTEMPTY` when `dst` is a directory that is not empty, `EXDEV`
 * when they are on different file systems.
 * @throws `PermissionError` when a directory involved is not writable.
 */
export const rename = coro(function* rename(
  src: string | URL,
  dst: string | URL,
  opts: PoolOption = {},
): Coro<void> {
  const a = pathArg(src, "os.rename()");
  const b = pathArg(dst, "os.rename()");
  yield* poolOf(opts)._submit(OP.RENAME, [a, b]);
});

/**
 * Rename `src` to `dst`, replacing `dst` (Python's os.replace; the same as {@link rename} on
 * POSIX, and with the same errors). The usual way to update a file atomically: write a
 * temporary file next to it, then replace.
 * @example
 * yield* withFile(open("config.json.tmp", "w"), (f) => f.write(JSON.stringify(config)));
 * yield* os.replace("config.json.tmp", "config.json");
 */
export const replace = coro(function* replace(
  src: string | URL,
  dst: string | URL,
  opts: PoolOption = {},
): Coro<void> {
  const a = pathArg(src, "os.replace()");
  const b = pathArg(dst, "os.replace()");
  yield* poolOf(opts)._submit(OP.RENAME, [a, b]);
});

/**
 * Delete a file or symbolic link (Python's os.remove; unlink(2)). For a directory use
 * {@link rmdir}; for a whole tree, node:fs `rm(path, { recursive: true })` (Python's
 * shutil.rmtree).
 * @throws `FileNotFoundError` when `path` does not exist.
 * @throws `IsADirectoryError` when `path` is a directory.
 * @throws `PermissionError` when its directory is not writable.
 */
export const remove = coro(function* remove(path: string | URL, opts: PoolOption = {}): Coro<void> {
  yield* poolOf(opts)._submit(OP.UNLINK, [pathArg(path, "os.remove()")]);
});

/**
 * Delete a file or symbolic link (Python's os.unlink: the same as {@link remove}, with the
 * same errors).
 */
export const unlink = coro(function* unlink(path: string | URL, opts: PoolOption = {}): Coro<void> {
  yield* poolOf(opts)._submit(OP.UNLINK, [pathArg(path, "os.unlink()")]);
});

/**
 * Create a directory (Python's os.mkdir; mkdir(2)) with permission bits `mode` (default
 * 0o777, less the process umask). Its parent must exist: see {@link makedirs}.
 * @throws `FileExistsError` when `path` exists (as a directory or anything else).
 * @throws `FileNotFoundError` when its parent directory does not exist.
 * @throws `PermissionError` when the parent is not writable.
 */
export const mkdir = coro(function* mkdir(
  path: string | URL,
  opts: PoolOption & { mode?: number } = {},
): Coro<void> {
  const p = pathArg(path, "os.mkdir()");
  yield* poolOf(opts)._submit(OP.MKDIR, [p, opts.mode ?? 0o777, false, false]);
});

/**
 * Create a directory and any missing parents (Python's os.makedirs(path, mode, exist_ok)).
 * `mode` (default 0o777, less the umask) applies to every directory created.
 * @throws `FileExistsError` when `path` exists already, unless `existOk` is true and it is a
 * directory (a file of that name throws even then).
 * @throws `NotADirectoryError` when a part of the path is a file.
 * @throws `PermissionError` when a directory cannot be created.
 * @example
 * yield* os.makedirs("out/logs/2024", { existOk: true });
 */
export const makedirs = coro(function* makedirs(
  path: string | URL,
  opts: PoolOption & { mode?: number; existOk?: boolean } = {},
): Coro<void> {
  const p = pathArg(path, "os.makedirs()");
  yield* poolOf(opts)._submit(OP.MKDIR, [p, opts.mode ?? 0o777, true, opts.existOk === true]);
});

/**
 * Remove an empty directory (Python's os.rmdir; rmdir(2)).
 * @throws `FileNotFoundError` when `path` does not exist.
 * @throws `NotADirectoryError` when `path` is not a directory.
 * @throws `OSError` with code `ENOTEMPTY` when the directory is not empty.
 */
export const rmdir = coro(function* rmdir(path: string | URL, opts: PoolOption = {}): Coro<void> {
  yield* poolOf(opts)._submit(OP.RMDIR, [pathArg(path, "os.rmdir()")]);
});

/**
 * The names in a directory (Python's os.listdir): not "." or "..", in the order the system
 * gives them (sort them if order matters). Default: the current directory. One job.
 * @throws `FileNotFoundError` when `path` does not exist.
 * @throws `NotADirectoryError` when `path` is not a directory.
 * @throws `PermissionError` when it cannot be read.
 */
export const listdir = coro(function* listdir(
  path: string | URL = ".",
  opts: PoolOption = {},
): Coro<string[]> {
  return yield* poolOf(opts)._submit<string[]>(OP.READDIR, [pathArg(path, "os.listdir()")]);
});

/**
 * One entry of {@link scandir} (Python's os.DirEntry): its name, its path, and its type as read
 * with the directory, so isFile(), isDir() and isSymlink() answer without a job. Symbolic links
 * were followed when the directory was read; a broken link is neither a file nor a directory.
 */
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
  /** `<DirEntry "name">`, as Python's repr of an os.DirEntry. */
  toString(): string {
    return `<DirEntry ${JSON.stringify(this.name)}>`;
  }
}

/**
 * The entries of a directory with their types (Python's os.scandir, as an array rather than an
 * iterator): one job for the whole directory, however many entries, and no further job for
 * isFile(), isDir() or isSymlink(). Default: the current directory.
 * @throws `FileNotFoundError`, `NotADirectoryError`, `PermissionError` as {@link listdir}.
 * @example
 * for (const e of yield* os.scandir("logs")) {
 *   if (e.isFile() && e.name.endsWith(".old")) yield* os.remove(e.path);
 * }
 */
export const scandir = coro(function* scandir(
  path: string | URL = ".",
  opts: PoolOption = {},
): Coro<DirEntry[]> {
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
});

/**
 * Whether the process may access `path` with `mode` (Python's os.access; access(2)): F_OK
 * (exists) or R_OK, W_OK, X_OK or-ed together. A missing path answers false, not an error.
 * @throws `TypeError` when `mode` is not a whole number.
 * @example
 * if (!(yield* os.access("run.sh", os.R_OK | os.X_OK))) console.log("run.sh is not executable");
 */
export const access = coro(function* access(
  path: string | URL,
  mode: number,
  opts: PoolOption = {},
): Coro<boolean> {
  if (!Number.isInteger(mode)) {
    throw new TypeError(
      `os.access(): mode must be F_OK or R_OK | W_OK | X_OK, got ${String(mode)}`,
    );
  }
  return yield* poolOf(opts)._submit<boolean>(OP.ACCESS, [pathArg(path, "os.access()"), mode]);
});

/**
 * The path a symbolic link points to, as stored in the link (Python's os.readlink; relative
 * targets stay relative).
 * @throws `FileNotFoundError` when `path` does not exist.
 * @throws `OSError` with code `EINVAL` when `path` is not a symbolic link.
 */
export const readlink = coro(function* readlink(
  path: string | URL,
  opts: PoolOption = {},
): Coro<string> {
  return yield* poolOf(opts)._submit<string>(OP.READLINK, [pathArg(path, "os.readlink()")]);
});

/**
 * Create a symbolic link `dst` pointing to `src` (Python's os.symlink, with its argument
 * order: target first). `src` is stored as given and need not exist.
 * @throws `FileExistsError` when `dst` exists.
 * @throws `FileNotFoundError` when the directory of `dst` does not exist.
 */
export const symlink = coro(function* symlink(
  src: string | URL,
  dst: string | URL,
  opts: PoolOption = {},
): Coro<void> {
  const a = pathArg(src, "os.symlink()");
  const b = pathArg(dst, "os.symlink()");
  yield* poolOf(opts)._submit(OP.SYMLINK, [a, b]);
});
