/**
 * Jobs: the unit of work of a WorkerPool, the states it goes through, and the two places it
 * waits: the queue on the main thread and a slot on a worker.
 *
 * HOW: a job is one call on a worker thread (an fs call, or a `runInWorker` function):
 *
 *   submit ─► "queued" in the JobQueue ──dispatch──► "sent": holds a slot, posted to one worker
 *              │ future cancelled:                    │ future cancelled: CAS SENT → CANCELLED
 *              ▼ "cancelled" (dropped in place)       │   won: "cancelled" (the worker skips it)
 *                                                     │   lost, it runs: "discarded"
 *                                                     ▼
 *                               the answer arrives: "done" (future settled, or result released)
 *
 * A slot is one status word in the SharedArrayBuffer the pool shares with its workers
 * (protocol.js) plus the SlotTable entry mapping it back to its job. Main thread and worker race
 * on the word with compare-exchange, which is how a posted job is cancelled without a message.
 * `seq` tells an answer for the slot's current job from a stale one.
 *
 * WHY a queue on the main thread: a worker holds at most MAX_JOBS_PER_WORKER jobs at once; the
 * rest wait here and go to whichever worker has room first, so one slow job strands few others.
 *
 * Costs: push, take and drop are O(1) (the queue keeps a head index and compacts now and then);
 * taking and releasing a slot is O(1) with one Atomics.store.
 */

import { type EventLoop, Future, blockOn } from "@aioloop/core";
import type { LoopLink } from "./delivery.js";
import type { WireError } from "./errors.js";
import type { WorkerPool } from "./pool.js";
import { HEADER, SLOT } from "./protocol.js";
import type { PoolWorker } from "./workers.js";

/** Compact the queue array once this many consumed entries sit at its head. */
const QUEUE_COMPACT_AT = 1024;
const NO_ARGS: unknown[] = [];

/**
 * Where a job is (see the diagram above). "moved": a placeholder left in the slot of a job taken
 * back from a worker that had not started it (the worker still answers for that slot, SKIPPED).
 */
export type JobState = "queued" | "sent" | "cancelled" | "discarded" | "done" | "moved";

/** How to finish a job: convert its value, release it when nobody wants it. */
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
  /** The job failed on the worker: look at the error as it came (before its future has it). */
  failed?: (wire: WireError) => void;
}

/** The counters behind `WorkerPool.statistics()`, shared by the pool's parts. */
export interface Counters {
  started: number;
  crashed: number;
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  batches: number;
  resultMessages: number;
  reassigned: number;
}

/** One unit of work. */
export class Job {
  /** Invariant: ≥ HEADER.WORDS exactly while the job holds a slot (posted to `worker`). */
  slot = -1;
  seq = 0;
  state: JobState = "queued";
  /** Invariant: the worker it was posted to while it holds a slot, else null. */
  worker: PoolWorker | null = null;
  fut: JobFuture<unknown> | null = null;
  /**
   * Its loop closed: nobody will take the result, and the pool's ports no longer keep the
   * process alive for it (it still ends normally: slot freed, result released).
   */
  abandoned = false;
  /**
   * The wire value its future's result was made from, while nobody has taken the result (kept
   * only for jobs with `release`: see JobFuture's iterator).
   */
  unclaimed: unknown = undefined;
  /**
   * The worker it was posted to died, and the bytes it carried (transferred, so gone from here)
   * with it: the job is requeued without them (a close still closes) and then fails with this.
   */
  lost: Error | null = null;
  constructor(
    readonly pool: WorkerPool,
    readonly op: number,
    readonly args: unknown[],
    /** The loop it answers to (and whose wake word the worker rings); null: no loop was running. */
    readonly link: LoopLink | null,
    readonly opts: SubmitOptions<unknown> | undefined,
  ) {}
}

/**
 * The future of a job: cancelling it withdraws or discards the job; a `mustRun` job's future
 * cannot be cancelled (a task cancelled while waiting on it gets CancelledError once it is done).
 *
 * WHY its own iterator: a task can be cancelled after the answer set its future's result but
 * before the task resumed (cancel() finds the future done, so the task gets CancelledError
 * instead of the result). What the result holds (the descriptor an open() got) would leak: the
 * iterator hands it to the job's `release` when the task is thrown into or closed instead.
 */
