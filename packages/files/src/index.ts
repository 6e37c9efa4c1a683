/**
 * @aioloop/files: worker-thread file I/O in the manner of aiofiles. Disk files are always
 * "ready", so their blocking calls run on a pool of worker threads; results come back to the
 * event loop through a shared wake word and a message port, in batches.
 *
 * @example
 * import { open, withFile, os } from "@aioloop/files";
 * import { runSync } from "@aioloop/timer-loop";
 *
 * const lines = runSync(function* () {
 *   let n = 0;
 *   yield* withFile(open("/var/log/syslog"), function* (f) {
 *     for (let r = yield* f.aiter().next(); !r.done; r = yield* f.aiter().next()) n++;
 *   });
 *   return n;
 * });
 *
 * @packageDocumentation
 */

export type { ClosePoolOptions, WorkerPoolOptions, WorkerPoolStatistics } from "./pool-types.js";
export {
  DEFAULT_STUCK_AFTER_MS,
  JOBS_PER_EXTRA_WORKER,
  MAX_JOBS_PER_WORKER,
  MAX_START_CRASHES,
  WorkerPool,
  getDefaultPool,
  runInWorker,
  setDefaultPool,
} from "./pool.js";
export {
  AsyncFile,
  type Closable,
  type FileFor,
  type OpenOptions,
  open,
  withFile,
} from "./file.js";
export { DEFAULT_BUFFER_SIZE, type FileStatistics, MAX_READAHEAD } from "./buffered.js";
export type { ErrorsMode } from "./codec.js";
export type { Newline } from "./mode.js";
export {
  FileExistsError,
  FileNotFoundError,
  IsADirectoryError,
  NotADirectoryError,
  OSError,
  type OSErrorInfo,
  PermissionError,
  MainModuleInWorkerError,
  PoolClosedError,
  UnicodeDecodeError,
  UnicodeEncodeError,
  UnsupportedOperation,
  ValueError,
  WorkerCrashedError,
} from "./errors.js";
export { DirEntry, StatResult } from "./os.js";
export { TemporaryDirectoryHandle } from "./tempfile.js";
/**
 * aiofiles.os: stat, lstat, rename, replace, remove, unlink, mkdir, makedirs, rmdir, listdir,
 * scandir, access, readlink, symlink, and `os.path`: Python's os functions as coroutines, each
 * one job on the worker pool (pass `{ pool }` to choose the pool). Errors are Python's OSError
 * subclasses (`FileNotFoundError`, `PermissionError`, …) keeping Node's `code`, `errno`,
 * `syscall` and `path`. Times are milliseconds since the epoch, not Python's seconds.
 * @example
 * import { os } from "@aioloop/files";
 * import { runSync } from "@aioloop/timer-loop";
 *
 * const total = runSync(function* () {
 *   yield* os.makedirs("logs", { existOk: true });
 *   let bytes = 0;
 *   for (const e of yield* os.scandir("logs")) {
 *     if (e.isFile()) bytes += (yield* e.stat()).size;
 *   }
 *   return bytes;
 * });
 */
export * as os from "./os.js";
/**
 * aiofiles.ospath, the same module as `os.path`: exists, isfile, isdir, islink, getsize,
 * getmtime, getatime, getctime. The predicates answer false instead of throwing; getsize and
 * the times throw `FileNotFoundError` and friends. Times are milliseconds since the epoch.
 * @example
 * import { ospath } from "@aioloop/files";
 * import { runSync } from "@aioloop/timer-loop";
 *
 * const age = runSync(function* () {
 *   if (!(yield* ospath.isfile("cache.json"))) return null;
 *   return Date.now() - (yield* ospath.getmtime("cache.json")); // ms
 * });
 */
export * as ospath from "./ospath.js";
/**
 * aiofiles.tempfile: TemporaryFile (anonymous, gone on close), NamedTemporaryFile (has a name,
 * removed on close), TemporaryDirectory (removed with its contents on close), mkdtemp and
 * gettempdir. Names are made with O_EXCL in the system's temporary directory unless `dir` is
 * given; use them with `withFile`, which closes (and so removes) on every exit path.
 * @example
 * import { open, os, tempfile, withFile } from "@aioloop/files";
 * import { runSync } from "@aioloop/timer-loop";
 *
 * const names = runSync(function* () {
 *   return yield* withFile(tempfile.TemporaryDirectory(), function* (d) {
 *     yield* withFile(open(`${d.name}/a.txt`, "w"), (f) => f.write("a"));
 *     return yield* os.listdir(d.name); // ["a.txt"]
 *   }); // the directory and a.txt are gone here
 * });
 */
export * as tempfile from "./tempfile.js";
