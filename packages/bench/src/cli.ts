#!/usr/bin/env node
/**
 * `pnpm bench [--quick] [--no-python] [--no-write] [--out DIR] [--rounds N] [--only ID,…] [area…]`
 *
 * Runs the suites (all, or the named areas), prints the table, and writes
 * `results/<date>.json` plus the HTML report beside it. Exit status: 0 when every scenario ran
 * (missed targets included: the bench reports, it does not gate), 1 when a scenario failed
 * with an error, 2 for bad arguments.
 */

import { formatTable, loadNote, runBench, tally, writeResults } from "./index.js";
import { USAGE, parseArgs } from "./args.js";
import { UnknownAreaError } from "./suites/index.js";

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    if (args !== "") console.error(args);
    console.error(USAGE);
    return args === "" ? 0 : 2;
  }
  let results: Awaited<ReturnType<typeof runBench>>;
  try {
    results = await runBench({
      quick: args.quick,
      areas: args.areas,
      ...(args.python ? {} : { python: false as const }),
      ...(args.rounds === undefined ? {} : { rounds: args.rounds }),
      ...(args.only === undefined ? {} : { only: args.only }),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (e) {
    if (e instanceof UnknownAreaError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  console.log("");
  console.log(formatTable(results.rows));
  console.log(loadNote(results.machine));
  console.log(
    `${results.quick ? "quick run (sizes too small for conclusions), " : ""}took ${results.durationS.toFixed(0)} s`,
  );
  if (args.write) {
    const { json, html } = writeResults(results, args.out);
    console.log(`wrote ${json}\n      ${html}`);
  }
  return tally(results.rows).errors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
