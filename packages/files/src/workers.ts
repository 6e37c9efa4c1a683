/**
 * The worker threads of a WorkerPool: starting one, posting it batches, ringing its doorbell,
 * and what a worker that dies leaves behind.
 *
 * HOW: each PoolWorker is one `node:worker_threads` Worker running worker.js, with
 *
 *   - a MessagePort of its own for answers (the main thread drains it with
 *     receiveMessageOnPort; its 'message' event serves host-driven loops), ref'd only while the
 *     pool has jobs someone waits for, so workers never keep the process alive on their own;
 *   - a control buffer (protocol.js CONTROL) with its doorbell, an Int32 the pool sets (and
 *     notifies) after each post, which an idle worker sleeps on for a moment before going back to
 *     its own event loop (worker.js awaitDoorbell), so a loop answering quickly hands over its
 *     next batch with a futex wake-up; and the count of detached closes it has taken on, so the
 *     ones a dying worker never read go to another (`unreadCloses`);
 *   - the set of loops whose wake word it knows: a loop's word goes to a worker once (MSG.WAKE),
 *     ahead of the first job that answers to it.
 *
 * The control buffer also says since when the worker runs its current job (RUNNING_SINCE), which
 * is how the pool tells a stuck worker (`runningFor`, and StuckWatch for when to look).
 *
 * A batch is one message: a flat array [length, slot, seq, wakeId, op, ...args, length, …]
 * (cheaper to clone than an array of objects), with the descriptors of read-only files to close
 * riding along. A worker that dies (user code called process.exit, an error escaped
 * asynchronously) posts an exit notice naming the job it was running: that job fails with
 * WorkerCrashedError (crashError), the pool requeues the rest.
 *
 * WHY `trackUnmanagedFds: false`: descriptors belong to the process, not to the worker that
 * opened them: another worker closes them, and they must outlive a worker that crashes.
 */

import { type EventLoop, type TimerHandle, WAKE_INDEX, WAKE_SET } from "@aioloop/core";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  MessageChannel,
  type MessagePort,
  Worker,
  receiveMessageOnPort,
} from "node:worker_threads";
import { MainModuleInWorkerError, type WireError, WorkerCrashedError } from "./errors.js";
import type { Job } from "./jobs.js";
import { CONTROL, MSG, OP, OP_NAMES } from "./protocol.js";

const WORKER_URL = new URL("./worker.js", import.meta.url);
/** The wake protocol of @aioloop/core, handed to each worker (one definition: core's). */
const WAKE = Object.freeze({ index: WAKE_INDEX, set: WAKE_SET });

/** The exit notice a dying worker posts (worker.js). */
export interface ExitNotice {
  exit: number;
  slot: number;
  seq: number;
  error: WireError | undefined;
}

/** What a PoolWorker tells the pool. */
export interface WorkerEvents {
  /** A message arrived on the worker's port while the host's event loop ran. */
  message(w: PoolWorker, m: unknown): void;
  /** The thread exited (after its exit notice, if it posted one). */
  exit(w: PoolWorker, code: number): void;
}

/** One worker thread of a pool. */
export class PoolWorker {
  /** Invariant: the jobs holding a slot with `worker === this`. */
  inflight = 0;
  /** Invariant: how many of those are placeholders of jobs taken back ("moved"). */
  moved = 0;
  alive = true;
  /** Told to quit: it finishes what it holds and takes nothing more. */
  quitSent = false;
  /**
   * Its current job has run longer than the pool's `stuckAfterMs`: it takes no new jobs, and the
   * pool may start a worker in its place.
   */
  stuck = false;
  /**
   * It has posted answers (results, or SKIPPED for jobs taken back): it got past start-up. One
   * that dies before, having run no job, counts toward the pool's MAX_START_CRASHES.
   */
  answered = false;
  /** The error the thread reported while dying, if any (the exit notice may have a better one). */
  startError: unknown = undefined;
  /** Loops whose wake word this worker knows (by link id). */
  readonly #wakes = new Set<number>();
  /**
   * The lists of detached closes posted to it, oldest first (kept as posted: no copy), the
   * first of them starting at the #closesBase-th close it was ever sent.
   */
  #closes: number[][] = [];
  #closesBase = 0;

  private constructor(
    readonly thread: Worker,
    readonly port: MessagePort,
    /** Its doorbell and counters, shared with the thread (protocol.js CONTROL). */
    readonly control: Int32Array,
  ) {}