export class JobFuture<T> extends Future<T> {
  readonly #job: Job;
  constructor(loop: EventLoop, job: Job) {
    super(loop);
    this.#job = job;
  }
  override cancel(msg?: string): boolean {
    const job = this.#job;
    if (job.opts?.mustRun === true) return false;
    if (!super.cancel(msg)) return false;
    job.pool._withdraw(job);
    return true;
  }
  override [Symbol.iterator](): Iterator<Future<unknown> | undefined, T, unknown> {
    return this.#job.opts?.release === undefined ? super[Symbol.iterator]() : new ClaimIter(this);
  }
  /** The result, taken by the awaiting coroutine (nothing to release any more). */
  take(): T {
    this.#job.unclaimed = undefined;
    return this.result();
  }
  /** The result was not taken (the awaiting task was cancelled or closed): release it. */
  releaseUnclaimed(): void {
    const job = this.#job;
    const v = job.unclaimed;
    if (v === undefined || !this.done() || this.cancelled() || this.exception() !== null) return;
    job.unclaimed = undefined;
    job.opts?.release?.(v, job.pool);
  }
}

/** `yield* fut` for a job whose result holds something: see JobFuture. */
class ClaimIter<T> implements Iterator<Future<unknown> | undefined, T, unknown> {
  readonly #fut: JobFuture<T>;
  constructor(fut: JobFuture<T>) {
    this.#fut = fut;
  }
  next(): IteratorResult<Future<unknown> | undefined, T> {
    const f = this.#fut;
    if (!f.done()) return { value: blockOn(f), done: false };
    return { value: f.take(), done: true };
  }
  throw(e: unknown): never {
    this.#fut.releaseUnclaimed();
    throw e;
  }
  return(value?: unknown): IteratorResult<Future<unknown> | undefined, T> {
    this.#fut.releaseUnclaimed();
    return { value: value as T, done: true };
  }
}

/**
 * Whether the bytes `job` transferred to a worker are gone (its buffers were detached when it
 * was posted): true once they were posted, so a job taken back from a dead worker cannot be
 * posted again as it was.
 */
export function carriedBytes(job: Job): boolean {
  const t = job.opts?.transfer;
  return t !== undefined && t.some((b) => b.byteLength === 0);
}

/** The jobs waiting on the main thread, oldest first. */
export class JobQueue {
  #items: Job[] = [];
  #head = 0;
  /** Invariant: the number of jobs in #items[#head..] whose state is "queued". */
  count = 0;

  push(job: Job): void {
    this.#items.push(job);
    this.count++;
  }

  /** Put `jobs` (state "queued") back at the front, in order: they were waiting longest. */
  requeue(jobs: Job[]): void {
    if (jobs.length === 0) return;
    this.#items.splice(this.#head, 0, ...jobs);
    this.count += jobs.length;
  }

  /** The oldest queued job, or undefined (entries withdrawn meanwhile are skipped). */
  peek(): Job | undefined {
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.state !== "queued") this.#head++;
    return items[this.#head];
  }

  /** Take the job `peek()` returned (its state is the caller's to change). */
  shift(): void {
    this.#head++;
    this.count--;
  }

  /** A queued job was withdrawn in place (its state is no longer "queued"). */
  dropped(): void {
    this.count--;
  }

  /** Free the consumed head of the array. */
  compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= QUEUE_COMPACT_AT) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The jobs still queued, oldest first (a snapshot: withdrawing them meanwhile is fine). */
  queued(): Job[] {
    return this.#items.slice(this.#head).filter((j) => j.state === "queued");
  }
}

/**
 * The slots: one status word per job a worker may hold, after the header words of the shared
 * buffer (protocol.js), and the job each one belongs to.
 */
export class SlotTable {
  readonly shared: SharedArrayBuffer;
  readonly #words: Int32Array;
  /** Invariant: #jobs[i] is the job holding slot HEADER.WORDS + i, or null when it is free. */
  readonly #jobs: (Job | null)[];
  readonly #free: number[] = [];
  #seq = 0;

  constructor(capacity: number) {
    this.shared = new SharedArrayBuffer((HEADER.WORDS + capacity) * Int32Array.BYTES_PER_ELEMENT);
    this.#words = new Int32Array(this.shared);
    this.#jobs = new Array<Job | null>(capacity).fill(null);
    for (let i = capacity - 1; i >= 0; i--) this.#free.push(HEADER.WORDS + i);
  }

