// The table and the HTML report, on hand-made rows.
import { describe, expect, it } from "vitest";
import type { Results, Row } from "../src/index.js";
import {
  escapeHtml,
  formatDuration,
  formatRatio,
  formatRounds,
  formatStats,
  formatTable,
  formatVerdict,
  loadNote,
  renderReport,
  stemOf,
  summarize,
  tally,
  writeResults,
} from "../src/index.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ours = summarize([90, 95, 100, 105, 110]);
const native = summarize([48, 49, 50, 51, 52]);

function row(over: Partial<Row> & Pick<Row, "scenario" | "verdict">): Row {
  return {
    area: "tasks",
    title: "task switch <fast>",
    unit: "switch",
    metric: "wall",
    ours: { name: "aioloop", stats: ours },
    other: { name: "await null", role: "baseline", stats: native },
    ratio: { value: 2, low: 1.7, high: 2.3, rounds: [1.94, 2.0, 2.12] },
    target: { max: 1, label: "<= 1x" },
    notes: [],
    ...over,
  };
}

const ROWS: Row[] = [
  row({ scenario: "tasks.switch", verdict: { kind: "missed" } }),
  row({
    scenario: "tasks.switch",
    other: { name: "effection", role: "peer", stats: summarize([800, 810, 820]) },
    ratio: { value: 0.12, low: 0.11, high: 0.13 },
    target: { max: 1, label: "ahead" },
    verdict: { kind: "met" },
  }),
  row({
    scenario: "tasks.switch",
    other: { name: "uvloop (python)", role: "peer", stats: null },
    ratio: null,
    target: null,
    verdict: { kind: "skipped", why: "uvloop not importable" },
  }),
  row({
    area: "timers",
    scenario: "timers.fire",
    title: "schedule + fire",
    unit: "timer",
    metric: "cpu",
    ratio: { value: 0.9, low: 0.5, high: 1.4 },
    verdict: { kind: "unsure", leaning: "met" },
    notes: ["spread too wide to trust"],
  }),
  row({
    area: "timers",
    scenario: "timers.other",
    title: "another",
    ratio: null,
    verdict: { kind: "error", message: "Boom: it broke" },
  }),
];

describe("cells", () => {
  it("prints durations with 3 significant digits in a fitting unit", () => {
    expect(formatDuration(38.24)).toBe("38.2 ns");
    expect(formatDuration(1234)).toBe("1.23 µs");
    expect(formatDuration(12_340_000)).toBe("12.3 ms");
    expect(formatDuration(2.5e9)).toBe("2.50 s");
    expect(formatDuration(999)).toBe("999 ns");
  });

  it("prints the median with half the IQR as a percentage", () => {
    expect(formatStats(ours)).toBe("100 ns ±5%");
    expect(formatStats(null)).toBe("-");
  });

  it("prints ratios and verdicts", () => {
    expect(formatRatio(1.5234)).toBe("1.52x");
    expect(formatRatio(0.034)).toBe("0.034x");
    expect(formatRatio(34.2)).toBe("34.2x");
    expect(formatRatio(null)).toBe("-");
    expect(formatVerdict({ kind: "unsure", leaning: "missed" })).toBe("no?");
    expect(formatVerdict({ kind: "missed" })).toBe("NO");
  });
});

