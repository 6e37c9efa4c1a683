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
  /**
   * Whether to print the seed programs' ANSI colours. The CLI turns them off for `--no-color`,
   * when NO_COLOR is set, or when stdout is not a terminal; unset means off.
   */
  color?: boolean;
  /**
   * Where long runs report progress (the CLI: stderr, one line rewritten in place, and only
   * when stderr is a terminal). Unset: no progress reports.
   */
  progress?: (text: string) => void;
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
  /**
   * The event loop: "timer" (default: TimerLoop, either clock) or "selector" (SelectorLoop:
   * sockets; real clock and host mode only).
   */
  loop?: "timer" | "selector";
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

/**
 * The arguments that are not flags: `args` minus every `--name value` pair for the flags in
 * `valued` (and `--name=value`, and bare `-x` switches).
 */
export function positionals(args: string[], valued: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.some((name) => a === `--${name}` || a === `-${name}`)) i++;
    else if (!a.startsWith("-") || a === "-") out.push(a);
  }
  return out;
}

/** Binary size suffixes `parseSize` understands (K = KiB, as dd and head do). */
const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "4096", "32K", "64KiB", "1M", "2g": a byte count; UsageError for anything else. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) {
    throw new UsageError(
      `${what}: expected a size such as 4096, 32K or 1M, got ${JSON.stringify(text)}`,
    );
  }
  return Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
}

/** A byte count as people read it: "832 B", "32.0 KiB", "1.50 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Seconds with two decimals, as the seed programs print them. */
export function secs(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/**
 * Loop milliseconds as Python prints a float of seconds (`print(time.perf_counter())`): the
 * shortest text that reads back the same number, with ".0" on whole numbers ("3.0", not "3").
 */
export function pyFloat(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? s.toFixed(1) : String(s);
}

/** The seed programs' ANSI colours: `colors[1] + text + colors[0]` in the Python originals. */
export interface Palette {
  /** "\x1b[0m": back to the terminal's colour (Python's colors[0]). */
  reset: string;
  red: string;
  green: string;
  cyan: string;
  magenta: string;
  blue: string;
}

const ANSI: Palette = {
  reset: "\x1b[0m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  cyan: "\x1b[36m",
  magenta: "\x1b[35m",
  blue: "\x1b[34m",
};
const PLAIN: Palette = { reset: "", red: "", green: "", cyan: "", magenta: "", blue: "" };

/** The colours to print with: the escape codes, or empty strings when colour is off. */
export function palette(color: boolean | undefined): Palette {
  return color === true ? ANSI : PLAIN;
}

/** Parse a whole number argument, or throw a UsageError naming the flag. */
export function intArg(text: string | undefined, what: string): number {
  const n = text === undefined ? Number.NaN : Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(`${what}: expected a whole number, got ${JSON.stringify(text ?? "")}`);
  }
  return n;
}

/** A demo program was given arguments it cannot use; the CLI prints the message, exit code 2. */
export class UsageError extends Error {}
Object.defineProperty(UsageError.prototype, "name", { value: "UsageError" });
