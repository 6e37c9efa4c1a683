import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseEvents } from "../src/runner/collect.mjs";
import { commandFor } from "../src/runner/processes.mjs";

describe("the scenario program", () => {
  it("runs the scenarios it is asked for under Node and reports each", () => {
    const [cmd, args] = commandFor("node", ["core-tasks", "queues", "runsync-virtual"]);
    const r = spawnSync(cmd, args, {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 50_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const events = parseEvents(r.stdout.split("\n"));
    expect(events[0]).toMatchObject({ event: "hello", runtime: "node", sab: true });
    const results = events.filter((e: { event: string }) => e.event === "result");
    expect(results.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      ["core-tasks", "pass"],
      ["queues", "pass"],
      ["runsync-virtual", "pass"],
    ]);
    expect(events.at(-1)).toEqual({ event: "done" });
  });
});
