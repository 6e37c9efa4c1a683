#!/usr/bin/env node
/**
 * `pnpm demo` lists the programs; `pnpm demo <name> [--virtual] [args]` runs one.
 * Each program is a port of an example from the seed documents (../shared/seeds/), run on
 * aioloop's TimerLoop with the real clock unless `--virtual` is given.
 */
import { run, runSync } from "@aioloop/timer-loop";
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
  const args = rest.filter((a) => a !== "--virtual" && a !== "--real");
  const coro = program.main({ clock, args, out: (s) => process.stdout.write(s) });
  if (program.mode === "sync") runSync(coro, { clock });
  else await run(coro, { clock });
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
