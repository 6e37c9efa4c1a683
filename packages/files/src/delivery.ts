/**
 * Delivery: how answers get from the workers back to the loop that waits for them, in every run
 * mode, through @aioloop/core's public seam alone.
 *
 * HOW: while a loop has jobs in flight, its LoopLink holds ONE "thread" outside source
 * (`loop.addOutsideSource`, registered at 0 → 1 pending job, released at 1 → 0):
 *
 *   worker: results ─► its port; Atomics.add(POSTED); store + notify the loop's wakeWord
 *                                                          │
 *   loop (runSync): Atomics.wait on wakeWord ends ◄─────────┤
 *   loop (host-driven): the port's 'message' event ◄────────┘ (ports are ref'd while jobs are out)
 *        │
 *        ▼ source.poll() after every wait of the loop: POSTED moved? drain every port
 *          (receiveMessageOnPort) ─► settle the futures ─► the waiting tasks run this iteration
 *
 * While the source is registered, runSync waits for the jobs instead of failing with
 * DeadlockError, and a virtual clock stands still. When the loop closes with jobs in flight, the
 * source's `loopClosing` hands them to the pool to withdraw or abandon. Answers are
 * [slot, seq, status, value] quadruples (protocol.js); a worker's exit notice arrives on the same
 * port, after its last answers.
 *
 * Costs: polling an idle pool is one Atomics.load (POSTED unchanged); a results message settles
 * each of its jobs' futures in O(1).
 */

import type { EventLoop, OutsideSource } from "@aioloop/core";
import { type WireError, osErrorFromWire, remoteErrorFromWire } from "./errors.js";
import type { Counters, Job, SlotTable } from "./jobs.js";
import { OP, STATUS } from "./protocol.js";
import type { ExitNotice, PoolWorker } from "./workers.js";

/** What the outside source of a loop with jobs in flight is called (DeadlockError, statistics). */
export const SOURCE_NAME = "worker jobs (@aioloop/files)";
/**
 * A poll that finds nothing new reads the clock for `dueAt` only once in this many + 1 (a mask):
 * polls come once per loop iteration, and a virtual clock holding still polls every millisecond.
 */
const DUE_CHECK_EVERY = 63;
/** A job's status when its worker crashed (local: never on the wire). */
export const CRASHED = 3;

/** One loop the pool delivers to. */
export class LoopLink {
  /** Invariant: jobs answering to this loop, submitted and not finished (queued + posted). */
  pending = 0;
  flushScheduled = false;
  /** Invariant: non-null exactly while pending > 0 and the loop is open. */
  #release: (() => void) | null = null;
  readonly source: OutsideSource;
  constructor(
    /** The wake id workers know this loop's wake word by (never 0). */
    readonly id: number,
    readonly loop: EventLoop,
    poll: () => void,
    closing: (link: LoopLink) => void,
  ) {
    this.source = { kind: "thread", name: SOURCE_NAME, poll, loopClosing: () => closing(this) };
  }
  /** A job answering to this loop was submitted. */
  began(): void {
    if (this.pending++ === 0) this.#release = this.loop.addOutsideSource(this.source);
  }
  /** A job answering to this loop will deliver nothing more. */
  ended(): void {
    if (--this.pending === 0 && this.#release !== null) {
      this.#release();
      this.#release = null;
    }
  }
}

/** What Delivery needs from its pool. */
export interface DeliveryHost {
  /** The workers alive now (the array is replaced, never changed in place, when one exits). */
  workers(): readonly PoolWorker[];
  /** `job` will produce nothing more: its bookkeeping (counts, its loop's source, holds). */
  ended(job: Job): void;
  /** Answers were drained: post whatever waits for a worker. */
  drained(): void;
  /** Worker `w` posted its exit notice. */
  exited(w: PoolWorker, notice: ExitNotice): void;
  /** The loop of `link` is closing with jobs in flight. */
  loopClosing(link: LoopLink): void;
  /** `dueAt` has passed (a poll found nothing new after it). */
  due(): void;
}

/** The answers of one pool's workers, and the loops they go to. */
export class Delivery {
  readonly #links = new Map<EventLoop, LoopLink>();
  #nextLinkId = 1;
  #seenPosted = 0;
  /**
   * When (Date.now()) the pool wants to look at its workers again, 0 for never: a loop that polls
   * without news after that tells it (host.due). A virtual clock stands still while jobs are in
   * flight, so the pool's own timer on the loop may not fire; its polls still come.
   */
  dueAt = 0;
  /** Polls that found nothing new: the clock is read only every DUE_CHECK_EVERY + 1 of them. */
  #quietPolls = 0;

