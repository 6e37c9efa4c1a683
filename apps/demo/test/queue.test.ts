import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TraceRecorder } from "@aioloop/core";
import { TimerLoop, runSync } from "@aioloop/timer-loop";
import { describe, expect, it } from "vitest";
import { PROGRAMS } from "../src/programs/index.js";
import {
  DEFAULT_CONSUMERS,
  DEFAULT_PRODUCERS,
  parseQueueArgs,
  queue,
} from "../src/programs/queue.js";
import * as python from "./fixtures/python-output.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const demo = (...args: string[]) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: "utf8" });

/** The `(args: …)` the listing shows for `queue`, split into arguments. */
function listedArgs(listing: string): string[] {
  const line = listing.split("\n").find((l) => /^\s+queue\s/.test(l));
  expect(line, "the listing has a queue line").toBeDefined();
  const m = /\(args: ([^,;)]*)/.exec(line!);
  expect(m, `the queue line shows its args: ${line}`).not.toBeNull();
  return m![1]!.trim().split(/\s+/);
}

/** Items and clock readings differ on every run; everything else is fixed by the seed. */
function masked(text: string): string {
  return text
    .replace(/(Start Time|End Time): [0-9.]+/g, "$1: <t>")
    .replace(/<[0-9a-f]{10}>/g, "<item>")
    .replace(/(\d+\.\d+) seconds/g, (_, v: string) => `${Number(v).toFixed(1)} seconds`);
}

/**
 * Run queue on the virtual clock (colours on, as python3 printed them) with a trace: what it
 * printed, and how many producer and consumer tasks it created.
 */
function play(args: string[]): { out: string; producers: number; consumers: number } {
  let out = "";
  const loop = new TimerLoop({ clock: "virtual" });
  const recorder = new TraceRecorder();
  loop.setTracer(recorder);
  runSync(queue.main({ clock: "virtual", args, color: true, out: (s) => (out += s) }), { loop });
  const created = recorder.events.flatMap((e) => (e.kind === "task-created" ? [e.name] : []));
  return {
    out,
    producers: created.filter((n) => /^producer \d+$/.test(n)).length,
    consumers: created.filter((n) => /^consumer \d+$/.test(n)).length,
  };
}

describe("queue: the listing shows the arguments a bare `demo queue` runs with", () => {
  const listing = demo();
  const args = listedArgs(listing);
  const listed = parseQueueArgs(args);

  it("lists the seed's example, -p 2 -c 4, and those are the defaults", () => {
    expect(args).toEqual(["-p", "2", "-c", "4"]);
    expect(listed).toEqual({ producers: DEFAULT_PRODUCERS, consumers: DEFAULT_CONSUMERS });
    expect(parseQueueArgs([])).toEqual(listed);
    expect(PROGRAMS.find((p) => p.name === "queue")).toBe(queue);
  });

  it("a run with no arguments starts the listed numbers of producers and consumers", () => {
    const bare = play([]);
    expect({ producers: bare.producers, consumers: bare.consumers }).toEqual(listed);
    // Every consumer sleeps before its first get: one "Consumer k sleeping" per consumer.
    const sleepers = new Set([...bare.out.matchAll(/Consumer (\d+) sleeping/g)].map((m) => m[1]));
    expect(sleepers.size).toBe(listed.consumers);
    // …and prints what the listed command prints (the seed's run, 23 s on the virtual clock).
    expect(masked(bare.out)).toBe(masked(play(args).out));
    expect(masked(bare.out)).toBe(masked(python.QUEUE_P2_C4));
    expect(bare.out).toContain("Program Execution Time: 23.00 seconds.");
  });

  it("the built command line agrees: `demo queue` prints what `demo queue <listed args>` does", () => {
    const bare = demo("queue", "--virtual");
    expect(masked(bare)).toBe(masked(demo("queue", "--virtual", ...args)));
    expect(masked(bare)).not.toBe(masked(demo("queue", "--virtual", "-p", "10", "-c", "15")));
  });

  it("-p and -c still change the counts", () => {
    const run = play(["-p", "3", "-c", "1"]);
    expect({ producers: run.producers, consumers: run.consumers }).toEqual({
      producers: 3,
      consumers: 1,
    });
  });
});
