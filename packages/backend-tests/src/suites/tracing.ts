/**
 * Tracing: TraceRecorder sees task creation, steps (with what each waited on) and timers, and
 * exports Chrome Trace JSON and a text timeline. Runs in the loop's own mode (`runSync` where
 * it blocks, else `runUntilComplete`); the timer's time is measured from the loop's start.
 */
import { describe, expect, it } from "vitest";
import { type Coro, TraceRecorder, createTask, getRunningLoop, sleep } from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";
import { drive, loopTime } from "../support.js";

function* program(): Coro<number> {
  const child = createTask(
    (function* () {
      yield* sleep(10);
      return 1;
    })(),
    { name: "child" },
  );
  yield;
  const h = getRunningLoop().callLater(50, () => {});
  h.cancel();
  return yield* child;
}

export function tracingTests(l: LoopUnderTest): void {
  describe(`tracing (${l.name})`, () => {
    it("records task creation, each step with what it waited on, and timers", async () => {
      const loop = l.make();
      const t0 = loop.time();
      const rec = new TraceRecorder();
      loop.setTracer(rec);
      expect(loop.getTracer()).toBe(rec);
      const main = loop.createTask(program(), { name: "main" });
      expect(await drive(l, loop, main)).toBe(1);
      loop.close();
      const kinds = rec.events.map((e) =>
        e.kind === "task-step" ? `${e.name}:${e.outcome}` : e.kind,
      );
      expect(kinds).toEqual([
        "task-created", // main
        "task-created", // child, by main
        "main:yielded",
        "timer-scheduled", // child's sleep, during its step
        "child:suspended",
        "timer-scheduled", // main's callLater
        "timer-cancelled",
        "main:suspended",
        "timer-fired",
        "child:result",
        "main:result",
      ]);
      const created = rec.events.filter((e) => e.kind === "task-created");
      expect(created[1]).toMatchObject({
        name: "child",
        parent: (created[0] as { task: number }).task,
      });
      const parked = rec.events.find(
        (e) => e.kind === "task-step" && e.name === "main" && e.outcome === "suspended",
      );
      expect(parked).toMatchObject({ waitingOn: "task child" });
      expect(rec.events.find((e) => e.kind === "timer-fired")!.time - t0).toEqual(loopTime(l, 10));
    });

    it("exports Chrome Trace Event JSON (a row per task, a slice per step) and a text timeline", async () => {
      const loop = l.make();
      const rec = new TraceRecorder();
      loop.setTracer(rec);
      await drive(l, loop, loop.createTask(program(), { name: "main" }));
      loop.close();
      const trace = rec.toChromeTrace();
      const names = trace.traceEvents
        .filter((e) => e.name === "thread_name")
        .map((e) => (e.args as { name: string }).name);
      expect(names).toEqual(["loop", "main", "child"]);
      const slices = trace.traceEvents.filter((e) => e.ph === "X");
      expect(slices).toHaveLength(5);
      expect(slices.every((e) => typeof e.ts === "number" && (e.dur as number) >= 1)).toBe(true);
      expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
      const text = rec.timeline();
      expect(text).toMatch(/\+ child \(by #1\)/);
      expect(text).toMatch(/▶ main ran [\d.]+ ms, waits on task child/);
      expect(text).toMatch(/⏰ sleepDone fired/);
    });

    it("stops recording at the limit and says how much it dropped; null turns tracing off", async () => {
      const loop = l.make();
      const rec = new TraceRecorder({ limit: 3 });
      loop.setTracer(rec);
      await drive(l, loop, loop.createTask(program()));
      expect(rec.events).toHaveLength(3);
      expect(rec.dropped).toBeGreaterThan(0);
      expect(rec.timeline()).toMatch(/more events not recorded/);
      loop.setTracer(null);
      const before = rec.events.length + rec.dropped;
      await drive(l, loop, loop.createTask(program()));
      expect(rec.events.length + rec.dropped).toBe(before);
      expect(() => loop.setTracer(42 as never)).toThrow(/TraceRecorder/);
      loop.close();
    });
  });
}
