import { describe, expect, it } from "vitest";
import { RUNTIMES, SCENARIOS, applies, gating } from "../src/catalog.mjs";
import { scenarios as nodeCompat } from "../src/scenarios/node-compat.mjs";
import { scenarios as portable } from "../src/scenarios/portable.mjs";

const rt = (id: string) => RUNTIMES.find((r) => r.id === id)!;
const sc = (id: string) => SCENARIOS.find((s) => s.id === id)!;

describe("the catalog", () => {
  it("names each scenario and runtime once", () => {
    expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
    expect(new Set(RUNTIMES.map((r) => r.id)).size).toBe(RUNTIMES.length);
  });

  it("has an implementation for every scenario, in the module it names, and nothing else", () => {
    const impls: Record<string, Record<string, unknown>> = {
      portable,
      "node-compat": nodeCompat,
    };
    for (const s of SCENARIOS) expect(typeof impls[s.file]?.[s.id], s.id).toBe("function");
    const listed = new Set(SCENARIOS.map((s) => s.id));
    for (const id of [...Object.keys(portable), ...Object.keys(nodeCompat)]) {
      expect(listed.has(id), id).toBe(true);
    }
  });

  it("gates what the contract promises: core and host runs everywhere", () => {
    for (const id of [
      "core-tasks",
      "host-real",
      "host-virtual",
      "combinators",
      "locks",
      "queues",
    ]) {
      for (const r of RUNTIMES) expect(gating(sc(id), r), `${id} on ${r.id}`).toBe(true);
    }
  });

  it("gates runSync where the thread can block and the refusal where it cannot", () => {
    const blocking = RUNTIMES.filter((r) => r.blocking).map((r) => r.id);
    expect(blocking).toEqual(["node", "bun", "deno", "chromium-worker"]);
    for (const r of RUNTIMES) {
      expect(gating(sc("runsync-real"), r)).toBe(r.blocking);
      expect(gating(sc("runsync-refused"), r)).toBe(!r.blocking);
    }
    expect(applies(sc("runsync-refused"), rt("chromium-page"))).toBe(true);
    expect(applies(sc("runsync-refused"), rt("chromium-worker-plain"))).toBe(true);
  });

  it("reports selector-loop and files where Node's modules are, and never gates them", () => {
    for (const s of SCENARIOS.filter((x) => x.area === "selector-loop" || x.area === "files")) {
      for (const r of RUNTIMES) {
        expect(gating(s, r)).toBe(false);
        expect(applies(s, r)).toBe(r.node);
      }
    }
    expect(RUNTIMES.filter((r) => r.node).map((r) => r.id)).toEqual(["node", "bun", "deno"]);
  });
});
