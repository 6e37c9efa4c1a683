/**
 * Tasks suite: the costs every coroutine program pays (switching, awaiting, spawning, joining,
 * cancelling, deep `yield*` chains, event fan-out), against async/await and against Effection
 * and co, which drive generators too.
 *
 * HOW: each scenario is a batch of `ops` operations written four ways that do the same job:
 *
 *   scenario         aioloop                      native                       effection / co
 *   switch           yield* sleep(0)              await null                   until(resolved) / yield resolved
 *   bare yield       yield                        await null                   until(resolved) / -
 *   done future      yield* doneFuture            await resolvedPromise        yield* resolvedOp / yield resolved
 *   spawn + join     createTask(child(i))         async closure + Promise.all  spawn(closure) / yield [gens]
 *   (fresh fn, info) createTask((function*(){})()) async closure; bare V8 floor
 *   task sleeps      createTask + sleep(ms) once  await new Promise(setTimeout) spawn + sleep(ms) / -
 *   gather 10k       gather(coros)                Promise.all(calls)           all(ops) / yield [gens]
 *   cancel 10k       task.cancel()                AbortController.abort()      task.halt() / (none)
 *   deep chains      (chains.ts: depth 1, 10, 100, plain and coro() styles)
 *   events           Queue per listener level     addEventListener chain       on() + each() / (none)
 *   tracing off      tracer null                  tracer with no hooks         TraceRecorder (scale)
 *
 * Targets are issue 12's. The deep chain and events scenarios are the "recursion" and "events"
 * scenarios of Effection's own benchmarks (depth 100, 100 awaits or 100 events), rewritten here.
 * The switch and spawn scenarios also run on every backend (timer-loop runSync and run(),
 * selector-loop run()).
 *
 * WHY `await null` as the switch baseline: it is the cheapest way native code gives up control
 * (one microtask); a loop iteration is heavier by nature, which is exactly what the ratio shows.
 */

