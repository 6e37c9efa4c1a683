/**
 * WorkerPool: blocking file calls (and any module function) on worker threads, with results
 * delivered to whichever aioloop event loop is waiting for them.
 *
 * HOW: jobs are batched per loop iteration, posted as one message per worker, and answered as one
 * message per batch (worker.js):
 *
 *   task: yield* pool job ─► queue ─┐  (first job of an iteration schedules one flush: callSoon)
 *   task: yield* pool job ─► queue ─┤
 *                                   ▼  flush: give each worker its share, least loaded first,
 *                       {JOBS: [len, slot, seq, wake, op, …, len, …]} ──► worker (sync fs calls)
 *                                                                      │
 *   loop select()/park ◄── Atomics.notify(loop.wakeWord) ◄─────────────┤ after posting results
 *   poll(): POSTED moved? ─► receiveMessageOnPort(each port) ◄─────────┘ [slot, seq, status, v…]
 *            └─► settle futures (the waiting tasks run next iteration)
 *
 * One way in for every loop, through @aioloop/core's public seam: while a loop has jobs in
 * flight it holds one "thread" outside source (`loop.addOutsideSource`), whose `poll()` drains
 * the ports with `receiveMessageOnPort` after every wait of the loop; a worker that posted results
 * sets and notifies the loop's `wakeWord`, which ends the Atomics.wait of a loop blocked in
 * `runSync`. Host-driven runs also get the port's 'message' event (ports are ref'd only while
 * jobs are in flight), which drains the same way; settling a future wakes a parked loop. While the
 * source is registered, runSync waits instead of reporting a deadlock and a virtual clock stands
 * still.
 *
 * Cancellation: a queued job is dropped; a posted one is cancelled by a compare-exchange on its
 * shared status word (protocol.js), so the worker skips it; a running one finishes and its result
 * is discarded, releasing what it holds (an opened file descriptor is closed).
 *
 * A worker that dies (user code called process.exit, an error escaped asynchronously) posts an
 * exit notice from its exit handler: only the job it was running fails, with WorkerCrashedError;
 * the jobs it had not started go back to the queue and a new worker takes them.
 *
 * Costs: submitting a job is O(1) with one Future; a batch of n jobs costs one postMessage each
 * way (a structured clone of n small tuples); polling an idle pool is one Atomics.load. Closing a
 * file opened only for reading is not even a job: its descriptor rides in the next message.
 */

import {
  type Coro,
  type EventLoop,
  Future,
  type OutsideSource,
  WAKE_INDEX,
  WAKE_SET,
  getRunningLoop,
} from "@aioloop/core";
import { closeSync, existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  MessageChannel,
  type MessagePort,
  Worker,
  receiveMessageOnPort,
} from "node:worker_threads";
import {
  PoolClosedError,
  type WireError,
  WorkerCrashedError,
  osErrorFromWire,
  remoteErrorFromWire,
} from "./errors.js";
import { HEADER, MSG, OP, OP_NAMES, SLOT, STATUS } from "./protocol.js";

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
/** Compact the queue array once this many consumed entries sit at its head. */
const QUEUE_COMPACT_AT = 1024;
/** A crashed job's status (local: never on the wire). */
const CRASHED = 3;

const WORKER_URL = new URL("./worker.js", import.meta.url);
/** The wake protocol of @aioloop/core, handed to each worker (one definition: core's). */
const WAKE = Object.freeze({ index: WAKE_INDEX, set: WAKE_SET });

/** The name of the outside source each loop with jobs in flight holds (DeadlockError, statistics). */
const SOURCE_NAME = "worker jobs (@aioloop/files)";

/** Options of `new WorkerPool()`. */
export interface WorkerPoolOptions {
  /** Worker threads at most (default: `os.availableParallelism()`); started as work arrives. */
  size?: number;
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
}

type JobState = "queued" | "sent" | "cancelled" | "discarded" | "done";

/** @internal How to finish a job: convert its value, release it when nobody wants it. */
export interface SubmitOptions<T> {
  /** Buffers to move to the worker (they are detached here). */
  transfer?: ArrayBuffer[];
  /** Turn the wire value into the result (runs on the loop's thread). */
  decode?: (v: any) => T;
  /** The job finished but its future was cancelled: free what the value holds. */
  release?: (v: any, pool: WorkerPool) => void;
  /**
   * The job must run to the end once submitted (a write, a close): its future refuses
   * cancel(), so a cancelled task waits for it and then sees CancelledError (as with shield()).
   */
  mustRun?: boolean;
}

