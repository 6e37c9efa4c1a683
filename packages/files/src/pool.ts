/**
 * WorkerPool: blocking file calls (and any module function) on worker threads, with results
 * delivered to whichever aioloop event loop is waiting for them. This module is the pool's public
 * face and its dispatcher; the parts live next door:
 *
 *   jobs.ts      Job, its states and future, the queue on the main thread, the slots
 *   workers.ts   the threads: starting, posting batches, the doorbell, crash reports
 *   delivery.ts  answers back to the loops: each loop's outside source, polling, settling
 *   worker.js    the thread's side: the message loop (fileops.js: the file operations)
 *
 * HOW: jobs are batched per loop iteration, posted as one message per worker, and answered as one
 * message per batch:
 *
 *   task: yield* pool job ─► queue ─┐  (first job of an iteration schedules one flush: callSoon)
 *   task: yield* pool job ─► queue ─┤
 *                                   ▼  flush (_dispatch): each worker its share, least loaded
 *                       {JOBS: [len, slot, seq, wake, op, …, len, …]} ──► worker (sync fs calls)
 *                                                                      │
 *   loop select()/park ◄── Atomics.notify(loop.wakeWord) ◄─────────────┤ after posting results
 *   source.poll(): POSTED moved? ─► drain every port ◄─────────────────┘ [slot, seq, status, v…]
 *            └─► settle futures (the waiting tasks run this iteration)
 *
 * Cancellation: a queued job is dropped; a posted one is cancelled by a compare-exchange on its
 * shared status word (protocol.js), so the worker skips it; a running one finishes and its result
 * is discarded, releasing what it holds (an opened file descriptor is closed). A loop that closes
 * with jobs in flight has them all withdrawn or abandoned, and the pool stops holding the process
 * for them.
 *
 * No job waits behind a slow one while a worker idles: at each flush, a worker left with nothing
 * takes over half of the jobs the busiest worker has not started (taken back by the same
 * compare-exchange; a placeholder keeps the slot until that worker answers SKIPPED). A worker
 * whose current job has run `stuckAfterMs` counts as stuck: its waiting jobs go elsewhere and,
 * if no other worker is free, one more starts in its place (found by a timer on the running loop
 * and by the loops' polls; see StuckWatch).
 *
 * A worker that dies (user code called process.exit, an error escaped asynchronously) posts an
 * exit notice from its exit handler: only the job it was running fails, with WorkerCrashedError;
 * the jobs and detached closes it had not started go back to the queue and another worker takes
 * them. Workers that die before running any job, MAX_START_CRASHES in a row, are not replaced:
 * the jobs waiting fail with WorkerCrashedError instead. terminate() takes back what its workers
 * had not started and does the part that must still happen (closes, writes nobody could cancel)
 * on the calling thread.
 *
 * Costs: submitting a job is O(1) with one Future; a batch of n jobs costs one postMessage each
 * way (a structured clone of n small tuples); polling an idle pool is one Atomics.load. Closing a
 * file opened only for reading is not even a job: its descriptor rides in the next message.
 */

