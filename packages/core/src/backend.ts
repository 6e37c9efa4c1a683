/**
 * The backend contract: what a loop needs from the outside world (time and waiting).
 *
 * HOW: `BaseEventLoop` owns the ready queue, the timers, tasks, callbacks and the outside
 * sources; a backend supplies only the clock and the waiting, in two shapes because JavaScript
 * hosts differ:
 *
 *   runSync (blocking)        runUntilComplete / runForever (host-driven)
 *   ──────────────────        ───────────────────────────────────────────
 *   select(timeout) blocks    park(timeout, resume) returns at once; the backend calls
 *   the thread (Atomics.wait  resume() later, from the host's event loop (a host timer, an
 *   on host.wakeWord, a       I/O callback, a wakeup); the loop then runs its iterations
 *   poll) and queues I/O      with select(0), which collects what arrived meanwhile
 *   callbacks
 *
 * Trio's I/O manager has five methods (wait for events, process them, wake up, close,
 * statistics); this has those plus the clock. A backend that cannot block declares
 * `canBlock = false` and its loop refuses `runSync` with a clear error.
 *
 * The loop gives the backend one object, the `LoopHost` (host.ts), in `attach`: it queues work
 * with `host.schedule`/`host.loop.callSoon`, registers what may still deliver work with
 * `host.addSource` (that is how the loop tells waiting from deadlock), and waits on
 * `host.wakeWord`. A backend uses nothing else of the loop.
 *
 * Invariants the loop relies on: `time()` never goes backwards; `select` and `park` queue
 * callbacks only through the host, never run them.
 */

import type { LoopHost } from "./host.js";

/** A loop backend: the clock and the waiting. See `docs/write-a-backend.md`. */
export interface Backend {
  /** Called once by the loop that owns this backend, before any other method. */
  attach(host: LoopHost): void;
  /** The loop's clock in milliseconds; monotonic. */
  time(): number;
  /** Timers due within this many ms of now fire together (the clock's resolution). */
  readonly resolution: number;
  /** Whether `select` may block the calling thread (needed by `runSync`). */
  readonly canBlock: boolean;
  /**
   * Collect events: wait up to `timeoutMs` (0 polls; Infinity waits until an event or a
   * wakeup), then queue the callback of every ready event on the loop. Called with 0 only,
   * unless `canBlock`. The loop polls its outside sources right after. While no outside source
   * is registered (`host.addSource`) and work is ready, the loop skips the zero-timeout call:
   * register a source for whatever may still deliver events (sockets, listeners).
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
  /** Release everything (timers, sockets, threads); the loop is closing. */
  close(): void;
  /** Counters for `loop.statistics().backend`. */
  statistics(): Record<string, number | string | boolean>;
}
