import { run, runSync } from "@aioloop/timer-loop";
import { describe, expect, it } from "vitest";
import { type DemoProgram, UsageError } from "../src/program.js";
import { PROGRAMS } from "../src/programs/index.js";
import { parseQueueArgs } from "../src/programs/queue.js";
import * as python from "./fixtures/python-output.js";

function find(name: string): DemoProgram {
  const program = PROGRAMS.find((p) => p.name === name);
  if (program === undefined) throw new Error(`no demo program ${name}`);
  return program;
}

/** Run a program on the virtual clock, colours on (as in a terminal); what it printed. */
function play(name: string, args: string[] = [], color = true): string {
  let printed = "";
  runSync(find(name).main({ clock: "virtual", args, color, out: (s) => (printed += s) }), {
    clock: "virtual",
  });
  return printed;
}

/**
 * What differs between two runs of the same program: perf_counter readings, os.urandom items,
 * and real-clock drift (Python's 8.01 s is our exact 8.00 s): timings are rounded to 0.1 s.
 */
function masked(text: string): string {
  return text
    .replace(/(Start Time|End Time): [0-9.]+/g, "$1: <t>")
    .replace(/<[0-9a-f]{10}>/g, "<item>")
    .replace(/(\d+\.\d+) seconds/g, (_, v: string) => `${Number(v).toFixed(1)} seconds`);
}

describe("the seed's programs print what the Python originals print (random.seed(444))", () => {
  it("futures: foo awaits, bar resolves after 3 s", () => {
    const out = play("futures");
    expect(masked(out)).toBe(masked(python.FUTURES));
    expect(out).toContain("Future Start Time: 0.0\nFuture End Time: 3.0\n");
    expect(out).toContain("Future Execution Time: 3.00 seconds.");
  });

  it("tasks: bar's task starts first; main awaits only foo's (Python's `await t2, t1`)", () => {
    expect(masked(play("tasks"))).toBe(masked(python.TASKS));
  });

  it("chained 11 8 5: Python's sleeps (4, 4, 0 then 4, 7, 4), 11.00 s in all", () => {
    const out = play("chained", ["11", "8", "5"]);
    expect(masked(out)).toBe(masked(python.CHAINED_11_8_5));
    expect(out).toContain("(took 8.00 seconds)");
    expect(out).toContain("Program Execution Time: 11.00 seconds.");
  });

  it("chained with no arguments runs chains 1, 2 and 3", () => {
    expect(masked(play("chained"))).toBe(masked(python.CHAINED_DEFAULT));
  });

  it("random: the three coroutines' draws interleave as in Python, colours left running", () => {
    const out = play("random");
    expect(masked(out)).toBe(masked(python.RANDOM));
    expect(out).toContain(
      "\x1b[35m\nRandom INT 1: 10, Random INT 2: 10, Random INT 3: 9\n\x1b[0m\n",
    );
    expect(out).toContain("Program Execution Time: 12.00 seconds.");
  });

  it("queue -p 2 -c 4: producer 1 draws no items; the last consumer is cancelled asleep", () => {
    const out = play("queue", ["-p", "2", "-c", "4"]);
    expect(masked(out)).toBe(masked(python.QUEUE_P2_C4));
    expect(out).toMatch(/Consumer 0 got element <[0-9a-f]{10}> in 0\.00000 seconds\./);
    expect(out).toContain("Program Execution Time: 23.00 seconds.");
  });

  it("queue -p3 -c 2 (argparse's joined form): waits measured from put to get", () => {
    const out = play("queue", ["-p3", "--no_consumer=2"]);
    expect(masked(out)).toBe(masked(python.QUEUE_P3_C2));
    expect(out).toMatch(/Consumer 0 got element <[0-9a-f]{10}> in 2\.00000 seconds\./);
  });

  it("--no-color (color off) prints the same lines without escape codes", () => {
    const plain = play("chained", ["11", "8", "5"], false);
    expect(plain).not.toContain("\x1b[");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
    expect(plain).toBe(play("chained", ["11", "8", "5"]).replace(/\x1b\[\d+m/g, ""));
  });

  it("bad arguments are usage errors that say what to write instead", () => {
    expect(() => play("chained", ["eleven"])).toThrow(UsageError);
    expect(() => play("chained", ["eleven"])).toThrow(/expected a whole number, got "eleven"/);
    expect(() => parseQueueArgs(["--producers", "2"])).toThrow(/use -p N/);
    expect(() => parseQueueArgs(["-p", "-1"])).toThrow(/zero or more/);
    expect(parseQueueArgs([])).toEqual({ producers: 2, consumers: 4 });
  });
});

describe("threads: an event loop per worker thread", () => {
  async function playHost(name: string, args: string[]): Promise<string> {
    let printed = "";
    await run(find(name).main({ clock: "virtual", args, out: (s) => (printed += s) }), {
      clock: "virtual",
    });
    return printed;
  }

  it("each thread's loop reports itself running; totals are the slower thread's sleep", async () => {
    // python3: random.seed(1); randint(1, 5), randint(1, 5) -> 2, 5
    const out = await playHost("threads", ["--seed", "1"]);
    expect(out).toBe(
      "Is event loop running in thread Thread-1 = True\n" +
        "Is event loop running in thread Thread-2 = True\n" +
        "Is event loop running in thread MainThread = True\n" +
        "Event Loop Start Time: 0.0\nEvent Loop End Time: 5.0\nEvent Loop Execution Time: 5.00 seconds.\n",
    );
  });
});
