/**
 * The text table `pnpm bench` prints: one line per comparison, grouped by area and scenario.
 *
 * HOW: rows become cells, cells are padded to the widest cell of their column; the title and our
 * own timing are printed on the first line of a scenario only, so each scenario reads as a block:
 *
 *   scenario                      per     ours          vs          other        ratio  rounds         target  met?
 *   ── tasks ────────────────────────────────────────────────────────────────────────────────────────────────
 *   task switch: yield* sleep(0)  switch  38.2 ns ±2%   await null  25.1 ns ±1%  1.52x  1.47-1.58 (7)  <= 1x   NO
 *                                                       effection   310 ns ±3%   0.12x  0.11-0.13 (7)  ahead   yes
 *
 * Timings are medians per operation with ± half the interquartile range (as % of the median);
 * the ratio is the median of the round ratios, "rounds" their lowest and highest.
 * "yes?"/"no?" mean the quartile range of the ratio straddles the target; notes (noisy rows,
 * skips, errors) are numbered under the table, each text once however many rows cite it.
 *
 * WHY plain text with fixed columns: it is read in terminals and CI logs, and diffed.
 */

import type { Metric, Row } from "./harness.js";
import type { MachineInfo } from "./results.js";
import type { Ratio, Stats, Verdict } from "./stats.js";

/** A duration in ns with 3 significant digits and a unit that keeps it between 1 and 999. */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const units: [number, string][] = [
    [1e9, "s"],
    [1e6, "ms"],
    [1e3, "µs"],
  ];
  for (const [scale, unit] of units) {
    if (ns >= scale) return `${sig3(ns / scale)} ${unit}`;
  }
  return `${sig3(ns)} ns`;
}

function sig3(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Median ± half the IQR in percent: "38.2 ns ±2%". */
export function formatStats(s: Stats | null): string {
  if (s === null) return "-";
  return `${formatDuration(s.median)} ±${Math.round(s.spread * 50)}%`;
}

/** A ratio: "1.52x", small ones with more digits ("0.034x"). */
export function formatRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return "-";
  if (r >= 10) return `${r.toFixed(1)}x`;
  if (r >= 0.1) return `${r.toFixed(2)}x`;
  return `${r.toPrecision(2)}x`;
}

/**
 * The round ratios of a row as "lowest-highest (rounds)", "-" when it has none (Python, echo):
 * "0.97-1.06 (7)". How far apart these are is how stable the ratio is.
 */
export function formatRounds(r: Ratio | null): string {
  const rs = r?.rounds;
  if (rs === undefined || rs.length === 0) return "-";
  const bare = (x: number) => formatRatio(x).replace(/x$/, "");
  return `${bare(Math.min(...rs))}-${bare(Math.max(...rs))} (${rs.length})`;
}

/** The "met?" cell. */
export function formatVerdict(v: Verdict): string {
  switch (v.kind) {
    case "met":
      return "yes";
    case "missed":
      return "NO";
    case "unsure":
      return v.leaning === "met" ? "yes?" : "no?";
    case "info":
      return "-";
    case "skipped":
      return "skipped";
    case "error":
      return "ERROR";
  }
}

/** What one operation is and how it is timed: "switch", "timer (CPU)". */
export function formatPer(unit: string, metric: Metric): string {
  switch (metric) {
    case "wall":
      return unit;
    case "cpu":
      return `${unit} (CPU)`;
    case "server-cpu":
      return `${unit} (server CPU)`;
  }
}

/** Counts for the summary line. */
export interface Tally {
  met: number;
  missed: number;
  unsure: number;
  info: number;
  skipped: number;
  errors: number;
}

export function tally(rows: readonly Row[]): Tally {
  const t: Tally = { met: 0, missed: 0, unsure: 0, info: 0, skipped: 0, errors: 0 };
  for (const r of rows) {
    switch (r.verdict.kind) {
      case "met":
        t.met++;
        break;
      case "missed":
        t.missed++;
        break;
      case "unsure":
        t.unsure++;
        break;
      case "info":
        t.info++;
        break;
      case "skipped":
        t.skipped++;
        break;
      case "error":
        t.errors++;
        break;
    }
  }
  return t;
}

const HEADER = [
  "scenario",
  "per",
  "ours",
  "vs",
  "other",
  "ratio",
  "rounds",
  "target",
  "met?",
] as const;

/**
 * The table as lines of text (no trailing newline), followed by numbered notes and a summary.
 * @example
 * console.log(formatTable(rows));
 */
export function formatTable(rows: readonly Row[]): string {
  const cells: (string[] | string)[] = [];
  const notes: string[] = [];
  let area = "";
  let scenario = "";
  for (const r of rows) {
    if (r.area !== area) {
      area = r.area;
      scenario = "";
      cells.push(`── ${area} `);
    }
    const first = r.scenario !== scenario;
    scenario = r.scenario;
    const rowNotes = [...r.notes];
    let ratio = formatRatio(r.ratio?.value ?? null);
    let rounds = formatRounds(r.ratio);
    if (r.verdict.kind === "skipped") {
      rowNotes.unshift(`skipped: ${r.verdict.why}`);
      ratio = "-";
      rounds = "-";
    } else if (r.verdict.kind === "error") {
      rowNotes.unshift(`error: ${r.verdict.message}`);
    }
    let met = formatVerdict(r.verdict);
    if (rowNotes.length > 0) {
      const ids = rowNotes.map((n) => {
        const known = notes.indexOf(n);
        return known >= 0 ? known + 1 : notes.push(n);
      });
      met += ` [${ids.join(",")}]`;
    }
    cells.push([
      first ? r.title : "",
      first ? formatPer(r.unit, r.metric) : "",
      first ? formatStats(r.ours.stats) : "",
      r.other.name,
      formatStats(r.other.stats),
      ratio,
      rounds,
      r.target?.label ?? "-",
      met,
    ]);
  }
  const widths = HEADER.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => (typeof c === "string" ? 0 : c[i]!.length))),
  );
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const line = (c: readonly string[]) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [line(HEADER)];
  for (const c of cells) out.push(typeof c === "string" ? c.padEnd(total, "─") : line(c));
  if (notes.length > 0) {
    out.push("");
    for (const [i, n] of notes.entries()) out.push(`[${i + 1}] ${n}`);
  }
  const t = tally(rows);
  out.push("");
  out.push(
    `targets: ${t.met} met, ${t.missed} missed, ${t.unsure} unsure (quartile ranges straddle the target); ` +
      `${t.info} for information; ${t.skipped} skipped; ${t.errors} errors`,
  );
  return out.join("\n");
}

/** One line about machine load, for the table and the report. */
export function loadNote(m: MachineInfo): string {
  const cores = Number.parseInt(m.cpus, 10) || 1;
  const busy = Math.max(m.loadStart, m.loadEnd) > cores * 0.5;
  return (
    `load average ${m.loadStart.toFixed(2)} at start, ${m.loadEnd.toFixed(2)} at end on ${cores} cores` +
    (busy ? ": the machine was busy, expect wider spreads and shifted ratios" : "")
  );
}
