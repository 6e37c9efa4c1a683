/**
 * `tempfile`: aiofiles.tempfile for aioloop: temporary files and directories that remove
 * themselves.
 *
 *   TemporaryFile        created and unlinked in one job: no name, gone when closed
 *   NamedTemporaryFile   has a `name` others can open; removed on close (unless delete: false)
 *   TemporaryDirectory   a directory whose `name` you use; close() removes it with its contents
 *
 * Names are `prefix + 8 random characters + suffix` in `dir` (default: the system's temporary
 * directory), created with O_EXCL (mode 0600 for files, 0700 for directories) so no other
 * process can claim them. Use them with `withFile`, which closes (and so removes) on every exit
 * path; a TemporaryDirectory that is garbage-collected unclosed is removed in the background.
 *
 * @example
 * yield* withFile(tempfile.TemporaryDirectory(), function* (d) {
 *   yield* withFile(open(join(d.name, "x.txt"), "w"), (f) => f.write("hi"));
 * });
 */

import { tmpdir } from "node:os";
import { type Coro, coro } from "@aioloop/core";
import { type FileFor, type OpenOptions, makeFile, resolveOpen } from "./file.js";
import { type WorkerPool, getDefaultPool } from "./pool.js";
import { OP } from "./protocol.js";

/** Python's default name prefix. */
export const TEMPLATE = "tmp";

/** Where and how temporary names are made. */
export interface TempNameOptions {
  /** Text after the random part (default ""). */
  suffix?: string;
  /** Text before the random part (default "tmp"). */
  prefix?: string;
  /** The directory (default: `gettempdir()`). */
  dir?: string;
}

/** The system's temporary directory (Python's tempfile.gettempdir). */
export function gettempdir(): string {
  return tmpdir();
}

function names(opts: TempNameOptions): [string, string, string] {
  const suffix = opts.suffix ?? "";
  const prefix = opts.prefix ?? TEMPLATE;
  for (const [k, v] of [
    ["suffix", suffix],
    ["prefix", prefix],
  ] as const) {
    if (typeof v !== "string" || v.includes("/") || v.includes("\0")) {
      throw new TypeError(`tempfile: ${k} must be a string without "/" (got ${JSON.stringify(v)})`);
    }
  }
  return [opts.dir ?? gettempdir(), prefix, suffix];
}

const openTemp = coro(function* openTemp<M extends string, N extends string | number>(
  mode: M,
  opts: OpenOptions & TempNameOptions,
  named: boolean,
  deleteOnClose: boolean,
): Coro<FileFor<M, N>> {
  const r = resolveOpen(mode, opts);
  const [dir, prefix, suffix] = names(opts);
  const pool = r.pool;
  const unlinkNow = !named;
  const [fd, path] = yield* pool._submit<[number, string]>(
    OP.OPEN_TEMP,
    [dir, prefix, suffix, r.info.flags, unlinkNow],
    {
      release: (v: [number, string], p: WorkerPool) =>
        p._submitDetached(OP.CLOSE, [v[0], unlinkNow ? null : v[1], null, -1]),
    },
  );
  const opened = { fd, size: 0, ahead: null, aheadAsked: 0, positional: true };
  const unlink = named && deleteOnClose ? path : null;
  return makeFile(named ? path : fd, r, opened, unlink) as FileFor<M, N>;
});

/**
 * An anonymous temporary file (Python's tempfile.TemporaryFile; mode "w+b" by default, and
 * open()'s options): created and unlinked in one job, so nothing else can open it and it
 * vanishes when closed, even if the process dies. Its `name` is the descriptor, as in Python.
 * @throws `FileNotFoundError` when `dir` does not exist; `PermissionError` when it is not
 * writable; `ValueError` for a bad mode or option (as {@link open}).
 * @throws `TypeError` when `prefix` or `suffix` contains "/".
 * @example
 * const f = yield* tempfile.TemporaryFile();
 * yield* f.write(new Uint8Array([1, 2, 3]));
 * yield* f.seek(0);
 * const back = yield* f.read(); // Uint8Array [1, 2, 3]
 * yield* f.close();
 */
export function TemporaryFile<M extends string = "w+b">(
  mode: M = "w+b" as M,
  opts: OpenOptions & TempNameOptions = {},
): Coro<FileFor<M, number>> {
  return openTemp<M, number>(mode, opts, false, true);
}

