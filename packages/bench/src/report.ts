/**
 * The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets)
 * with a bar chart of the ratios per area and the full table.
 *
 * HOW: each area gets one SVG. A row is a horizontal bar on a LOG axis centred on 1x, drawn from
 * 1x to the ratio: left of the line our code is faster, right of it slower. The quartile range
 * of the ratio is a whisker, the target a black tick, the colour the verdict:
 *
 *   task switch: yield* sleep(0) (per switch)
 *            vs await null        │        ████████┼──┤  1.52x     (red: target 1x missed)
 *            vs effection     ├─████████████████│            0.04x     (green: ahead)
 *                             0.1x             1x          10x
 *
 * WHY a log axis: ratios run from 1/30 (timers) to 30x (event chains); on a linear axis every
 * "faster" bar would be a sliver. WHY no JavaScript: the file is archived beside the JSON and
 * must render the same in a browser, a mail client or a CI artifact viewer years later.
 */

import type { Row } from "./harness.js";
import type { Results } from "./results.js";
import {
  formatPer,
  formatRatio,
  formatRounds,
  formatStats,
  formatVerdict,
  loadNote,
  tally,
} from "./table.js";

/** Chart geometry (px). */
const LABEL_WIDTH = 340;
const PLOT_WIDTH = 470;
const VALUE_WIDTH = 70;
const ROW_HEIGHT = 22;
const AXIS_HEIGHT = 26;
/** Ratios are clamped to this band so one absurd ratio cannot squash the rest. */
const MIN_RATIO = 1 / 1000;
const MAX_RATIO = 1000;
/** Labels longer than this are cut (the full text is in the bar's tooltip). */
const MAX_LABEL_CHARS = 52;
/** Scenario titles span the whole chart; skip reasons the plot area. */
const MAX_TITLE_CHARS = 120;
const MAX_SKIP_CHARS = 80;
/** Grid lines, where they fall inside the domain and at least MIN_GRID_GAP apart. */
const GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1, 2, 3, 10, 30, 100, 300, 1000];
const MIN_GRID_GAP = 30;

const COLOURS = {
  met: "#2e7d32",
  missed: "#c62828",
  unsure: "#f9a825",
  info: "#78909c",
  skipped: "#b0bec5",
  error: "#6a1b9a",
} as const;

/** Escape text for HTML and SVG. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function clamp(r: number): number {
  return Math.min(MAX_RATIO, Math.max(MIN_RATIO, r));
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Chart lines: a title line per scenario, then one bar line per comparison. */
type ChartLine = { readonly title: string } | { readonly row: Row };

function chartLines(rows: readonly Row[]): ChartLine[] {
  const out: ChartLine[] = [];
  let scenario = "";
  for (const r of rows) {
    if (r.scenario !== scenario) {
      scenario = r.scenario;
      out.push({ title: `${r.title} (per ${formatPer(r.unit, r.metric)})` });
    }
    out.push({ row: r });
  }
  return out;
}

