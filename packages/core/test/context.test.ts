// ContextVar and Context on their own; context in tasks and callbacks is tested on every loop
// by @aioloop/backend-tests (suites/context.ts).
import { describe, expect, it } from "vitest";
import { Context, ContextVar, LookupError } from "../src/index.js";

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
