/**
 * What a WorkerPool is told and what it tells: the options of `new WorkerPool()` and `close()`,
 * and the counters of `statistics()`. Types only; the pool itself is pool.ts.
 */

/** Options of `new WorkerPool()`. */
export interface WorkerPoolOptions {
  /** Worker threads at most (default: `os.availableParallelism()`); started as work arrives. */
  size?: number;
  /**
   * How long (ms, default {@link DEFAULT_STUCK_AFTER_MS}) one job may run before its worker
   * counts as stuck. The jobs queued behind it (not started) then go to other workers, and if
   * every worker is busy, the pool starts another beyond `size` (at most `size` more); such a
   * worker quits once it is not needed. `Infinity`: never (a worker that goes idle still takes
   * over the jobs another has not started, whatever this says).
   */
  stuckAfterMs?: number;
}

/** Options of `close()`. */
export interface ClosePoolOptions {
  /**
   * Cancel the futures of jobs that have not finished (as `Executor.shutdown(cancel_futures=True)`);
   * default false: queued jobs still run.
   */
  cancelFutures?: boolean;
}

/**
 * Counters of a pool (`pool.statistics()`): a snapshot, taken when called. Every file
 * operation (`open()`, a read that misses the buffer, `os.stat()`, …) and every `runInWorker()`
 * call is one job. Each job ends in exactly one of `completed`, `failed`, or (withdrawn before a
 * worker started it) `cancelled` alone; a job cancelled while running still finishes, so it
 * counts in `cancelled` and in `completed` or `failed`.
 */
export interface WorkerPoolStatistics {
  /** Worker threads at most: the pool's `size` option (not the threads alive now: see `workers`). */
  size: number;
  /** Workers alive now. */
  workers: number;
  /** Workers started since the pool was made (replacements included). */
  started: number;
  /** Workers that died while not asked to quit. */
  crashed: number;
  /**
   * Jobs submitted since the pool was made, including the background ones nobody waits for
   * (closing a file that was garbage-collected unclosed, removing a leaked TemporaryDirectory).
   */
  submitted: number;
  /** Jobs a worker ran to the end and that returned a value (whether or not it was still wanted). */
  completed: number;
  /**
   * Jobs that threw on the worker (an `OSError` such as `FileNotFoundError`, or the error of a
   * `runInWorker` function) or whose worker crashed (`WorkerCrashedError`).
   */
  failed: number;
  /**
   * Jobs whose future was cancelled (the awaiting task was cancelled, or `close({ cancelFutures:
   * true })`) before the result was delivered.
   */
  cancelled: number;
  /** Jobs waiting on the main thread. */
  queued: number;
  /** Jobs posted to a worker and not answered yet. */
  inFlight: number;
  /** Job messages posted to workers. */
  batches: number;
  /** Results messages received from workers. */
  resultMessages: number;
  /**
   * Jobs taken back from a worker that had not started them and given to another: a worker that
   * went idle took them over, or theirs was stuck (see `stuckAfterMs`).
   */
  reassigned: number;
  /** Workers alive now whose current job has run longer than `stuckAfterMs`. */
  stuck: number;
}
