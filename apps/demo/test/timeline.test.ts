import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Coro, TraceRecorder, createTask, sleep } from "@aioloop/core";
import { TimerLoop, runSync } from "@aioloop/timer-loop";
import { describe, expect, it } from "vitest";
import { eventsInTimeOrder, timeOrderedTimeline } from "../src/timeline.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** The loop times at the start of the timeline's event lines (elision lines have none). */
function times(timeline: string): number[] {
  return timeline.split("\n").flatMap((line) => {
    const m = /^\s*(\d+\.\d{3}) ms {2}/.exec(line);
    return m === null ? [] : [Number(m[1])];
  });
}

function expectNonDecreasing(ts: number[]): void {
  expect(ts.length).toBeGreaterThan(1);
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]! < ts[i - 1]!) {
      expect.fail(`line ${i + 1} at ${ts[i]} ms comes after one at ${ts[i - 1]} ms`);
    }
  }
}

/** Busy for `ms` of real time: a step that visibly lasts. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

describe("--trace's text timeline is in time order", () => {
  it("a real-clock run: each step's ▶ line comes before what the step did", () => {
    // A step is recorded when it ends, stamped with its start; the task and the timer it
    // created in between were recorded first, with later times.
    const recorder = new TraceRecorder();
    const loop = new TimerLoop({ clock: "real" });
    loop.setTracer(recorder);
    function* child(): Coro<void> {
      yield* sleep(1);
    }
    function* main(): Coro<void> {
      spin(2);
      const t = createTask(child(), { name: "child" });
      spin(2);
      yield* sleep(1);
      yield* t;
    }
    runSync(main(), { loop });
    const timeline = timeOrderedTimeline(recorder, 1000);
    expectNonDecreasing(times(timeline));
    const lines = timeline.split("\n");
    const ran = lines.findIndex((l) => l.includes("▶ main ran"));
    const created = lines.findIndex((l) => l.includes("+ child"));
    expect(ran).toBeGreaterThanOrEqual(0);
    expect(created).toBeGreaterThan(ran);
    // The recorder itself is left as it was: still in recording order.
    expect(
      recorder.events.findIndex((e) => e.kind === "task-created" && e.name === "child"),
    ).toBeLessThan(recorder.events.findIndex((e) => e.kind === "task-step"));
  });

  it("equal times keep the order they were recorded in (stable)", () => {
    const recorder = new TraceRecorder();
    recorder.events.push(
      { kind: "io-ready", time: 5, what: "b" },
      { kind: "io-ready", time: 1, what: "a" },
      { kind: "io-ready", time: 5, what: "c" },
      { kind: "io-ready", time: 5, what: "d" },
      { kind: "io-ready", time: 3, what: "x" },
    );
    recorder.dropped = 2;
    expect(eventsInTimeOrder(recorder).map((e) => (e.kind === "io-ready" ? e.what : ""))).toEqual([
      "a",
      "x",
      "b",
      "c",
      "d",
    ]);
    const timeline = timeOrderedTimeline(recorder);
    expect(timeline.split("\n").map((l) => l.trim())).toEqual([
      "1.000 ms  ⇄ a ready",
      "3.000 ms  ⇄ x ready",
      "5.000 ms  ⇄ b ready",
      "5.000 ms  ⇄ c ready",
      "5.000 ms  ⇄ d ready",
      "… 2 more events not recorded (limit reached)",
    ]);
  });

  it("the built command line: `demo sleepy --trace` on the real clock prints lines in time order", () => {
    const dir = mkdtempSync(join(tmpdir(), "aioloop-demo-"));
    try {
      const out = execFileSync(
        process.execPath,
        [cli, "sleepy", `--trace=${join(dir, "t.json")}`],
        {
          encoding: "utf8",
        },
      );
      const timeline = out.slice(out.indexOf("── loop timeline"));
      expect(timeline).toMatch(/▶ Task-\d+ ran/);
      expectNonDecreasing(times(timeline));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
