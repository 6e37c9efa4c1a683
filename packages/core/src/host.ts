/**
 * The seam between a loop and its backend, and between the loop and outside work.
 *
 * HOW: a backend never sees the loop's insides. `BaseEventLoop` hands it one `LoopHost` in
 * `attach(host)`, and that object is everything a backend may do:
 *
 *                        ┌──────────────── BaseEventLoop ────────────────┐
 *   backend event ─────► │ host.schedule(r) / host.callSoon(cb)  → ready │
 *   (socket, timer,      │ host.hasReady()                               │
 *    thread, emitter)    │ host.addSource(src) → release()  ─► sources   │ ◄── libraries too:
 *                        │ host.holdsClock()                             │     loop.addOutsideSource
 *                        │ host.wakeWord  (WAKE_INDEX / WAKE_SET)        │     (files, fromPromise)
 *                        └───────────────────────────────────────────────┘
 *
 * *Outside sources* are the one way the loop learns that work may still arrive from outside it:
 * a socket or server, a worker job, a pending Promise, a signal handler, an event listener. While
 * none is registered, nothing is ready and no timer is set, no run can ever finish: every run
 * mode then throws `DeadlockError` instead of letting the host end the program in silence.
 * A source's `kind` says how its work arrives, which decides who may wait for it:
 *
 *   kind       delivers through                   runSync waits  virtual clock  host runs wait
 *   "thread"   another thread + the wake word,    yes            stands still   yes
 *              or the backend's own blocking
 *              select (an epoll set, a kqueue)
 *   "host"     the host's event loop (I/O)        no             stands still   yes
 *   "promise"  the host's event loop, but may     no             jumps          yes
 *              itself wait on this loop's timers
 *
 * Register a source as soon as the thing exists (the socket is opened, the job submitted), not
 * inside `select`: a busy loop with no source registered skips its zero-timeout `select`.
 *
 * The wake protocol: `loop.wakeWord` is one Int32 on a SharedArrayBuffer (null where the runtime
 * has none). Any thread that queued work for the loop does
 * `Atomics.store(w, WAKE_INDEX, WAKE_SET); Atomics.notify(w, WAKE_INDEX)`; a backend blocked in
 * `runSync` waits on it with `Atomics.wait(w, WAKE_INDEX, WAKE_IDLE, ms)` and stores WAKE_IDLE
 * once awake.
 *
 * The blocking protocol (asyncio's `_asyncio_future_blocking`): an awaitable that suspends on a
 * pending future yields `blockOn(fut)`. The Task parks on a future only when it was yielded that
 * way; a bare `yield fut` is the classic missing-`*` mistake and gets a clear error.
 *
 * Costs: `schedule` O(1); `addSource`/release O(1) (a Map entry per distinct source object,
 * counted, so one shared source object serves many registrations); the loop asks the sources
 * nothing on its hot path: it keeps a count per kind and polls only sources that have `poll`.
 */

import type { EventLoop } from "./events.js";
import type { Future } from "./future.js";

/** Index of the wake flag in a loop's `wakeWord`. */
export const WAKE_INDEX = 0;
/** The wake flag's value while nobody has asked the loop to wake. */
export const WAKE_IDLE = 0;
/** The wake flag's value once someone has asked the loop to wake (store it, then notify). */
export const WAKE_SET = 1;

/**
 * A unit of work the loop's ready queue holds: a Handle, a Task's next step, or a backend's own
 * object (an I/O registration, a transport's read step) scheduled with `host.schedule`. The
 * loop calls `_run()` exactly once per time the unit was scheduled, from `runOnce` only.
 * @example
 * const tick: Runnable = { _run: () => console.log("ran") };
 * host.schedule(tick);
 */
export interface Runnable {
  /** Do the work once; exceptions escaping it end the run, so catch and report your own. */
  _run(): void;
}

/**
 * How an outside source's work reaches the loop (see the table in this module's comment):
 * "thread" (another thread, through the wake word), "host" (the host's event loop: sockets,
 * child processes, signals, emitters), "promise" (the host's event loop, possibly after this
 * loop's own timers: a virtual clock does not wait for it).
 */
export type SourceKind = "thread" | "host" | "promise";

/**
 * Something outside the loop that may still deliver work to it. Register it with
 * `host.addSource(src)` (a backend) or `loop.addOutsideSource(src)` (a library) while it may
 * deliver, and call the returned release function once it cannot any more.
 * @example
 * const src: OutsideSource = { kind: "host", name: "bus 'message' listener" };
 * const release = loop.addOutsideSource(src);
 * bus.once("message", (m) => { release(); loop.callSoonThreadsafe(() => fut.setResult(m)); });
 */
export interface OutsideSource {
  /** How its work arrives, and so who may wait for it. */
  readonly kind: SourceKind;
  /** What it is, for `DeadlockError` messages and `loop.statistics()` ("worker job", "socket"). */
  readonly name: string;
  /**
   * Optional: queue whatever has arrived, without blocking. The loop calls it after every wait
   * of its backend (every iteration), in the loop's thread, while the source is registered.
   */
  poll?(): void;
  /**
   * Optional: the loop is closing while the source is still registered. Release or abandon the
   * work (close sockets, withdraw jobs) so nothing keeps the host alive. Do not call the loop.
   */
  loopClosing?(): void;
}

/**
 * What a backend may do with the loop that owns it: the one object it gets, in `attach(host)`.
 * The in-house backends use nothing else.
 */
export interface LoopHost {
  /** The loop itself, through its public interface (callSoon, time, callExceptionHandler, …). */
  readonly loop: EventLoop;
  /**
   * Queue `r` behind what is already ready (it runs in this or the next iteration, never
   * inline). Wakes a parked loop. Allocates nothing.
   */
  schedule(r: Runnable): void;
  /** Whether anything is queued to run now. */
  hasReady(): boolean;
  /**
   * Register an outside source; returns its release function (idempotent). The same object may
   * be registered several times: it stays registered until each registration is released.
   */
  addSource(src: OutsideSource): () => void;
  /**
   * Whether a registered source holds the clock still (any "thread" or "host" source): a
   * virtual clock then waits for real instead of jumping.
   */
  holdsClock(): boolean;
  /**
   * How many outside sources are registered now (yours included): O(1), for a hot path such as
   * "may another thread end this blocking wait?" (`loop.statistics()` counts tasks too: dear).
   */
  sourceCount(): number;
  /**
   * The wake word (see WAKE_INDEX), or null when the runtime has no SharedArrayBuffer. A
   * blocking backend waits on it; `wakeup()` sets it.
   */
  readonly wakeWord: Int32Array | null;
}

/**
 * The blocking protocol (asyncio's `_asyncio_future_blocking`): mark the pending `fut` as the
 * one this coroutine suspends on, and return it for yielding. Write your own awaitable's
 * iterator (or an inlined wait in a hot path) as `yield blockOn(fut)`; the Task then parks until
 * `fut` is done and resumes the generator, which reads `fut.result()`. `yield* fut` does this
 * for you.
 * @example
 * function* readChunk(this: Reader): Coro<Uint8Array> {
 *   while (this.buffer.length === 0) {
 *     const fut = (this.waiter = getRunningLoop().createFuture<void>());
 *     yield blockOn(fut); // the same as `yield* fut`, one delegation level less
 *     fut.result();       // rethrows CancelledError if the wait was cancelled
 *   }
 *   return this.buffer.shift()!;
 * }
 */
export function blockOn<T>(fut: Future<T>): Future<unknown> {
  fut._blocking = true;
  return fut as Future<unknown>;
}