describe("formatTable", () => {
  const text = formatTable(ROWS);
  const lines = text.split("\n");

  it("has a header, an area rule per area and one line per row", () => {
    expect(lines[0]).toMatch(
      /^scenario\s+per\s+ours\s+vs\s+other\s+ratio\s+rounds\s+target\s+met\?$/,
    );
    expect(lines.filter((l) => l.startsWith("── "))).toHaveLength(2);
    expect(
      lines.some((l) => l.includes("await null") && l.includes("2.00x") && l.includes("NO")),
    ).toBe(true);
  });

  it("gives the lowest and highest round ratio and how many rounds, or - without rounds", () => {
    expect(formatRounds({ value: 2, low: 1, high: 3, rounds: [1.94, 2.0, 2.12] })).toBe(
      "1.94-2.12 (3)",
    );
    expect(formatRounds({ value: 0.05, low: 0.04, high: 0.06, rounds: [0.049, 0.051] })).toBe(
      "0.049-0.051 (2)",
    );
    expect(formatRounds({ value: 2, low: 1, high: 3 })).toBe("-");
    expect(formatRounds(null)).toBe("-");
    expect(lines.find((l) => l.includes("await null"))).toMatch(
      /2\.00x\s+1\.94-2\.12 \(3\)\s+<= 1x/,
    );
  });

  it("prints a scenario's title and our timing only on its first line", () => {
    const effection = lines.find((l) => l.includes("effection"))!;
    expect(effection.startsWith(" ")).toBe(true);
    expect(effection).toMatch(/0\.12x\s+-\s+ahead\s+yes$/);
    expect(lines.filter((l) => l.includes("task switch <fast>"))).toHaveLength(1);
  });

  it("lines the columns up", () => {
    const starts = ["await null", "effection", "uvloop (python)"].map((name) => {
      const l = lines.find((x) => x.includes(name))!;
      return l.indexOf(name);
    });
    expect(new Set(starts).size).toBe(1);
    expect(lines[0]!.indexOf("vs")).toBe(starts[0]);
  });

  it("numbers notes for skips, errors and noise, and counts the verdicts", () => {
    expect(text).toMatch(/skipped \[1\]/);
    expect(text).toContain("[1] skipped: uvloop not importable");
    expect(text).toContain("error: Boom: it broke");
    expect(text).toContain("spread too wide to trust");
    expect(text).toContain("targets: 1 met, 1 missed, 1 unsure");
    expect(text).toContain("1 skipped; 1 errors");
    expect(tally(ROWS)).toEqual({ met: 1, missed: 1, unsure: 1, info: 0, skipped: 1, errors: 1 });
  });

  it("shows CPU-timed rows as such", () => {
    expect(text).toContain("timer (CPU)");
  });
});

describe("the report", () => {
  const results: Results = {
    version: 1,
    started: "2025-05-01T20:57:21.000Z",
    durationS: 12,
    quick: false,
    areas: ["tasks", "timers"],
    machine: {
      node: "v20.0.0",
      v8: "11",
      platform: "Linux",
      arch: "x64",
      cpus: "2 x Test CPU",
      memoryGiB: 8,
      loadStart: 3,
      loadEnd: 2,
    },
    rows: ROWS,
  };
  const html = renderReport(results);

  it("is one self-contained document: no scripts, no external assets", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html.match(/<svg/g)).toHaveLength(2);
  });

  it("draws a bar per measured row, a target tick, and says why a row has none", () => {
    const svgTasks = html.slice(html.indexOf("<svg"), html.indexOf("</svg>"));
    expect(svgTasks.match(/<rect/g)).toHaveLength(2);
    expect(svgTasks).toContain("target ahead");
    expect(svgTasks).toContain("skipped: uvloop not importable");
  });

  it("escapes what it prints", () => {
    expect(html).toContain("task switch &lt;fast&gt;");
    expect(html).not.toContain("task switch <fast>");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });

  it("notes a busy machine", () => {
    expect(loadNote(results.machine)).toMatch(/busy/);
    expect(html).toMatch(/the machine was busy/);
    expect(loadNote({ ...results.machine, loadStart: 0.1, loadEnd: 0.2 })).not.toMatch(/busy/);
  });

  it("is written beside the JSON under one date stem", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-results-"));
    try {
      const { json, html: htmlPath } = writeResults(results, dir);
      expect(path.basename(json)).toBe(`${stemOf(new Date(results.started))}.json`);
      expect(path.basename(json)).toBe("2025-05-01T20-57-21.json");
      expect(path.dirname(htmlPath)).toBe(dir);
      expect(JSON.parse(fs.readFileSync(json, "utf8")).rows).toHaveLength(ROWS.length);
      expect(fs.readdirSync(dir).sort()).toEqual([
        "2025-05-01T20-57-21.html",
        "2025-05-01T20-57-21.json",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
