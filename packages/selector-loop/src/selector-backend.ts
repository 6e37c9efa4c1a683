/**
 * SelectorBackend: the real clock plus a NodeSocketSelector, as the backend of SelectorLoop.
 *
 * HOW: one loop iteration asks the backend to `select(0)`; the backend polls the selector and
 * queues the reader/writer callback of every ready registration behind what is already ready
 * (asyncio's `_process_events`), then the loop moves due timers and runs the snapshot:
 *
 *   runOnce: ready callbacks │ select(0): I/O callbacks queued here │ due timers │ run snapshot
 *
 * When the loop has nothing to do it parks: a host timer for the next deadline, as
 * RealClockBackend does. A socket event while parked (the selector's `onReady`) wakes it as
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
 * Closing releases everything the loop opened: transports, servers and child processes
 * registered with `track`, then any socket still registered with the selector (destroyed).
 */

import type { Server, Socket } from "node:net";
import { RealClockBackend } from "@aioloop/timer-loop";
import { EVENT_READ, EVENT_WRITE, NodeSocketSelector, type SelectorKey } from "./selector.js";

/** A unit of work the loop can queue: a Handle, a Task, or a transport's read/write step. */
export interface Runnable {
  /**
   * Do the work once. Called by the loop's runOnce only, each time the unit was queued (for
   * an I/O registration: each iteration its object is ready, as asyncio's `_process_events`).
   */
  _run(): void;
}

/** What the loop keeps per registered object: asyncio's `(reader_handle, writer_handle)`. */
export interface IOCallbacks {
  /** Queued when the object is readable; null when only writing is watched. */
  reader: Runnable | null;
  /** Queued when the object is writable; null when only reading is watched. */
  writer: Runnable | null;
}

/** Something the loop must release when it closes (a transport, server or child process). */
export interface Closeable {
  /** Release at once, without calling back into the (closed) loop. */
  forceClose(): void;
}

/**
 * The backend of SelectorLoop: real clock, Node socket readiness, resource tracking.
 * @example
 * const loop = new SelectorLoop(); // creates one; see loop.statistics().backend
 */
export class SelectorBackend extends RealClockBackend {
  /**
   * Always false: Node delivers socket events only between host turns, so this backend never
   * blocks the thread, and `loop.runSync` is refused (use `run` or `runUntilComplete`).
   */
  override readonly canBlock: boolean = false;
  /** The readiness source; the loop registers sockets and servers here. */
  readonly selector = new NodeSocketSelector<IOCallbacks>();
  /** Invariant: every open transport, server and child process created on this loop. */
  readonly #resources = new Set<Closeable>();
  #ioCallbacks = 0;
  #ioWakeups = 0;
  readonly #queue = (key: SelectorKey<IOCallbacks>, events: number): void => {
    const cbs = key.data;
    const loop = this.loop!;
    if ((events & EVENT_READ) !== 0 && cbs.reader !== null) {
      loop._scheduleRunnable(cbs.reader);
      this.#ioCallbacks++;
    }
    if ((events & EVENT_WRITE) !== 0 && cbs.writer !== null) {
      loop._scheduleRunnable(cbs.writer);
      this.#ioCallbacks++;
    }
  };

  constructor() {
    super();
    this.selector.onReady = () => {
      // Parked with no immediate armed yet: resume after this Node turn's I/O is collected.
      if (this.resume !== null && this.immediate === null) {
        this.#ioWakeups++;
        this.resumeSoon();
      }
    };
  }

  /**
   * Host runs only (canBlock is false), so this never waits, and the wake word (which wakes a
   * thread blocked in runSync) is not involved: poll the selector, then the external sources.
   */
  override select(_timeoutMs: number): void {
    this.selector.pollEach(this.#queue);
    this.pollSources();
  }

  /**
   * Host runs: call `resume` once, after at most `timeoutMs` ms (the next timer's deadline;
   * Infinity: none) or as soon as a registered socket or server reports an event. A
   * registration still ready from the last poll (readiness is level-triggered) resumes at once.
   */
  override park(timeoutMs: number, resume: () => void): void {
    // A registration may still be ready (level-triggered): look again at once.
    super.park(this.selector.anyReady() ? 0 : timeoutMs, resume);
  }

  /**
   * True while a socket or server is registered with the selector, or a transport, server or
   * child process of this loop is open (or an external source is pending): something outside
   * the loop may still queue work, so waiting with nothing ready is not a deadlock.
   */
  override hasPendingIO(): boolean {
    return this.selector.size > 0 || this.#resources.size > 0 || super.hasPendingIO();
  }

  /** Release `r` when the loop closes (unless `untrack`ed first). */
  track(r: Closeable): void {
    this.#resources.add(r);
  }

  /** Forget `r` (it closed by itself), so closing the loop does not release it again. */
  untrack(r: Closeable): void {
    this.#resources.delete(r);
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
  override close(): void {
    super.close();
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
   * RealClockBackend's counters plus: `registered` (objects in the selector), `selectorEvents`
   * (Node socket events seen), `ioCallbacks` (reader/writer callbacks queued), `ioWakeups`
   * (parks ended by a socket event) and `openResources` (open transports, servers, processes).
   */
  override statistics(): Record<string, number | string | boolean> {
    const sel = this.selector.statistics();
    return {
      ...super.statistics(),
      registered: sel.registered!,
      selectorEvents: sel.events!,
      ioCallbacks: this.#ioCallbacks,
      ioWakeups: this.#ioWakeups,
      openResources: this.#resources.size,
    };
  }
}
