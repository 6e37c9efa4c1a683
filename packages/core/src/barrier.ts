/**
 * Barrier: `parties` tasks wait until all of them have arrived, as asyncio.Barrier.
 *
 * HOW: asyncio's four-state machine, with a WaiterQueue woken on every state change in place of
 * asyncio's Condition (no lock is needed: nothing here holds state across a suspension, and
 * every task runs to its next suspension without interleaving).
 *
 *              last party arrives                    last task leaves
 *   filling ─────────────────────► draining ─────────────────────────► filling
 *      │  reset() while tasks wait                                        ▲
 *      ├──────────────────────────► resetting ── last task leaves ───────┤
 *      │  abort()                                                         │ reset()
 *      └──────────────────────────► broken ───────────────────────────────┘
 *
 *   wait(): while draining/resetting, wait (the previous round is still leaving); broken →
 *           BrokenBarrierError; take index = count++; the last party flips to draining and wakes
 *           everyone, the others wait while filling; leaving: count--, and the last one out ends
 *           draining/resetting.
 *
 * A task cancelled while it waits just leaves (count--): the barrier is not broken, as asyncio
 * (threading.Barrier breaks instead). `reset()` and `abort()` act at once and return an
 * already-finished awaitable, so both `barrier.abort()` and asyncio's `yield* barrier.abort()`
 * work.
 *
 * Costs: wait O(1) amortized per task plus O(parties) once per round to wake everyone.
 */

import { type Awaitable, type Coro, describe } from "./coro.js";
import { BrokenBarrierError } from "./errors.js";
import { getRunningLoop } from "./events.js";
import type { Future } from "./future.js";
import { InvalidArgumentError } from "./sync-errors.js";
import { WaiterQueue } from "./waiters.js";

/** The states of a Barrier (see the diagram at the top of barrier.ts). */
export type BarrierState = "filling" | "draining" | "resetting" | "broken";

/** What `Barrier.statistics()` reports. */
export interface BarrierStatistics {
  /** How many tasks must arrive to release a round (asyncio's `parties`). */
  parties: number;
  /** Tasks waiting for the barrier to fill (asyncio's `n_waiting`). */
  nWaiting: number;
  /** Where the barrier is in its cycle: see `BarrierState` (`broken` after `abort()`). */
  state: BarrierState;
  /** Tasks parked on the barrier now, for any reason (filling, or the previous round draining). */
  parked: number;
  /** Times the barrier filled and released its parties. */
  rounds: number;
}

/** An awaitable that is already finished: `yield*` on it returns at once without yielding. */
const FINISHED: Awaitable<void> = {
  [Symbol.iterator]: () => ({ next: () => ({ done: true, value: undefined }) }),
};

/**
 * A rendezvous for `parties` tasks: each `wait()` blocks until `parties` tasks are waiting, then
 * all return together, each with its arrival index (0 for the first, parties-1 for the last).
 * The barrier then refills for the next round.
 * @example
 * const barrier = new Barrier(3);
 * function* worker(): Coro<void> {
 *   yield* prepare();
 *   const i = yield* barrier.wait();   // all 3 prepared
 *   if (i === 0) console.log("all ready");
 * }
 */
export class Barrier {
  readonly #parties: number;
  #state: BarrierState = "filling";
  /** Invariant: tasks inside wait() that took an index and have not left yet (>= 0). */
  #count = 0;
  /** Every task parked on the barrier; woken (all of them) on every state change. */
  readonly #waiters = new WaiterQueue<void>();
  #rounds = 0;

  /** A barrier for `parties` tasks (a whole number >= 1). */
  constructor(parties: number) {
    if (typeof parties !== "number" || !Number.isSafeInteger(parties) || parties < 1) {
      throw new InvalidArgumentError(
        `Barrier(${describe(parties)}): parties must be a whole number >= 1`,
      );
    }
    this.#parties = parties;
  }

  /** How many tasks must call `wait()` to pass the barrier. */
  get parties(): number {
    return this.#parties;
  }

  /** Tasks waiting for the barrier to fill (0 while it drains, resets or is broken). */
  get nWaiting(): number {
    return this.#state === "filling" ? this.#count : 0;
  }

  /** True after `abort()` (until `reset()`). */
  get broken(): boolean {
    return this.#state === "broken";
  }

  /**
   * Wait until `parties` tasks are waiting; returns this task's arrival index. Throws
   * BrokenBarrierError when the barrier is (or becomes) broken or is reset while waiting.
   */
  *wait(): Coro<number> {
    // The previous round is still leaving (or being reset): wait for it.
    while (this.#state === "draining" || this.#state === "resetting") yield* this.#changed();
    if (this.#state === "broken") {
      throw new BrokenBarrierError(
        "Barrier.wait() on a broken barrier: it was aborted; call reset() before using it again",
      );
    }
    const index = this.#count++;
    try {
      if (index + 1 === this.#parties) {
        this.#rounds++;
        this.#setState("draining");
      } else {
        while (this.#state === "filling") yield* this.#changed();
        if (this.#state === "broken" || this.#state === "resetting") {
          throw new BrokenBarrierError(
            `Barrier.wait() interrupted: the barrier was ${this.#state === "broken" ? "aborted" : "reset"} while this task waited`,
          );
        }
      }
      return index;
    } finally {
      this.#count--;
      if (this.#count === 0) this.#lastOut();
    }
  }

  /**
   * Return the barrier to its empty, filling state. Tasks waiting now get BrokenBarrierError;
   * new arrivals wait until they have left. Acts at once; `yield*` on the result is optional.
   */
  reset(): Awaitable<void> {
    // Tasks still inside must leave first (they see "resetting" and throw); the last one out
    // sets "filling".
    this.#setState(this.#count > 0 ? "resetting" : "filling");
    return FINISHED;
  }

  /**
   * Break the barrier: waiting and future `wait()` calls throw BrokenBarrierError until
   * `reset()`. Acts at once; `yield*` on the result is optional.
   */
  abort(): Awaitable<void> {
    this.#setState("broken");
    return FINISHED;
  }

  /** Counters for monitoring and tests (`parked` is O(parked)). */
  statistics(): BarrierStatistics {
    return {
      parties: this.#parties,
      nWaiting: this.nWaiting,
      state: this.#state,
      parked: this.#waiters.pendingCount(),
      rounds: this.#rounds,
    };
  }

  /** A short description such as `<Barrier [filling, waiters:1/3]>`. */
  toString(): string {
    return `<Barrier [${this.#state}, waiters:${this.nWaiting}/${this.#parties}]>`;
  }

  /** The last task left the barrier: end a drain or reset, and let blocked arrivals in. */
  #lastOut(): void {
    switch (this.#state) {
      case "draining":
      case "resetting":
        this.#setState("filling");
        return;
      case "filling":
      case "broken":
        this.#waiters.wakeAll(undefined);
        return;
      default:
        exhaustive(this.#state);
    }
  }

  /** Move to `state` and wake every parked task so each re-checks the state. */
  #setState(state: BarrierState): void {
    this.#state = state;
    this.#waiters.wakeAll(undefined);
  }

  /** Park until the next state change (or the task is cancelled). */
  *#changed(): Coro<void> {
    const fut: Future<void> = this.#waiters.add(getRunningLoop());
    let resumed = false;
    try {
      yield* fut;
      resumed = true;
    } finally {
      // Every state change wakes every parked task: a woken-then-cancelled one owes nobody.
      if (!resumed) this.#waiters.abandon(fut);
    }
  }
}

function exhaustive(x: never): never {
  throw new Error(`unexpected barrier state ${String(x)}`);
}
