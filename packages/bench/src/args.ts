/**
 * The command line of `pnpm bench`, parsed: `[--quick] [--no-python] [--no-write] [--out DIR]
 * [--rounds N] [--only ID,…] [area…]`. Kept apart from cli.ts so that it can be tested without running anything.
 */

import { SUITES } from "./suites/index.js";

export const USAGE = `usage: pnpm bench [--quick] [--no-python] [--no-write] [--out DIR] [--rounds N] [--only ID,...] [area...]

  --quick       every scenario briefly with small sizes (checks the suites work; no conclusions)
  --no-python   skip the Python peers (asyncio, uvloop)
  --no-write    print the table only; do not write results/<date>.json and .html
  --out DIR     write the results there instead of packages/bench/results
  --rounds N    interleaved rounds of the in-process scenarios (default 7; heavy ones keep 3)
  --only IDS    only the scenarios whose id starts with one of these (comma-separated):
                --only tasks.chain,tasks.spawn-join
  area          one or more of: ${SUITES.map((s) => s.area).join(", ")} (default: all)
  Environment: PYTHON (interpreter for the peers, default: a python3 with uvloop), BENCH_TMPDIR (files suite)`;

export interface Args {
  quick: boolean;
  python: boolean;
  write: boolean;
  out: string | undefined;
  areas: string[];
  /** Rounds of the in-process scenarios, when not the default. */
  rounds?: number;
  /** Scenario id prefixes to run, when not all. */
  only?: string[];
}

/** The parsed arguments, or a message for the user ("" for --help). */
export function parseArgs(argv: readonly string[]): Args | string {
  const a: Args = { quick: false, python: true, write: true, out: undefined, areas: [] };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === "--quick") a.quick = true;
    else if (x === "--no-python") a.python = false;
    else if (x === "--no-write") a.write = false;
    else if (x === "--out") {
      const dir = argv[++i];
      if (dir === undefined) return "--out needs a directory";
      a.out = dir;
    } else if (x === "--rounds") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1)
        return "--rounds needs a whole number of rounds, 1 or more";
      a.rounds = n;
    } else if (x === "--only") {
      const ids = (argv[++i] ?? "").split(",").filter((id) => id !== "");
      if (ids.length === 0)
        return "--only needs scenario ids (or their beginnings), comma-separated";
      a.only = ids;
    } else if (x === "--help" || x === "-h") return "";
    else if (x === "--") continue;
    else if (x.startsWith("-")) return `unknown option ${x}`;
    else a.areas.push(x);
  }
  return a;
}
