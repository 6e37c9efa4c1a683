/**
 * Barrier: `parties` tasks wait until all of them have arrived, as asyncio.Barrier.
 *
 * HOW: asyncio's four-state machine, with a WaiterList woken on every state change in place of
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
 * Costs: wait O(1) per task plus O(parties) once per round to wake everyone; a wait parks its
 * task on one small object (a Park, see waiters.ts), reused from the last wait that finished.
 */

import { type Awaitable, type Coro, describe } from "./coro.js";
import { BrokenBarrierError } from "./errors.js";
import { InvalidArgumentError } from "./sync-errors.js";
import { Lazy, Park, START, type WaitKind, WaiterList } from "./waiters.js";

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
  /** @internal Every task parked on the barrier; woken (all of them) on every state change. */
  readonly _waiters = new WaiterList("<Barrier wait>");
  /** The reusable coroutine object of `wait()` (see waiters.ts: Lazy). */
  #wait: Lazy<Barrier, undefined, number> | null = null;
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
  wait(): Coro<number> {
    let h = this.#wait;
    if (h === null || h._out) h = this.#wait = new Lazy(this, WAIT);
    return h._handOut(undefined);
  }

  /**
   * @internal One look at the barrier for `w` (at its first step and after every wake-up):
   * true when `w` passes (its index in `value`), false to park until the next state change.
   */
  _pass(w: BarrierWait): boolean {
    if (w._index < 0) {
      // The previous round is still leaving (or being reset): wait for it.
      if (this.#state === "draining" || this.#state === "resetting") return false;
      if (this.#state === "broken") {
        throw new BrokenBarrierError(
          "Barrier.wait() on a broken barrier: it was aborted; call reset() before using it again",
        );
      }
      w._index = this.#count++;
      if (w._index + 1 === this.#parties) {
        this.#rounds++;
        this.#setState("draining");
        return this._out(w);
      }
    }
    if (this.#state === "filling") return false;
    const state = this.#state;
    this._out(w);
    if (state === "broken" || state === "resetting") {
      throw new BrokenBarrierError(
        `Barrier.wait() interrupted: the barrier was ${state === "broken" ? "aborted" : "reset"} while this task waited`,
      );
    }
    return true;
  }

  /** @internal `w` leaves (passing, failing or cancelled); the last one out ends the round. */
  _out(w: BarrierWait): true {
    w.value = w._index;
    if (w._index >= 0) {
      w._index = -2; // out: never counted twice
      this.#count--;
      if (this.#count === 0) this.#lastOut();
    }
    return true;
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
      parked: this._waiters.pendingCount(),
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
        this._waiters.wakeAll();
        return;
      default:
        exhaustive(this.#state);
    }
  }

  /** Move to `state` and wake every parked task so each re-checks the state. */
  #setState(state: BarrierState): void {
    this.#state = state;
    this._waiters.wakeAll();
  }
}

/**
 * `barrier.wait()`: a Park that re-checks the barrier on every wake-up (Barrier._pass). Every
 * state change wakes every parked task, so a woken-then-cancelled one owes nobody; one that
 * already took an index leaves the count when it goes.
 */
class BarrierWait extends Park<number> {
  readonly #barrier: Barrier;
  /** @internal The arrival index once counted in; -1 before, -2 once out. */
  _index = -1;
  constructor(barrier: Barrier) {
    super();
    this.#barrier = barrier;
  }
  _attempt(): boolean {
    return this.#barrier._pass(this);
  }
  _resumed(): boolean {
    return this.#barrier._pass(this);
  }
  _leave(_woken: boolean): void {
    this.#barrier._out(this);
  }
  _waiters(): WaiterList {
    return this.#barrier._waiters;
  }
  override _rearm(_arg: unknown): void {
    this._index = -1;
  }
}

/** `barrier.wait()`'s steps for its reusable coroutine object: the op does every check. */
const WAIT: WaitKind<Barrier, undefined, number> = {
  now: () => START,
  op: (barrier) => new BarrierWait(barrier),
};

function exhaustive(x: never): never {
  throw new Error(`unexpected barrier state ${String(x)}`);
}
