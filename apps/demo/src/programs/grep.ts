/**
 * A real workload for @aioloop/files: `grep PATTERN [DIR]`, a concurrent search of a directory
 * tree that prints `path:line:text` for every matching line, as `grep -rn` does.
 *
 * HOW: one walker coroutine lists directories with `os.scandir` (one worker-thread job per
 * directory) and puts file paths on a bounded Queue; `--jobs` searcher tasks take paths off it,
 * open each file in binary mode, skip it if its first block holds a NUL byte (grep's binary
 * test), and iterate its lines, decoding each as UTF-8. When the walk ends the queue is shut
 * down, and each searcher's `forEach` ends once the queue is empty (asyncio 3.13's
 * Queue.shutdown). A file's matches are printed together when it is done, so lines of two files
 * never mix.
 *
 *   walker ─scandir─► Queue<path> (bounded: the walk waits when searchers fall behind)
 *                        │
 *            ┌───────────┼───────────┐
 *        searcher 1   searcher 2 … searcher N ──open──► worker pool (blocking reads)
 *            └──── print path:line:text per file ───┘
 *
 * Cost: a line from the file's 64 KiB buffer needs no thread hop; a file costs an open, a read
 * per 64 KiB and a close (the close rides along with the next job).
 */
import { open, os, withFile } from "@aioloop/files";
import { type Coro, Queue, createTask, forEach, gather, getRunningLoop } from "@aioloop/core";
import {
  type DemoProgram,
  UsageError,
  flag,
  formatBytes,
  intArg,
  palette,
  positionals,
  secs,
} from "../program.js";

/** Searchers at once by default: enough to keep the worker pool's threads busy. */
const DEFAULT_JOBS = 8;
/** Paths queued ahead of the searchers, per searcher, before the walk waits. */
const QUEUE_PER_JOB = 4;
/** grep's binary test looks for a NUL byte in the first block of the file. */
const BINARY_SNIFF_BYTES = 8 * 1024;
const NUL = 0;
/** A progress report every this many files searched. */
const PROGRESS_EVERY_FILES = 100;

/** What a search counted (printed as the last line unless -q). */
export interface GrepStatistics {
  files: number;
  binary: number;
  matchingFiles: number;
  matches: number;
  bytes: number;
  errors: number;
}

export const grep: DemoProgram = {
  name: "grep",
  description:
    "grep PATTERN [DIR]: concurrent search of a tree via @aioloop/files (-i, -j N, -q, --exclude-dir D)",
  mode: "host",
  source: "real workload: os.scandir + open + line iteration on worker threads",
  *main({ out, args, color, progress }) {
    const [pattern, dir = "."] = positionals(args, ["j", "jobs", "exclude-dir"]);
    if (pattern === undefined) {
      throw new UsageError(
        "grep: give a pattern (a JavaScript regular expression) and a directory: grep 'TODO|FIXME' src",
      );
    }
    const jobsArg = flag(args, "jobs") ?? jobsShort(args);
    const jobs = jobsArg === undefined ? DEFAULT_JOBS : intArg(jobsArg, "grep --jobs");
    if (jobs < 1) throw new UsageError(`grep --jobs: needs at least 1 searcher, got ${jobs}`);
    const excluded = new Set(valuesOf(args, "exclude-dir"));
    let re: RegExp;
    try {
      re = new RegExp(pattern, args.includes("-i") ? "i" : "");
    } catch (e) {
      throw new UsageError(`grep: ${(e as Error).message}`);
    }
    const quiet = args.includes("-q");
    const c = palette(color);
    const loop = getRunningLoop();
    const start = loop.time();
    const stats: GrepStatistics = {
      files: 0,
      binary: 0,
      matchingFiles: 0,
      matches: 0,
      bytes: 0,
      errors: 0,
    };
    const report = () => {
      if (progress === undefined || stats.files % PROGRESS_EVERY_FILES !== 0) return;
      progress(
        `searched ${stats.files} files (${formatBytes(stats.bytes)}), ${stats.matches} matches…`,
      );
    };
    const fail = (path: string, e: unknown) => {
      stats.errors++;
      out(`grep: ${path}: ${e instanceof Error ? e.message : String(e)}\n`);
    };

    const paths = new Queue<string>(jobs * QUEUE_PER_JOB);

    function* walk(top: string): Coro<void> {
      const pending = [top];
      while (pending.length > 0) {
        const d = pending.pop()!;
        let entries: os.DirEntry[];
        try {
          entries = yield* os.scandir(d);
        } catch (e) {
          fail(d, e);
          continue;
        }
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const subdirs: string[] = [];
        for (const entry of entries) {
          // Directories are not followed through symbolic links (no cycles), files are.
          if (entry.isDir({ followSymlinks: false })) {
            if (!excluded.has(entry.name)) subdirs.push(entry.path);
          } else if (entry.isFile()) {
            yield* paths.put(entry.path); // waits while the searchers are behind
          } // sockets, FIFOs, devices: reading them could block a worker for ever
        }
        for (let i = subdirs.length - 1; i >= 0; i--) pending.push(subdirs[i]!);
      }
    }

    function* search(path: string): Coro<void> {
      const found: string[] = [];
      let binary = false;
      yield* withFile(open(path, "rb"), function* (f) {
        const head = yield* f.read(BINARY_SNIFF_BYTES);
        if (head.includes(NUL)) {
          binary = true;
          stats.bytes += head.length;
          return;
        }
        yield* f.seek(0);
        const decoder = new TextDecoder("utf-8");
        let n = 0;
        // A plain function as the body: no coroutine per line.
        yield* forEach(f, (raw: Uint8Array) => {
          n++;
          stats.bytes += raw.length;
          const line = decoder.decode(raw).replace(/\r?\n$/, "");
          if (re.test(line)) {
            found.push(`${c.magenta}${path}${c.reset}:${c.green}${n}${c.reset}:${line}\n`);
          }
        });
      });
      stats.files++;
      if (binary) stats.binary++;
      else if (found.length > 0) {
        stats.matchingFiles++;
        stats.matches += found.length;
        out(found.join(""));
      }
      report();
    }

    function* searcher(): Coro<void> {
      yield* forEach(paths, function* (path: string) {
        try {
          yield* search(path);
        } catch (e) {
          fail(path, e);
        }
      });
    }

    const searchers = Array.from({ length: jobs }, () => createTask(searcher()));
    try {
      yield* walk(dir);
    } finally {
      paths.shutdown(); // searchers finish what is queued, then their forEach ends
    }
    yield* gather(searchers);
    if (!quiet) {
      out(
        `grep: ${stats.matches} matches in ${stats.matchingFiles} files; searched ${stats.files} files` +
          ` (${formatBytes(stats.bytes)}), skipped ${stats.binary} binary, ${stats.errors} errors,` +
          ` ${jobs} searchers, ${secs(loop.time() - start)} s\n`,
      );
    }
  },
};

/** `-j N` or `-jN`. */
function jobsShort(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-j") return args[i + 1];
    if (/^-j\d+$/.test(a)) return a.slice(2);
  }
  return undefined;
}

/** Every value of a repeatable `--name value` flag. */
function valuesOf(args: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}` && i + 1 < args.length) out.push(args[++i]!);
    else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out;
}
