import { describe, expect, it } from "vitest";
import { RUNTIMES, SCENARIOS, applies } from "../src/catalog.mjs";
import { environmentProblem, passes, renderMarkdown, verdict } from "../src/runner/report.mjs";

type Result = { id: string; status: string; error?: string; note?: string };
const rt = (id: string) => RUNTIMES.find((r) => r.id === id)!;

/** Every applicable scenario passes on every runtime, except the `fails` given. */
function columns(fails: Record<string, Record<string, string>> = {}) {
  return RUNTIMES.map((runtime) => {
    const results = new Map<string, Result>();
    for (const s of SCENARIOS) {
      if (!applies(s, runtime)) continue;
      const error = fails[runtime.id]?.[s.id];
      results.set(s.id, error ? { id: s.id, status: "fail", error } : { id: s.id, status: "pass" });
    }
    const hello = { version: runtime.id.startsWith("chromium") ? "156.0" : "1.0" };
    return { runtime, hello, results, problem: null as string | null };
  });
}

describe("verdict", () => {
  it("passes when everything passes", () => {
    const v = verdict(columns());
    expect(v.failures).toEqual([]);
    expect(passes(v)).toBe(true);
  });

  it("fails on a promised scenario and not on a reported one", () => {
    const reported = verdict(columns({ deno: { "files-host": "hang" } }));
    expect(reported.failures).toHaveLength(1);
    expect(reported.failures[0].gating).toBe(false);
    expect(passes(reported)).toBe(true);

    const promised = verdict(columns({ bun: { locks: "CheckError: unfair" } }));
    expect(promised.failures[0]).toMatchObject({ gating: true, error: "CheckError: unfair" });
    expect(passes(promised)).toBe(false);
  });

  it("counts a missing result of a promised scenario as a failure", () => {
    const cols = columns();
    cols[0].results.delete("queues");
    const v = verdict(cols);
    expect(v.failures[0]).toMatchObject({ gating: true, error: "no result" });
    expect(passes(v)).toBe(false);
  });

  it("fails a runtime that did not run as its column says", () => {
    const cols = columns();
    cols[3].problem = "crossOriginIsolated is false, expected true";
    expect(passes(verdict(cols))).toBe(false);
  });

  it("attaches a known cause only while the failure looks the same", () => {
    const hang = verdict(columns({ deno: { "files-host": "ScenarioTimeout: did not finish" } }));
    expect(hang.failures[0].cause).toContain("receiveMessageOnPort");
    const other = verdict(columns({ deno: { "files-host": "OSError: EACCES" } }));
    expect(other.failures[0].cause).toBeNull();
  });
});

describe("environmentProblem", () => {
  it("checks isolation and the thread of a browser column", () => {
    const ok = { runtime: "browser", worker: false, isolated: true, sab: true };
    expect(environmentProblem(rt("chromium-page"), ok)).toBeNull();
    expect(environmentProblem(rt("chromium-page"), { ...ok, isolated: false })).toContain(
      "crossOriginIsolated",
    );
    expect(environmentProblem(rt("chromium-worker"), ok)).toContain("in a Worker");
    expect(
      environmentProblem(rt("chromium-worker-plain"), { ...ok, worker: true, isolated: false }),
    ).toBeNull();
  });

  it("checks which program runs a process column", () => {
    expect(environmentProblem(rt("bun"), { runtime: "bun" })).toBeNull();
    expect(environmentProblem(rt("bun"), { runtime: "node" })).toContain("node");
    expect(environmentProblem(rt("deno"), null)).toBeNull();
  });
});

describe("renderMarkdown", () => {
  it("writes one row per scenario and one column per runtime, with numbered failures", () => {
    const cols = columns({
      bun: { "selector-subprocess": "TypeError: x | y" },
      deno: { locks: "CheckError: unfair" },
    });
    const md = renderMarkdown(cols, verdict(cols));
    const rows = md.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows).toHaveLength(SCENARIOS.length);
    const header = md.split("\n").find((l) => l.startsWith("| scenario"))!;
    for (const r of RUNTIMES) expect(header).toContain(r.title);
    const locks = rows.find((l) => l.startsWith("| `locks`"))!;
    expect(locks).toMatch(/\*\*FAIL\*\* \[\d\]/);
    const sub = rows.find((l) => l.startsWith("| `selector-subprocess`"))!;
    expect(sub).toMatch(/\| fail \[\d\]/);
    expect(sub).toContain("n/a");
    // Errors go to the numbered notes, so a | in one never breaks the table's columns.
    expect(md).toMatch(/^\d\. `selector-subprocess` fails: TypeError: x \| y$/m);
    const cells = (l: string) => l.split(/(?<!\\)\|/).length;
    for (const row of rows) expect(cells(row)).toBe(cells(header));
    expect(md).toContain("Runtimes: Node 1.0 · Bun 1.0 · Deno 1.0 · Chromium 156.0.");
  });

  it("gives the same text for the same results (no times or dates)", () => {
    const cols = columns();
    expect(renderMarkdown(cols, verdict(cols))).toBe(renderMarkdown(cols, verdict(cols)));
  });
});