/** @internal One unit of work. */
class Job {
  /** Invariant: ≥ HEADER.WORDS exactly while state is "sent", "cancelled" or "discarded" on a worker. */
  slot = -1;
  seq = 0;
  state: JobState = "queued";
  worker: PoolWorker | null = null;
  constructor(
    readonly pool: WorkerPool,
    readonly op: number,
    readonly args: unknown[],
    readonly link: LoopLink | null,
    readonly opts: SubmitOptions<unknown> | undefined,
  ) {}
  fut: JobFuture<unknown> | null = null;
  /**
   * Its loop closed: nobody will take the result, and the pool's ports no longer keep the
   * process alive for it (it still ends normally: slot freed, result released).
   */
  abandoned = false;
}

/**
 * The future of a job: cancelling it withdraws or discards the job; a `mustRun` job's future
 * cannot be cancelled (a task cancelled while waiting on it gets CancelledError once it is done).
 */
class JobFuture<T> extends Future<T> {
  readonly #pool: WorkerPool;
  readonly #job: Job;
  constructor(loop: EventLoop, pool: WorkerPool, job: Job) {
    super(loop);
    this.#pool = pool;
    this.#job = job;
  }
  override cancel(msg?: string): boolean {
    if (this.#job.opts?.mustRun === true) return false;
    if (!super.cancel(msg)) return false;
    this.#pool._withdraw(this.#job);
    return true;
  }
}

/**
 * One loop the pool delivers to. While it has jobs in flight it holds ONE "thread" outside source
 * (registered at 0 → 1 pending, released at 1 → 0): the loop then polls the pool after every
 * wait, runSync waits for the jobs instead of reporting a deadlock, and a virtual clock stands
 * still. Workers wake it through its public `wakeWord`.
 */
class LoopLink {
  /** Invariant: jobs of this loop submitted and not yet finished (queued + posted). */
  pending = 0;
  flushScheduled = false;
  /** Invariant: non-null exactly while pending > 0. */
  #release: (() => void) | null = null;
  readonly source: OutsideSource;
  constructor(
    readonly id: number,
    readonly loop: EventLoop,
    poll: () => void,
    closing: (link: LoopLink) => void,
  ) {
    this.source = { kind: "thread", name: SOURCE_NAME, poll, loopClosing: () => closing(this) };
  }
  /** A job of this loop was submitted. */
  began(): void {
    if (this.pending++ === 0) this.#release = this.loop.addOutsideSource(this.source);
  }
  /** A job of this loop will deliver nothing more. */
  ended(): void {
    if (--this.pending === 0 && this.#release !== null) {
      this.#release();
      this.#release = null;
    }
  }
  readonly flush = (pool: WorkerPool): void => {
    this.flushScheduled = false;
    pool._dispatch();
  };
}

class PoolWorker {
  inflight = 0;
  alive = true;
  quitSent = false;
  startError: unknown = undefined;
  /** Loops whose wake word this worker knows (by link id). */
  readonly wakes = new Set<number>();
  constructor(
    readonly worker: Worker,
    readonly port: MessagePort,
    /** Rung after each post: an idle worker sleeps on it briefly (worker.js awaitDoorbell). */
    readonly bell: Int32Array,
  ) {}

