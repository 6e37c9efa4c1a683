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

  it("answers --help with the usage and bad options with a message", () => {
    expect(parseArgs(["--help"])).toBe("");
    expect(parseArgs(["--fast"])).toBe("unknown option --fast");
    expect(parseArgs(["--out"])).toBe("--out needs a directory");
    expect(USAGE).toContain("tasks, sync, timers, echo, accept, files");
  });
});
