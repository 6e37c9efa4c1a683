/**
 * Sync suite: queues and locks between tasks, against the Promise-based queue and mutex a user
 * would write without aioloop (baselines.ts).
 *
 * HOW: three scenarios, one batch each is a whole program on a fresh TimerLoop (runSync):
 *
 *   queue(64)   producer task ──put──► [ 64 slots ] ──get──► consumer task     M items
 *   queue(1)    the same with one slot: every item is a hand-off between the two tasks
 *   lock        4 tasks: acquire ─► give up the loop once ─► release, C times each
 *
 * WHY these shapes: a producer/consumer pair with a bounded queue is the commonest use of a
 * queue, and a size-1 queue isolates the wake-up path; the lock scenario yields while holding
 * the lock so that every acquire but the first of a round has to wait (real contention).
 * Targets are issue 12's (queues and locks that park tasks on themselves): Queue(64) at most
 * 0.5x the Promise queue, the Queue(1) hand-off at most 1.2x; the contended lock is shown for
 * information.
 */

import { type Coro, Lock, Queue, createTask } from "@aioloop/core";
import { PromiseMutex, PromiseQueue } from "../baselines.js";
import { TIMER_SYNC } from "../backends.js";
import { type Scenario, type Suite, type SuiteContext, atMost } from "../harness.js";

/** Tasks contending for the lock. */
const LOCK_WORKERS = 4;

/** Issue 12's targets, by queue size. */
const QUEUE_TARGETS: Readonly<Record<number, number>> = { 1: 1.2, 64: 0.5 };

function queueScenario(items: number, maxsize: number): Scenario {
  return {
    id: `sync.queue-${maxsize}`,
    title: `queue(${maxsize}) producer -> consumer task`,
    unit: "item",
    ops: items,
    metric: "wall",
    ours: {
      name: "aioloop Queue",
      run: () =>
        TIMER_SYNC.run(function* (): Coro<number> {
          const q = new Queue<number>(maxsize);
          const consumer = createTask(
            (function* (): Coro<number> {
              let s = 0;
              for (let i = 0; i < items; i++) s += yield* q.get();
              return s;
            })(),
          );
          for (let i = 0; i < items; i++) yield* q.put(i);
          return yield* consumer;
        }),
    },
    compare: [
      {
        name: "Promise queue",
        role: "baseline",
        target: atMost(QUEUE_TARGETS[maxsize] ?? 1.0),
        run: async () => {
          const q = new PromiseQueue<number>(maxsize);
          const consumer = (async () => {
            let s = 0;
            for (let i = 0; i < items; i++) s += await q.get();
            return s;
          })();
          for (let i = 0; i < items; i++) await q.put(i);
          return await consumer;
        },
      },
    ],
  };
}

function lockScenario(rounds: number): Scenario {
  return {
    id: "sync.lock-contention",
    title: `lock contention: ${LOCK_WORKERS} tasks, yield while holding`,
    unit: "acquire",
    ops: rounds * LOCK_WORKERS,
    metric: "wall",
    ours: {
      name: "aioloop Lock",
      run: () =>
        TIMER_SYNC.run(function* (): Coro<void> {
          const lock = new Lock();
          function* worker(): Coro<void> {
            for (let i = 0; i < rounds; i++) {
              yield* lock.acquire();
              yield;
              lock.release();
            }
          }
          const ts = [];
          for (let w = 0; w < LOCK_WORKERS; w++) ts.push(createTask(worker()));
          for (const t of ts) yield* t;
        }),
    },
    compare: [
      {
        name: "Promise mutex",
        role: "baseline",
        target: null,
        run: async () => {
          const m = new PromiseMutex();
          const worker = async () => {
            for (let i = 0; i < rounds; i++) {
              await m.acquire();
              await null;
              m.release();
            }
          };
          const ps = [];
          for (let w = 0; w < LOCK_WORKERS; w++) ps.push(worker());
          await Promise.all(ps);
        },
      },
    ],
  };
}

/** The sync suite. */
export const syncSuite: Suite = {
  area: "sync",
  title: "queue producer/consumer and lock contention",
  async open(ctx: SuiteContext) {
    const items = ctx.quick ? 1_000 : 20_000;
    const rounds = ctx.quick ? 200 : 5_000;
    return {
      scenarios: [queueScenario(items, 64), queueScenario(items, 1), lockScenario(rounds)],
      close: async () => {},
    };
  },
};
