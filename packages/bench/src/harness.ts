/**
 * The harness: scenarios, contenders, and how they are measured into table rows.
 *
 * HOW: a Scenario pairs our code ("ours") with what a user would write instead: first the native
 * baseline (Promises, setTimeout, net, fs), then peers (Effection, co, Python's asyncio and
 * uvloop). Each in-process contender is a function that runs one BATCH of `ops` operations;
 * tinybench times the batches. Out-of-process contenders (echo servers, Python) hand back their
 * own samples. Every sample becomes nanoseconds per operation.
 *
 *   round 0:  ours[warm, measure] ─► baseline[warm, measure] ─► peer…[warm, measure]
 *   round 1:  peer…[warm, measure] ─► baseline[warm, measure] ─► ours[warm, measure]
 *   round 2:  ours… (alternating, 7 rounds in full runs)
 *        ├─ per round: ratio = median(ours in round) / median(other in round)
 *        └─ samples pooled per contender ─► Stats; row ratio = median of the round ratios
 *
 * WARMING, the same for every side: each contender runs its own unmeasured warm-up batches
 * immediately before its measured batches, in EVERY round, so whatever ran before it (another
 * contender's code, its garbage) has been replaced by its own steady state when timing starts.
 * No garbage collection is forced: a forced full GC throws away the feedback and optimised code
 * of the generator machinery while costing `await null` nothing (issue 12: our switch ratio went
 * from 1.47x to 2.65-3.15x with a GC before each batch; 12x here, README "How the numbers are
 * made"). Before each contender and followed by its warm-up it skews little, but it measures
 * nothing useful either. `MeasureOptions.forceGc` brings it back for such comparisons.
 *
 * WHY batches: one `await null` takes tens of nanoseconds, far below the timer's grain, so a
 * sample is the mean over thousands of operations; the spread between batches is what the table
 * reports. WHY per-round ratios: two contenders measured next to each other see the same machine
 * load, so their ratio drifts far less than either time; the spread of the round ratios says how
 * stable the ratio is. WHY a fresh Bench per contender and round: a contender that throws must
 * not take its neighbours down, and rounds must interleave.
 */

import * as v8 from "node:v8";
import * as vm from "node:vm";
import { Bench, type Fn } from "tinybench";
import {
  type Ratio,
  type Stats,
  type Target,
  type Verdict,
  judge,
  quantile,
  ratioOf,
  summarize,
  trustNotes,
  withRoundRatios,
} from "./stats.js";

/** What a sample measures. */
export type Metric =
  /** Elapsed time of the batch. */
  | "wall"
  /** CPU time of this process (all threads) during the batch: waiting does not count. */
  | "cpu"
  /** CPU time of a server process per request, measured by that process (echo). */
  | "server-cpu";

/** One side of a comparison. Exactly one of `run`, `samples` or `skip` says how it is measured. */
export interface Contender {
  /** As the table shows it: "aioloop", "await null", "effection", "asyncio (python)". */
  readonly name: string;
  /** One batch of the scenario's `ops` operations, measured in this process. */
  readonly run?: () => unknown;
  /** Samples in ns/op measured elsewhere (another process, another language). */
  readonly samples?: () => Promise<number[]>;
  /** Why this contender is not measured (missing export, python without uvloop…). */
  readonly skip?: string;
  /**
   * Operations per batch of THIS contender when it differs from the scenario's `ops` (a peer a
   * thousand times slower runs smaller batches so that its samples take seconds, not minutes).
   */
  readonly ops?: number;
}

/** A contender that our code is compared with, and the target our ratio against it must meet. */
export interface Comparison extends Contender {
  readonly role: "baseline" | "peer";
  /** null: the row is for information only. */
  readonly target: Target | null;
}

/** One benchmark: our code, the native baseline (first of `compare`), peers after it. */
export interface Scenario {
  /** Stable id, "<area>.<name>" (results files are compared by it). */
  readonly id: string;
  readonly title: string;
  /** What one operation is ("switch", "timer", "request"): the unit of ns/op. */
  readonly unit: string;
  /** Operations per batch of the in-process contenders. */
  readonly ops: number;
  readonly metric: Metric;
  readonly ours: Contender;
  readonly compare: readonly Comparison[];
  /** Long batches (hundreds of ms): fewer of them. */
  readonly heavy?: boolean;
  /** Shown under the table (what exactly is compared). */
  readonly note?: string;
}

/** What suites get when they open. */
export interface SuiteContext {
  readonly quick: boolean;
  /** Progress lines (stderr in the CLI, silent in tests). */
  readonly log: (line: string) => void;
  /** Python peers, or null when disabled (`--no-python`). */
  readonly python: import("./python.js").PythonPeers | null;
}

/** An opened suite: its scenarios and the cleanup of whatever it set up (files, servers). */
export interface OpenSuite {
  readonly scenarios: readonly Scenario[];
  close(): Promise<void>;
}

/** One area of the benchmark ("tasks", "timers", …), runnable alone with `pnpm bench <area>`. */
export interface Suite {
  readonly area: string;
  readonly title: string;
  open(ctx: SuiteContext): Promise<OpenSuite>;
}

