/**
 * The command line of `pnpm bench`, parsed: `[--quick] [--no-python] [--no-write] [--out DIR]
 * [area…]`. Kept apart from cli.ts so that it can be tested without running anything.
 */

import { SUITES } from "./suites/index.js";

export const USAGE = `usage: pnpm bench [--quick] [--no-python] [--no-write] [--out DIR] [area...]

  --quick       every scenario briefly with small sizes (checks the suites work; no conclusions)
  --no-python   skip the Python peers (asyncio, uvloop)
  --no-write    print the table only; do not write results/<date>.json and .html
  --out DIR     write the results there instead of packages/bench/results
  area          one or more of: ${SUITES.map((s) => s.area).join(", ")} (default: all)
  Environment: PYTHON (interpreter for the peers, default python3), BENCH_TMPDIR (files suite)`;

export interface Args {
  quick: boolean;
  python: boolean;
  write: boolean;
  out: string | undefined;
  areas: string[];
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
    } else if (x === "--help" || x === "-h") return "";
    else if (x === "--") continue;
    else if (x.startsWith("-")) return `unknown option ${x}`;
    else a.areas.push(x);
  }
  return a;
}
