/**
 * What a demo program is: a name, a one-line description, and a `main` that returns the
 * coroutine to run. Programs print through `out` (not console.log) so tests can capture exactly
 * what a user would see, and read the clock through `loop.time()` so the virtual clock makes
 * their timings exact.
 */
import type { Coro } from "@aioloop/core";

export interface DemoOptions {
  /** "real" (default) or "virtual": the virtual clock plays long programs instantly. */
  clock: "real" | "virtual";
  /** Extra command-line arguments after the program name. */
  args: string[];
  /** Where the program prints (process.stdout.write in the CLI; a buffer in tests). */
  out: (text: string) => void;
}

export interface DemoProgram {
  name: string;
  description: string;
  /** The seed document the program comes from, for the listing. */
  source: string;
  main(opts: DemoOptions): Coro<void>;
  /** Default clock when no --virtual/--real flag is given. */
  defaultClock?: "real" | "virtual";
  /**
   * "sync" (runSync: the thread blocks between deadlines with sub-millisecond precision; right
   * for programs that only use timers) or "host" (run(): cooperates with Node's event loop, needed
   * for sockets, files and Promises). Default "host".
   */
  mode?: "sync" | "host";
}

/** Parse `--name value` / `--name=value` flags; returns the value or undefined. */
export function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Seconds with two decimals, as the seed programs print them. */
export function secs(ms: number): string {
  return (ms / 1000).toFixed(2);
}
