#!/usr/bin/env node
/**
 * `pnpm demo` lists the programs; `pnpm demo <name> [--virtual] [args]` runs one.
 * Each program is a port of an example from the seed documents (../shared/seeds/), run on
 * aioloop's TimerLoop with the real clock unless `--virtual` is given.
 */
import { writeFileSync } from "node:fs";
import { TraceRecorder } from "@aioloop/core";
import { TimerLoop, run, runSync } from "@aioloop/timer-loop";
import type { DemoProgram } from "./program.js";
import { PROGRAMS } from "./programs/index.js";

function list(): void {
  const width = Math.max(...PROGRAMS.map((p) => p.name.length));
  process.stdout.write("aioloop demo programs (run one with: pnpm demo <name> [--virtual]):\n\n");
  for (const p of PROGRAMS) process.stdout.write(`  ${p.name.padEnd(width)}  ${p.description}\n`);
  process.stdout.write(
    "\n--virtual runs on the virtual clock: long programs finish at once with exact timings.\n",
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
  const args = rest.filter((a) => a !== "--virtual" && a !== "--real" && a !== traceArg);
  const loop = new TimerLoop({ clock });
  const recorder = traceArg === undefined ? null : new TraceRecorder();
  if (recorder !== null) loop.setTracer(recorder);
  const coro = program.main({ clock, args, out: (s) => process.stdout.write(s) });
  try {
    if (program.mode === "sync") runSync(coro, { loop });
    else await run(coro, { loop });
  } finally {
    if (recorder !== null) {
      const file = traceArg!.startsWith("--trace=")
        ? traceArg!.slice("--trace=".length)
        : `aioloop-trace-${program.name}.json`;
      writeFileSync(file, JSON.stringify(recorder.toChromeTrace()));
      process.stdout.write(
        `\n── loop timeline (${recorder.events.length} events) ──\n${recorder.timeline(40)}\n`,
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
