import { describe, expect, it } from "vitest";
import { USAGE, parseArgs } from "../src/args.js";

describe("pnpm bench arguments", () => {
  it("runs everything, writing results, by default", () => {
    expect(parseArgs([])).toEqual({
      quick: false,
      python: true,
      write: true,
      out: undefined,
      areas: [],
    });
  });

  it("takes flags and areas in any order (pnpm may pass a lone --)", () => {
    expect(
      parseArgs(["--", "timers", "--quick", "--no-python", "tasks", "--out", "/tmp/x"]),
    ).toEqual({
      quick: true,
      python: false,
      write: true,
      out: "/tmp/x",
      areas: ["timers", "tasks"],
    });
    expect(parseArgs(["--no-write"])).toMatchObject({ write: false });
  });

  it("takes a number of rounds and scenario id prefixes", () => {
    expect(
      parseArgs(["--rounds", "11", "--only", "tasks.chain,sync.queue-1", "tasks"]),
    ).toMatchObject({ rounds: 11, only: ["tasks.chain", "sync.queue-1"], areas: ["tasks"] });
    expect(parseArgs(["--rounds", "0"])).toMatch(/--rounds needs/);
    expect(parseArgs(["--rounds", "x"])).toMatch(/--rounds needs/);
    expect(parseArgs(["--only"])).toMatch(/--only needs/);
  });

  it("answers --help with the usage and bad options with a message", () => {
    expect(parseArgs(["--help"])).toBe("");
    expect(parseArgs(["--fast"])).toBe("unknown option --fast");
    expect(parseArgs(["--out"])).toBe("--out needs a directory");
    expect(USAGE).toContain("tasks, sync, timers, echo, accept, files");
  });
});