/** How long and how often to measure. */
export interface MeasureOptions {
  /** Interleaved rounds (samples are pooled). */
  readonly rounds: number;
  /** Time budget per contender per round, in ms (0: iterations only). */
  readonly timeMs: number;
  /** Batches per contender per round, at least. */
  readonly minIterations: number;
  /**
   * Warm-up budget in ms and batches, spent by each contender right before its measured batches
   * in every round; 0 batches: no warm-up.
   */
  readonly warmupMs: number;
  readonly warmupIterations: number;
  /** Whether rows get notes about noisy or thin samples (off in --quick, where all are thin). */
  readonly trustNotes: boolean;
  /**
   * Force a full garbage collection before each contender's batches (the bench's old behaviour).
   * Off in every preset: it deoptimises generator code and so penalises our side; kept only to
   * reproduce that measurement. Ignored when the process cannot expose `gc`.
   */
  readonly forceGc?: boolean;
}

/**
 * Full runs: 7 interleaved rounds per contender, each a warm-up of at least 100 ms and 3 batches
 * followed by at least 200 ms and 3 measured batches (about 2 s per contender in all, at least 21
 * samples, 7 round ratios). Issue 12 asks for medians of 7 to 11 rounds.
 */
export const FULL: MeasureOptions = {
  rounds: 7,
  timeMs: 200,
  minIterations: 3,
  warmupMs: 100,
  warmupIterations: 3,
  trustNotes: true,
};

/**
 * Heavy scenarios (batches of 100+ ms): 3 rounds of one warm-up batch and 3 measured ones, no
 * time budget to fill (9 samples, 3 round ratios).
 */
export const FULL_HEAVY: MeasureOptions = {
  rounds: 3,
  timeMs: 0,
  minIterations: 3,
  warmupMs: 0,
  warmupIterations: 1,
  trustNotes: true,
};

/** `--quick`: every contender runs twice, once to warm up and once measured. */
export const QUICK: MeasureOptions = {
  rounds: 1,
  timeMs: 0,
  minIterations: 2,
  warmupMs: 0,
  warmupIterations: 1,
  trustNotes: false,
};

/** A table row: our code against one comparison of one scenario. */
export interface Row {
  readonly area: string;
  readonly scenario: string;
  readonly title: string;
  readonly unit: string;
  readonly metric: Metric;
  readonly ours: { readonly name: string; readonly stats: Stats | null };
  readonly other: {
    readonly name: string;
    readonly role: "baseline" | "peer";
    readonly stats: Stats | null;
  };
  readonly ratio: Ratio | null;
  readonly target: Target | null;
  readonly verdict: Verdict;
  readonly notes: readonly string[];
}

const forceGc: (() => void) | null = (() => {
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return null;
  }
})();

/** Wrap a batch so that tinybench records this process's CPU time instead of elapsed time. */
function cpuTimed(run: () => unknown): Fn {
  return async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const d = process.cpuUsage(c0);
    return {
      overriddenDuration: (d.user + d.system) / 1000,
      overriddenIterationCost: performance.now() - t0,
    };
  };
}

/** Samples in ms per batch of one contender for one round (its warm-up first, unrecorded). */
async function oneRound(c: Contender, metric: Metric, opts: MeasureOptions): Promise<number[]> {
  const bench = new Bench({
    time: opts.timeMs,
    iterations: opts.minIterations,
    warmup: opts.warmupIterations > 0,
    warmupTime: opts.warmupMs,
    warmupIterations: opts.warmupIterations,
    retainSamples: true,
    throws: true,
  });
  const run = c.run!;
  // Always an async function: tinybench would otherwise call `run` once, unawaited, to find out
  // whether it returns a Promise, and that stray batch would overlap the measured ones (and
  // two host-driven loops cannot run at once). The extra await costs one microtask per batch.
  const timed: Fn =
    metric === "cpu"
      ? cpuTimed(run)
      : async () => {
          await run();
        };
  bench.add(c.name, timed, { async: true });
  if (opts.forceGc === true) forceGc?.();
  const [task] = await bench.run();
  const r = task!.result;
  if (r.state === "errored") throw r.error;
  if (r.state !== "completed") throw new Error(`${c.name}: tinybench ended in state ${r.state}`);
  return [...(r.latency.samples ?? [])];
}

type Measured =
  | { readonly kind: "ok"; readonly stats: Stats }
  | { readonly kind: "skipped"; readonly why: string }
  | { readonly kind: "error"; readonly message: string };

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Measure one scenario and turn it into rows (one per comparison). Never throws for a failing
 * contender: the row says "error" with the message, so one broken scenario cannot hide the rest.
 */
