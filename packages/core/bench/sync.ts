/**
 * Speed and memory of core's synchronization primitives and queues, as ratios against a
 * straightforward Promise-based mutex and queue in the same process (medians of RUNS runs).
 * Run: `npx -y tsx@4.23.15 packages/core/bench/sync.ts`.
 *
 * Targets (issue 3): uncontended Lock acquire/release and Queue put/get pairs cost less than the
 * Promise versions (ratio < 1); 100k tasks blocked on one Event cost no more memory than the
 * tasks themselves hold, and set() wakes them all in one loop iteration.
 *
 * Note on module instances: TimerLoop's sources import the built `@aioloop/core` (dist), while
 * the primitives here come from core's sources, so there are two copies of the "running loop"
 * slot. `runBench` points the sources' slot at the same loop (what `runSync` does for the
 * built copy); everything else (Futures, Tasks) is shared through the loop's public API.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { TimerLoop } from "../../timer-loop/src/index.js";
import type { Coro } from "../src/coro.js";
import { _setRunningLoop, type EventLoop, getRunningLoop } from "../src/events.js";
import type { Future } from "../src/future.js";
import { Event, Lock } from "../src/locks.js";
import { Queue } from "../src/queues.js";
import { Semaphore } from "../src/semaphore.js";

const RUNS = 7;

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Run `main` as a task on a fresh virtual-clock TimerLoop and close it. */
function runBench<T>(main: () => Coro<T>): T {
  const loop = new TimerLoop({ clock: "virtual" });
  _setRunningLoop(loop as unknown as EventLoop);
  try {
    return loop.runSync(loop.createTask(main()));
  } finally {
    _setRunningLoop(null);
    loop.close();
  }
}

/** Median wall time (ms) of `ours` and `base`, alternating runs so drift hits both alike. */
async function pair(
  ours: () => unknown,
  base: () => Promise<unknown>,
): Promise<{ ours: number; base: number; ratio: number }> {
  ours();
  await base(); // warm-up
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    ours();
    const x = performance.now() - t0;
    t0 = performance.now();
    await base();
    const y = performance.now() - t0;
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  return { ours: median(a), base: median(b), ratio: median(ratios) };
}

