// @ts-check
/**
 * The wire protocol between the main thread (pool.ts) and the file worker (worker.js).
 *
 * HOW: plain JavaScript so the worker can import it from the TypeScript sources under vitest and
 * from dist/ alike (TypeScript reads its types through JSDoc). Three things live here:
 *
 *   1. opcodes: what a job asks the worker to do (OP.*), with the argument and result shape
 *      of each in the comment beside it;
 *   2. the shared status words: one Int32 per job slot in a SharedArrayBuffer. The main thread
 *      and the worker race on them with Atomics.compareExchange, which is how a job that has not
 *      started is cancelled without any message:
 *
 *          main: SENT ──cancel──► CANCELLED        worker: SENT ──start──► RUNNING ──► DONE
 *                      (CAS)                                   (CAS)
 *
 *      whoever wins the compare-exchange decides: the worker skips a CANCELLED job, and the main
 *      thread discards the result of a RUNNING one (releasing what it holds, e.g. an open fd);
 *   3. message shapes: main → worker {k: MSG.*}, worker → main a flat results array
 *      [slot, seq, status, value, slot, seq, status, value, …] or an exit notice object.
 *
 * WHY numbers and flat arrays: every job and every result crosses a structured clone; a flat
 * array of small values clones several times faster than an array of objects with names.
 */

/** Job opcodes. Arguments follow `[slot, seq, wakeId, op]` in the job tuple. */
export const OP = Object.freeze({
  /** (path, flags, mode, readahead) → [fd, size (-1: not looked up), first bytes | null, positional 0/1, bytes asked] */
  OPEN: 1,
  /** (fd, unlinkPath | null, final bytes | null, their position | -1) → null: write, close, unlink */
  CLOSE: 2,
  /** (fd, length, position) → Uint8Array (shorter at end of file) */
  PREAD: 3,
  /** (fd, position) → Uint8Array (everything up to end of file) */
  READALL: 4,
  /** (fd, Uint8Array, position | -1 to append) → the file position after the write */
  PWRITE: 5,
  /** (fd, size) → null */
  FTRUNCATE: 6,
  /** (fd) → stat tuple */
  FSTAT: 7,
  /** (path, followSymlinks) → stat tuple */
  STAT: 8,
  /** (src, dst) → null */
  RENAME: 9,
  /** (path) → null */
  UNLINK: 10,
  /** (path, mode, recursive, existOk) → null */
  MKDIR: 11,
  /** (path) → null */
  RMDIR: 12,
  /** (path) → string[] */
  READDIR: 13,
  /** (path) → flat [name, type, followedType, …] (DIRENT.*) */
  SCANDIR: 14,
  /** (path, mode) → boolean */
  ACCESS: 15,
  /** (path) → string */
  READLINK: 16,
  /** (target, path) → null */
  SYMLINK: 17,
  /** (path, PATHTEST.*) → boolean; never throws */
  PATHTEST: 18,
  /** (dir, prefix, suffix, flags, unlinkNow) → [fd, path] */
  OPEN_TEMP: 19,
  /** (dir, prefix, suffix) → path */
  MKDTEMP: 20,
  /** (path) → null: remove a directory tree */
  RMTREE: 21,
  /** (moduleUrl, exportName, args[]) → whatever the export returns (awaited) */
  CALL: 22,
  /** (fd) → null: fsync */
  FSYNC: 23,
});

/** The names of the opcodes, for error messages and statistics. */
export const OP_NAMES = Object.freeze(
  /** @type {Record<number, string>} */ (
    Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k.toLowerCase()]))
  ),
);

/** Slot status words (see the diagram above). */
export const SLOT = Object.freeze({
  /** Not handed to any worker (free, or queued on the main thread). */
  IDLE: 0,
  /** Posted to a worker that has not started it: the main thread may still cancel it. */
  SENT: 1,
  /** The worker started it: it will finish, and its result may be discarded. */
  RUNNING: 2,
  /** Cancelled before it started: the worker skips it and reports SKIPPED. */
  CANCELLED: 3,
  /** Finished; the result is on its way. */
  DONE: 4,
});

/** The status of one result in a results array. */
export const STATUS = Object.freeze({ OK: 0, ERROR: 1, SKIPPED: 2 });

/** Main → worker message kinds. */
export const MSG = Object.freeze({
  /** {k, j: flat job tuples, c?: descriptors to close first (no answer)} */
  JOBS: 0,
  /** {k, id, w: Int32Array}: the wake word of a loop, used for results of jobs with wakeId id */
  WAKE: 1,
  /** {k}: finish the queued jobs, then exit */
  QUIT: 2,
  /** {k, c: fds[]}: close these descriptors; no answer (files opened only for reading) */
  CLOSES: 3,
});

/** PATHTEST kinds (os.path.exists and friends). */
export const PATHTEST = Object.freeze({ EXISTS: 0, ISFILE: 1, ISDIR: 2, ISLINK: 3 });

/** Directory entry types in SCANDIR results. */
export const DIRENT = Object.freeze({ OTHER: 0, FILE: 1, DIR: 2, SYMLINK: 3, MISSING: 4 });

/**
 * Words of the shared header, before the slots. POSTED counts results messages posted by any
 * worker: the main thread compares it with the count it last saw and drains the ports only when
 * it moved, so polling an idle pool costs one Atomics.load.
 */
export const HEADER = Object.freeze({ POSTED: 0, WORDS: 4 });

/**
 * Words of each worker's own control buffer (an Int32Array on a SharedArrayBuffer):
 *   BELL           the doorbell: the pool sets it (and notifies) after each post; an idle worker
 *                  sleeps on it briefly;
 *   CLOSES_DONE    how many detached closes (MSG.CLOSES, JOBS' `c`) the worker has taken on. It
 *                  counts each one *before* its close(2), so the pool hands the ones after it to
 *                  another worker if this one dies, and never closes a descriptor twice (a worker
 *                  killed right between leaks that one rather than close a number reused since);
 *   RUNNING_SINCE  when the worker started the job it is running: Date.now() - the pool's epoch
 *                  + 1 (so never 0); 0 while it runs none. The pool tells a stuck worker by it.
 */
export const CONTROL = Object.freeze({ BELL: 0, CLOSES_DONE: 1, RUNNING_SINCE: 2, WORDS: 4 });

/** Number of fields in a stat tuple (see statTuple in worker.js, StatResult in os.ts). */
export const STAT_FIELDS = 14;
