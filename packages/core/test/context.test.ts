import { describe, expect, it } from "vitest";
import {
  Context,
  ContextVar,
  LookupError,
  copyContext,
  createTask,
  getRunningLoop,
  sleep,
} from "../src/index.js";
import { LOOPS, runOn } from "./support/loops.js";

describe("ContextVar outside tasks", () => {
  it("get() falls back to the argument, then the default, then throws LookupError", () => {
    const a = new ContextVar<number>("a");
    const b = new ContextVar<number>("b", { default: 5 });
    expect(a.get(1)).toBe(1);
    expect(() => a.get()).toThrow(LookupError);
    expect(b.get()).toBe(5);
  });

  it("reset() restores the previous value and refuses a token twice or from another var", () => {
    const v = new ContextVar<string>("v", { default: "d" });
    const ctx = new Context();
    ctx.run(() => {
      const t1 = v.set("x");
      const t2 = v.set("y");
      expect(v.get()).toBe("y");
      v.reset(t2);
      expect(v.get()).toBe("x");
      v.reset(t1);
      expect(v.get()).toBe("d");
      expect(() => v.reset(t1)).toThrow(/already used/);
      const other = new ContextVar<string>("other");
      expect(() => other.reset(v.set("z") as never)).toThrow(/made by ContextVar "v"/);
    });
  });

  it("a copy shares values until either side writes", () => {
    const v = new ContextVar<number>("v");
    const a = new Context();
    a.run(() => v.set(1));
    const b = a.copy();
    b.run(() => v.set(2));
    expect(a.get(v)).toBe(1);
    expect(b.get(v)).toBe(2);
  });
});

describe.each(LOOPS)("context in tasks and callbacks ($name)", (kind) => {
  it("each task runs in a copy of its creator's context: children see the parent's values, siblings never leak", () => {
    const requestId = new ContextVar<string>("requestId", { default: "-" });
    const out = runOn(kind, function* () {
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

  it("callbacks run in a copy of the context current when they were scheduled, or the one given via Context.run", () => {
    const v = new ContextVar<string>("v", { default: "none" });
    const out = runOn(kind, function* () {
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
