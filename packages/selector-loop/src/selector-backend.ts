/**
 * SelectorBackend: the real clock plus a NodeSocketSelector, as the backend of SelectorLoop.
 *
 * HOW: one loop iteration asks the backend to `select(0)`; the backend polls the selector and
 * queues the reader/writer callback of every ready registration behind what is already ready
 * (asyncio's `_process_events`), then the loop moves due timers and runs the snapshot:
 *
 *   runOnce: ready callbacks │ select(0): I/O callbacks queued here │ due timers │ run snapshot
 *
 * It is composed from timer-loop's parts (RealClock, HostParking) and the selector; it uses
 * nothing of the loop but the `LoopHost` it is given. When the loop has nothing to do it parks:
 * one host timer for the next deadline. A socket event while parked (the selector's `onReady`) wakes it as
 * `wakeup()` does, minus the wake word that only a thread blocked in runSync needs: the host
 * timer is replaced by a setImmediate, so the loop resumes in the same Node turn as the I/O
 * that woke it, after every other socket event of that turn has been collected (one loop turn
 * serves a whole batch of ready sockets; resuming inside each event instead was measured
 * slower: it gives up that batching).
 *
 * It cannot block: Node delivers socket events only when JavaScript returns to Node's event
 * loop, so `runSync` (which holds the thread) could never see one. `canBlock` is false and the
 * loop refuses `runSync` with an error that says to use `run()` / `runUntilComplete()`.
 *
 * Outside work: while any socket or server is registered with the selector, or any transport,
 * server or child process is open (`track`), the backend holds one "host" outside source on
 * the loop, so a run waiting on a socket waits, and a run with nothing left fails with
 * DeadlockError instead of ending in silence. Closing releases everything the loop opened:
 * tracked resources first, then any socket still registered with the selector (destroyed).
 */

import type { Server, Socket } from "node:net";
import type { Backend, LoopHost, OutsideSource, Runnable } from "@aioloop/core";
import { HostParking, RealClock } from "@aioloop/timer-loop";
import type { Closeable } from "@aioloop/transports";
import { EVENT_READ, EVENT_WRITE, NodeSocketSelector, type SelectorKey } from "./selector.js";

/**
 * Ready registrations whose callbacks one iteration queues at most: thousands of sockets made
 * ready by one Node turn are served over several iterations, so the turn can end in between.
 */
export const IO_CALLBACKS_PER_ITERATION = 64;

/** What the loop keeps per registered object: asyncio's `(reader_handle, writer_handle)`. */
export interface IOCallbacks {
  /** Queued when the object is readable; null when only writing is watched. */
  reader: Runnable | null;
  /** Queued when the object is writable; null when only reading is watched. */
  writer: Runnable | null;
}

export type { Closeable } from "@aioloop/transports";

/**
 * The backend of SelectorLoop: real clock, Node socket readiness, resource tracking.
 * @example
 * const loop = new SelectorLoop(); // creates one; see loop.statistics().backend
 */
