/**
 * @aioloop/bench as a library: run suites and get results, format them as a table or an HTML
 * report. The CLI (cli.ts) is a thin layer over `runBench`; the tests call it directly.
 *
 * @example
 * import { runBench, formatTable } from "@aioloop/bench";
 * const results = await runBench({ quick: true, areas: ["tasks"] });
 * console.log(formatTable(results.rows));
 *
 * @packageDocumentation
 */

import { spawnSync } from "node:child_process";
import {
  FULL,
  FULL_HEAVY,
  type MeasureOptions,
  QUICK,
  type Row,
  type SuiteContext,
  runSuites,
} from "./harness.js";
import { PythonPeers } from "./python.js";
import { type Results, RESULTS_VERSION, machineInfo } from "./results.js";
import { selectSuites } from "./suites/index.js";

export {
  AHEAD,
  type Comparison,
  type Contender,
  FULL,
  FULL_HEAVY,
  type MeasureOptions,
  type Metric,
  QUICK,
  type Row,
  type Scenario,
  type Suite,
  type SuiteContext,
  atMost,
  measureScenario,
  runSuites,
} from "./harness.js";
export { PythonPeers, pythonComparisons } from "./python.js";
export { renderChart, renderReport, escapeHtml } from "./report.js";
export {
  type MachineInfo,
  type Results,
  RESULTS_DIR,
  machineInfo,
  stemOf,
  writeResults,
} from "./results.js";
export {
  MIN_TRUSTED_SAMPLES,
  NOISY_SPREAD,
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
export { SUITES, UnknownAreaError, selectSuites } from "./suites/index.js";
export {
  formatDuration,
  formatPer,
  formatRatio,
  formatRounds,
  formatStats,
  formatTable,
  formatVerdict,
  loadNote,
  tally,
} from "./table.js";

/** Options of `runBench`. */
export interface BenchOptions {
  /** Every scenario briefly, with small sizes (for CI: checks the suites work, not speed). */
  readonly quick?: boolean;
  /** Areas to run ("tasks", "sync", "timers", "echo", "files"); all when empty. */
  readonly areas?: readonly string[];
  /** The Python interpreter for the peers, or false to skip them. Default: $PYTHON or "python3". */
  readonly python?: string | false;
  /** Progress lines. Default: none. */
  readonly log?: (line: string) => void;
  /** Override how long each contender is measured (tests use tiny counts). */
  readonly measure?: { readonly normal: MeasureOptions; readonly heavy: MeasureOptions };
  /** Interleaved rounds of the in-process, non-heavy scenarios (default: FULL's 7, QUICK's 1). */
  readonly rounds?: number;
  /** Run only the scenarios whose id starts with one of these. */
  readonly only?: readonly string[];
}

/**
 * Python rounds per scenario (each after one warm-up). Its batches are long and steady (a few %
 * of spread), and a million Python timers take seconds: three rounds say enough.
 */
const PYTHON_ROUNDS_FULL = 3;
const PYTHON_ROUNDS_QUICK = 1;

/**
 * Run the selected suites and return every row with the machine it ran on. Throws
 * UnknownAreaError for an unknown area; a failing scenario becomes an "error" row instead.
 */
/**
 * The interpreter for the Python peers when PYTHON is not set: the first `python3` on the PATH
 * that can import uvloop, else Debian's /usr/bin/python3 if that one can (python3-uvloop
 * installs it there, where a pyenv `python3` shadows it), else `python3` (uvloop rows skipped).
 */
function defaultPython(): string {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(py, ["-c", "import uvloop"], { stdio: "ignore", timeout: 10_000 });
    if (r.status === 0) return py;
  }
  return "python3";
}

export async function runBench(opts: BenchOptions = {}): Promise<Results> {
  const quick = opts.quick ?? false;
  const suites = selectSuites(opts.areas ?? []);
  const pythonCmd =
    opts.python === undefined ? (process.env.PYTHON ?? defaultPython()) : opts.python;
  const ctx: SuiteContext = {
    quick,
    log: opts.log ?? (() => {}),
    python:
      pythonCmd === false
        ? null
        : new PythonPeers(pythonCmd, quick ? PYTHON_ROUNDS_QUICK : PYTHON_ROUNDS_FULL),
  };
  const started = new Date();
  const machine = machineInfo();
  const t0 = performance.now();
  const measure =
    opts.measure ?? (quick ? { normal: QUICK, heavy: QUICK } : { normal: FULL, heavy: FULL_HEAVY });
  const rows: Row[] = await runSuites(
    suites,
    ctx,
    opts.rounds === undefined
      ? measure
      : { ...measure, normal: { ...measure.normal, rounds: opts.rounds } },
    opts.only,
  );
  machine.loadEnd = machineInfo().loadStart;
  return {
    version: RESULTS_VERSION,
    started: started.toISOString(),
    durationS: (performance.now() - t0) / 1000,
    quick,
    areas: suites.map((s) => s.area),
    machine,
    rows,
  };
}