function report(
  name: string,
  r: { ours: number; base: number; ratio: number },
  n: number,
  target: number | null,
): void {
  const ns = (ms: number) => ((ms * 1e6) / n).toFixed(1).padStart(7);
  const verdict = target === null ? "(info)" : r.ratio < target ? "ok" : "MISSED";
  console.log(
    `${name.padEnd(44)} ours ${ns(r.ours)} ns/op  promise ${ns(r.base)} ns/op  ratio ${r.ratio.toFixed(2)}  ${target === null ? "" : `target < ${target}  `}${verdict}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The Promise-based baselines: what one would write without aioloop.

/** A FIFO mutex over Promises: release() hands the lock straight to the next waiter. */
class PromiseMutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];
  acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}

/** A bounded FIFO queue over Promises (maxsize 0: unbounded). */
class PromiseQueue<T> {
  readonly #items: T[] = [];
  readonly #getters: (() => void)[] = [];
  readonly #putters: (() => void)[] = [];
  constructor(readonly maxsize = 0) {}
  async put(x: T): Promise<void> {
    while (this.maxsize > 0 && this.#items.length >= this.maxsize) {
      await new Promise<void>((r) => this.#putters.push(r));
    }
    this.#items.push(x);
    this.#getters.shift()?.();
  }
  async get(): Promise<T> {
    while (this.#items.length === 0) await new Promise<void>((r) => this.#getters.push(r));
    const x = this.#items.shift() as T;
    this.#putters.shift()?.();
    return x;
  }
}

// ---------------------------------------------------------------------------------------------

async function speed(): Promise<void> {
  const N = 1_000_000;

  report(
    "Lock acquire+release, uncontended",
    await pair(
      () =>
        runBench(function* () {
          const lock = new Lock();
          for (let i = 0; i < N; i++) {
            yield* lock.acquire();
            lock.release();
          }
        }),
      async () => {
        const m = new PromiseMutex();
        for (let i = 0; i < N; i++) {
          await m.acquire();
          m.release();
        }
      },
    ),
    N,
    1,
  );

  report(
    "Lock `using _ = yield* lock.hold()`, uncontended",
    await pair(
      () =>
        runBench(function* () {
          const lock = new Lock();
          for (let i = 0; i < N; i++) {
            using _ = yield* lock.hold();
          }
        }),
      async () => {
        const m = new PromiseMutex();
        for (let i = 0; i < N; i++) {
          await m.acquire();
          try {
            /* critical section */
          } finally {
            m.release();
          }
        }
      },
    ),
    N,
    null,
  );

  report(
    "Semaphore(4) acquire+release, uncontended",
    await pair(
      () =>
        runBench(function* () {
          const sem = new Semaphore(4);
          for (let i = 0; i < N; i++) {
            yield* sem.acquire();
            sem.release();
          }
        }),
      async () => {
        const m = new PromiseMutex();
        for (let i = 0; i < N; i++) {
          await m.acquire();
          m.release();
        }
      },
    ),
    N,
    null,
  );

  report(
    "Queue put+get pair, one task",
    await pair(
      () =>
        runBench(function* () {
          const q = new Queue<number>();
          let s = 0;
          for (let i = 0; i < N; i++) {
            yield* q.put(i);
            s += yield* q.get();
          }
          return s;
        }),
      async () => {
        const q = new PromiseQueue<number>();
        let s = 0;
        for (let i = 0; i < N; i++) {
          await q.put(i);
          s += await q.get();
        }
        return s;
      },
    ),
    N,
    1,
  );

  const M = 200_000;
  for (const maxsize of [1, 64]) {
    report(
      `Queue(${maxsize}) producer -> consumer task, per item`,
      await pair(
        () =>
          runBench(function* () {
            const loop = getRunningLoop();
            const q = new Queue<number>(maxsize);
            const consumer = loop.createTask(
              (function* () {
                let s = 0;
                for (let i = 0; i < M; i++) s += yield* q.get();
                return s;
              })(),
            );
            for (let i = 0; i < M; i++) yield* q.put(i);
            return yield* consumer;
          }),
        async () => {
          const q = new PromiseQueue<number>(maxsize);
          const consumer = (async () => {
            let s = 0;
            for (let i = 0; i < M; i++) s += await q.get();
            return s;
          })();
          for (let i = 0; i < M; i++) await q.put(i);
          return await consumer;
        },
      ),
      M,
      1,
    );
  }

  report(
    "(floor) the same hand-offs on bare Futures/Promises",
    await pair(
      () =>
        runBench(function* () {
          const loop = getRunningLoop();
          let box = loop.createFuture<number>();
          let ack = loop.createFuture<void>();
          const consumer = loop.createTask(
            (function* () {
              let s = 0;
              for (let i = 0; i < M; i++) {
                s += yield* box;
                const a = ack;
                ack = loop.createFuture<void>();
                a.setResult();
              }
              return s;
            })(),
          );
          yield; // the consumer parks on the first box
          for (let i = 0; i < M; i++) {
            const b = box;
            box = loop.createFuture<number>();
            b.setResult(i);
            yield* ack;
          }
          return yield* consumer;
        }),
      async () => {
        const deferred = <T>() => {
          let resolve!: (v: T) => void;
          const promise = new Promise<T>((r) => {
            resolve = r;
          });
          return { promise, resolve };
        };
        let box = deferred<number>();
        let ack = deferred<void>();
        const consumer = (async () => {
          let s = 0;
          for (let i = 0; i < M; i++) {
            s += await box.promise;
            const a = ack;
            ack = deferred<void>();
            a.resolve();
          }
          return s;
        })();
        for (let i = 0; i < M; i++) {
          const b = box;
          box = deferred<number>();
          b.resolve(i);
          await ack.promise;
        }
        return await consumer;
      },
    ),
    M,
    null,
  );

  const C = 200_000;
  report(
    "Lock hand-off between 2 tasks (contended)",
    await pair(
      () =>
        runBench(function* () {
          const loop = getRunningLoop();
          const lock = new Lock();
          function* worker(): Coro<void> {
            for (let i = 0; i < C; i++) {
              yield* lock.acquire();
              yield;
              lock.release();
            }
          }
          const a = loop.createTask(worker());
          const b = loop.createTask(worker());
          yield* a;
          yield* b;
        }),
      async () => {
        const m = new PromiseMutex();
        const worker = async () => {
          for (let i = 0; i < C; i++) {
            await m.acquire();
            await null;
            m.release();
          }
        };
        await Promise.all([worker(), worker()]);
      },
    ),
    2 * C,
    null,
  );
}

// ---------------------------------------------------------------------------------------------

/** Heap bytes per task for W tasks parked on `park(i)`, measured inside the loop after a GC. */
function heapPerWaiter(
  W: number,
  label: string,
  setup: () => { park: (i: number) => Coro<void>; wake: () => void; extra?: () => string },
): { bytes: number; iterations: number; woken: number; extra: string } {
  return runBench(function* () {
    const loop = getRunningLoop();
    const { park, wake, extra } = setup();
    let woken = 0;
    function* waiter(i: number): Coro<void> {
      yield* park(i);
      woken++;
    }
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < W; i++) loop.createTask(waiter(i), { name: label });
    yield; // every task runs its first step and parks
    gc();
    const after = process.memoryUsage().heapUsed;
    const extraInfo = extra ? extra() : "";
    const it0 = loop.statistics().iterations;
    wake();
    yield; // queued behind every woken task: they all ran in the iteration before this one
    const iterations = loop.statistics().iterations - it0;
    return { bytes: (after - before) / W, iterations, woken, extra: extraInfo };
  });
}

function memory(): void {
  const W = 100_000;
  const rows: {
    name: string;
    bytes: number[];
    iterations: number;
    woken: number;
    extra: string;
  }[] = [];
  const variants: [string, () => ReturnType<Parameters<typeof heapPerWaiter>[2]>][] = [
    [
      "each task on its own Future (no Event)",
      () => {
        const loop = getRunningLoop();
        const futs: Future<void>[] = new Array(W);
        return {
          park: function* (i) {
            const fut = loop.createFuture<void>();
            futs[i] = fut;
            yield* fut;
          },
          wake: () => {
            for (const f of futs) f.setResult();
          },
        };
      },
    ],
    [
      "every task on one Event",
      () => {
        const ev = new Event();
        return {
          park: function* () {
            yield* ev.wait();
          },
          wake: () => ev.set(),
          extra: () => `(event reports ${ev.statistics().waiters} waiters)`,
        };
      },
    ],
  ];
  for (const [name, setup] of variants) {
    const bytes: number[] = [];
    let last = { iterations: 0, woken: 0, extra: "" };
    for (let r = 0; r < 5; r++) {
      const { bytes: b, ...rest } = heapPerWaiter(W, name, setup);
      bytes.push(b);
      last = rest;
    }
    rows.push({ name, bytes, ...last });
  }
  const base = median(rows[0]!.bytes);
  for (const row of rows) {
    const b = median(row.bytes);
    console.log(
      `${W} tasks parked, ${row.name.padEnd(40)} ${b.toFixed(0).padStart(5)} B/task  (+${(b - base).toFixed(0)} B vs own Future)  wake: ${row.woken} woken in ${row.iterations} iteration${row.iterations === 1 ? "" : "s"} ${row.extra}`,
    );
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}; medians of ${RUNS} runs; ratio = ours / Promise version`);
  if (!process.argv.includes("--memory")) await speed();
  if (!process.argv.includes("--speed")) memory();
}

await main();
