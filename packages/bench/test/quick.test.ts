// Every suite in quick mode with the smallest possible batches: each scenario must produce rows
// with finite numbers or say explicitly why it was skipped, and leave no process, socket, timer
// or worker behind. Nothing here asserts speed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type MeasureOptions,
  type Row,
  SUITES,
  UnknownAreaError,
  runBench,
  selectSuites,
} from "../src/index.js";

const TINY: MeasureOptions = {
  rounds: 1,
  timeMs: 0,
  minIterations: 1,
  warmupMs: 0,
  warmupIterations: 0,
  trustNotes: false,
};

/** Handles of this process by kind ("TCPSocketWrap", "Timeout", "ChildProcess"…), counted. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** Kinds that have more handles now than in `before`. */
function leaked(before: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [kind, n] of resources()) {
    if (n > (before.get(kind) ?? 0)) out.push(`${kind} x${n - (before.get(kind) ?? 0)}`);
  }
  return out;
}

function checkRow(r: Row): void {
  const where = `${r.scenario} vs ${r.other.name}`;
  switch (r.verdict.kind) {
    case "error":
      throw new Error(`${where}: ${r.verdict.message}`);
    case "skipped":
      expect(r.verdict.why, where).toMatch(/\w/);
      return;
    default:
      expect(Number.isFinite(r.ours.stats?.median), `${where}: ours`).toBe(true);
      expect(Number.isFinite(r.other.stats?.median), `${where}: other`).toBe(true);
      expect(Number.isFinite(r.ratio?.value), `${where}: ratio`).toBe(true);
      expect(r.ratio!.value, where).toBeGreaterThan(0);
  }
}

describe("every suite runs in quick mode", () => {
  let before: Map<string, number>;
  beforeAll(() => {
    // Worker threads pipe their output through ours: open our stdio streams now, so that their
    // lazily created handles are not counted as leaks of the files suite.
    void process.stdout.writable;
    void process.stderr.writable;
    before = resources();
  });

  for (const suite of SUITES) {
    it(`${suite.area}: a row per comparison, finite numbers or an explicit skip`, async () => {
      const results = await runBench({
        quick: true,
        areas: [suite.area],
        measure: { normal: TINY, heavy: TINY },
      });
      expect(results.areas).toEqual([suite.area]);
      expect(results.rows.length).toBeGreaterThan(0);
      for (const r of results.rows) {
        expect(r.area).toBe(suite.area);
        checkRow(r);
      }
      // Every row of a scenario compares against something named; the first is the baseline.
      const firsts = new Map<string, Row>();
      for (const r of results.rows) if (!firsts.has(r.scenario)) firsts.set(r.scenario, r);
      for (const r of firsts.values()) expect(r.other.role, r.scenario).toBe("baseline");
    });
  }

  afterAll(async () => {
    // Sockets and child processes go away a few ticks after close(): give them a moment.
    const deadline = Date.now() + 3_000;
    while (leaked(before).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(leaked(before)).toEqual([]);
  });
});

describe("scenario selection", () => {
  it("runs only the scenarios whose id starts with a prefix given, with the rounds given", async () => {
    const results = await runBench({
      quick: true,
      areas: ["sync"],
      python: false,
      only: ["sync.queue-"],
      rounds: 2,
    });
    expect(new Set(results.rows.map((r) => r.scenario))).toEqual(
      new Set(["sync.queue-64", "sync.queue-1"]),
    );
    for (const r of results.rows) expect(r.ratio?.rounds).toHaveLength(2);
  });
});

describe("area selection", () => {
  it("runs the named areas in the order given", () => {
    expect(selectSuites(["timers", "tasks"]).map((s) => s.area)).toEqual(["timers", "tasks"]);
    expect(selectSuites([]).map((s) => s.area)).toEqual(SUITES.map((s) => s.area));
  });

  it("names the known areas when given an unknown one", async () => {
    expect(() => selectSuites(["nope"])).toThrow(UnknownAreaError);
    await expect(runBench({ areas: ["nope"] })).rejects.toThrow(/choose from tasks, sync/);
  });
});
