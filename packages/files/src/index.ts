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

export {
  type ClosePoolOptions,
  JOBS_PER_EXTRA_WORKER,
  MAX_JOBS_PER_WORKER,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStatistics,
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
  PoolClosedError,
  UnicodeDecodeError,
  UnicodeEncodeError,
  UnsupportedOperation,
  ValueError,
  WorkerCrashedError,
} from "./errors.js";
export { DirEntry, StatResult } from "./os.js";
export { TemporaryDirectoryHandle } from "./tempfile.js";
/** aiofiles.os: stat, rename, replace, remove, unlink, mkdir, makedirs, rmdir, listdir, scandir, access, readlink, symlink; `os.path`. */
export * as os from "./os.js";
/** aiofiles.ospath (the same as `os.path`). */
export * as ospath from "./ospath.js";
/** aiofiles.tempfile: TemporaryFile, NamedTemporaryFile, TemporaryDirectory. */
export * as tempfile from "./tempfile.js";