/** The SVG bar chart of one area's rows. */
export function renderChart(rows: readonly Row[]): string {
  const values: number[] = [1];
  for (const r of rows) {
    if (r.ratio !== null)
      values.push(clamp(r.ratio.low), clamp(r.ratio.high), clamp(r.ratio.value));
    if (r.target !== null) values.push(clamp(r.target.max));
  }
  const lo = Math.log(Math.min(...values) / 1.25);
  const hi = Math.log(Math.max(...values) * 1.25);
  const x = (ratio: number) =>
    LABEL_WIDTH + ((Math.log(clamp(ratio)) - lo) / (hi - lo)) * PLOT_WIDTH;
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
  const lines = chartLines(rows);
  const height = lines.length * ROW_HEIGHT + AXIS_HEIGHT;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
  ];
  let lastGrid = Number.NEGATIVE_INFINITY;
  for (const g of GRID) {
    const gx = x(g);
    if (gx < LABEL_WIDTH - 0.5 || gx > LABEL_WIDTH + PLOT_WIDTH + 0.5) continue;
    const strong = g === 1;
    if (!strong && (gx - lastGrid < MIN_GRID_GAP || Math.abs(gx - x(1)) < MIN_GRID_GAP)) continue;
    lastGrid = gx;
    parts.push(
      `<line x1="${gx.toFixed(1)}" y1="0" x2="${gx.toFixed(1)}" y2="${height - AXIS_HEIGHT}" stroke="${strong ? "#333" : "#ddd"}" stroke-width="${strong ? 1.5 : 1}"/>`,
      `<text x="${gx.toFixed(1)}" y="${height - 8}" text-anchor="middle" class="axis">${g}x</text>`,
    );
  }
  lines.forEach((line, i) => {
    const y = i * ROW_HEIGHT;
    const mid = y + ROW_HEIGHT / 2;
    if ("title" in line) {
      parts.push(
        `<text x="4" y="${mid + 5}" class="title">${escapeHtml(cut(line.title, MAX_TITLE_CHARS))}</text>`,
      );
      return;
    }
    const r = line.row;
    const tip = escapeHtml(
      `${r.title} vs ${r.other.name}: ${formatRatio(r.ratio?.value ?? null)} (${formatVerdict(r.verdict)})`,
    );
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${mid + 4}" text-anchor="end" class="label"><title>${tip}</title>${escapeHtml(cut(`vs ${r.other.name}`, MAX_LABEL_CHARS))}</text>`,
    );
    if (r.ratio === null) {
      const why =
        r.verdict.kind === "skipped"
          ? `skipped: ${r.verdict.why}`
          : r.verdict.kind === "error"
            ? `error: ${r.verdict.message}`
            : "no ratio";
      parts.push(
        `<text x="${LABEL_WIDTH + 6}" y="${mid + 4}" class="skip"><title>${escapeHtml(why)}</title>${escapeHtml(cut(why, MAX_SKIP_CHARS))}</text>`,
      );
      return;
    }
    const colour = COLOURS[r.verdict.kind];
    const x1 = x(1);
    const xv = x(r.ratio.value);
    parts.push(
      `<rect x="${Math.min(x1, xv).toFixed(1)}" y="${y + 4}" width="${Math.max(1, Math.abs(xv - x1)).toFixed(1)}" height="${ROW_HEIGHT - 8}" fill="${colour}"><title>${tip}</title></rect>`,
      `<line x1="${x(r.ratio.low).toFixed(1)}" y1="${mid}" x2="${x(r.ratio.high).toFixed(1)}" y2="${mid}" stroke="#222" stroke-width="1"/>`,
    );
    if (r.target !== null) {
      const tx = x(r.target.max);
      parts.push(
        `<line x1="${tx.toFixed(1)}" y1="${y + 2}" x2="${tx.toFixed(1)}" y2="${y + ROW_HEIGHT - 2}" stroke="#000" stroke-width="2.5"><title>target ${escapeHtml(r.target.label)}</title></line>`,
      );
    }
    parts.push(
      `<text x="${LABEL_WIDTH + PLOT_WIDTH + 6}" y="${mid + 4}" class="value">${escapeHtml(formatRatio(r.ratio.value))}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function renderTable(rows: readonly Row[]): string {
  const head = [
    "scenario",
    "per",
    "ours",
    "vs",
    "other",
    "ratio",
    "rounds",
    "target",
    "met?",
    "notes",
  ];
  const body = rows.map((r) => {
    const notes = [...r.notes];
    if (r.verdict.kind === "skipped") notes.unshift(`skipped: ${r.verdict.why}`);
    if (r.verdict.kind === "error") notes.unshift(`error: ${r.verdict.message}`);
    const cells = [
      `${escapeHtml(r.title)}<br><small>${escapeHtml(r.scenario)}</small>`,
      escapeHtml(formatPer(r.unit, r.metric)),
      escapeHtml(`${r.ours.name}: ${formatStats(r.ours.stats)}`),
      escapeHtml(r.other.name),
      escapeHtml(formatStats(r.other.stats)),
      escapeHtml(formatRatio(r.ratio?.value ?? null)),
      escapeHtml(formatRounds(r.ratio)),
      escapeHtml(r.target?.label ?? "-"),
      `<span class="v-${r.verdict.kind}">${escapeHtml(formatVerdict(r.verdict))}</span>`,
      escapeHtml(notes.join("; ")),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table>`;
}

/**
 * The whole report as one HTML document.
 * @example
 * fs.writeFileSync("report.html", renderReport(results));
 */
export function renderReport(results: Results): string {
  const t = tally(results.rows);
  const areas: string[] = [];
  for (const r of results.rows) if (!areas.includes(r.area)) areas.push(r.area);
  const sections = areas.map((area) => {
    const rows = results.rows.filter((r) => r.area === area);
    return `<section><h2>${escapeHtml(area)}</h2>\n${renderChart(rows)}\n${renderTable(rows)}</section>`;
  });
  const m = results.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>aioloop bench ${escapeHtml(results.started)}${results.quick ? " (quick)" : ""}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin-top: 1em; font-size: 12.5px; }
td, th { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: left; vertical-align: top; }
small { color: #777; } .label { font: 12px system-ui, sans-serif; fill: #222; }
.title { font: bold 12.5px system-ui, sans-serif; fill: #111; }
.axis, .value { font: 11px system-ui, sans-serif; fill: #555; } .skip { font: italic 11px system-ui, sans-serif; fill: #888; }
.v-met { color: ${COLOURS.met}; font-weight: bold; } .v-missed { color: ${COLOURS.missed}; font-weight: bold; }
.v-unsure { color: #b28704; } .v-error { color: ${COLOURS.error}; font-weight: bold; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 14px; vertical-align: -1px; }
</style></head><body>
<h1>aioloop bench${results.quick ? " (quick: sizes too small for conclusions)" : ""}</h1>
<p>${escapeHtml(results.started)}, ${results.durationS.toFixed(0)} s; ${escapeHtml(`Node ${m.node} (V8 ${m.v8}), ${m.platform} ${m.arch}, ${m.cpus}, ${m.memoryGiB} GiB`)}<br>
${escapeHtml(loadNote(m))}</p>
<p><b>Targets: ${t.met} met, ${t.missed} missed, ${t.unsure} unsure</b>; ${t.info} for information, ${t.skipped} skipped, ${t.errors} errors.</p>
<p>Each bar is <b>ours / other</b> (time per operation: the median of the ratios of the interleaved rounds) on a log scale: left of the 1x line our code is faster, right of it slower.
"rounds" in the table gives the lowest and highest round ratio.
The whisker spans the ratio of the quartiles (ours p25/other p75 to ours p75/other p25); the black tick is the target.
"yes?" and "no?" mean that range straddles the target: rerun on a quiet machine before concluding.</p>
<p class="legend"><span style="background:${COLOURS.met}"></span>target met<span style="background:${COLOURS.missed}"></span>missed<span style="background:${COLOURS.unsure}"></span>unsure<span style="background:${COLOURS.info}"></span>for information</p>
${sections.join("\n")}
</body></html>
`;
}