  /**
   * Start a worker over the pool's `shared` buffer; its port keeps the process alive only if
   * `held` (see `hold`).
   * @throws Error when the worker script is missing (a build without it).
   */
  static start(
    shared: SharedArrayBuffer,
    epoch: number,
    held: boolean,
    events: WorkerEvents,
  ): PoolWorker {
    if (!existsSync(fileURLToPath(WORKER_URL))) {
      throw new Error(
        `@aioloop/files: the worker script ${fileURLToPath(WORKER_URL)} is missing: rebuild the package (tsc -b)`,
      );
    }
    const { port1, port2 } = new MessageChannel();
    const control = new Int32Array(
      new SharedArrayBuffer(CONTROL.WORDS * Int32Array.BYTES_PER_ELEMENT),
    );
    const thread = new Worker(WORKER_URL, {
      workerData: { results: port2, shared, control, wake: WAKE, epoch },
      transferList: [port2],
      trackUnmanagedFds: false,
    });
    thread.unref();
    const w = new PoolWorker(thread, port1, control);
    port1.on("message", (m: unknown) => events.message(w, m));
    if (!held) port1.unref();
    thread.on("error", (e) => {
      w.startError = e;
    });
    thread.on("exit", (code) => events.exit(w, code));
    return w;
  }

  /**
   * How long (ms) it has been running its current job, `now` being Date.now() - the pool's
   * epoch (0 when it runs none).
   */
  runningFor(now: number): number {
    const since = Atomics.load(this.control, CONTROL.RUNNING_SINCE);
    return since === 0 ? 0 : Math.max(0, now - (since - 1));
  }

  /** Whether the worker's port keeps the process alive (while jobs someone waits for are out). */
  hold(on: boolean): void {
    if (on) this.port.ref();
    else this.port.unref();
  }

  /** Post `msg` and ring the doorbell (a notify only when the bell was not already ringing). */
  post(msg: unknown, transfer?: readonly ArrayBuffer[]): void {
    this.thread.postMessage(msg, transfer as ArrayBuffer[] | undefined);
    const c = this.control;
    if (Atomics.exchange(c, CONTROL.BELL, 1) === 0) Atomics.notify(c, CONTROL.BELL);
  }

  /**
   * Post `jobs` (holding slots already) as one batch, with `closes` (descriptors to close first).
   * The wake word of each loop the worker does not know yet goes first. Returns the jobs whose
   * arguments could not be sent, each with its error (they were not posted; the rest were, one
   * by one).
   */
  postJobs(jobs: Job[], closes: number[] | undefined): [Job, TypeError][] {
    for (const job of jobs) {
      const link = job.link;
      const word = link?.loop.wakeWord ?? null;
      if (link !== null && word !== null && !this.#wakes.has(link.id)) {
        this.post({ k: MSG.WAKE, id: link.id, w: word });
        this.#wakes.add(link.id);
      }
    }
    const flat: unknown[] = [];
    let transfer: ArrayBuffer[] | undefined;
    for (const job of jobs) {
      pushJob(flat, job);
      const t = job.lost === null ? job.opts?.transfer : undefined;
      if (t !== undefined && t.length > 0)
        transfer = transfer === undefined ? [...t] : transfer.concat(t);
    }
    try {
      this.post({ k: MSG.JOBS, j: flat, c: closes }, transfer);
      if (closes !== undefined) this.#sentCloses(closes);
      return [];
    } catch {
      // Some job's arguments cannot be cloned: post one at a time and fail only those.
      if (closes !== undefined) this.postCloses(closes);
    }
    const failed: [Job, TypeError][] = [];
    for (const job of jobs) {
      const one: unknown[] = [];
      pushJob(one, job);
      try {
        this.post({ k: MSG.JOBS, j: one }, job.lost === null ? job.opts?.transfer : undefined);
      } catch (e) {
        failed.push([job, cloneError(job, e)]);
      }
    }
    return failed;
  }

  /** Descriptors to close that nobody waits for (no answer). */
  postCloses(fds: number[]): void {
    this.post({ k: MSG.CLOSES, c: fds });
    this.#sentCloses(fds);
  }

  /** Note `fds` as posted, forgetting the closes the worker has taken on since last time. */
  #sentCloses(fds: number[]): void {
    // Forget the lists the worker has taken on entirely.
    const done = Atomics.load(this.control, CONTROL.CLOSES_DONE);
    const lists = this.#closes;
    let drop = 0;
    while (drop < lists.length && this.#closesBase + lists[drop]!.length <= done)
      this.#closesBase += lists[drop++]!.length;
    if (drop > 0) lists.splice(0, drop);
    lists.push(fds);
  }

  /**
   * The worker is gone: the detached closes posted to it that it never took on (still open, and
   * still ours to close).
   */
  unreadCloses(): number[] {
    const done = Atomics.load(this.control, CONTROL.CLOSES_DONE);
    return this.#closes.flat().slice(Math.max(0, done - this.#closesBase));
  }

  /** Finish what it holds, then exit. */
  quit(): void {
    if (this.quitSent) return;
    this.quitSent = true;
    this.post({ k: MSG.QUIT });
  }

