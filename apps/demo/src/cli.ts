#!/usr/bin/env node
/**
 * `pnpm demo` lists the programs; `pnpm demo <name> [--virtual] [--trace] [--no-color] [args]`
 * runs one. Each program is a port of an example from the seed documents (../shared/seeds/) or
 * a real workload, run on aioloop's TimerLoop with the real clock unless `--virtual` is given.
 *
 * Colours: the seed programs print ANSI colours, as the Python originals do, when stdout is a
 * terminal; `--no-color` or a non-empty NO_COLOR turns them off, `--color` forces them on.
 * Progress of long runs goes to stderr, and only when stderr is a terminal.
 */
import { writeFileSync } from "node:fs";
import { TraceRecorder } from "@aioloop/core";
import { SelectorLoop } from "@aioloop/selector-loop";
import { KeyboardInterrupt, TimerLoop, run, runSync } from "@aioloop/timer-loop";
import { type DemoProgram, UsageError } from "./program.js";
import { PROGRAMS } from "./programs/index.js";
import { timeOrderedTimeline } from "./timeline.js";

function list(): void {
  const width = Math.max(...PROGRAMS.map((p) => p.name.length));
  process.stdout.write("aioloop demo programs (run one with: pnpm demo <name> [--virtual]):\n\n");
  for (const p of PROGRAMS) process.stdout.write(`  ${p.name.padEnd(width)}  ${p.description}\n`);
  process.stdout.write(
    "\n--virtual runs on the virtual clock: long programs finish at once with exact timings.\n" +
      "--trace[=file] prints a loop timeline and writes a Chrome trace; --no-color drops colours.\n",
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "list" || name === "--help" || name === "-h") {
    list();
    return 0;
  }
  const program: DemoProgram | undefined = PROGRAMS.find((p) => p.name === name);
  if (program === undefined) {
    process.stderr.write(
      `unknown demo program "${name}". Known: ${PROGRAMS.map((p) => p.name).join(", ")}\n`,
    );
    return 2;
  }
  const clock = rest.includes("--virtual")
    ? "virtual"
    : rest.includes("--real")
      ? "real"
      : (program.defaultClock ?? "real");
  const traceArg = rest.find((a) => a === "--trace" || a.startsWith("--trace="));
  const CLI_FLAGS = ["--virtual", "--real", "--color", "--no-color"];
  const args = rest.filter((a) => !CLI_FLAGS.includes(a) && a !== traceArg);
  const color = rest.includes("--color")
    ? true
    : rest.includes("--no-color") || (process.env.NO_COLOR ?? "") !== ""
      ? false
      : process.stdout.isTTY === true;
  if (program.loop === "selector" && clock === "virtual") {
    process.stderr.write(
      `${program.name} uses real sockets, on a SelectorLoop with the real clock: drop --virtual\n`,
    );
    return 2;
  }
  const loop = program.loop === "selector" ? new SelectorLoop() : new TimerLoop({ clock });
  const recorder = traceArg === undefined ? null : new TraceRecorder();
  if (recorder !== null) loop.setTracer(recorder);
  let progressShown = false;
  const progress =
    process.stderr.isTTY === true
      ? (text: string) => {
          progressShown = true;
          process.stderr.write(`\r\x1b[K${text}`);
        }
      : undefined;
  const coro = program.main({
    clock,
    args,
    color,
    out: (s) => process.stdout.write(s),
    ...(progress === undefined ? {} : { progress }),
  });
  // A host run whose loop parks with nothing left to wake it would let Node exit silently,
  // mid-program, with status 0: say so and fail instead.
  const stranded = () => {
    process.stderr.write(
      `\n${program.name}: the event loop is waiting for something that can no longer happen ` +
        "(no timer, socket or worker left to wake it); the program did not finish. " +
        "This is a bug in aioloop: please report it with the command line above.\n",
    );
    process.exitCode = 1;
  };
  process.once("beforeExit", stranded);
  try {
    if (program.mode === "sync") runSync(coro, { loop });
    else await run(coro, { loop });
  } catch (e) {
    if (e instanceof KeyboardInterrupt) {
      process.stderr.write(`\n${program.name}: interrupted (Ctrl-C)\n`);
      return 130;
    }
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  } finally {
    process.removeListener("beforeExit", stranded);
    if (progressShown) process.stderr.write("\r\x1b[K");
    if (recorder !== null) {
      const file = traceArg!.startsWith("--trace=")
        ? traceArg!.slice("--trace=".length)
        : `aioloop-trace-${program.name}.json`;
      writeFileSync(file, JSON.stringify(recorder.toChromeTrace()));
      process.stdout.write(
        `\n── loop timeline (${recorder.events.length} events) ──\n${timeOrderedTimeline(recorder, 40)}\n`,
      );
      process.stdout.write(
        `Chrome trace written to ${file} (open it at ui.perfetto.dev or chrome://tracing)\n`,
      );
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    process.exitCode = 1;
  },
);