  /** Post `msg` and ring the doorbell (a notify only when the bell was not already ringing). */
  post(msg: unknown, transfer?: readonly ArrayBuffer[]): void {
    this.worker.postMessage(msg, transfer as ArrayBuffer[] | undefined);
    if (Atomics.exchange(this.bell, 0, 1) === 0) Atomics.notify(this.bell, 0);
  }
}

/** The exit notice a dying worker posts (worker.js). */
interface ExitNotice {
  exit: number;
  slot: number;
  seq: number;
  error: WireError | undefined;
}

let nextLinkId = 1;

/**
 * A fixed-size pool of worker threads for blocking file calls and `runInWorker` jobs: the
 * executor behind aiofiles' calls (Python's `concurrent.futures.ThreadPoolExecutor` that
 * `loop.run_in_executor` and `asyncio.to_thread` use). Workers start as work arrives, up to
 * `size`, and never keep the process alive on their own. One pool serves any number of event
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
  /** Worker threads at most. */
  readonly size: number;
  readonly #shared: SharedArrayBuffer;
  /** Header words then one status word per slot (protocol.js). */
  readonly #words: Int32Array;
  /** Invariant: #slots[i] is the job in slot HEADER.WORDS + i, or null when that slot is free. */
  readonly #slots: (Job | null)[];
  readonly #free: number[] = [];
  #workers: PoolWorker[] = [];
  #queue: Job[] = [];
  #head = 0;
  /** Invariant: the number of jobs in #queue[#head..] whose state is "queued". */
  #queued = 0;
  /** Invariant: jobs submitted and not finished, pool-wide. */
  #pending = 0;
  /** Invariant: those of them not abandoned (the ports are ref'd exactly while > 0). */
  #holding = 0;
  #seq = 0;
  #seenPosted = 0;
  #closed = false;
  readonly #links = new Map<EventLoop, LoopLink>();
  #exitWaiters: (() => void)[] = [];
  /** Descriptors to close with the next message (see _closeDetached). */
  #closes: number[] = [];
  /** A host turn that posts detached jobs in case no loop iteration does. */
  #safetyFlush: ReturnType<typeof setImmediate> | null = null;
  #stats = {
    started: 0,
    crashed: 0,
    submitted: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    batches: 0,
    resultMessages: 0,
  };

  constructor(opts: WorkerPoolOptions = {}) {
    const size = opts.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `WorkerPool({ size: ${String(size)} }): size must be a whole number ≥ 1`,
      );
    }
    this.size = size;
    const capacity = size * MAX_JOBS_PER_WORKER;
    this.#shared = new SharedArrayBuffer((HEADER.WORDS + capacity) * Int32Array.BYTES_PER_ELEMENT);
    this.#words = new Int32Array(this.#shared);
    this.#slots = new Array<Job | null>(capacity).fill(null);
    for (let i = capacity - 1; i >= 0; i--) this.#free.push(HEADER.WORDS + i);
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
    return (yield* this._submit<T>(OP.CALL, [moduleSpecifier(moduleUrl), exportName, args])) as T;
  }

  /**
   * Stop taking jobs. Queued and running jobs finish (or, with `cancelFutures`, are cancelled),
   * then every worker exits. Idempotent.
   */
  close(opts: ClosePoolOptions = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    if (opts.cancelFutures === true) {
      for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.fut?.cancel();
      for (const job of this.#slots) job?.fut?.cancel();
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
    for (const w of this.#workers) w.worker.ref();
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  /** Close with `cancelFutures`, stop the workers at once (running jobs are abandoned), and wait. */
  terminate(): Promise<void> {
    this.close({ cancelFutures: true });
    for (const w of this.#workers) void w.worker.terminate();
    return this.waitClosed();
  }

  /** `close()`, for `using pool = new WorkerPool()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Counters and gauges of the pool, as a fresh object (see {@link WorkerPoolStatistics}):
   * workers alive and started, jobs submitted, completed, failed, cancelled, queued on the main
   * thread and in flight on workers, and the messages that carried them. Costs O(size ×
   * {@link MAX_JOBS_PER_WORKER}) for the in-flight count. Works after `close()` too.
   * @example
   * const s = pool.statistics();
   * console.log(`${s.completed}/${s.submitted} jobs in ${s.batches} batches, ${s.workers} workers`);
   */
  statistics(): WorkerPoolStatistics {
    return {
      size: this.size,
      workers: this.#workers.length,
      queued: this.#queued,
      inFlight: this.#slots.reduce((n, j) => (j === null ? n : n + 1), 0),
      ...this.#stats,
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
    const link = this.#linkFor(loop);
    const job = new Job(this, op, args, link, opts as SubmitOptions<unknown> | undefined);
    const fut = new JobFuture<T>(loop, this, job);
    job.fut = fut as JobFuture<unknown>;
    this.#enqueue(job);
    if (!link.flushScheduled) {
      link.flushScheduled = true;
      loop.callSoon(link.flush, this);
    }
    return fut;
  }

  /**
   * @internal A job nobody waits for (closing a read-only, leaked or abandoned descriptor). It
   * rides with the running loop's next batch; a host turn posts it if no loop flushes first.
   */
  _submitDetached(op: number, args: unknown[], transfer?: ArrayBuffer[]): void {
    if (this.#closed && this.#workers.length === 0) return;
    // Counted on the running loop, if any: it then polls for the answer (nobody awaits it, but
    // its slot is freed only when the answer is read).
    const loop = runningLoopOrNull();
    const link = loop === null || loop.isClosed() ? null : this.#linkFor(loop);
    this.#enqueue(new Job(this, op, args, link, transfer === undefined ? undefined : { transfer }));
    this.#flushSoon();
  }

  /**
   * @internal Close a descriptor nobody needs an answer for (a file opened only for reading):
   * not even a job, just a number in the next message to any worker. Halves the jobs of the
   * open-read-close pattern. (Should that worker die before reading its message, they stay open
   * until the process ends: closing them elsewhere could hit a descriptor number reused since.)
   */
  _closeDetached(fd: number): void {
    this.#closes.push(fd);
    this.#flushSoon();
  }

  /** Post soon: with the running loop's next flush, or on the next host turn (safety). */
  #flushSoon(): void {
    const loop = runningLoopOrNull();
    if (loop !== null && !this.#closed) {
      const link = this.#linkFor(loop);
      if (!link.flushScheduled) {
        link.flushScheduled = true;
        loop.callSoon(link.flush, this);
      }
    }
    this.#safetyFlush ??= setImmediate(() => {
      this.#safetyFlush = null;
      this._dispatch();
    });
  }

  /** @internal The future of `job` was cancelled. */
  _withdraw(job: Job): void {
    switch (job.state) {
      case "queued":
        job.state = "cancelled";
        this.#queued--;
        this.#stats.cancelled++;
        this.#ended(job);
        return;
      case "sent":
        if (
          Atomics.compareExchange(this.#words, job.slot, SLOT.SENT, SLOT.CANCELLED) === SLOT.SENT
        ) {
          job.state = "cancelled";
        } else {
          job.state = "discarded";
        }
        this.#stats.cancelled++;
        return;
      case "cancelled":
      case "discarded":
      case "done":
        return;
    }
  }

  /** @internal Post queued jobs to workers (the per-iteration flush). */
  _dispatch(): void {
    if (this.#queued === 0) {
      if (this.#closes.length > 0) this.#postCloses();
      this.#maybeQuit();
      return;
    }
    this.#ensureWorkers();
    const workers = this.#workers.filter((w) => !w.quitSent);
    const batches: Job[][] = workers.map(() => []);
    const q = this.#queue;
    while (this.#head < q.length) {
      const job = q[this.#head]!;
      if (job.state !== "queued") {
        this.#head++;
        continue;
      }
      let best = -1;
      for (let i = 0; i < workers.length; i++) {
        const n = workers[i]!.inflight;
        const room = batches[i]!.length > 0 ? n < MAX_JOBS_PER_WORKER : n < REFILL_BELOW;
        if (room && (best < 0 || n < workers[best]!.inflight)) best = i;
      }
      if (best < 0 || this.#free.length === 0) break;
      this.#head++;
      this.#queued--;
      const w = workers[best]!;
      const slot = this.#free.pop()!;
      this.#slots[slot - HEADER.WORDS] = job;
      job.slot = slot;
      job.seq = this.#seq = (this.#seq + 1) | 0;
      job.state = "sent";
      job.worker = w;
      w.inflight++;
      Atomics.store(this.#words, slot, SLOT.SENT);
      batches[best]!.push(job);
    }
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= QUEUE_COMPACT_AT) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    for (let i = 0; i < workers.length; i++) {
      if (batches[i]!.length === 0) continue;
      // Pending detached closes ride with the first batch (any worker: descriptors are the process's).
      const closes = this.#closes.length > 0 ? this.#closes : undefined;
      if (closes !== undefined) this.#closes = [];
      this.#post(workers[i]!, batches[i]!, closes);
    }
    if (this.#closes.length > 0) this.#postCloses();
    this.#maybeQuit();
  }

  /** Hand the pending detached closes to a worker on their own. */
  #postCloses(): void {
    const fds = this.#closes;
    this.#closes = [];
    let w = this.#workers.find((x) => !x.quitSent);
    if (w === undefined && !this.#closed) {
      this.#spawn();
      w = this.#workers[this.#workers.length - 1]!;
    }
    if (w === undefined) {
      // A closed pool whose workers are leaving: close here (close(2) of a read-only file is quick).
      for (const fd of fds) {
        try {
          closeSync(fd);
        } catch {}
      }
      return;
    }
    w.post({ k: MSG.CLOSES, c: fds });
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    this.#queued++;
    this.#stats.submitted++;
    this.#pending++;
    if (this.#holding++ === 0) this.#setRef(true);
    job.link?.began();
  }

  /** Bookkeeping once a job will produce nothing more. */
  #ended(job: Job): void {
    job.link?.ended();
    if (!job.abandoned && --this.#holding === 0) this.#setRef(false);
    if (--this.#pending === 0 && this.#closed) this.#links.clear();
  }

  /**
   * The loop of `link` is closing with jobs in flight (its outside source's `loopClosing`): nobody
   * can take their results any more. Withdraw the queued ones, cancel the posted ones the worker
   * has not started, and abandon the running ones (their results are released when they come
   * back): none of them keeps the process alive from now on. Jobs that must run to the end (a
   * write, a close) and background ones (no future) still run. Calls nothing on the loop.
   */
  readonly #loopClosing = (link: LoopLink): void => {
    this.#links.delete(link.loop);
    const mine = (job: Job | null): job is Job =>
      job !== null && job.link === link && job.fut !== null && job.opts?.mustRun !== true;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const job = this.#queue[i]!;
      if (job.state !== "queued" || !mine(job)) continue;
      job.state = "cancelled";
      this.#queued--;
      this.#stats.cancelled++;
      this.#ended(job);
    }
    for (const job of this.#slots) {
      if (!mine(job) || job.abandoned) continue;
      if (job.state === "sent") {
        const won =
          Atomics.compareExchange(this.#words, job.slot, SLOT.SENT, SLOT.CANCELLED) === SLOT.SENT;
        job.state = won ? "cancelled" : "discarded";
        this.#stats.cancelled++;
      }
      job.abandoned = true;
      if (--this.#holding === 0) this.#setRef(false);
    }
  };

  #linkFor(loop: EventLoop): LoopLink {
    let link = this.#links.get(loop);
    if (link === undefined) {
      for (const [l, old] of this.#links)
        if (l.isClosed() && old.pending === 0) this.#links.delete(l);
      link = new LoopLink(nextLinkId++, loop, this.#poll, this.#loopClosing);
      this.#links.set(loop, link);
    }
    return link;
  }

  /** Start workers for the work at hand, up to `size` (workers told to quit take no more jobs). */
  #ensureWorkers(): void {
    const active = this.#workers.filter((w) => !w.quitSent);
    let live = active.length;
    if (live >= this.size) return;
    let want = Math.ceil(this.#pending / JOBS_PER_EXTRA_WORKER);
    if (live === 0 || active.every((w) => w.inflight > 0)) want = Math.max(want, live + 1);
    want = Math.min(want, this.size);
    for (; live < want; live++) this.#spawn();
  }

  #spawn(): void {
    if (!existsSync(fileURLToPath(WORKER_URL))) {
      throw new Error(
        `@aioloop/files: the worker script ${fileURLToPath(WORKER_URL)} is missing: rebuild the package (tsc -b)`,
      );
    }
    const { port1, port2 } = new MessageChannel();
    const bell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(WORKER_URL, {
      workerData: { results: port2, shared: this.#shared, bell, wake: WAKE },
      transferList: [port2],
      // Descriptors belong to the process, not to the worker that opened them: another worker
      // closes them, and they must outlive a worker that crashes.
      trackUnmanagedFds: false,
    });
    worker.unref();
    const w = new PoolWorker(worker, port1, bell);
    port1.on("message", (m: unknown) => {
      this.#handle(w, m);
      // Take whatever else has arrived (from any worker) directly, not one event at a time.
      this.#poll();
      if (this.#queued > 0) this._dispatch();
    });
    if (this.#holding === 0) port1.unref();
    worker.on("error", (e) => {
      w.startError = e;
    });
    worker.on("exit", (code) => this.#exited(w, code, undefined));
    this.#workers.push(w);
    this.#stats.started++;
  }

  #setRef(on: boolean): void {
    for (const w of this.#workers) {
      if (on) w.port.ref();
      else w.port.unref();
    }
  }

  #post(w: PoolWorker, jobs: Job[], closes?: number[]): void {
    for (const job of jobs) {
      const link = job.link;
      if (link !== null && link.loop.wakeWord !== null && !w.wakes.has(link.id)) {
        w.post({ k: MSG.WAKE, id: link.id, w: link.loop.wakeWord });
        w.wakes.add(link.id);
      }
    }
    // One flat array, [length, slot, seq, wake, op, ...args, length, …]: cheaper to clone.
    const flat: unknown[] = [];
    let transfer: ArrayBuffer[] | undefined;
    for (const job of jobs) {
      pushJob(flat, job);
      const t = job.opts?.transfer;
      if (t !== undefined && t.length > 0)
        transfer = transfer === undefined ? [...t] : transfer.concat(t);
    }
    this.#stats.batches++;
    try {
      w.post({ k: MSG.JOBS, j: flat, c: closes }, transfer);
      return;
    } catch {
      // Some job's arguments cannot be cloned: post one at a time and fail only those.
      if (closes !== undefined) w.post({ k: MSG.CLOSES, c: closes });
    }
    for (const job of jobs) {
      const one: unknown[] = [];
      pushJob(one, job);
      try {
        w.post({ k: MSG.JOBS, j: one }, job.opts?.transfer);
      } catch (e) {
        const err = new TypeError(
          `${OP_NAMES[job.op]}: an argument cannot be sent to a worker thread (${(e as Error).message}); pass structured-cloneable values`,
        );
        this.#finishSlot(job, w);
        this.#deliver(job, CRASHED, err);
      }
    }
  }

  /** Results or an exit notice from worker `w`. */
  #handle(w: PoolWorker, m: unknown): void {
    if (!Array.isArray(m)) {
      if ((m as ExitNotice).exit !== undefined)
        this.#exited(w, (m as ExitNotice).exit, m as ExitNotice);
      return;
    }
    this.#stats.resultMessages++;
    for (let i = 0; i < m.length; i += 4) {
      const slot = m[i] as number;
      const job = this.#slots[slot - HEADER.WORDS];
      if (job === null || job === undefined || job.seq !== m[i + 1]) continue;
      this.#finishSlot(job, w);
      this.#deliver(job, m[i + 2] as number, m[i + 3]);
    }
  }

  /** Free the job's slot; the job is no longer on any worker. */
  #finishSlot(job: Job, w: PoolWorker): void {
    this.#slots[job.slot - HEADER.WORDS] = null;
    Atomics.store(this.#words, job.slot, SLOT.IDLE);
    this.#free.push(job.slot);
    job.slot = -1;
    w.inflight--;
  }

  /** Settle the job's future (status: STATUS.* or CRASHED) and end its bookkeeping. */
  #deliver(job: Job, status: number, value: unknown): void {
    const wasState = job.state;
    job.state = "done";
    this.#ended(job);
    if (status === STATUS.SKIPPED) return;
    if (status === STATUS.OK) this.#stats.completed++;
    else this.#stats.failed++;
    const fut = job.fut;
    const loop = job.link?.loop;
    if (fut === null || loop === undefined || wasState !== "sent" || loop.isClosed()) {
      if (status === STATUS.OK) job.opts?.release?.(value, this);
      return;
    }
    settle(job, status, value);
  }

  readonly #poll = (): void => {
    const posted = Atomics.load(this.#words, HEADER.POSTED);
    if (posted === this.#seenPosted) return;
    this.#seenPosted = posted;
    // #exited replaces #workers (never mutates it), so this array stays valid while draining.
    for (const w of this.#workers) {
      for (
        let r = receiveMessageOnPort(w.port);
        r !== undefined;
        r = receiveMessageOnPort(w.port)
      ) {
        this.#handle(w, r.message);
        if (!w.alive) break;
      }
    }
    if (this.#queued > 0) this._dispatch();
  };

  /** Worker `w` is gone (exit notice, or the Worker's 'exit' event). Idempotent. */
  #exited(w: PoolWorker, code: number, notice: ExitNotice | undefined): void {
    if (!w.alive) return;
    w.alive = false;
    this.#workers = this.#workers.filter((x) => x !== w);
    // Results posted before the notice are ahead of it on the port.
    for (let r = receiveMessageOnPort(w.port); r !== undefined; r = receiveMessageOnPort(w.port)) {
      if (Array.isArray(r.message)) this.#handle(w, r.message);
    }
    w.port.close();
    const expected = w.quitSent && code === 0;
    if (!expected) this.#stats.crashed++;
    const cause = notice?.error !== undefined ? remoteErrorFromWire(notice.error) : w.startError;
    const requeue: Job[] = [];
    for (const job of this.#slots) {
      if (job === null || job.worker !== w) continue;
      const st = Atomics.load(this.#words, job.slot);
      this.#finishSlot(job, w);
      job.worker = null;
      if (st === SLOT.SENT) {
        job.state = "queued";
        requeue.push(job);
      } else if (st === SLOT.CANCELLED) {
        this.#deliver(job, STATUS.SKIPPED, null);
      } else {
        const what = OP_NAMES[job.op] ?? "job";
        const err = new WorkerCrashedError(
          `a worker thread exited with code ${code} while running ${what === "call" ? `runInWorker(${String(job.args[0])}, ${JSON.stringify(job.args[1])})` : what}${cause instanceof Error ? ` (${cause.name}: ${cause.message})` : ""}; the pool replaced the worker and only this job failed`,
          code,
          cause === undefined ? undefined : { cause },
        );
        this.#deliver(job, CRASHED, err);
      }
    }
    if (requeue.length > 0) {
      this.#queue.splice(this.#head, 0, ...requeue);
      this.#queued += requeue.length;
    }
    if (this.#queued > 0) this._dispatch();
    if (this.#closed && this.#workers.length === 0) {
      const waiters = this.#exitWaiters;
      this.#exitWaiters = [];
      for (const f of waiters) f();
    }
  }

  #maybeQuit(): void {
    if (!this.#closed || this.#queued > 0) return;
    for (const w of this.#workers) {
      if (!w.quitSent) {
        w.quitSent = true;
        w.post({ k: MSG.QUIT });
      }
    }
    if (this.#pending === 0) this.#links.clear();
  }
}

function wakeId(job: Job): number {
  const link = job.link;
  return link !== null && link.loop.wakeWord !== null ? link.id : 0;
}

/** Append `job` to a flat batch. */
function pushJob(flat: unknown[], job: Job): void {
  const args = job.args;
  flat.push(4 + args.length, job.slot, job.seq, wakeId(job), job.op);
  for (let i = 0; i < args.length; i++) flat.push(args[i]);
}

/** Complete the job's future on its loop. */
function settle(job: Job, status: number, value: unknown): void {
  const fut = job.fut!;
  if (fut.done()) {
    if (status === STATUS.OK) job.opts?.release?.(value, job.pool);
    return;
  }
  if (status === STATUS.OK) {
    const decode = job.opts?.decode;
    if (decode === undefined) fut.setResult(value);
    else {
      let v: unknown;
      try {
        v = decode(value);
      } catch (e) {
        fut.setException(e);
        return;
      }
      fut.setResult(v);
    }
  } else if (status === STATUS.ERROR) {
    fut.setException(
      job.op === OP.CALL
        ? remoteErrorFromWire(value as WireError)
        : osErrorFromWire(value as WireError),
    );
  } else fut.setException(value);
}

/** `moduleUrl` as a specifier the worker can import. */
function moduleSpecifier(moduleUrl: string | URL): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl !== "string" || moduleUrl === "") {
    throw new TypeError(
      `runInWorker: moduleUrl must be a URL or an absolute path, got ${typeof moduleUrl}`,
    );
  }
  if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  if (moduleUrl.startsWith("./") || moduleUrl.startsWith("../")) {
    throw new TypeError(
      `runInWorker(${JSON.stringify(moduleUrl)}): a relative path has no base in a worker; pass new URL(${JSON.stringify(moduleUrl)}, import.meta.url)`,
    );
  }
  return moduleUrl;
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
