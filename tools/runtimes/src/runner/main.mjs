// The runtimes check: every scenario under every runtime, the table written to
// docs/runtimes.md, and an exit code that is non-zero only when a scenario the contract
// promises fails (see catalog.mjs). Node, Bun and Deno run side by side; the four Chromium
// columns run one after another in one browser.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RUNTIMES, SCENARIOS, applies } from "../catalog.mjs";
import { browserSession } from "./browser.mjs";
import { collect } from "./collect.mjs";
import { runProcessBatch } from "./processes.mjs";
import { environmentProblem, passes, renderMarkdown, verdict } from "./report.mjs";

const REPO = fileURLToPath(new URL("../../../..", import.meta.url));
const DEFAULT_OUT = resolve(REPO, "docs/runtimes.md");
/** A runtime silent this long is killed: the harness times a scenario out at 10 s. */
const SILENCE_MS = 15_000;

export const USAGE = `usage: node tools/runtimes/run.mjs [--runtimes id,id,...] [--out file | --no-write] [--verbose]
  runtimes: ${RUNTIMES.map((r) => r.id).join(", ")} (default: all)
  --out: where the table goes (default docs/runtimes.md, written only when every runtime ran)`;

export function parseArgs(argv) {
  const opts = { runtimes: RUNTIMES, out: undefined, write: true, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runtimes") {
      const ids = (argv[++i] ?? "").split(",").filter(Boolean);
      const unknown = ids.filter((id) => !RUNTIMES.some((r) => r.id === id));
      if (ids.length === 0 || unknown.length > 0) {
        throw new Error(`unknown runtime(s): ${unknown.join(", ") || "(none given)"}`);
      }
      opts.runtimes = RUNTIMES.filter((r) => ids.includes(r.id));
    } else if (a === "--out") opts.out = argv[++i];
    else if (a === "--no-write") opts.write = false;
    else if (a === "--verbose") opts.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.out === undefined && opts.runtimes.length !== RUNTIMES.length) opts.write = false;
  return opts;
}

/** One column: every applicable scenario's result under `runtime`. */
async function runColumn(runtime, runBatch) {
  const t0 = performance.now();
  const ids = SCENARIOS.filter((s) => applies(s, runtime)).map((s) => s.id);
  const { results, hello } = await collect(ids, runBatch);
  return {
    runtime,
    hello,
    results,
    problem: environmentProblem(runtime, hello),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Runs the check; resolves the exit code. */
export async function main(argv, log = console.log) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    log(`runtimes: ${e.message}\n${USAGE}`);
    return 2;
  }
  const t0 = performance.now();
  const procs = opts.runtimes.filter((r) => !r.id.startsWith("chromium"));
  const browsers = opts.runtimes.filter((r) => r.id.startsWith("chromium"));
  const session = browsers.length > 0 ? browserSession({ silenceMs: SILENCE_MS }) : null;
  const columns = await Promise.all([
    ...procs.map((rt) =>
      runColumn(rt, (ids) => runProcessBatch(rt.id, ids, { silenceMs: SILENCE_MS })),
    ),
    (async () => {
      const cols = [];
      try {
        for (const rt of browsers)
          cols.push(await runColumn(rt, (ids) => session.runBatch(rt, ids)));
        const version = await session?.version();
        for (const c of cols) if (c.hello && version) c.hello.version = version;
      } finally {
        await session?.close();
      }
      return cols;
    })(),
  ]).then((cs) => cs.flat());
  columns.sort((a, b) => opts.runtimes.indexOf(a.runtime) - opts.runtimes.indexOf(b.runtime));

  const v = verdict(columns);
  for (const c of columns) {
    const rs = [...c.results.values()];
    const n = (st) => rs.filter((r) => r.status === st).length;
    const version = c.hello?.version ? ` ${c.hello.version}` : "";
    log(
      `runtimes: ${c.runtime.title}${version}: ${n("pass")} pass, ${rs.length - n("pass")} fail, ` +
        `${SCENARIOS.length - rs.length} n/a (${c.seconds.toFixed(1)} s)`,
    );
    if (opts.verbose) {
      for (const r of rs) if (r.timing) log(`  ${r.id}: ${r.timing}`);
    }
  }
  // One line per runtime and error: a runtime that could not start at all is one line, not 11.
  const groups = new Map();
  for (const f of v.failures) {
    const key = `${f.runtime.id}\0${f.gating}\0${f.error}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  for (const fs of groups.values()) {
    const f = fs[0];
    const ids = fs.map((x) => x.scenario.id).join(", ");
    log(
      `runtimes: ${f.gating ? "FAIL (promised)" : "fail (reported)"} ${ids} on ${f.runtime.title}: ${f.error}`,
    );
    if (f.cause) log(`  why: ${f.cause}`);
    const r = columns.find((c) => c.runtime === f.runtime)?.results.get(f.scenario.id);
    if (f.gating && r?.stack) log(`  ${r.stack.split("\n").slice(0, 6).join("\n  ")}`);
  }
  for (const p of v.problems)
    log(`runtimes: FAIL ${p.runtime.title} did not run as its column says: ${p.problem}`);

  if (opts.write) {
    const out = opts.out !== undefined ? resolve(opts.out) : DEFAULT_OUT;
    const md = renderMarkdown(columns, v);
    const before = existsSync(out) ? readFileSync(out, "utf8") : null;
    writeFileSync(out, md);
    const where = relative(process.cwd(), out) || out;
    log(
      `runtimes: table written to ${where}${before !== null && before !== md ? " (changed: commit it)" : ""}`,
    );
  }
  const gatingFails = v.failures.filter((f) => f.gating).length;
  const reported = v.failures.length - gatingFails;
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  if (passes(v)) {
    log(
      `runtimes: every promised scenario passes on ${columns.length} runtimes` +
        `${reported > 0 ? ` (${reported} reported-only failure${reported === 1 ? "" : "s"}, see above)` : ""} in ${took} s`,
    );
    return 0;
  }
  log(
    `runtimes: FAILED: ${gatingFails} promised scenario run${gatingFails === 1 ? "" : "s"} failed` +
      `${v.problems.length > 0 ? `, ${v.problems.length} runtime(s) not as expected` : ""} (see above) in ${took} s`,
  );
  return 1;
}