/**
 * A temporary file with a name (`file.name`) that other code can open (Python's
 * tempfile.NamedTemporaryFile; mode "w+b" by default). It is created with O_EXCL and mode 0600
 * as `dir/prefix + 8 random characters + suffix`, and removed on close() unless `delete` is
 * false.
 * @throws `FileNotFoundError` when `dir` does not exist; `PermissionError` when it is not
 * writable; `ValueError` for a bad mode or option (as {@link open}).
 * @throws `TypeError` when `prefix` or `suffix` contains "/".
 * @example
 * yield* withFile(tempfile.NamedTemporaryFile("w+", { suffix: ".txt" }), function* (f) {
 *   yield* f.write("shared with a child process through f.name");
 * });
 */
export function NamedTemporaryFile<M extends string = "w+b">(
  mode: M = "w+b" as M,
  opts: OpenOptions & TempNameOptions & { delete?: boolean } = {},
): Coro<FileFor<M, string>> {
  return openTemp<M, string>(mode, opts, true, opts.delete !== false);
}

interface DirRecord {
  pool: WorkerPool;
  path: string;
}

const dirLeaks = new FinalizationRegistry<DirRecord>((r) => {
  r.pool._submitDetached(OP.RMTREE, [r.path]);
});

/**
 * A temporary directory made by {@link TemporaryDirectory} (Python's
 * tempfile.TemporaryDirectory object): `name` is its path; `close()` (or `cleanup()`) removes
 * it and everything in it. One left unclosed is removed in the background once it is
 * garbage-collected (unless made with `delete: false`).
 */
export class TemporaryDirectoryHandle {
  /** The directory's path. */
  readonly name: string;
  readonly #pool: WorkerPool;
  readonly #delete: boolean;
  #removed = false;

  /** @internal Use `TemporaryDirectory()`. */
  constructor(name: string, pool: WorkerPool, del: boolean) {
    this.name = name;
    this.#pool = pool;
    this.#delete = del;
    if (del) dirLeaks.register(this, { pool, path: name }, this);
  }

  /** Whether cleanup() has run. */
  get removed(): boolean {
    return this.#removed;
  }

  /** Remove the directory and its contents (once; later calls do nothing). */
  *cleanup(): Coro<void> {
    if (this.#removed) return;
    this.#removed = true;
    dirLeaks.unregister(this);
    yield* this.#pool._submit(OP.RMTREE, [this.name]);
  }

  /** cleanup(), unless created with `delete: false` (what `withFile` calls). */
  *close(): Coro<void> {
    if (this.#delete) yield* this.cleanup();
  }

  /** `<TemporaryDirectory "/tmp/tmpab12cd34">`, as Python's repr of a TemporaryDirectory. */
  toString(): string {
    return `<TemporaryDirectory ${JSON.stringify(this.name)}>`;
  }
}

/**
 * Create a temporary directory (Python's tempfile.TemporaryDirectory, used as `async with`):
 * mode 0700, named `dir/prefix + 8 random characters + suffix`. Use `.name`; `close()` removes it
 * with its contents (unless `delete` is false). Best used with {@link withFile}.
 * @throws `FileNotFoundError` when `dir` does not exist; `PermissionError` when it is not
 * writable.
 * @throws `TypeError` when `prefix` or `suffix` contains "/".
 * @example
 * const d = yield* tempfile.TemporaryDirectory({ prefix: "build-" });
 * try {
 *   yield* withFile(open(`${d.name}/out.txt`, "w"), (f) => f.write("built\n"));
 * } finally {
 *   yield* d.close(); // removes out.txt too
 * }
 */
export const TemporaryDirectory = coro(function* TemporaryDirectory(
  opts: TempNameOptions & { delete?: boolean; pool?: WorkerPool } = {},
): Coro<TemporaryDirectoryHandle> {
  const [dir, prefix, suffix] = names(opts);
  const pool = opts.pool ?? getDefaultPool();
  const path = yield* pool._submit<string>(OP.MKDTEMP, [dir, prefix, suffix], {
    release: (p: string, owner: WorkerPool) => owner._submitDetached(OP.RMTREE, [p]),
  });
  return new TemporaryDirectoryHandle(path, pool, opts.delete !== false);
});

/**
 * Create a temporary directory (mode 0700) and return its path; removing it is up to you
 * (Python's tempfile.mkdtemp).
 * @throws `FileNotFoundError` when `dir` does not exist; `PermissionError` when it is not
 * writable.
 * @throws `TypeError` when `prefix` or `suffix` contains "/".
 */
export const mkdtemp = coro(function* mkdtemp(
  opts: TempNameOptions & { pool?: WorkerPool } = {},
): Coro<string> {
  const [dir, prefix, suffix] = names(opts);
  return yield* (opts.pool ?? getDefaultPool())._submit<string>(OP.MKDTEMP, [dir, prefix, suffix]);
});