import {
  CancelledError,
  type Coro,
  type Future,
  type LoopTracer,
  Queue,
  TraceRecorder,
  createTask,
  gather,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { setTimeout as sleepNative } from "node:timers/promises";
import co from "co";
import {
  type Operation,
  all as effAll,
  each,
  on,
  run as effRun,
  sleep as effSleep,
  spawn as effSpawn,
  until,
  withResolvers,
} from "effection";
import { BACKENDS, type BackendRunner, TIMER_SYNC } from "../backends.js";
import { randomDelays } from "../delays.js";
import {
  AHEAD,
  type Comparison,
  type Contender,
  type Scenario,
  type Suite,
  type SuiteContext,
  atMost,
} from "../harness.js";
import { pythonComparisons } from "../python.js";
import { chainScenarios } from "./chains.js";

/** Batch sizes: big enough that a batch is far above the timer's grain, small enough for many. */
interface Sizes {
  readonly switches: number;
  readonly spawns: number;
  readonly sleeps: number;
  readonly gather: number;
  readonly cancel: number;
  readonly eventDepth: number;
  readonly events: number;
}

const FULL_SIZES: Sizes = {
  switches: 20_000,
  spawns: 100_000,
  sleeps: 200_000,
  gather: 10_000,
  cancel: 10_000,
  eventDepth: 100,
  events: 100,
};

const QUICK_SIZES: Sizes = {
  switches: 1_000,
  spawns: 1_000,
  sleeps: 2_000,
  gather: 500,
  cancel: 500,
  eventDepth: 10,
  events: 10,
};

/**
 * Effection spawns cost about a thousand times what ours or native ones do; its batches in the
 * spawn, gather and cancel scenarios are this many times smaller so that its samples take
 * seconds rather than minutes (its per-task cost does not depend on the batch size).
 */
const EFFECTION_BATCH_DIVISOR = 10;
/** The same for the 100k spawn and 200k sleep batches (a thousandth would still take a second). */
const EFFECTION_BIG_BATCH_DIVISOR = 100;

/** A timeout far beyond any batch: the cancellation scenario's sleepers never wake on their own. */
const NEVER_MS = 1e9;

const RESOLVED: Promise<number> = Promise.resolve(1);

// ── switch ─────────────────────────────────────────────────────────────────────────────────

function switchScenarios(n: number, py: Comparison[]): Scenario[] {
  const native: Comparison = {
    name: "await null",
    role: "baseline",
    target: atMost(1.0),
    run: async () => {
      for (let i = 0; i < n; i++) await null;
    },
  };
  const peers: Comparison[] = [
    {
      name: "effection until(resolved)",
      role: "peer",
      target: AHEAD,
      run: () =>
        effRun(function* (): Operation<void> {
          for (let i = 0; i < n; i++) yield* until(RESOLVED);
        }),
    },
    {
      name: "co yield resolved",
      role: "peer",
      target: AHEAD,
      run: () =>
        co(function* () {
          for (let i = 0; i < n; i++) yield RESOLVED;
        }),
    },
    ...py,
  ];
  const sleep0 = BACKENDS.map(
    (b): Scenario => ({
      id: `tasks.switch-sleep0${b.idSuffix}`,
      title: `task switch: yield* sleep(0) [${b.name}]`,
      unit: "switch",
      ops: n,
      metric: "wall",
      ours: ours(b, function* () {
        for (let i = 0; i < n; i++) yield* sleep(0);
      }),
      compare: b === TIMER_SYNC ? [native, ...peers] : [native],
    }),
  );
  const bare: Scenario = {
    id: "tasks.switch-bare-yield",
    title: `task switch: bare yield [${TIMER_SYNC.name}]`,
    unit: "switch",
    ops: n,
    metric: "wall",
    ours: ours(TIMER_SYNC, function* () {
      for (let i = 0; i < n; i++) yield;
    }),
    compare: [{ ...native, target: atMost(0.7) }, peers[0]!],
  };
  return [...sleep0, bare];
}

/** Our side of a scenario on one backend (skipped when the backend is missing). */
function ours(b: BackendRunner, main: () => Coro<unknown>): Contender {
  if (b.skip !== undefined) return { name: "aioloop", skip: b.skip };
  return { name: "aioloop", run: () => b.run(main) };
}

// ── done future ────────────────────────────────────────────────────────────────────────────

function doneFutureScenario(n: number): Scenario {
  return {
    id: "tasks.done-future",
    title: "await of a done future",
    unit: "await",
    ops: n,
    metric: "wall",
    ours: ours(TIMER_SYNC, function* () {
      const fut = getRunningLoop().createFuture<number>();
      fut.setResult(1);
      let s = 0;
      for (let i = 0; i < n; i++) s += yield* fut;
      return s;
    }),
    compare: [
      {
        name: "await resolved promise",
        role: "baseline",
        target: atMost(1.0),
        run: async () => {
          let s = 0;
          for (let i = 0; i < n; i++) s += await RESOLVED;
          return s;
        },
      },
      {
        name: "effection resolved withResolvers",
        role: "peer",
        target: AHEAD,
        run: () =>
          effRun(function* (): Operation<number> {
            const r = withResolvers<number>();
            r.resolve(1);
            let s = 0;
            for (let i = 0; i < n; i++) s += yield* r.operation;
            return s;
          }),
      },
      {
        name: "co yield resolved",
        role: "peer",
        target: AHEAD,
        run: () =>
          co(function* () {
            let s = 0;
            for (let i = 0; i < n; i++) s += (yield RESOLVED) as number;
            return s;
          }),
      },
    ],
  };
}

// ── spawn + join, gather ───────────────────────────────────────────────────────────────────

/** A task body that closes over its argument, as `handle(conn)` does: one function, a generator per call. */
function* spawnChild(i: number): Coro<number> {
  return i;
}

/**
 * Spawn + join with a closure per task, as real code spawns (`createTask(handle(conn))`: the
 * coroutine closes over its arguments, like the native side's `(async () => i)()`). The target
 * rows use that shape on every backend.
 *
 * A second row, for information, spawns a generator of a FRESH generator function per task
 * (`createTask((function* () { … })())`). V8 gives every generator function its own prototype
 * object and hidden class, made the first time it is called: creating and running such a
 * generator costs about five times an async closure with no scheduler at all, so that row also
 * shows this floor (create + run each generator in a plain loop) and our ratio to it.
 */
/** Effection's side of spawnChild. */
function* effSpawnChild(i: number): Operation<number> {
  return i;
}

function spawnScenarios(b: number): Scenario[] {
  const eb = Math.max(1, Math.floor(b / EFFECTION_BIG_BATCH_DIVISOR));
  const native: Comparison = {
    name: "async closure + Promise.all",
    role: "baseline",
    target: atMost(1.5),
    run: async () => {
      const ps = new Array<Promise<number>>(b);
      for (let i = 0; i < b; i++) ps[i] = (async () => i)();
      let s = 0;
      for (const v of await Promise.all(ps)) s += v;
      return s;
    },
  };
  const peers: Comparison[] = [
    {
      name: `effection spawn + yield* task (batches of ${eb})`,
      role: "peer",
      target: AHEAD,
      ops: eb,
      run: () =>
        effRun(function* (): Operation<number> {
          const ts = [];
          for (let i = 0; i < eb; i++) {
            ts.push(yield* effSpawn(() => effSpawnChild(i)));
          }
          let s = 0;
          for (const t of ts) s += yield* t;
          return s;
        }),
    },
    {
      name: "co yield [generators]",
      role: "peer",
      target: AHEAD,
      run: () =>
        co(function* () {
          const gens = [];
          for (let i = 0; i < b; i++) gens.push(spawnChild(i));
          const vs = (yield gens) as number[];
          let s = 0;
          for (const v of vs) s += v;
          return s;
        }),
    },
  ];
  const k = b >= 1000 ? `${b / 1000}k` : String(b);
  const rows = BACKENDS.map(
    (be): Scenario => ({
      id: `tasks.spawn-join${be.idSuffix}`,
      title: `spawn + join ${k}, a closure per task [${be.name}]`,
      unit: "task",
      ops: b,
      metric: "wall",
      note: "each task runs spawnChild(i), a generator of one function closing over its argument",
      ours: ours(be, function* () {
        const ts = new Array<Future<number>>(b);
        for (let i = 0; i < b; i++) ts[i] = createTask(spawnChild(i));
        let s = 0;
        for (let i = 0; i < b; i++) s += yield* ts[i]!;
        return s;
      }),
      compare: be === TIMER_SYNC ? [native, ...peers] : [native],
    }),
  );
  rows.push({
    id: "tasks.spawn-join-fresh-fn",
    title: `spawn + join ${k}, a fresh generator function per task [${TIMER_SYNC.name}]`,
    unit: "task",
    ops: b,
    metric: "wall",
    note: "V8 makes a prototype and a hidden class for each fresh generator function: the floor row runs the same generators with no scheduler",
    ours: ours(TIMER_SYNC, function* () {
      const ts = new Array<Future<number>>(b);
      for (let i = 0; i < b; i++) {
        ts[i] = createTask(
          (function* (): Coro<number> {
            return i;
          })(),
        );
      }
      let s = 0;
      for (let i = 0; i < b; i++) s += yield* ts[i]!;
      return s;
    }),
    compare: [
      { ...native, target: null },
      {
        name: "floor: create + run each fresh generator (no scheduler)",
        role: "baseline",
        target: null,
        run: () => {
          const gs = new Array<Generator<unknown, number, unknown>>(b);
          for (let i = 0; i < b; i++) {
            gs[i] = (function* (): Generator<unknown, number, unknown> {
              return i;
            })();
          }
          let s = 0;
          for (let i = 0; i < b; i++) s += gs[i]!.next().value as number;
          return s;
        },
      },
    ],
  });
  return rows;
}

// ── task sleeps ────────────────────────────────────────────────────────────────────────────

/**
 * n tasks each sleep once for a random 0-1 ms (the same delays on every side) and are joined.
 * CPU time, as in the timers suite: waiting for the last deadline is nobody's cost.
 */
function taskSleepsScenario(n: number): Scenario {
  const d = randomDelays(n);
  const en = Math.max(1, Math.floor(n / EFFECTION_BIG_BATCH_DIVISOR));
  function* sleeper(ms: number): Coro<void> {
    yield* sleep(ms);
  }
  async function nativeSleeper(ms: number): Promise<void> {
    await new Promise<void>((r) => setTimeout(r, ms));
  }
  const k = n >= 1000 ? `${n / 1000}k` : String(n);
  return {
    id: "tasks.task-sleeps",
    title: `${k} tasks each sleep once (random 0-1 ms) [${TIMER_SYNC.name}]`,
    unit: "task",
    ops: n,
    metric: "cpu",
    note: "spawn n tasks that each sleep once, join them all; the same random delays on every side",
    ours: ours(TIMER_SYNC, function* () {
      const ts = new Array<Future<void>>(n);
      for (let i = 0; i < n; i++) ts[i] = createTask(sleeper(d[i]!));
      for (let i = 0; i < n; i++) yield* ts[i]!;
    }),
    compare: [
      {
        name: "async + await new Promise(setTimeout)",
        role: "baseline",
        target: atMost(0.5),
        run: async () => {
          const ps = new Array<Promise<void>>(n);
          for (let i = 0; i < n; i++) ps[i] = nativeSleeper(d[i]!);
          await Promise.all(ps);
        },
      },
      {
        name: `effection spawn + sleep (batches of ${en})`,
        role: "peer",
        target: AHEAD,
        ops: en,
        run: () =>
          effRun(function* (): Operation<void> {
            const ts = [];
            for (let i = 0; i < en; i++) ts.push(yield* effSpawn(() => effSleep(d[i]!)));
            for (const t of ts) yield* t;
          }),
      },
    ],
  };
}

function gatherScenario(n: number): Scenario {
  const en = Math.max(1, Math.floor(n / EFFECTION_BATCH_DIVISOR));
  function* one(i: number): Coro<number> {
    yield* sleep(0);
    return i;
  }
  async function asyncOne(i: number): Promise<number> {
    await null;
    return i;
  }
  function* effOne(i: number): Operation<number> {
    yield* until(RESOLVED);
    return i;
  }
  function* coOne(i: number): Generator<unknown, number, unknown> {
    yield RESOLVED;
    return i;
  }
  return {
    id: "tasks.gather",
    title: `gather of ${n} (each child switches once)`,
    unit: "child",
    ops: n,
    metric: "wall",
    ours: ours(TIMER_SYNC, function* () {
      const coros = new Array<Coro<number>>(n);
      for (let i = 0; i < n; i++) coros[i] = one(i);
      const vs = (yield* gather(coros)) as number[];
      return vs.length;
    }),
    compare: [
      {
        name: "Promise.all(async calls)",
        role: "baseline",
        target: atMost(2.0),
        run: async () => {
          const ps = new Array<Promise<number>>(n);
          for (let i = 0; i < n; i++) ps[i] = asyncOne(i);
          return (await Promise.all(ps)).length;
        },
      },
      {
        name: `effection all(ops) (batches of ${en})`,
        role: "peer",
        target: AHEAD,
        ops: en,
        run: () =>
          effRun(function* (): Operation<number> {
            const ops = new Array<Operation<number>>(en);
            for (let i = 0; i < en; i++) ops[i] = effOne(i);
            return (yield* effAll(ops)).length;
          }),
      },
      {
        name: "co yield [generators]",
        role: "peer",
        target: AHEAD,
        run: () =>
          co(function* () {
            const gens = [];
            for (let i = 0; i < n; i++) gens.push(coOne(i));
            return ((yield gens) as number[]).length;
          }),
      },
    ],
  };
}

// ── cancellation ───────────────────────────────────────────────────────────────────────────

function cancelScenario(n: number): Scenario {
  const en = Math.max(1, Math.floor(n / EFFECTION_BATCH_DIVISOR));
  function* sleeper(): Coro<void> {
    yield* sleep(NEVER_MS);
  }
  async function nativeSleeper(signal: AbortSignal): Promise<void> {
    try {
      await sleepNative(NEVER_MS, undefined, { signal });
    } catch (e) {
      if (!(e instanceof Error && e.name === "AbortError")) throw e;
    }
  }
  return {
    id: "tasks.cancel",
    title: `cancel ${n} sleeping tasks`,
    unit: "task",
    ops: n,
    metric: "wall",
    note: "spawn n sleepers, let them park, cancel each, wait for all to end",
    ours: ours(TIMER_SYNC, function* () {
      const ts = new Array(n);
      for (let i = 0; i < n; i++) ts[i] = createTask(sleeper());
      yield; // every sleeper runs up to its sleep
      for (let i = 0; i < n; i++) ts[i].cancel();
      let cancelled = 0;
      for (let i = 0; i < n; i++) {
        try {
          yield* ts[i];
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
          cancelled++;
        }
      }
      if (cancelled !== n) throw new Error(`only ${cancelled} of ${n} tasks were cancelled`);
    }),
    compare: [
      {
        name: "AbortController + timers/promises",
        role: "baseline",
        target: null,
        run: async () => {
          const cs = new Array<AbortController>(n);
          const ps = new Array<Promise<void>>(n);
          for (let i = 0; i < n; i++) {
            cs[i] = new AbortController();
            ps[i] = nativeSleeper(cs[i]!.signal);
          }
          await null;
          for (let i = 0; i < n; i++) cs[i]!.abort();
          await Promise.all(ps);
        },
      },
      {
        name: `effection spawn + halt() (batches of ${en})`,
        role: "peer",
        target: AHEAD,
        ops: en,
        run: () =>
          effRun(function* (): Operation<void> {
            const ts = [];
            for (let i = 0; i < en; i++) ts.push(yield* effSpawn(() => effSleep(NEVER_MS)));
            yield* until(RESOLVED); // every sleeper starts
            for (const t of ts) yield* t.halt();
          }),
      },
      { name: "co", role: "peer", target: null, skip: "co has no cancellation" },
    ],
  };
}

// ── events (Effection's "events") ──────────────────────────────────────────────────────────

function eventsScenario(depth: number, events: number): Scenario {
  const FOO = "foo";

  /** One level: a task that turns each event on `target` into one on a new sub-target. */
  function* level(target: EventTarget, d: number, tasks: Future<void>[]): Coro<void> {
    const q = new Queue<Event>();
    const listener = (e: Event) => q.putNowait(e);
    target.addEventListener(FOO, listener);
    try {
      if (d > 1) {
        const sub = new EventTarget();
        tasks.push(createTask(level(sub, d - 1, tasks)));
        for (;;) {
          yield* q.get();
          sub.dispatchEvent(new Event(FOO));
        }
      } else {
        for (;;) yield* q.get();
      }
    } finally {
      target.removeEventListener(FOO, listener);
    }
  }

  async function nativeLevel(target: EventTarget, signal: AbortSignal, d: number): Promise<void> {
    if (d > 1) {
      const sub = new EventTarget();
      const handler = () => sub.dispatchEvent(new Event(FOO));
      target.addEventListener(FOO, handler);
      try {
        await nativeLevel(sub, signal, d - 1);
      } finally {
        target.removeEventListener(FOO, handler);
      }
    } else {
      const handler = () => {};
      target.addEventListener(FOO, handler);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
      target.removeEventListener(FOO, handler);
    }
  }

  function* effLevel(target: EventTarget, d: number): Operation<void> {
    const stream = on(target, FOO);
    if (d > 1) {
      const sub = new EventTarget();
      yield* effSpawn(() => effLevel(sub, d - 1));
      for (const _ of yield* each(stream)) {
        sub.dispatchEvent(new Event(FOO));
        yield* each.next();
      }
    } else {
      for (const _ of yield* each(stream)) yield* each.next();
    }
  }

  return {
    id: "tasks.events",
    title: `event listener chain: depth ${depth}, ${events} events`,
    unit: "delivery",
    ops: depth * events,
    metric: "wall",
    note: "Effection's events benchmark: each level re-dispatches to the next; then all are torn down",
    ours: ours(TIMER_SYNC, function* () {
      const root = new EventTarget();
      const tasks: Future<void>[] = [];
      tasks.push(createTask(level(root, depth, tasks)));
      for (let i = 0; i < events; i++) {
        yield* sleep(0);
        root.dispatchEvent(new Event(FOO));
      }
      yield* sleep(0);
      for (const t of tasks) t.cancel();
      for (const t of tasks) {
        try {
          yield* t;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
        }
      }
    }),
    compare: [
      {
        name: "addEventListener chain",
        role: "baseline",
        target: null,
        run: async () => {
          const root = new EventTarget();
          const c = new AbortController();
          const done = nativeLevel(root, c.signal, depth);
          for (let i = 0; i < events; i++) {
            await Promise.resolve();
            root.dispatchEvent(new Event(FOO));
          }
          await Promise.resolve();
          c.abort();
          await done;
        },
      },
      {
        name: "effection on() + each()",
        role: "peer",
        target: AHEAD,
        run: () =>
          effRun(function* (): Operation<void> {
            const root = new EventTarget();
            const task = yield* effSpawn(() => effLevel(root, depth));
            for (let i = 0; i < events; i++) {
              yield* until(RESOLVED);
              root.dispatchEvent(new Event(FOO));
            }
            yield* until(RESOLVED);
            yield* task.halt();
          }),
      },
      { name: "co", role: "peer", target: null, skip: "co has no event streams or cancellation" },
    ],
  };
}

// ── tracing ────────────────────────────────────────────────────────────────────────────────

/** Switches per task in the tracing scenario (each task is created, switches, and is joined). */
const TRACING_SWITCHES_PER_TASK = 10;

/**
 * What tracing costs when it is off. The hooks on the hot paths test `loop._tracer !== null`;
 * the comparison runs the same program with a tracer whose hooks are all absent (every hook
 * site then also looks the method up), which can only cost more than "off": a ratio of 1.0
 * means the off path costs nothing measurable. A recording TraceRecorder is shown for scale.
 */
function tracingScenario(n: number): Scenario {
  const program = (tracer: LoopTracer | null) =>
    function* (): Coro<void> {
      const loop = getRunningLoop();
      loop.setTracer(tracer);
      const tasks = [];
      for (let i = 0; i < n / TRACING_SWITCHES_PER_TASK; i++) {
        tasks.push(
          createTask(
            (function* () {
              for (let k = 0; k < TRACING_SWITCHES_PER_TASK; k++) yield;
            })(),
          ),
        );
      }
      for (const t of tasks) yield* t;
      loop.setTracer(null);
    };
  const on = (name: string, make: () => LoopTracer, target: Comparison["target"]): Comparison => ({
    name,
    role: "baseline",
    target,
    run: () => TIMER_SYNC.run(program(make())),
  });
  return {
    id: "tasks.tracing-off",
    title: `tracing off: spawn + ${TRACING_SWITCHES_PER_TASK} switches [${TIMER_SYNC.name}]`,
    unit: "switch",
    ops: n,
    metric: "wall",
    ours: ours(TIMER_SYNC, program(null)),
    compare: [
      on("tracer with no hooks", () => ({}), atMost(1.0)),
      on("TraceRecorder (recording)", () => new TraceRecorder(), null),
    ],
  };
}

/** The tasks suite. */
export const tasksSuite: Suite = {
  area: "tasks",
  title: "task switch, awaits, spawn/join, gather, cancellation, deep chains, events",
  async open(ctx: SuiteContext) {
    const z = ctx.quick ? QUICK_SIZES : FULL_SIZES;
    const py = await pythonComparisons(ctx, { switch: { kind: "switch", n: z.switches } });
    return {
      scenarios: [
        ...switchScenarios(z.switches, py.switch),
        doneFutureScenario(z.switches),
        ...spawnScenarios(z.spawns),
        taskSleepsScenario(z.sleeps),
        ...chainScenarios(ctx.quick),
        gatherScenario(z.gather),
        cancelScenario(z.cancel),
        eventsScenario(z.eventDepth, z.events),
        tracingScenario(z.switches),
      ],
      close: async () => {},
    };
  },
};