export async function measureScenario(
  area: string,
  s: Scenario,
  opts: MeasureOptions,
): Promise<Row[]> {
  const all: Contender[] = [s.ours, ...s.compare];
  const inProcess = all.filter((c) => c.skip === undefined && c.run !== undefined);
  const samplesMs = new Map<Contender, number[]>();
  /** Per contender, the median ns/op of each round (index = round). */
  const roundMedians = new Map<Contender, number[]>();
  const errors = new Map<Contender, string>();
  if (s.ours.skip === undefined) {
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? inProcess : [...inProcess].reverse();
      for (const c of order) {
        if (errors.has(c)) continue;
        try {
          const got = await oneRound(c, s.metric, opts);
          samplesMs.set(c, [...(samplesMs.get(c) ?? []), ...got]);
          const ns =
            (quantile(
              [...got].sort((a, b) => a - b),
              0.5,
            ) *
              1e6) /
            (c.ops ?? s.ops);
          roundMedians.set(c, [...(roundMedians.get(c) ?? []), ns]);
        } catch (e) {
          errors.set(c, describeError(e));
        }
      }
    }
  }
  const measured = new Map<Contender, Measured>();
  for (const c of all) {
    if (s.ours.skip !== undefined) {
      measured.set(c, { kind: "skipped", why: s.ours.skip });
    } else if (c.skip !== undefined) {
      measured.set(c, { kind: "skipped", why: c.skip });
    } else if (errors.has(c)) {
      measured.set(c, { kind: "error", message: errors.get(c)! });
    } else if (c.samples !== undefined) {
      try {
        const ns = await c.samples();
        measured.set(c, { kind: "ok", stats: summarize(ns) });
      } catch (e) {
        measured.set(c, { kind: "error", message: describeError(e) });
      }
    } else if (c.run !== undefined) {
      try {
        const ms = samplesMs.get(c) ?? [];
        const ops = c.ops ?? s.ops;
        measured.set(c, { kind: "ok", stats: summarize(ms.map((x) => (x * 1e6) / ops)) });
      } catch (e) {
        measured.set(c, { kind: "error", message: describeError(e) });
      }
    } else {
      measured.set(c, { kind: "error", message: `${c.name}: neither run, samples nor skip given` });
    }
  }
  const ours = measured.get(s.ours)!;
  // When our side cannot run, one row says why; a row per peer would repeat it.
  const compared = ours.kind === "skipped" ? s.compare.slice(0, 1) : s.compare;
  return compared.map((c): Row => {
    const other = measured.get(c)!;
    const base = {
      area,
      scenario: s.id,
      title: s.title,
      unit: s.unit,
      metric: s.metric,
      ours: { name: s.ours.name, stats: ours.kind === "ok" ? ours.stats : null },
      other: { name: c.name, role: c.role, stats: other.kind === "ok" ? other.stats : null },
      target: c.target,
    };
    if (ours.kind === "error") {
      return { ...base, ratio: null, verdict: { kind: "error", message: ours.message }, notes: [] };
    }
    if (other.kind === "error") {
      return {
        ...base,
        ratio: null,
        verdict: { kind: "error", message: other.message },
        notes: [],
      };
    }
    if (ours.kind === "skipped" || other.kind === "skipped") {
      const why = ours.kind === "skipped" ? ours.why : (other as { why: string }).why;
      return { ...base, ratio: null, verdict: { kind: "skipped", why }, notes: [] };
    }
    const ratio = withRoundRatios(
      ratioOf(ours.stats, other.stats),
      roundRatios(roundMedians.get(s.ours), roundMedians.get(c)),
    );
    const notes = opts.trustNotes ? trustNotes(ours.stats, other.stats) : [];
    if (ratio === null) notes.push(`${c.name} measured no time: batch too small to compare`);
    return { ...base, ratio, verdict: judge(ratio, c.target), notes };
  });
}

/**
 * Ratio of our round median to the other's, round by round: only when both sides were measured
 * in this process in every round (out-of-process samples have no rounds beside ours).
 */
function roundRatios(
  ours: readonly number[] | undefined,
  other: readonly number[] | undefined,
): number[] {
  if (ours === undefined || other === undefined || ours.length !== other.length) return [];
  const out: number[] = [];
  for (let i = 0; i < ours.length; i++) {
    if (!(other[i]! > 0)) return [];
    out.push(ours[i]! / other[i]!);
  }
  return out;
}

/**
 * Run whole suites, one scenario at a time, closing each suite even when a scenario fails;
 * with `only`, just the scenarios whose id starts with one of its prefixes.
 */
export async function runSuites(
  suites: readonly Suite[],
  ctx: SuiteContext,
  opts: { readonly normal: MeasureOptions; readonly heavy: MeasureOptions },
  only?: readonly string[],
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const suite of suites) {
    ctx.log(`── ${suite.area}: ${suite.title}`);
    const t0 = performance.now();
    const open = await suite.open(ctx);
    try {
      for (const s of open.scenarios) {
        if (only !== undefined && !only.some((p) => s.id.startsWith(p))) continue;
        const t1 = performance.now();
        const got = await measureScenario(suite.area, s, s.heavy ? opts.heavy : opts.normal);
        rows.push(...got);
        ctx.log(`   ${s.id.padEnd(34)} ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      }
    } finally {
      await open.close();
    }
    ctx.log(`   (${suite.area}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return rows;
}

/** Shorthand for the `<= Nx` targets of the issue. */
export function atMost(max: number): Target {
  return { max, label: `<= ${max}x` };
}

/** The target against a peer: strictly ahead of it. */
export const AHEAD: Target = { max: 1, label: "ahead" };