  /** Whether a slot is free. */
  get hasFree(): boolean {
    return this.#free.length > 0;
  }

  /** Give `job` a free slot (check `hasFree` first), marked SENT, and a fresh `seq`. */
  take(job: Job): void {
    const slot = this.#free.pop()!;
    this.#jobs[slot - HEADER.WORDS] = job;
    job.slot = slot;
    job.seq = this.#seq = (this.#seq + 1) | 0;
    Atomics.store(this.#words, slot, SLOT.SENT);
  }

  /** The job an answer for (`slot`, `seq`) belongs to, or null when it is stale. */
  find(slot: number, seq: unknown): Job | null {
    const job = this.#jobs[slot - HEADER.WORDS];
    return job === undefined || job === null || job.seq !== seq ? null : job;
  }

  /** Free the slot of `job`. */
  release(job: Job): void {
    this.#jobs[job.slot - HEADER.WORDS] = null;
    Atomics.store(this.#words, job.slot, SLOT.IDLE);
    this.#free.push(job.slot);
    job.slot = -1;
  }

  /** Cancel a posted job the worker has not started (CAS SENT → CANCELLED): true if it had not. */
  cancel(job: Job): boolean {
    return Atomics.compareExchange(this.#words, job.slot, SLOT.SENT, SLOT.CANCELLED) === SLOT.SENT;
  }

  /**
   * Take a posted job back from its worker, if the worker has not started it (CAS SENT →
   * CANCELLED): the job leaves its slot and is "queued" again, to be posted anew; a placeholder
   * ("moved") keeps the slot, with the worker, until the worker answers SKIPPED for it or dies.
   * True if it was taken.
   */
  takeBack(job: Job): boolean {
    if (!this.cancel(job)) return false;
    const stub = new Job(job.pool, 0, NO_ARGS, null, undefined);
    stub.state = "moved";
    stub.slot = job.slot;
    stub.seq = job.seq;
    stub.worker = job.worker;
    stub.worker!.moved++;
    this.#jobs[job.slot - HEADER.WORDS] = stub;
    job.slot = -1;
    job.worker = null;
    job.state = "queued";
    return true;
  }

  /** The status word of the slot `job` holds (SLOT.*). */
  status(job: Job): number {
    return Atomics.load(this.#words, job.slot);
  }

  /** How many results messages the workers have posted (polling reads only this when idle). */
  posted(): number {
    return Atomics.load(this.#words, HEADER.POSTED);
  }

  /** The jobs holding a slot now ("moved" placeholders included). O(capacity). */
  held(): Job[] {
    return this.#jobs.filter((j): j is Job => j !== null);
  }

  /**
   * Take back a `share` (0.5: half, rounded up; 1: all) of the jobs worker `w` holds and has not
   * started, newest first (they would run last there): they are "queued" again, and returned
   * oldest first. Jobs whose bytes were moved to the worker only if `carried`. O(capacity).
   */
  takeBackFrom(w: PoolWorker, share: number, carried: boolean): Job[] {
    const mine = this.held()
      .filter((j) => j.worker === w && j.state === "sent" && (carried || !carriedBytes(j)))
      .sort((a, b) => b.seq - a.seq);
    const n = Math.ceil(mine.length * share);
    const back: Job[] = [];
    for (const job of mine) {
      if (back.length >= n || !this.takeBack(job)) break;
      back.push(job);
    }
    return back.reverse();
  }

  /**
   * The worker keeping the most jobs waiting behind the one it runs (of its jobs not answered,
   * all but one; those carrying bytes do not count: they cannot move), or null if none keeps
   * any waiting. O(capacity).
   */
  mostWaiting(): PoolWorker | null {
    const held = new Map<PoolWorker, number>();
    for (const j of this.#jobs) {
      if (j !== null && j.state === "sent" && !carriedBytes(j))
        held.set(j.worker!, (held.get(j.worker!) ?? 0) + 1);
    }
    let busiest: PoolWorker | null = null;
    let most = 1; // a worker's one job may be the one it runs
    for (const [w, n] of held) {
      if (n > most) {
        busiest = w;
        most = n;
      }
    }
    return busiest;
  }

  /** How many jobs are posted and not answered (placeholders not counted). O(capacity). */
  inFlight(): number {
    let n = 0;
    for (const j of this.#jobs) if (j !== null && j.state !== "moved") n++;
    return n;
  }
}
