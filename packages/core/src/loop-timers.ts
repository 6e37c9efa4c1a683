/**
 * LoopTimers: BaseEventLoop's timers. TimerHandles (`callLater`, `callAt`) and sleeping tasks
 * share one TimerStore, so both fire in one exact deadline order.
 *
 * HOW, sleep: `sleep(ms)` inside a task files THE TASK in the store (no Future, no handle) and
 * the task yields PARK. When its deadline comes, the loop queues one shared waker entry in the
 * ready queue (where asyncio queues the sleep's timer callback) and the task in a FIFO here;
 * running the waker resumes the task, which therefore steps an iteration later, exactly as
 * asyncio's `futures._set_result_unless_cancelled` followed by the task's wake-up:
 *
 *   deadline due ─► ready: [… WAKER …]   fired: [task]   ─► WAKER._run ─► ready: [… task]
 *
 * Cancelling a sleeping task (`Task.cancel` calls `_unpark`) is O(1): the store kills the
 * task's slot, or (fired already) the FIFO skips it when its waker runs. A task's `_timerSlot` says where it is:
 *   >= 0  its slot in the store          -1  not here          -2  sleep(Infinity): no timer
 *   <= -3 fired, waiting for its waker at FIFO position -3 - slot
 */

import { describe } from "./coro.js";
import type { TimerHandle } from "./handle.js";
import type { Runnable } from "./host.js";
import { type Parking, type Task, _wakeParked } from "./task.js";
import { ChunkQueue } from "./ready-queue.js";
import { TimerStore } from "./timer-store.js";

/** `_timerSlot` of a task not filed here. */
export const NOT_SLEEPING = -1;
/** `_timerSlot` of a task in `sleep(Infinity)`: parked with no timer. */
export const SLEEPING_FOREVER = -2;
/**
 * The value a sleeping task is resumed with when its deadline came. A task resumed with anything
 * else was cancelled while it slept (Task.cancel resumes it), even if `uncancel()` took the
 * request back since: as asyncio's sleep, whose Future is cancelled at once, it must throw.
 */
export const SLEEP_WOKE: object = Object.freeze({ sleepWoke: true });
/** `_timerSlot` of a fired task is FIRED_BASE - (its FIFO position). */
const FIRED_BASE = -3;

/** The timers of one loop: TimerHandles and sleeping Tasks in one deadline order. */
export class LoopTimers extends TimerStore<TimerHandle | Task<unknown>> implements Parking {
  // Fired sleepers waiting for their waker, in firing order. A sleeper cancelled after it fired
  // stays in the queue and is skipped: an entry is live only while its task is still parked
  // here with the slot that names its position (#firedHead counts the positions taken out).
  #fired = new ChunkQueue<Task<unknown>>();
  #firedHead = 0;
  #firedTail = 0;
  /** The waker: one shared Runnable, queued once per fired sleeper. */
  readonly waker: Runnable;

  constructor() {
    super();
    const fired = (): void => this.#wakeNext();
    this.waker = { _run: fired, toString: () => "<sleep wake-up>" } as Runnable;
  }

  /** Files `task` to wake at `when` (a sleep of `ms` milliseconds). */
  sleep(task: Task<unknown>, when: number, ms: number): void {
    task._timerSlot = this.insertAfter(ms, when, task, ms);
  }

  /**
   * A sleeping task came due (popped from the store by the loop): queue it behind the waker the
   * loop puts in the ready queue.
   */
  fire(task: Task<unknown>): void {
    this.#fired.push(task);
    task._timerSlot = FIRED_BASE - this.#firedTail++;
  }

  /** The waker ran: resume the oldest fired sleeper (unless it was cancelled meanwhile). */
  #wakeNext(): void {
    if (this.#firedHead === this.#firedTail) return; // cleared by close()
    const p = this.#firedHead++;
    const task = this.#fired.shift();
    if (task._waitingOn === this && task._timerSlot === FIRED_BASE - p) {
      task._timerSlot = NOT_SLEEPING;
      _wakeParked(task, SLEEP_WOKE);
    }
  }

  /** Parking: the task was cancelled while sleeping. O(1). */
  _unpark(task: Task<unknown>): void {
    const s = task._timerSlot;
    task._timerSlot = NOT_SLEEPING;
    // A fired one stays in #fired, dead: its slot no longer names its position.
    if (s >= 0 && this.itemAt(s) === task) this.kill(s);
  }

  /** Parking: "sleep(10 ms)" for a DeadlockError or a close() report. */
  _describeParked(task: Task<unknown>): string {
    const s = task._timerSlot;
    if (s === SLEEPING_FOREVER) return "sleep(Infinity)";
    if (s >= 0 && this.itemAt(s) === task) return `sleep(${describe(this.tagOf(s))} ms)`;
    return s <= FIRED_BASE ? "sleep(…), done: resuming" : "sleep(…)";
  }

  /** Removes every timer and forgets the fired sleepers. */
  override clear(): void {
    super.clear();
    this.#fired.clear();
    this.#firedHead = this.#firedTail = 0;
  }
}
