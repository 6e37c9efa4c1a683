// The rows and targets issue 12's table names are in the suites, with the targets it gives: a
// dropped row or a loosened target fails here, before anyone reads a table.
import { describe, expect, it } from "vitest";
import { type Scenario, type SuiteContext, selectSuites } from "../src/index.js";
import { randomDelays } from "../src/delays.js";

const ctx: SuiteContext = { quick: true, log: () => {}, python: null };

async function scenarios(): Promise<Map<string, Scenario>> {
  const m = new Map<string, Scenario>();
  for (const suite of selectSuites(["tasks", "timers", "sync"])) {
    const open = await suite.open(ctx);
    for (const s of open.scenarios) m.set(s.id, s);
    await open.close();
  }
  return m;
}

/** "name: target label" for each comparison of a scenario. */
function targets(s: Scenario | undefined): string[] {
  expect(s, "scenario missing").toBeDefined();
  return s!.compare.map((c) => `${c.role} ${c.target?.label ?? "-"}`);
}

describe("issue 12's rows", async () => {
  const all = await scenarios();
  const get = (id: string) => all.get(id);

  it("task switch, every backend, at most 1x of await null; Effection and co behind", () => {
    for (const id of ["tasks.switch-sleep0", "tasks.switch-sleep0.host"]) {
      expect(targets(get(id))[0]).toBe("baseline <= 1x");
    }
    expect(targets(get("tasks.switch-sleep0.selector"))[0]).toBe("baseline <= 1x");
    const peers = get("tasks.switch-sleep0")!.compare.filter((c) => c.role === "peer");
    expect(peers.map((c) => c.name)).toEqual(
      expect.arrayContaining(["effection until(resolved)", "co yield resolved"]),
    );
    expect(get("tasks.switch-sleep0")!.compare[0]!.name).toBe("await null");
  });

  it("bare yield at most 0.7x, with Effection", () => {
    expect(targets(get("tasks.switch-bare-yield"))).toEqual(["baseline <= 0.7x", "peer ahead"]);
  });

  it("deep chains at depth 1, 10 and 100: coro() at most 1.2x with both peers, plain for information", () => {
    for (const d of [1, 10, 100]) {
      const c = get(`tasks.chain-${d}.coro`)!;
      expect(targets(c)).toEqual(["baseline <= 1.2x", "peer ahead", "peer ahead"]);
      expect(c.compare.map((x) => x.name)).toEqual(["async/await recursion", "effection", "co"]);
      expect(targets(get(`tasks.chain-${d}`))).toEqual(["baseline -"]);
    }
    expect(targets(get("tasks.deep-chain.coro"))).toEqual([
      "baseline <= 1.2x",
      "peer ahead",
      "peer ahead",
    ]);
  });

  it("spawn + join at most 1.5x on every backend, Effection and co behind", () => {
    expect(targets(get("tasks.spawn-join"))).toEqual([
      "baseline <= 1.5x",
      "peer ahead",
      "peer ahead",
    ]);
    expect(targets(get("tasks.spawn-join.host"))).toEqual(["baseline <= 1.5x"]);
    expect(targets(get("tasks.spawn-join.selector"))).toEqual(["baseline <= 1.5x"]);
    // A fresh generator function per task: information, with V8's floor beside it.
    expect(targets(get("tasks.spawn-join-fresh-fn"))).toEqual(["baseline -", "baseline -"]);
  });

  it("task sleeps and random callLater in CPU time: at most 0.5x and 0.8x", () => {
    const sleeps = get("tasks.task-sleeps")!;
    expect(sleeps.metric).toBe("cpu");
    expect(targets(sleeps)).toEqual(["baseline <= 0.5x", "peer ahead"]);
    const timers = get("timers.call-later-random")!;
    expect(timers.metric).toBe("cpu");
    expect(targets(timers)).toEqual(["baseline <= 0.8x"]);
  });

  it("Queue(1) at most 1.2x and Queue(64) at most 0.5x of the Promise queue", () => {
    expect(targets(get("sync.queue-1"))).toEqual(["baseline <= 1.2x"]);
    expect(targets(get("sync.queue-64"))).toEqual(["baseline <= 0.5x"]);
  });

  it("has Effection behind us on every task row with a target", () => {
    for (const s of all.values()) {
      if (!s.id.startsWith("tasks.") || s.id.endsWith(".host") || s.id.endsWith(".selector")) {
        continue;
      }
      if (s.compare[0]!.target === null || s.id === "tasks.tracing-off") continue;
      expect(
        s.compare.some((c) => c.name.startsWith("effection") && c.target?.label === "ahead"),
        s.id,
      ).toBe(true);
    }
  });
});

describe("random delays", () => {
  it("are the same sequence on every call, uniform in [0, 1) ms", () => {
    const a = randomDelays(10_000);
    expect(randomDelays(10_000)).toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Set(a).size).toBeGreaterThan(9_990);
  });
});
