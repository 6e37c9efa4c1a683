/**
 * `timeout` and `timeoutAt`: a deadline around a block of code, as asyncio 3.13's
 * `async with asyncio.timeout(...)`. The block is a body function run in the current task.
 *
 * HOW: entering records the task and its `cancelling()` count and schedules a timer. When the
 * timer fires it cancels the task (a plain `task.cancel()`): the body sees CancelledError at
 * the `yield*` it is suspended on. On the way out, a timeout that fired takes its cancellation
 * back with `uncancel()`; if that leaves no newer cancel request than the one it found on entry,
 * the CancelledError was its own and becomes `TimeoutError`. Otherwise (someone else cancelled
 * the task too, e.g. an enclosing timeout) the CancelledError goes on, and the enclosing scope
 * decides. So nested timeouts each claim only their own expiry and the task is never left with
 * a stray cancel request.
 *
 *   created ──enter──► active ──timer fires: task.cancel()──► expiring ──exit──► expired
 *                        │                                                   (TimeoutError if
 *                        └──────────────exit──────────────► finished          it was ours)
 *
 * A deadline at or before `loop.time()` fires through `callSoon`, so `timeout(0, body)` runs
 * the body up to its first suspension and expires there.
 *
 * WHY: cancellation-based deadlines compose (a timeout inside a task group inside a timeout)
 * because every scope does its own `cancelling()` bookkeeping; written against the public
 * Task API only (`cancel`, `cancelling`, `uncancel`), so it works on every loop.
 * Costs: one timer per scope (O(log n) to schedule, O(1) to cancel); `reschedule` the same.
 */

import { type Coro, describe } from "./coro.js";
import { CancelledError, InvalidStateError, TimeoutError } from "./errors.js";
import { type EventLoop, getRunningLoop } from "./events.js";
import type { Handle } from "./handle.js";
import { type Task, currentTask } from "./task.js";
import { coro } from "./coro-fn.js";

/** The states of a Timeout (asyncio's `_State`). */
export type TimeoutState = "created" | "active" | "expiring" | "expired" | "finished";

/** What `Timeout.statistics()` reports. */
export interface TimeoutStatistics {
  /** Where the timeout is in its life: see `TimeoutState`. */
  state: TimeoutState;
  /** The deadline in loop time (ms), or null for none. */
  when: number | null;
  /** How many times the deadline was moved with `reschedule`. */
  reschedules: number;
}

/**
 * A deadline around a body, handed to the body by `timeout`/`timeoutAt`. Move it with
 * `reschedule`, read it with `when`, and ask `expired()` whether it fired.
 */
export class Timeout {
  /** Invariant: "active" or "expiring" exactly while the body runs. */
  #state: TimeoutState = "created";
  #when: number | null;
  /** Invariant: non-null only while active with a finite deadline. */
  #handle: Handle | null = null;
  #task: Task<unknown> | null = null;
  #loop: EventLoop | null = null;
  /** The task's `cancelling()` on entry: exit claims the cancel only if nothing newer is left. */
  #cancellingOnEntry = 0;
  #reschedules = 0;

  /** @internal Made by `timeout` / `timeoutAt`. */
  constructor(when: number | null) {
    this.#when = when;
  }

  /** The deadline in loop time (ms, see `loop.time()`), or null when there is none. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Move the deadline to `when` (loop time in ms), or remove it with null. Only while the body
   * runs and the timeout has not fired.
   * @example
   * yield* timeout(1000, function* (t) {
   *   yield* connect();
   *   t.reschedule(getRunningLoop().time() + 5000); // connected: allow 5 s for the rest
   *   yield* transfer();
   * });
   */
  reschedule(when: number | null): void {
    switch (this.#state) {
      case "active":
        break;
      case "created":
        throw new InvalidStateError(
          "reschedule() on a Timeout that has not been entered: call it from the body of timeout()/timeoutAt()",
        );
      case "expiring":
      case "expired":
      case "finished":
        throw new InvalidStateError(
          `reschedule() on a ${this.#state} Timeout: a timeout can be moved only while its body runs and before it fires`,
        );
    }
    checkWhen(when, "reschedule");
    this.#reschedules++;
    this.#schedule(when);
  }

  /** True once the deadline passed while the body ran (whether or not it became TimeoutError). */
  expired(): boolean {
    return this.#state === "expiring" || this.#state === "expired";
  }

