/**
 * The results file: every row of a run plus the machine it ran on, as
 * `packages/bench/results/<date>.json` with the HTML report beside it.
 *
 * HOW: `machineInfo()` is taken at the start and the load average again at the end (other work
 * on the machine is the first suspect when a ratio moves); `writeResults()` writes the JSON and
 * the HTML under one stem named after the start time (ISO, colons replaced so every filesystem
 * takes it): `2025-05-01T20-57-21.json`, `2025-05-01T20-57-21.html`.
 *
 * WHY JSON with ids: two runs are compared by scenario id and comparison name, so the ids are
 * part of the format (`version` changes if a field changes meaning).
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Row } from "./harness.js";
import { renderReport } from "./report.js";

/** Bumped when a field changes meaning. */
export const RESULTS_VERSION = 1;

/** packages/bench/results, from src/ or dist/. */
export const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpus: string;
  readonly memoryGiB: number;
  /** 1-minute load average at start and at end of the run. */
  readonly loadStart: number;
  loadEnd: number;
}

export interface Results {
  readonly version: number;
  /** ISO time the run started. */
  readonly started: string;
  readonly durationS: number;
  readonly quick: boolean;
  readonly areas: readonly string[];
  readonly machine: MachineInfo;
  readonly rows: readonly Row[];
}

/** The machine, now. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? "unknown cpu";
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpus: `${cpus.length} x ${model}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadStart: os.loadavg()[0]!,
    loadEnd: os.loadavg()[0]!,
  };
}

/** A file-name-safe stem from a date: 2025-05-01T20-57-21. */
export function stemOf(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/:/g, "-");
}

/**
 * Write `<dir>/<stem>[-quick].json` and `.html`; returns both paths. Written to a temporary name
 * first, then renamed, so a reader never sees half a file.
 */
export function writeResults(results: Results, dir = RESULTS_DIR): { json: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const stem = `${stemOf(new Date(results.started))}${results.quick ? "-quick" : ""}`;
  const json = path.join(dir, `${stem}.json`);
  const html = path.join(dir, `${stem}.html`);
  const put = (file: string, text: string) => {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };
  put(json, `${JSON.stringify(results, null, 2)}\n`);
  put(html, renderReport(results));
  return { json, html };
}