import { type Coro, type EventLoop, type Future, getRunningLoop } from "@aioloop/core";
import { closeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { CRASHED, Delivery, type LoopLink } from "./delivery.js";
import { PoolClosedError, remoteErrorFromWire } from "./errors.js";
import { checkNotMainModule, moduleSpecifier } from "./module-url.js";
import { runFileOp, wireError } from "./fileops.js";
import {
  type Counters,
  Job,
  JobFuture,
  JobQueue,
  SlotTable,
  type SubmitOptions,
  carriedBytes,
} from "./jobs.js";
import { OP, SLOT, STATUS } from "./protocol.js";
import type { ClosePoolOptions, WorkerPoolOptions, WorkerPoolStatistics } from "./pool-types.js";
import {
  type ExitNotice,
  PoolWorker,
  StuckWatch,
  crashError,
  lostBytesError,
  startCrashError,
} from "./workers.js";

/**
 * Jobs one worker holds at once. Enough that a batch of small jobs costs one message, few
 * enough that one slow job strands only a handful behind it; the rest wait on the main thread
 * and go to whichever worker frees up first.
 */
export const MAX_JOBS_PER_WORKER = 64;
/**
 * A worker is topped up only once it holds fewer than this many jobs: refills then come in
 * batches of at least MAX_JOBS_PER_WORKER - REFILL_BELOW jobs, instead of one small message per
 * answer that comes back.
 */
export const REFILL_BELOW = MAX_JOBS_PER_WORKER / 2;
/** Start another worker (up to `size`) for every this many jobs waiting or running. */
export const JOBS_PER_EXTRA_WORKER = 8;
/**
 * Workers that may die in a row before running any job before the pool gives up on the jobs
 * waiting: they fail with WorkerCrashedError, and no worker starts for them. WHY 3: one such death
 * can be bad luck (a thread killed as it started), but three in a row, with nothing run in
 * between, mean a worker cannot run here (a runtime whose worker_threads cannot serve worker.js,
 * as Deno's), and replacing it again would loop forever with the caller's task waiting. The
 * count starts again after giving up, and whenever a worker answers.
 */
export const MAX_START_CRASHES = 3;
/** The default of the `stuckAfterMs` option. */
export const DEFAULT_STUCK_AFTER_MS = 1000;

/**
 * A fixed-size pool of worker threads for blocking file calls and `runInWorker` jobs: the
 * executor behind aiofiles' calls (Python's `concurrent.futures.ThreadPoolExecutor` that
 * `loop.run_in_executor` and `asyncio.to_thread` use). Workers start as work arrives, up to
 * `size` (and one more in place of each worker stuck on a job: see `stuckAfterMs`), and never
 * keep the process alive on their own. A job never waits behind another while a worker idles.
 * Closing a loop ends the jobs it was waiting for. One pool serves any number of event
 * loops. `open()`, `os.*`, `os.path.*` and `tempfile.*` use {@link getDefaultPool} unless given
 * `{ pool }`.
 *
 * @throws `RangeError` from the constructor when `size` is not a whole number ≥ 1.
 * @throws `PoolClosedError` from any job (an `open()`, a read, `runInWorker`) submitted after
 * `close()`.
 * @example
 * import { WorkerPool, open, os, withFile } from "@aioloop/files";
 * import { runSync } from "@aioloop/timer-loop";
 *
 * const pool = new WorkerPool({ size: 2 });
 * try {
 *   const size = runSync(function* () {
 *     yield* withFile(open("out.txt", "w", { pool }), (f) => f.write("hello\n"));
 *     return (yield* os.stat("out.txt", { pool })).size; // 6
 *   });
 * } finally {
 *   pool.close(); // or: await pool.terminate()
 * }
 */
export class WorkerPool {
  /** Worker threads at most (more only while some are stuck: see `stuckAfterMs`). */
  readonly size: number;
  /** See {@link WorkerPoolOptions.stuckAfterMs}. */
  readonly stuckAfterMs: number;
  /** Date.now() when the pool was made: workers tell when their job started from it. */
  readonly #epoch = Date.now();
  /** When to look for stuck workers again (see #armWatch). */
  readonly #watch: StuckWatch;
  readonly #slots: SlotTable;
  readonly #queue = new JobQueue();
  readonly #delivery: Delivery;
  /** Invariant: the workers alive (replaced, never changed in place, when one exits). */
  #workers: PoolWorker[] = [];
  /** Invariant: jobs submitted and not finished, pool-wide. */
  #pending = 0;
  /** Invariant: those of them not abandoned (the ports are ref'd exactly while > 0). */
  #holding = 0;
  #closed = false;
  /** terminate() was called: what is left runs here, on the calling thread (#runHere). */
  #terminated = false;
  #exitWaiters: (() => void)[] = [];
  /** Workers that died in a row before running any job (see MAX_START_CRASHES). */
  #startCrashes = 0;
  /** Descriptors to close with the next message (see _closeDetached). */
  #closes: number[] = [];
  /** A host turn that posts detached jobs in case no loop iteration does. */
  #safetyFlush: ReturnType<typeof setImmediate> | null = null;
  readonly #stats: Counters = {
    started: 0,
    crashed: 0,
    submitted: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    batches: 0,
    resultMessages: 0,
    reassigned: 0,
  };
  readonly #workerEvents = {
    message: (w: PoolWorker, m: unknown) => this.#delivery.onMessage(w, m),
    exit: (w: PoolWorker, code: number) => this.#exited(w, code, undefined),
  };

  constructor(opts: WorkerPoolOptions = {}) {
    const size = opts.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `WorkerPool({ size: ${String(size)} }): size must be a whole number ≥ 1`,
      );
    }
    const stuckAfterMs = opts.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
    if (typeof stuckAfterMs !== "number" || !(stuckAfterMs >= 0)) {
      throw new RangeError(
        `WorkerPool({ stuckAfterMs: ${String(stuckAfterMs)} }): stuckAfterMs must be a number of milliseconds ≥ 0 (Infinity: never)`,
      );
    }
    this.size = size;
    this.stuckAfterMs = stuckAfterMs;
    // Room for the workers started in place of stuck ones (up to size more).
    this.#slots = new SlotTable(2 * size * MAX_JOBS_PER_WORKER);
    this.#delivery = new Delivery(this.#slots, this.#stats, {
      workers: () => this.#workers,
      ended: (job) => this.#ended(job),
      drained: () => this.#drained(),
      exited: (w, notice) => this.#exited(w, notice.exit, notice),
      loopClosing: (link) => this.#loopClosing(link),
      due: () => this.#lookForStuck(),
    });
    this.#watch = new StuckWatch(stuckAfterMs, this.#delivery, () => this.#lookForStuck());
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Run `exportName` of the module at `moduleUrl` in a worker with `args` (structured-cloned),
   * as asyncio's `to_thread` runs a function in a thread. Awaits a returned Promise. Errors come
   * back with their name, message, code and stack. The arguments and the result travel by
   * structured clone: plain data (functions cannot be sent; class instances arrive as plain
   * objects, typed arrays and Maps as themselves). Cancelling the awaiting task withdraws
   * a job that has not started; a running one finishes and its result is dropped.
   * `moduleUrl` is a URL, an absolute path or a bare package specifier; a relative path has no
   * base in a worker, so pass `new URL("./m.js", import.meta.url)`.
   * @throws `TypeError` when `exportName` is empty, `moduleUrl` is a relative path, or the
   * module has no exported function of that name.
   * @throws `MainModuleInWorkerError` when `moduleUrl` is the program's main module (the
   * script `node` was started with), or a module a pool worker is still evaluating: the worker
   * would run the whole program again (and again in its own workers). Put the function in a
   * module of its own.
   * @throws `PoolClosedError` after `close()`.
   * @throws `WorkerCrashedError` when the function kills its worker (`process.exit`, an error
   * escaping asynchronously).
   * @throws whatever the function throws, rebuilt with the same name, message and `code`.
   * @example
   * const digest = yield* pool.runInWorker(new URL("./hash.js", import.meta.url), "sha256", bytes);
   */
  *runInWorker<T = unknown>(
    moduleUrl: string | URL,
    exportName: string,
    ...args: unknown[]
  ): Coro<T> {
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError(
        `runInWorker: exportName must be the name of an exported function, got ${typeof exportName}`,
      );
    }
    const spec = moduleSpecifier(moduleUrl);
    checkNotMainModule(spec, exportName);
    return (yield* this._submit<T>(OP.CALL, [spec, exportName, args])) as T;
  }

  /**
   * Stop taking jobs. Queued and running jobs finish (or, with `cancelFutures`, are cancelled),
   * then every worker exits. Idempotent.
   */
  close(opts: ClosePoolOptions = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    if (opts.cancelFutures === true) {
      for (const job of this.#queue.queued()) job.fut?.cancel();
      for (const job of this.#slots.held()) job.fut?.cancel();
    }
    this.#maybeQuit();
  }

  /**
   * A Promise that resolves once the pool is closed and every worker thread has exited. While
   * it waits, the workers keep the process alive (they do not otherwise), so `await
   * pool.waitClosed()` at the end of a script does complete.
   */
  waitClosed(): Promise<void> {
    if (this.#closed && this.#workers.length === 0) return Promise.resolve();
    for (const w of this.#workers) w.thread.ref();
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  /**
   * Close with `cancelFutures`, stop the workers at once (running jobs are abandoned), and wait.
   * What must still happen (a close, a write whose task cannot be cancelled) is taken back from
   * the workers that had not started it and done on the calling thread.
   */
  terminate(): Promise<void> {
    this.close({ cancelFutures: true });
    if (!this.#terminated) {
      this.#terminated = true;
      const back: Job[] = [];
      for (const w of this.#workers) {
        back.push(...this.#slots.takeBackFrom(w, 1, true));
        void w.thread.terminate();
      }
      this.#requeue(back, -1, undefined);
      this._dispatch();
    }
    return this.waitClosed();
  }

  /** `close()`, for `using pool = new WorkerPool()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Counters and gauges of the pool, as a fresh object (see {@link WorkerPoolStatistics}):
   * workers alive and started, jobs submitted, completed, failed, cancelled, queued on the main
   * thread and in flight on workers, the messages that carried them, and the jobs moved from a
   * busy or stuck worker to another. Costs O(size × {@link MAX_JOBS_PER_WORKER}) for the
   * in-flight count. Works after `close()` too.
   * @example
   * const s = pool.statistics();
   * console.log(`${s.completed}/${s.submitted} jobs in ${s.batches} batches, ${s.workers} workers`);
   */
  statistics(): WorkerPoolStatistics {
    return {
      size: this.size,
      workers: this.#workers.length,
      queued: this.#queue.count,
      inFlight: this.#slots.inFlight(),
      ...this.#stats,
      stuck: this.#workers.filter((w) => w.stuck).length,
    };
  }

  /**
   * @internal Submit a job from the running loop; the returned future settles with its result.
   */
  _submit<T>(op: number, args: unknown[], opts?: SubmitOptions<T>): Future<T> {
    if (this.#closed) {
      throw new PoolClosedError(
        "this WorkerPool is closed: create a new pool (or setDefaultPool(null) for a fresh default)",
      );
    }
    const loop = getRunningLoop();
    const link = this.#delivery.linkFor(loop);
    const job = new Job(this, op, args, link, opts as SubmitOptions<unknown> | undefined);
    const fut = new JobFuture<T>(loop, job);
    job.fut = fut as JobFuture<unknown>;
    this.#enqueue(job);
    this.#flushOn(loop, link);
    return fut;
  }

  /**
   * @internal A job nobody waits for (closing a read-only, leaked or abandoned descriptor). It
   * rides with the running loop's next batch; a host turn posts it if no loop flushes first.
   */
  _submitDetached(op: number, args: unknown[], transfer?: ArrayBuffer[]): void {
    const opts = transfer === undefined ? undefined : { transfer };
    if (this.#closed && this.#workers.length === 0) {
      // The last worker is gone (this may be its last answer, releasing what it opened): here.
      const job = new Job(this, op, args, null, opts);
      this.#began(job);
      this.#runNow(job);
      return;
    }
    // Counted on the running loop, if any: it then polls for the answer (nobody awaits it, but
    // its slot is freed only when the answer is read).
    const loop = runningLoopOrNull();
    const link = loop === null || loop.isClosed() ? null : this.#delivery.linkFor(loop);
    this.#enqueue(new Job(this, op, args, link, opts));
    this.#flushSoon();
  }

  /**
   * @internal Close a descriptor nobody needs an answer for (a file opened only for reading):
   * not even a job, just a number in the next message to any worker. Halves the jobs of the
   * open-read-close pattern. Should that worker die (or be terminated) before it takes the close
   * on, the close goes to another worker, or is done here once the pool has none left.
   */
  _closeDetached(fd: number): void {
    this.#closes.push(fd);
    this.#flushSoon();
  }

  /** @internal The future of `job` was cancelled. */
  _withdraw(job: Job): void {
    switch (job.state) {
      case "queued":
        job.state = "cancelled";
        this.#queue.dropped();
        this.#stats.cancelled++;
        this.#ended(job);
        return;
      case "sent":
        job.state = this.#slots.cancel(job) ? "cancelled" : "discarded";
        this.#stats.cancelled++;
        return;
      case "cancelled":
      case "discarded":
      case "done":
        return;
    }
  }

  /**
   * @internal Post queued jobs to workers. `rebalance`: this is a loop's per-iteration flush,
   * which runs after the tasks of the iteration had their turn to submit; only then may a worker
   * left with nothing take over jobs another has not started (a worker about to get new work
   * must not).
   */
  _dispatch(rebalance = false): void {
    if (this.#terminated) {
      this.#runHere();
      return;
    }
    if (this.#queue.count > 0) this.#assign();
    if (rebalance && this.#stealable() && this.#rebalance()) this.#assign();
    if (this.#closes.length > 0) this.#postCloses();
    this.#maybeQuit();
    this.#armWatch();
  }

  /** Give queued jobs to the workers with room, least loaded first, one message per worker. */
  #assign(): void {
    const queue = this.#queue;
    this.#ensureWorkers();
    const workers = this.#workers.filter(isOpen);
    const batches: Job[][] = workers.map(() => []);
    for (let job = queue.peek(); job !== undefined; job = queue.peek()) {
      let best = -1;
      for (let i = 0; i < workers.length; i++) {
        const n = workers[i]!.inflight;
        const room = batches[i]!.length > 0 ? n < MAX_JOBS_PER_WORKER : n < REFILL_BELOW;
        if (room && (best < 0 || n < workers[best]!.inflight)) best = i;
      }
      if (best < 0 || !this.#slots.hasFree) break;
      queue.shift();
      const w = workers[best]!;
      this.#slots.take(job);
      job.state = "sent";
      job.worker = w;
      w.inflight++;
      batches[best]!.push(job);
    }
    queue.compact();
    for (let i = 0; i < workers.length; i++) {
      if (batches[i]!.length === 0) continue;
      // Pending detached closes ride with the first batch (any worker: descriptors are the process's).
      const closes = this.#closes.length > 0 ? this.#closes : undefined;
      if (closes !== undefined) this.#closes = [];
      this.#post(workers[i]!, batches[i]!, closes);
    }
  }

  /**
   * Answers were drained. Workers stuck a moment ago may have moved on; jobs waiting for room go
   * out; a worker left idle while another keeps jobs waiting gets the next flush (see
   * #rebalance); workers beyond `size` that are idle quit.
   */
  #drained(): void {
    let now = -1;
    for (const w of this.#workers) {
      if (!w.stuck) continue;
      if (now < 0) now = Date.now() - this.#epoch;
      w.stuck = w.runningFor(now) >= this.stuckAfterMs;
    }
    if (this.#queue.count > 0) this._dispatch();
    // (On the loop's flush: the tasks these answers woke submit first, and may keep it busy.)
    else if (this.#stealable()) this.#flushSoon(true);
    if (this.#workers.length > this.size) this.#retire();
  }

  /** Whether a worker taking jobs has none while another holds jobs behind the one it runs. */
  #stealable(): boolean {
    const ws = this.#workers;
    if (ws.length < 2) return false;
    let idle = false;
    let waiting = false;
    for (const w of ws) {
      const held = w.inflight - w.moved;
      if (held === 0 && isOpen(w)) idle = true;
      else if (held > 1) waiting = true;
    }
    return idle && waiting;
  }

  /**
   * Take back half of the jobs the worker holding the most has not started (a slow job must not
   * hold up unrelated ones while another worker idles); they go to the idle worker. Repeated as
   * workers go idle, the waiting jobs spread out. True if any were taken.
   */
  #rebalance(): boolean {
    const busiest = this.#slots.mostWaiting();
    if (busiest === null) return false;
    const back = this.#slots.takeBackFrom(busiest, 0.5, false);
    this.#stats.reassigned += back.length;
    this.#queue.requeue(back);
    return back.length > 0;
  }

  /** Workers beyond `size` (started in place of stuck ones) quit once idle and not needed. */
  #retire(): void {
    let open = 0;
    for (const w of this.#workers) if (isOpen(w)) open++;
    for (const w of this.#workers) {
      if (open <= this.size) return;
      if (w.inflight === 0 && isOpen(w)) {
        w.quit();
        open--;
      }
    }
  }

  /**
   * Jobs wait behind running ones (queued here, or posted behind a worker's current job): look
   * for stuck workers in `stuckAfterMs`.
   */
  #armWatch(): void {
    if (this.#terminated || !Number.isFinite(this.stuckAfterMs)) return;
    if (this.#queue.count === 0 && !this.#workers.some((w) => w.inflight - w.moved > 1 && !w.stuck))
      return;
    this.#watch.arm(runningLoopOrNull());
  }

  /**
   * Mark the workers whose job has run `stuckAfterMs` or longer as stuck, and take back the
   * jobs they have not started; dispatching them may start workers in their place.
   */
  #lookForStuck(): void {
    this.#watch.disarm();
    const now = Date.now() - this.#epoch;
    for (const w of this.#workers) {
      const stuck = w.inflight > 0 && !w.quitSent && w.runningFor(now) >= this.stuckAfterMs;
      if (stuck && !w.stuck) {
        const back = this.#slots.takeBackFrom(w, 1, false);
        this.#stats.reassigned += back.length;
        this.#queue.requeue(back);
      }
      w.stuck = stuck;
    }
    if (this.#queue.count > 0) this._dispatch();
    else this.#armWatch();
  }

  #post(w: PoolWorker, jobs: Job[], closes: number[] | undefined): void {
    this.#stats.batches++;
    for (const [job, err] of w.postJobs(jobs, closes)) {
      this.#delivery.finish(job, w);
      this.#delivery.deliver(job, CRASHED, err);
    }
  }

  /** Post on `loop`'s next flush (one per iteration). */
  #flushOn(loop: EventLoop, link: LoopLink): void {
    if (!link.flushScheduled) {
      link.flushScheduled = true;
      loop.callSoon(flushLink, this, link);
    }
  }

  /**
   * Post soon: with the running loop's next flush, and on the next host turn (a safety, for
   * background jobs: a loop about to stop may not flush) unless `loopOnly` and a loop flushes.
   */
  #flushSoon(loopOnly = false): void {
    const loop = runningLoopOrNull();
    if (loop !== null && !this.#closed) {
      this.#flushOn(loop, this.#delivery.linkFor(loop));
      if (loopOnly) return;
    }
    this.#safetyFlush ??= setImmediate(() => {
      this.#safetyFlush = null;
      this._dispatch();
    });
  }

  /** Hand the pending detached closes to a worker on their own. */
  #postCloses(): void {
    const fds = this.#closes;
    this.#closes = [];
    let w = this.#workers.find((x) => !x.quitSent);
    if (w === undefined && !this.#closed) w = this.#spawn();
    // A closed pool whose workers are leaving: close here (close(2) of a read-only file is quick).
    if (w === undefined) closeHere(fds);
    else w.postCloses(fds);
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    this.#began(job);
  }

  /** Bookkeeping of a new job (see #ended). */
  #began(job: Job): void {
    this.#stats.submitted++;
    this.#pending++;
    if (this.#holding++ === 0) this.#hold(true);
    job.link?.began();
  }

  /** Bookkeeping once a job will produce nothing more. */
  #ended(job: Job): void {
    job.link?.ended();
    if (!job.abandoned && --this.#holding === 0) this.#hold(false);
    if (--this.#pending === 0) {
      this.#watch.disarm();
      if (this.#closed) this.#delivery.clearLinks();
    }
  }

  /**
   * The loop of `link` is closing with jobs in flight (its outside source's `loopClosing`): nobody
   * can take their results any more. Withdraw the queued ones, cancel the posted ones the worker
   * has not started, and abandon the running ones (their results are released when they come
   * back): none of them keeps the process alive from now on. Jobs that must run to the end (a
   * write, a close) and background ones (no future) still run. Calls nothing on the loop.
   */
  #loopClosing(link: LoopLink): void {
    this.#watch.loopClosing(link.loop);
    const mine = (job: Job): boolean =>
      job.link === link && job.fut !== null && job.opts?.mustRun !== true;
    for (const job of this.#queue.queued()) {
      if (!mine(job)) continue;
      job.state = "cancelled";
      this.#queue.dropped();
      this.#stats.cancelled++;
      this.#ended(job);
    }
    for (const job of this.#slots.held()) {
      if (!mine(job) || job.abandoned) continue;
      if (job.state === "sent") {
        job.state = this.#slots.cancel(job) ? "cancelled" : "discarded";
        this.#stats.cancelled++;
      }
      job.abandoned = true;
      if (--this.#holding === 0) this.#hold(false);
    }
  }

  /**
   * Start workers for the work at hand, up to `size` of them taking jobs (workers told to quit
   * and stuck ones take none), and never more than twice `size` in all.
   */
  #ensureWorkers(): void {
    const active = this.#workers.filter(isOpen);
    let live = active.length;
    let room = 2 * this.size - this.#workers.length;
    if (live >= this.size || room <= 0) return;
    let want = Math.ceil(this.#pending / JOBS_PER_EXTRA_WORKER);
    if (live === 0 || active.every((w) => w.inflight > 0)) want = Math.max(want, live + 1);
    want = Math.min(want, this.size);
    for (; live < want && room > 0; live++, room--) this.#spawn();
  }

  #spawn(): PoolWorker {
    const w = PoolWorker.start(
      this.#slots.shared,
      this.#epoch,
      this.#holding > 0,
      this.#workerEvents,
    );
    this.#workers = [...this.#workers, w];
    this.#stats.started++;
    return w;
  }

  /** Whether the workers' ports keep the process alive. */
  #hold(on: boolean): void {
    for (const w of this.#workers) w.hold(on);
  }

  /** Worker `w` is gone (exit notice, or the Worker's 'exit' event). Idempotent. */
  #exited(w: PoolWorker, code: number, notice: ExitNotice | undefined): void {
    if (!w.alive) return;
    w.alive = false;
    this.#workers = this.#workers.filter((x) => x !== w);
    // Results posted before the notice are ahead of it on the port.
    w.drain((m) => {
      if (Array.isArray(m)) this.#delivery.handle(w, m);
    }, true);
    w.port.close();
    const crashed = !(w.quitSent && code === 0);
    if (crashed) this.#stats.crashed++;
    const cause = notice?.error !== undefined ? remoteErrorFromWire(notice.error) : w.startError;
    const mine = this.#slots.held().filter((job) => job.worker === w);
    // Died before running any job (no answer, nothing started): replacing it may loop forever.
    const ran =
      w.answered ||
      mine.some((job) => {
        const st = this.#slots.status(job);
        return job.state !== "moved" && (st === SLOT.RUNNING || st === SLOT.DONE);
      });
    this.#startCrashes = crashed && !ran && !this.#terminated ? this.#startCrashes + 1 : 0;
    if (this.#startCrashes >= MAX_START_CRASHES) {
      this.#giveUp(w, mine, code, cause);
      return;
    }
    const requeue: Job[] = [];
    for (const job of mine) {
      const st = this.#slots.status(job);
      this.#delivery.finish(job, w);
      if (job.state === "moved") continue;
      if (st === SLOT.SENT) {
        job.state = "queued";
        requeue.push(job);
      } else if (st === SLOT.CANCELLED) {
        this.#delivery.deliver(job, STATUS.SKIPPED, null);
      } else {
        this.#delivery.deliver(job, CRASHED, crashError(job, code, cause));
      }
    }
    this.#requeue(requeue, code, cause);
    // So do the closes it never read (an open descriptor each: closing them elsewhere is safe).
    const closes = w.unreadCloses();
    if (closes.length > 0) this.#closes = closes.concat(this.#closes);
    if (this.#queue.count > 0 || this.#closes.length > 0) this._dispatch();
    this.#maybeClosed();
  }

  /**
   * Worker `w`, holding `mine`, was the MAX_START_CRASHES-th in a row to die before running any
   * job: start no other. The jobs it held and the queued ones fail with WorkerCrashedError (a
   * write or close among them too: no thread is left to run it), its unread closes are done
   * here, and the count starts again (a job submitted later tries anew).
   */
  #giveUp(w: PoolWorker, mine: Job[], code: number, cause: unknown): void {
    const err = startCrashError(this.#startCrashes, code, cause);
    this.#startCrashes = 0;
    for (const job of mine) {
      const st = this.#slots.status(job);
      this.#delivery.finish(job, w);
      if (job.state === "moved") continue;
      this.#delivery.deliver(job, st === SLOT.CANCELLED ? STATUS.SKIPPED : CRASHED, err);
    }
    for (const job of this.#queue.queued()) {
      this.#queue.dropped();
      this.#delivery.deliver(job, CRASHED, err);
    }
    this.#queue.compact();
    closeHere(w.unreadCloses().concat(this.#closes));
    this.#closes = [];
    this.#maybeQuit();
    this.#maybeClosed();
  }

  /** Resolve the waitClosed() promises once the pool is closed and its last worker gone. */
  #maybeClosed(): void {
    if (this.#closed && this.#workers.length === 0) {
      const waiters = this.#exitWaiters;
      this.#exitWaiters = [];
      for (const f of waiters) f();
    }
  }

  /**
   * Put `jobs` (taken from a worker that died with `code`, or was terminated: -1) back at the
   * front of the queue. The bytes a write or close carried died with that worker: a close
   * still closes (and then fails), a write fails now.
   */
  #requeue(jobs: Job[], code: number, cause: unknown): void {
    const again: Job[] = [];
    for (const job of jobs) {
      if (!carriedBytes(job)) {
        again.push(job);
        continue;
      }
      const err = lostBytesError(job, code, cause);
      if (job.op === OP.CLOSE) {
        job.args[2] = null;
        job.lost = err;
        again.push(job);
      } else this.#delivery.deliver(job, CRASHED, err);
    }
    this.#queue.requeue(again);
  }

  /**
   * The pool was terminated: do what is left on this thread. File operations run here (closes,
   * the writes nobody could cancel); a runInWorker call fails with PoolClosedError. Closes are
   * done here too.
   */
  #runHere(): void {
    const queue = this.#queue;
    for (let job = queue.peek(); job !== undefined; job = queue.peek()) {
      queue.shift();
      this.#runNow(job);
    }
    queue.compact();
    const fds = this.#closes;
    this.#closes = [];
    closeHere(fds);
  }

  /** Run `job` (taken off the queue) on this thread, and deliver its answer. */
  #runNow(job: Job): void {
    if (job.op === OP.CALL) {
      const err = new PoolClosedError("the WorkerPool was terminated before this job started");
      this.#delivery.deliver(job, CRASHED, err);
      return;
    }
    let status: number = STATUS.OK;
    let value: unknown;
    try {
      value = runFileOp([0, 0, 0, job.op, ...job.args]);
    } catch (e) {
      status = STATUS.ERROR;
      value = wireError(e);
    }
    this.#delivery.deliver(job, status, value);
  }

  #maybeQuit(): void {
    if (!this.#closed || this.#queue.count > 0) return;
    for (const w of this.#workers) w.quit();
    if (this.#pending === 0) this.#delivery.clearLinks();
  }
}

/** Whether worker `w` takes new jobs (not told to quit, not stuck). */
function isOpen(w: PoolWorker): boolean {
  return !w.quitSent && !w.stuck;
}

/** Close descriptors nobody waits for, on this thread. */
function closeHere(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {}
  }
}

/** A loop's per-iteration flush (callSoon callback: no closure per call). */
function flushLink(pool: WorkerPool, link: LoopLink): void {
  link.flushScheduled = false;
  pool._dispatch(true);
}

function runningLoopOrNull(): EventLoop | null {
  try {
    return getRunningLoop();
  } catch {
    return null;
  }
}

let defaultPool: WorkerPool | null = null;

/** The pool `open()`, `os.*`, `tempfile.*` and `runInWorker()` use (created on first use). */
export function getDefaultPool(): WorkerPool {
  if (defaultPool === null || defaultPool.closed) defaultPool = new WorkerPool();
  return defaultPool;
}

/** Make `pool` the default (null: a fresh one on next use). Returns the previous default. */
export function setDefaultPool(pool: WorkerPool | null): WorkerPool | null {
  const prev = defaultPool;
  defaultPool = pool;
  return prev;
}

/**
 * asyncio's `to_thread` for code in a module: import `moduleUrl` in a worker of the default
 * pool and call its export `exportName` with `args`. The result (awaited if it is a Promise)
 * and any error (name, message, code, stack) come back to the task. The same as
 * `getDefaultPool().runInWorker(...)`: see {@link WorkerPool.runInWorker} for the rules on
 * arguments, cancellation and errors (`TypeError` for a bad module or export name,
 * `WorkerCrashedError`, and the function's own errors).
 * @example
 * // node:os is a module too: any exported function runs this way.
 * const cpus = yield* runInWorker<number>("node:os", "availableParallelism");
 * @example
 * // primes.js: export function countPrimes(n) { … }
 * const n = yield* runInWorker(new URL("./primes.js", import.meta.url), "countPrimes", 1e6);
 */
export function runInWorker<T = unknown>(
  moduleUrl: string | URL,
  exportName: string,
  ...args: unknown[]
): Coro<T> {
  return getDefaultPool().runInWorker<T>(moduleUrl, exportName, ...args);
}