  /** Counters for monitoring and tests. */
  statistics(): TimeoutStatistics {
    return { state: this.#state, when: this.#when, reschedules: this.#reschedules };
  }

  /** A short description such as `<Timeout [active] when=1500>`. */
  toString(): string {
    const when = this.#state === "active" && this.#when !== null ? ` when=${this.#when}` : "";
    return `<Timeout [${this.#state}]${when}>`;
  }

  /** @internal Start: record the task and its cancel count, schedule the deadline. */
  _enter(loop: EventLoop): void {
    if (this.#state !== "created") {
      throw new InvalidStateError("this Timeout has already been entered: make a new one");
    }
    const task = currentTask();
    if (task === null) {
      throw new InvalidStateError(
        "timeout() must run inside a task: use it from a coroutine run by the loop, not from a plain callback",
      );
    }
    this.#state = "active";
    this.#task = task;
    this.#loop = loop;
    this.#cancellingOnEntry = task.cancelling();
    this.#schedule(this.#when);
  }

  /**
   * @internal End: drop the timer; if the deadline fired, take its cancel back and, when the
   * body ended with that CancelledError, throw TimeoutError instead.
   */
  _exit(failed: boolean, error: unknown): void {
    this.#handle?.cancel();
    this.#handle = null;
    switch (this.#state) {
      case "expiring": {
        this.#state = "expired";
        const left = this.#task!.uncancel();
        if (left <= this.#cancellingOnEntry && failed && error instanceof CancelledError) {
          throw new TimeoutError(
            `the timeout (deadline ${this.#when} ms loop time) passed before the body finished`,
            { cause: error },
          );
        }
        break;
      }
      case "active":
        this.#state = "finished";
        break;
      case "created":
      case "expired":
      case "finished":
        throw new InvalidStateError(`exit of a ${this.#state} Timeout`);
    }
    this.#task = null;
  }

  #schedule(when: number | null): void {
    this.#when = when;
    this.#handle?.cancel();
    this.#handle = null;
    if (when === null || when === Number.POSITIVE_INFINITY) return;
    const loop = this.#loop!;
    this.#handle =
      when <= loop.time()
        ? loop.callSoon(() => this.#onTimeout())
        : loop.callAt(when, () => this.#onTimeout());
  }

  #onTimeout(): void {
    this.#handle = null;
    if (this.#state !== "active") return;
    this.#task!.cancel();
    this.#state = "expiring";
  }
}

function checkWhen(when: unknown, where: string): void {
  if (when === null) return;
  if (typeof when !== "number" || Number.isNaN(when)) {
    throw new RangeError(
      `${where}: the deadline must be a loop time in ms (see loop.time()), Infinity or null for none, got ${describe(
        when,
      )}`,
    );
  }
}

function checkBody(body: unknown, where: string): void {
  if (typeof body !== "function") {
    throw new TypeError(
      `${where} needs a body function, \`function* (t) { ... }\`, as its second argument, got ${describe(body)}`,
    );
  }
}

/**
 * Run `body` with a deadline `ms` milliseconds from when it starts, as `async with
 * asyncio.timeout(...)`: if the deadline passes while the body is suspended, the body is
 * cancelled and `TimeoutError` is thrown here. `ms` null means no deadline (it can still be
 * set later with `t.reschedule`). Other errors pass through unchanged.
 * @example
 * try {
 *   const data = yield* timeout(5_000, function* () {
 *     return yield* download(url);
 *   });
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("gave up after 5 s"); else throw e;
 * }
 */
export function timeout<T>(ms: number | null, body: (t: Timeout) => Coro<T>): Coro<T> {
  if (ms !== null && (typeof ms !== "number" || Number.isNaN(ms))) {
    throw new RangeError(
      `timeout: the delay must be a number of milliseconds or null for none, got ${describe(ms)}`,
    );
  }
  checkBody(body, "timeout");
  return runWithin(ms === null ? null : { delay: ms }, body);
}

/**
 * As `timeout`, with the deadline given as a loop time (`getRunningLoop().time() + ms`), as
 * `asyncio.timeout_at`. A deadline already passed expires at the body's first suspension.
 * @example
 * const loop = getRunningLoop();
 * const deadline = loop.time() + 10_000;      // one deadline for several steps
 * yield* timeoutAt(deadline, function* () { yield* step1(); });
 * yield* timeoutAt(deadline, function* () { yield* step2(); });
 */
export function timeoutAt<T>(when: number | null, body: (t: Timeout) => Coro<T>): Coro<T> {
  checkWhen(when, "timeoutAt");
  checkBody(body, "timeoutAt");
  return runWithin(when === null ? null : { at: when }, body);
}

type Deadline = { delay: number } | { at: number } | null;

const runWithin = coro(function* runWithin<T>(
  deadline: Deadline,
  body: (t: Timeout) => Coro<T>,
): Coro<T> {
  const loop = getRunningLoop();
  let when: number | null = null;
  if (deadline !== null) {
    // The delay counts from the start of the body (the first step of this coroutine).
    when = "delay" in deadline ? loop.time() + deadline.delay : deadline.at;
  }
  const t = new Timeout(when);
  t._enter(loop);
  let exited = false;
  try {
    return yield* body(t);
  } catch (e) {
    exited = true;
    t._exit(true, e);
    throw e;
  } finally {
    // Normal return, or the coroutine was closed with return(): leave without an error.
    if (!exited) t._exit(false, undefined);
  }
});