  /**
   * Every message waiting on the port, in order, to `handle`; stops once the worker is gone
   * (its exit notice was handled), unless `all` (the exit handling takes the last answers).
   */
  drain(handle: (m: unknown) => void, all = false): void {
    for (let r = receiveMessageOnPort(this.port); r !== undefined; ) {
      handle(r.message);
      if (!this.alive && !all) return;
      r = receiveMessageOnPort(this.port);
    }
  }
}

/**
 * When a pool looks for stuck workers again: a deadline (`target.dueAt`, Date.now(), which the
 * loops' polls check: a virtual clock's timer does not fire while jobs are in flight) and a
 * timer on the running loop (a loop blocked in runSync with nothing else to do must wake for it).
 */
export class StuckWatch {
  #timer: TimerHandle | null = null;
  #loop: EventLoop | null = null;

  constructor(
    readonly afterMs: number,
    readonly target: { dueAt: number },
    readonly due: () => void,
  ) {}

  /** Whether a look is due some time (at `target.dueAt`). */
  get armed(): boolean {
    return this.target.dueAt !== 0;
  }

  /**
   * Look in `afterMs` (never when that is Infinity), with a timer on `loop` if there is one.
   * Already armed: the timer moves to `loop` if it was set on another (which may not run again).
   */
  arm(loop: EventLoop | null): void {
    if (!Number.isFinite(this.afterMs)) return;
    if (this.armed) {
      if (loop === null || loop === this.#loop) return;
      this.#timer?.cancel();
    } else this.target.dueAt = Date.now() + this.afterMs;
    this.#timer = null;
    this.#loop = loop;
    if (loop !== null)
      this.#timer = loop.callLater(Math.max(0, this.target.dueAt - Date.now()), this.#fire);
  }

  disarm(): void {
    this.target.dueAt = 0;
    this.#timer?.cancel();
    this.#timer = null;
    this.#loop = null;
  }

  /** `loop` is closing: a timer on it goes with it (the next dispatch arms a new one). */
  loopClosing(loop: EventLoop): void {
    if (this.#loop === loop) this.disarm();
  }

  readonly #fire = (): void => {
    this.#timer = null;
    this.due();
  };
}

/** The error of `job`, which was running when its worker exited with `code` (killed by `cause`). */
export function crashError(
  job: Job,
  code: number,
  cause: unknown,
): WorkerCrashedError | MainModuleInWorkerError {
  // The program run again in the worker found the trap and then exited: that is the error.
  if (cause instanceof MainModuleInWorkerError) return cause;
  const what = OP_NAMES[job.op] ?? "job";
  const running =
    what === "call" ? `runInWorker(${String(job.args[0])}, ${JSON.stringify(job.args[1])})` : what;
  const why = cause instanceof Error ? ` (${cause.name}: ${cause.message})` : "";
  return new WorkerCrashedError(
    `a worker thread exited with code ${code} while running ${running}${why}; the pool replaced the worker and only this job failed`,
    code,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The error of a job whose workers died `times` times in a row before running any job, the last
 * one with `code` (killed by `cause`): the pool gave up starting workers for it.
 */
export function startCrashError(times: number, code: number, cause: unknown): WorkerCrashedError {
  const why = cause instanceof Error ? ` (${cause.name}: ${cause.message})` : "";
  return new WorkerCrashedError(
    `the worker thread died ${times} times in a row before running any job (last exit code ${code}${why}); the pool stopped starting workers for the jobs waiting. Check that this runtime supports node:worker_threads fully (under Deno, receiveMessageOnPort rejects a worker's parentPort) and that nothing kills new threads (resource limits, NODE_OPTIONS, a preloaded module)`,
    code,
    cause === undefined ? undefined : { cause },
  );
}

/** The error of a job whose arguments cannot be sent to a worker (`e`: the clone's error). */
function cloneError(job: Job, e: unknown): TypeError {
  return new TypeError(
    `${OP_NAMES[job.op]}: an argument cannot be sent to a worker thread (${(e as Error).message}); pass structured-cloneable values`,
  );
}

/**
 * The error of a write or close that a worker held, not started, when it exited with `code`
 * (terminated: -1): the bytes it carried were moved to that thread and are gone.
 */
export function lostBytesError(job: Job, code: number, cause: unknown): WorkerCrashedError {
  const closed = job.op === OP.CLOSE ? "the descriptor was closed, but " : "";
  const how = code === -1 ? "was terminated" : `exited with code ${code}`;
  return new WorkerCrashedError(
    `a worker thread ${how} holding a ${OP_NAMES[job.op]} it had not started: ${closed}the bytes it carried were lost with the thread`,
    code,
    cause === undefined ? undefined : { cause },
  );
}

/** The loop a worker should wake for `job`'s answer (0: none). */
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
