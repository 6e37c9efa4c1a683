/**
 * Context variables in tasks and callbacks: each task runs in a copy of its creator's context;
 * callbacks in the context current when they were scheduled.
 */
import { describe, expect, it } from "vitest";
import { ContextVar, copyContext, createTask, getRunningLoop, sleep } from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";

export function contextTests(l: LoopUnderTest): void {
  describe(`context in tasks and callbacks (${l.name})`, () => {
    it("each task runs in a copy of its creator's context: children see the parent's values, siblings never leak", async () => {
      const requestId = new ContextVar<string>("requestId", { default: "-" });
      const out = await runOn(l, function* () {
        requestId.set("parent");
        const seen: string[] = [];
        const child = (name: string) =>
          (function* () {
            seen.push(`${name} sees ${requestId.get()}`);
            requestId.set(name);
            yield* sleep(1);
            seen.push(`${name} still ${requestId.get()}`);
          })();
        const a = createTask(child("a"));
        const b = createTask(child("b"));
        yield* a;
        yield* b;
        seen.push(`parent still ${requestId.get()}`);
        return seen;
      });
      expect(out).toEqual([
        "a sees parent",
        "b sees parent",
        "a still a",
        "b still b",
        "parent still parent",
      ]);
    });

    it("callbacks run in a copy of the context current when they were scheduled, or the one given via Context.run", async () => {
      const v = new ContextVar<string>("v", { default: "none" });
      const out = await runOn(l, function* () {
        const loop = getRunningLoop();
        const seen: string[] = [];
        v.set("scheduler");
        loop.callSoon(() => {
          seen.push(v.get());
          v.set("changed in callback");
        });
        const ctx = copyContext();
        ctx.run(() => v.set("explicit"));
        ctx.run(() => loop.callSoon(() => seen.push(v.get())));
        yield* sleep(0);
        seen.push(v.get());
        return seen;
      });
      expect(out).toEqual(["scheduler", "explicit", "scheduler"]);
    });
  });
}