export class SelectorBackend implements Backend {
  readonly kind = "real" as const;
  readonly #clock = new RealClock();
  readonly resolution = this.#clock.resolution;
  /**
   * Always false: Node delivers socket events only between host turns, so this backend never
   * blocks the thread, and `loop.runSync` is refused (use `run` or `runUntilComplete`).
   */
  readonly canBlock = false;
  /** The readiness source; the loop registers sockets and servers here. */
  readonly selector = new NodeSocketSelector<IOCallbacks>();
  readonly #parking = new HostParking();
  /** Invariant: every open transport, server and child process created on this loop. */
  readonly #resources = new Set<Closeable>();
  readonly #source: OutsideSource = { kind: "host", name: "sockets, servers and child processes" };
  /** Invariant: non-null exactly while the source is registered (something is open). */
  #releaseSource: (() => void) | null = null;
  #host: LoopHost | null = null;
  #ioCallbacks = 0;
  #ioWakeups = 0;
  #wakeups = 0;
  /** When this host turn's first select ran (loop time, ms); -1 until then. */
  /** Polls that queued nothing because the host turn had run a whole slice already. */
  readonly #queue = (key: SelectorKey<IOCallbacks>, events: number): void => {
    const cbs = key.data;
    const host = this.#host!;
    if ((events & EVENT_READ) !== 0 && cbs.reader !== null) {
      host.schedule(cbs.reader);
      this.#ioCallbacks++;
    }
    if ((events & EVENT_WRITE) !== 0 && cbs.writer !== null) {
      host.schedule(cbs.writer);
      this.#ioCallbacks++;
    }
  };

  constructor() {
    this.selector.onReady = () => {
      // A registration (or an event) makes the selector busy: hold the loop's source now, not
      // at the next select, which a busy loop with no source would skip (core's contract).
      if (this.#releaseSource === null) this.#syncSource();
      // Parked with no "soon" callback armed yet: resume after this Node turn's I/O is collected.
      if (this.#parking.parked && !this.#parking.resumingSoon) {
        this.#ioWakeups++;
        this.#parking.wake();
      }
    };
  }

  attach(host: LoopHost): void {
    this.#host = host;
  }

  time(): number {
    return this.#clock.time();
  }

  /**
   * Host runs only (canBlock is false), so this never waits: poll the selector, and queue the
   * callbacks of at most IO_CALLBACKS_PER_ITERATION ready registrations (the rest come first
   * in the next iteration), so one iteration stays short and the loop's host slice gives Node
   * its turn during a burst of connections. Every iteration polls: skipping the poll once a
   * turn ran long let due timers overtake I/O that was ready first (asyncio fact 9).
   */
  select(_timeoutMs: number): void {
    const sel = this.selector;
    // No candidates (no socket event since the last poll): no clock read either, so loops
    // that only run tasks pay nothing here.
    if (sel._candidates > 0) sel.pollEach(this.#queue, IO_CALLBACKS_PER_ITERATION);
    this.#syncSource();
  }

  /**
   * Host runs: call `resume` once, after at most `timeoutMs` ms (the next timer's deadline;
   * Infinity: none) or as soon as a registered socket or server reports an event. A
   * registration still ready from the last poll (readiness is level-triggered) resumes at once
   * (after Node's turn: its I/O comes first).
   */
  park(timeoutMs: number, resume: () => void): void {
    this.#syncSource();
    this.#parking.park(this.selector.anyReady() ? 0 : timeoutMs, resume);
  }

  unpark(): void {
    this.#parking.unpark();
  }

  wakeup(): void {
    this.#wakeups++;
    this.#parking.wake();
  }

  /** Release `r` when the loop closes (unless `untrack`ed first). */
  track(r: Closeable): void {
    this.#resources.add(r);
    this.#syncSource();
  }

  /** Forget `r` (it closed by itself), so closing the loop does not release it again. */
  untrack(r: Closeable): void {
    this.#resources.delete(r);
    this.#syncSource();
  }

  /** How many transports, servers and processes are open. */
  get openResources(): number {
    return this.#resources.size;
  }

  /**
   * Called by `loop.close()`: drop the host timer, `forceClose()` every tracked transport,
   * server and child process (children get SIGKILL), destroy every socket (close every server)
   * still registered, and close the selector. Best effort: one failure does not stop the rest.
   */
  close(): void {
    this.#parking.unpark();
    this.#releaseSource = null; // the closing loop drops its sources itself
    const resources = [...this.#resources];
    this.#resources.clear();
    for (const r of resources) {
      try {
        r.forceClose();
      } catch {
        // Closing is best effort: one failure must not leave the rest open.
      }
    }
    for (const obj of [...this.selector.getMap().keys()]) {
      try {
        if (typeof (obj as Socket).destroy === "function") (obj as Socket).destroy();
        else (obj as Server).close();
      } catch {
        // As above.
      }
    }
    this.selector.close();
  }

  /**
   * `clock`, `waits`, `wakeups`, plus: `registered` (objects in the selector), `selectorEvents`
   * (Node socket events seen), `ioCallbacks` (reader/writer callbacks queued), `ioWakeups`
   * (parks ended by a socket event) and `openResources` (open transports, servers, processes).
   */
  statistics(): Record<string, number | string | boolean> {
    const sel = this.selector.statistics();
    return {
      clock: this.kind,
      waits: this.#parking.parks,
      wakeups: this.#wakeups,
      registered: sel.registered!,
      selectorEvents: sel.events!,
      ioCallbacks: this.#ioCallbacks,
      ioWakeups: this.#ioWakeups,
      openResources: this.#resources.size,
    };
  }

  /** Hold the loop's outside source exactly while something is registered or open. */
  #syncSource(): void {
    const busy = this.selector.size > 0 || this.#resources.size > 0;
    if (busy === (this.#releaseSource !== null) || this.#host === null) return;
    if (busy) this.#releaseSource = this.#host.addSource(this.#source);
    else {
      const release = this.#releaseSource!;
      this.#releaseSource = null;
      release();
    }
  }
}
