import { describe, expect, it } from "vitest";
import { MARK } from "../src/catalog.mjs";
import { collect, parseEvents } from "../src/runner/collect.mjs";

const ev = (o: object) => MARK + JSON.stringify(o);
const hello = ev({ event: "hello", runtime: "node", version: "v0" });
const start = (id: string) => ev({ event: "start", id });
const pass = (id: string) => ev({ event: "result", id, status: "pass" });
const done = ev({ event: "done" });

describe("parseEvents", () => {
  it("keeps the marked lines, ignores the rest, flags a broken one", () => {
    const events = parseEvents(["noise", hello, `${MARK}{broken`, `[browser] ${pass("a")}`]);
    expect(events.map((e: { event: string }) => e.event)).toEqual(["hello", "garbled", "result"]);
  });
});

describe("collect", () => {
  it("takes every result of a batch that finishes", async () => {
    const { results, hello: h } = await collect(["a", "b"], async () => ({
      lines: [hello, start("a"), pass("a"), start("b"), pass("b"), done],
      ended: null,
    }));
    expect([...results.keys()]).toEqual(["a", "b"]);
    expect(h.version).toBe("v0");
  });

  it("fails the scenario a runtime died in and runs the rest in a new batch", async () => {
    const batches: string[][] = [];
    const { results } = await collect(["a", "b", "c"], async (ids: string[]) => {
      batches.push(ids);
      if (batches.length === 1) {
        return { lines: [hello, start("a"), pass("a"), start("b")], ended: "exited with SIGKILL" };
      }
      return { lines: [hello, start("c"), pass("c"), done], ended: null };
    });
    expect(batches).toEqual([["a", "b", "c"], ["c"]]);
    expect(results.get("a").status).toBe("pass");
    expect(results.get("b")).toMatchObject({ status: "fail" });
    expect(results.get("b").error).toContain("exited with SIGKILL");
    expect(results.get("c").status).toBe("pass");
  });

  it("goes on after a scenario that timed out and stopped the program", async () => {
    const batches: string[][] = [];
    const { results } = await collect(["a", "b"], async (ids: string[]) => {
      batches.push(ids);
      if (ids[0] === "a") {
        const timedOut = ev({ event: "result", id: "a", status: "fail", error: "timed out" });
        return { lines: [start("a"), timedOut, ev({ event: "stopped" })], ended: null };
      }
      return { lines: [start("b"), pass("b"), done], ended: null };
    });
    expect(batches).toEqual([["a", "b"], ["b"]]);
    expect(results.get("a").error).toBe("timed out");
    expect(results.get("b").status).toBe("pass");
  });

  it("fails everything, once, when the runtime cannot start", async () => {
    let calls = 0;
    const { results, hello: h } = await collect(["a", "b"], async () => {
      calls++;
      throw new Error("no such binary");
    });
    expect(calls).toBe(1);
    expect(h).toBeNull();
    for (const id of ["a", "b"]) {
      expect(results.get(id).status).toBe("fail");
      expect(results.get(id).error).toContain("no such binary");
    }
  });

  it("fails what a program that ended early never reported", async () => {
    const { results } = await collect(["a", "b"], async () => ({
      lines: [hello, start("a"), pass("a")],
      ended: null,
    }));
    expect(results.get("b").status).toBe("fail");
    expect(results.get("b").error).toContain("ended without finishing");
  });
});
