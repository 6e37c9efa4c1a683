/**
 * The backend contract: what a loop needs from the outside world (time and waiting).
 *
 * HOW: `BaseEventLoop` owns the ready queue, the timer heap, tasks and callbacks; a backend
 * supplies only the clock and the waiting, in two shapes because JavaScript hosts differ:
 *
 *   runSync (blocking)        runUntilComplete / runForever (host-driven)
 *   ──────────────────        ───────────────────────────────────────────
 *   select(timeout) blocks    park(timeout, resume) returns at once; the backend calls
 *   the thread (Atomics.wait, resume() later, from the host's event loop (a host timer, an
 *   a poll) and queues I/O    I/O callback, a wakeup); the loop then runs its iterations
 *   callbacks                 with select(0), which collects what arrived meanwhile
 *
 * Trio's I/O manager has five methods (wait for events, process them, wake up, close,
 * statistics); this has those plus the clock. A backend that cannot block declares
 * `canBlock = false` and its loop refuses `runSync` with a clear error.
 *
 * Invariants the loop relies on: `time()` never goes backwards; `select` and `park` queue
 * callbacks only through the loop (`callSoon`/`_scheduleRunnable`), never run them.
 */

import type { BaseEventLoop } from "./base-loop.js";

/** A loop backend: the clock and the waiting. See `docs/write-a-backend.md`. */
export interface Backend {
  /** Called once by the loop that owns this backend, before any other method. */
  attach(loop: BaseEventLoop): void;
  /** The loop's clock in milliseconds; monotonic. */
  time(): number;
  /** Timers due within this many ms of now fire together (the clock's resolution). */
  readonly resolution: number;
  /** Whether `select` may block the calling thread (needed by `runSync`). */
  readonly canBlock: boolean;
  /**
   * Collect events: wait up to `timeoutMs` (0 polls; Infinity waits until an event or a
   * wakeup), then queue the callback of every ready event on the loop. Called with 0 only,
   * unless `canBlock`.
   */
  select(timeoutMs: number): void;
  /**
   * Host-driven runs: arrange for `resume()` to be called once, after at most `timeoutMs`
   * (Infinity: no deadline) or as soon as an event or a wakeup arrives. Must not block and must
   * not call `resume` synchronously.
   */
  park(timeoutMs: number, resume: () => void): void;
  /** Drop a pending `park` without calling `resume` (the loop stopped or closed). */
  unpark(): void;
  /** Make a blocked `select` or a pending `park` return now. */
  wakeup(): void;
  /** Whether anything outside the loop (sockets, workers) may still queue work. */
  hasPendingIO(): boolean;
  /** Release everything (timers, sockets, threads); the loop is closing. */
  close(): void;
  /** Counters for `loop.statistics().backend`. */
  statistics(): Record<string, number | string | boolean>;
}