  constructor(
    readonly slots: SlotTable,
    readonly stats: Counters,
    readonly host: DeliveryHost,
  ) {}

  /** The link of `loop` (made on first use; links of loops closed since are dropped then). */
  linkFor(loop: EventLoop): LoopLink {
    let link = this.#links.get(loop);
    if (link === undefined) {
      for (const [l, old] of this.#links)
        if (l.isClosed() && old.pending === 0) this.#links.delete(l);
      link = new LoopLink(this.#nextLinkId++, loop, this.poll, this.#closing);
      this.#links.set(loop, link);
    }
    return link;
  }

  /** Forget every link (the pool is closed and idle). */
  clearLinks(): void {
    this.#links.clear();
  }

  readonly #closing = (link: LoopLink): void => {
    this.#links.delete(link.loop);
    this.host.loopClosing(link);
  };

  /**
   * Take every answer that has arrived, from every worker (the loops' sources call this after
   * each wait). An idle pool costs one Atomics.load.
   */
  readonly poll = (): void => {
    if (this.#drainAll()) this.host.drained();
    else if (this.dueAt !== 0 && (++this.#quietPolls & DUE_CHECK_EVERY) === 0) {
      if (Date.now() >= this.dueAt) this.host.due();
    }
  };

  /** A message from `w` came through its port's 'message' event (host-driven runs). */
  readonly onMessage = (w: PoolWorker, m: unknown): void => {
    this.handle(w, m);
    // Take whatever else has arrived (from any worker) directly, not one event at a time.
    this.#drainAll();
    this.host.drained();
  };

  /** Drain every port if any worker posted since the last time: true if so. */
  #drainAll(): boolean {
    const posted = this.slots.posted();
    if (posted === this.#seenPosted) return false;
    this.#seenPosted = posted;
    for (const w of this.host.workers()) w.drain((m) => this.handle(w, m));
    return true;
  }

  /** Results, or the exit notice, from worker `w`. */
  handle(w: PoolWorker, m: unknown): void {
    if (!Array.isArray(m)) {
      if ((m as ExitNotice).exit !== undefined) this.host.exited(w, m as ExitNotice);
      return;
    }
    this.stats.resultMessages++;
    w.answered = true;
    for (let i = 0; i < m.length; i += 4) {
      const job = this.slots.find(m[i] as number, m[i + 1]);
      if (job === null) continue;
      this.finish(job, w);
      if (job.state !== "moved") this.deliver(job, m[i + 2] as number, m[i + 3]);
    }
  }

  /** `job` left worker `w`: free its slot. */
  finish(job: Job, w: PoolWorker): void {
    this.slots.release(job);
    job.worker = null;
    w.inflight--;
    if (job.state === "moved") w.moved--;
  }

  /** Settle the job's future (status: STATUS.* or CRASHED) and end its bookkeeping. */
  deliver(job: Job, status: number, value: unknown): void {
    const wasState = job.state;
    job.state = "done";
    this.host.ended(job);
    if (status === STATUS.SKIPPED) return;
    if (status === STATUS.OK) this.stats.completed++;
    else this.stats.failed++;
    if (status === STATUS.ERROR) job.opts?.failed?.(value as WireError);
    if (status === STATUS.OK && job.lost !== null) {
      status = CRASHED; // it ran, but without the bytes it carried
      value = job.lost;
    }
    const fut = job.fut;
    const loop = job.link?.loop;
    // "cancelled"/"discarded": its future was cancelled; "queued": it never reached a worker.
    const wanted = wasState === "sent" || wasState === "queued";
    if (fut === null || loop === undefined || !wanted || loop.isClosed()) {
      if (status === STATUS.OK) job.opts?.release?.(value, job.pool);
      return;
    }
    settle(job, status, value);
  }
}

/** Complete the job's future on its loop. */
function settle(job: Job, status: number, value: unknown): void {
  const fut = job.fut!;
  if (fut.done()) {
    if (status === STATUS.OK) job.opts?.release?.(value, job.pool);
    return;
  }
  if (status === STATUS.OK) {
    if (job.opts?.release !== undefined) job.unclaimed = value;
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
