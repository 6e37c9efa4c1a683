/**
 * AsyncFile, `open()` and `withFile()`: aiofiles' file objects for aioloop coroutines.
 *
 * HOW: an AsyncFile is a thin shell over two layers:
 *
 *   AsyncFile ── mode and closed checks, one operation at a time (a small FIFO lock), line
 *      │          iteration (aiter), statistics
 *      ├── TextIO (text modes) ── decoding, newline handling, character positions  (text.ts)
 *      └── BufferedIO ── readahead, write-behind, positions; jobs on a WorkerPool (buffered.ts)
 *
 * Every method is a coroutine, as in aiofiles (`yield* f.readline()`), but most of them finish
 * without leaving the calling task: a readline served from the readahead buffer or a write that
 * fits the write buffer never yields, so a loop over 100,000 lines costs a few dozen thread hops.
 * `open()` itself opens the file, checks it is not a directory, and reads the first chunk in a
 * single job; `close()` writes the last buffered bytes and closes in a single job, and for a file
 * opened only for reading does not wait at all (the descriptor is closed with the next batch).
 *
 * Operations on one file run one at a time in call order: while one waits for a worker, the
 * next waits its turn (never a fast path around it), so two tasks sharing a file see Python's
 * sequential semantics. A file that is garbage-collected without close() writes its buffered
 * bytes and closes its descriptor in the background (Python does the same, with a warning):
 * close files, preferably with `withFile`.
 */

import { fileURLToPath } from "node:url";
import {
  type AsyncIter,
  type Awaitable,
  type Coro,
  type Future,
  coro,
  getRunningLoop,
  isCoroutine,
} from "@aioloop/core";
import { BufferedIO, DEFAULT_BUFFER_SIZE, type FileStatistics } from "./buffered.js";
import { type ErrorsMode, checkErrors, getCodec } from "./codec.js";
import { OSError, UnsupportedOperation, ValueError } from "./errors.js";
import { type ModeInfo, type Newline, checkNewline, parseMode } from "./mode.js";
import { type WorkerPool, getDefaultPool } from "./pool.js";
import { OP } from "./protocol.js";
import { TextIO, describeData } from "./text.js";

/** Options of `open()` (Python's keyword arguments). */
export interface OpenOptions {
  /** Text modes: the encoding (default "utf-8"). */
  encoding?: string;
  /** Text modes: "strict" (default: invalid data throws) or "replace". */
  errors?: ErrorsMode;
  /** Text modes: null (default, universal newlines), "", "\n", "\r" or "\r\n" (see text.ts). */
  newline?: Newline;
  /**
   * -1 (default): buffered (64 KiB); 0: unbuffered (binary only: each write is written before
   * it returns, no readahead); 1: line-buffered (text only); n > 1: an n-byte buffer.
   */
  buffering?: number;
  /** The worker pool (default: `getDefaultPool()`). */
  pool?: WorkerPool;
}

/** What open() hands the file (internal). */
interface FileInit {
  name: string | number;
  info: ModeInfo;
  raw: BufferedIO;
  text: TextIO | null;
  encoding: string | null;
  unlinkOnClose: string | null;
}

interface LeakRecord {
  raw: BufferedIO;
  unlink: string | null;
}

const leaks = new FinalizationRegistry<LeakRecord>((r) => r.raw.closeLeaked(r.unlink));

const WHENCE_START = 0;

/**
 * An open file whose methods are coroutines (aiofiles' AsyncBufferedIOBase and
 * AsyncTextIOWrapper in one). Text modes read and write strings; "b" modes Uint8Array.
 * @example
 * yield* withFile(open("notes.txt", "a"), function* (f) {
 *   yield* f.write("one more line\n");
 * });
 * const f = yield* open("data.bin", "rb");
 * const header = yield* f.read(16);
 * yield* f.close();
 */
export class AsyncFile<
  T extends string | Uint8Array = string | Uint8Array,
  N extends string | number = string | number,
> {
  /**
   * The path it was opened with (a number: the descriptor of an anonymous TemporaryFile).
   * `open()` and `NamedTemporaryFile()` type it `string`, `TemporaryFile()` `number`.
   */
  readonly name: N;
  /** The mode string it was opened with. */
  readonly mode: string;
  /** Text modes: the encoding; binary modes: null. */
  readonly encoding: string | null;
  readonly #info: ModeInfo;
  readonly #raw: BufferedIO;
  readonly #text: TextIO | null;
  readonly #unlinkOnClose: string | null;
  /** Invariant: true from the first close() call on; every other method then throws. */
  #closed = false;
  /** Invariant: true while an operation waits for a worker; others queue in #waiters. */
  #busy = false;
  /** Tasks waiting for their turn (allocated on first contention). */
  #waiters: Future<void>[] | null = null;

  /** @internal Use `open()`. */
  constructor(init: FileInit) {
    this.name = init.name as N;
    this.mode = init.info.mode;
    this.encoding = init.encoding;
    this.#info = init.info;
    this.#raw = init.raw;
    this.#text = init.text;
    this.#unlinkOnClose = init.unlinkOnClose;
    leaks.register(this, { raw: init.raw, unlink: init.unlinkOnClose }, this);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Read up to `size` bytes (binary) or characters (text); everything to end of file when `size`
   * is omitted or negative. Returns "" (or an empty array) at end of file.
   */
  *read(size = -1): Coro<T> {
    this.#checkReadable("read");
    const n = size === null || size === undefined || size < 0 ? -1 : checkSize(size, "read");
    if (!this.#busy && this.#text === null && n >= 0) {
      const now = this.#raw.readNow(n);
      if (now !== null) {
        this.#raw.stats.bufferHits++;
        return now as T;
      }
    }
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      const t = this.#text;
      if (t !== null) return (n < 0 ? yield* t.readAll() : yield* t.read(n)) as T;
      return (n < 0 ? yield* this.#raw.readAll() : yield* this.#raw.read(n)) as T;
    } finally {
      this.#unlock();
    }
  }

  /**
   * The next line, with its ending ("\n"; in text mode see the `newline` option); at most `size`
   * bytes or characters when given. "" (or an empty array) at end of file, as Python.
   */
  *readline(size = -1): Coro<T> {
    this.#checkReadable("readline");
    const limit =
      size === null || size === undefined || size < 0 ? -1 : checkSize(size, "readline");
    if (!this.#busy) {
      const now = this.#lineNow(limit);
      if (now !== null) return now;
    }
    return yield* this.#lineSlow(limit);
  }

  /** All remaining lines; stops once `hint` bytes/characters have been read, when it is > 0. */
  *readlines(hint = -1): Coro<T[]> {
    const lines: T[] = [];
    let total = 0;
    for (;;) {
      const line = yield* this.readline();
      if (line.length === 0) break;
      lines.push(line);
      total += line.length;
      if (hint > 0 && total >= hint) break;
    }
    return lines;
  }

  /**
   * Write `data` (a string in text modes, a Uint8Array in binary modes); returns its length.
   * Buffered: the bytes reach the operating system on flush(), close(), or when the buffer fills.
   */
  *write(data: T): Coro<number> {
    this.#checkWritable("write");
    if (this.#text === null && !(data instanceof Uint8Array)) {
      throw new TypeError(
        `write() needs a Uint8Array in binary mode, not ${describeData(data)}: encode text first, or open the file without "b"`,
      );
    }
    if (!this.#busy && this.#text === null && this.#raw.writeNow(data as Uint8Array)) {
      return data.length;
    }
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      const t = this.#text;
      if (t !== null) return yield* t.write(data as string);
      yield* this.#raw.write(data as Uint8Array);
      return data.length;
    } finally {
      this.#unlock();
    }
  }

  /** Write each item of `lines` (no separators are added, as Python). */
  *writelines(lines: Iterable<T>): Coro<void> {
    this.#checkWritable("writelines");
    for (const line of lines) yield* this.write(line);
  }

  /**
   * Move to `offset` relative to the start (whence 0), the current position (1) or the end (2);
   * returns the new position. Text modes accept only tell() values, seek(0, 1) and seek(0, 2).
   */
  *seek(offset: number, whence = WHENCE_START): Coro<number> {
    this.#checkOpen("seek");
    if (
      !this.#busy &&
      this.#text === null &&
      whence === WHENCE_START &&
      this.#raw.seekNow(offset)
    ) {
      return offset;
    }
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      const t = this.#text;
      return t !== null ? yield* t.seek(offset, whence) : yield* this.#raw.seek(offset, whence);
    } finally {
      this.#unlock();
    }
  }

  /** The current position (text modes: an opaque value for seek(), in fact the byte offset). */
  *tell(): Coro<number> {
    this.#checkOpen("tell");
    if (this.#busy) {
      yield* this.#lock();
      this.#unlock();
    }
    return this.#text !== null ? this.#text.tell() : this.#raw.tell();
  }

  /** Resize the file to `size` bytes (default: the current position); the position stays. */
  *truncate(size?: number): Coro<number> {
    this.#checkOpen("truncate");
    if (!this.#info.writable) {
      throw new UnsupportedOperation(
        `truncate() on a file opened with mode '${this.mode}': File not open for writing`,
      );
    }
    if (size !== undefined && size !== null && (!Number.isInteger(size) || size < 0)) {
      throw new OSError(`EINVAL: invalid argument, truncate to ${String(size)}`, {
        code: "EINVAL",
        errno: -22,
        syscall: "ftruncate",
      });
    }
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      if (this.#text !== null) yield* this.#text.syncPosition();
      return yield* this.#raw.truncate(size ?? this.#raw.tell());
    } finally {
      this.#unlock();
    }
  }

  /** Hand buffered writes to the operating system and wait until it has them. */
  *flush(): Coro<void> {
    this.#checkOpen("flush");
    if (!this.#busy && this.#raw.writesSettled) return;
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      yield* this.#raw.flushWrites();
    } finally {
      this.#unlock();
    }
  }

  /** flush(), then fsync(2): the data is on the disk (os.fsync in Python). */
  *sync(): Coro<void> {
    this.#checkOpen("sync");
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      yield* this.#raw.sync();
    } finally {
      this.#unlock();
    }
  }

  /**
   * Write what is buffered and close the descriptor (a NamedTemporaryFile is also removed).
   * Calling it again does nothing. The descriptor is closed even when the last write fails.
   */
  *close(): Coro<void> {
    if (this.#closed) return;
    this.#closed = true;
    leaks.unregister(this);
    if (!this.#busy && this.#raw.closeNow(this.#unlinkOnClose)) return;
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      yield* this.#raw.close(this.#unlinkOnClose);
    } finally {
      this.#unlock();
    }
  }

  /** The file descriptor. */
  fileno(): number {
    this.#checkOpen("fileno");
    return this.#raw.fd;
  }

  /**
   * Whether the file was opened for reading ("r" or a "+" mode), as Python's
   * io.IOBase.readable(). Answers at once, without a job.
   * @throws `ValueError` after close().
   */
  readable(): boolean {
    this.#checkOpen("readable");
    return this.#info.readable;
  }

  /**
   * Whether the file was opened for writing ("w", "a", "x" or a "+" mode), as Python's
   * io.IOBase.writable(). Answers at once, without a job.
   * @throws `ValueError` after close().
   */
  writable(): boolean {
    this.#checkOpen("writable");
    return this.#info.writable;
  }

  /**
   * Whether the file has positions, as Python's io.IOBase.seekable(): true for regular files
   * and devices, false for a pipe, FIFO, socket or terminal (there seek() and tell() throw
   * `UnsupportedOperation`). Known since open(), so it answers without a job.
   * @throws `ValueError` after close().
   */
  seekable(): boolean {
    this.#checkOpen("seekable");
    return this.#raw.positional;
  }

  /**
   * The lines of the file as an AsyncIter (`async for line in f`): use with `forEach` or
   * `yield* it.next()`. Iteration does not close the file.
   * @example
   * let count = 0;
   * yield* forEach(f, (line) => {
   *   if (line.trim() !== "") count++;
   * });
   */
  aiter(): AsyncIter<T> {
    const file = this;
    return {
      *next(): Coro<IteratorResult<T, undefined>> {
        let line: T | null = null;
        if (!file.#busy && !file.#closed && file.#info.readable) line = file.#lineNow(-1);
        if (line === null) line = yield* file.readline();
        return line.length === 0 ? { done: true, value: undefined } : { done: false, value: line };
      },
    };
  }

  /**
   * Counters of this file, as a fresh object: thread hops (jobs, `open()` included), bytes
   * read from and written to the operating system, reads answered from the buffer without a
   * hop, and whether it is closed. Works after close().
   * @example
   * const s = f.statistics();
   * console.log(`${s.bufferHits} reads from the buffer, ${s.hops} thread hops`);
   */
  statistics(): FileStatistics & {
    /** True once close() was called. */
    closed: boolean;
  } {
    return { ...this.#raw.stats, closed: this.#closed };
  }

  /**
   * A short description for logs, like Python's repr of a file object:
   * `<AsyncFile name="/tmp/x.txt" mode='w'>`, with ` closed` once closed.
   */
  toString(): string {
    return `<AsyncFile name=${JSON.stringify(this.name)} mode='${this.mode}'${this.#closed ? " closed" : ""}>`;
  }

  #lineNow(limit: number): T | null {
    const t = this.#text;
    const line = t !== null ? t.readlineNow(limit) : this.#raw.readlineNow(limit);
    if (line !== null) this.#raw.stats.bufferHits++;
    return line as T | null;
  }

  *#lineSlow(limit: number): Coro<T> {
    if (this.#busy) yield* this.#lock();
    else this.#busy = true;
    try {
      const t = this.#text;
      return (t !== null ? yield* t.readline(limit) : yield* this.#raw.readline(limit)) as T;
    } finally {
      this.#unlock();
    }
  }

  /** Wait for our turn (FIFO); a waiter woken and then cancelled passes the turn on. */
  *#lock(): Coro<void> {
    while (this.#busy) {
      const f = getRunningLoop().createFuture<void>();
      const waiters = (this.#waiters ??= []);
      waiters.push(f);
      try {
        yield* f;
      } catch (e) {
        const i = waiters.indexOf(f);
        if (i >= 0) waiters.splice(i, 1);
        if (!this.#busy) this.#wakeNext();
        throw e;
      }
    }
    this.#busy = true;
  }

  #unlock(): void {
    this.#busy = false;
    this.#wakeNext();
  }

  #wakeNext(): void {
    const waiters = this.#waiters;
    while (waiters !== null && waiters.length > 0) {
      const f = waiters.shift()!;
      if (!f.done()) {
        f.setResult(undefined);
        return;
      }
    }
  }

  #checkOpen(op: string): void {
    if (this.#closed) {
      throw new ValueError(
        `I/O operation on closed file: ${op}() on ${JSON.stringify(this.name)} after close(); open it again`,
      );
    }
  }

  #checkReadable(op: string): void {
    this.#checkOpen(op);
    if (!this.#info.readable) {
      throw new UnsupportedOperation(
        `not readable: ${op}() on a file opened with mode '${this.mode}'; open it with "r" or a "+" mode to read`,
      );
    }
  }

  #checkWritable(op: string): void {
    this.#checkOpen(op);
    if (!this.#info.writable) {
      throw new UnsupportedOperation(
        `not writable: ${op}() on a file opened with mode '${this.mode}'; open it with "w", "a", "x" or "r+" to write`,
      );
    }
  }
}

function checkSize(n: number, op: string): number {
  if (!Number.isInteger(n)) {
    throw new TypeError(`${op}(${String(n)}): the size must be a whole number (or -1 for all)`);
  }
  return n;
}

/** A path argument as a string (URLs must be file: URLs). */
export function pathArg(path: string | URL, where: string): string {
  if (typeof path === "string") return path;
  if (path instanceof URL) return fileURLToPath(path);
  throw new TypeError(`${where}: the path must be a string or a file: URL, got ${typeof path}`);
}

/** Everything open() needs to know besides the path. */
export interface ResolvedOpen {
  info: ModeInfo;
  pool: WorkerPool;
  bufferSize: number;
  lineBuffered: boolean;
  encoding: string | null;
  errors: ErrorsMode;
  newline: Newline;
}

/** Check mode and options as Python's open() does (before touching the disk). */
export function resolveOpen(mode: string, opts: OpenOptions): ResolvedOpen {
  const info = parseMode(mode);
  if (info.binary) {
    if (opts.encoding !== undefined)
      throw new ValueError("binary mode doesn't take an encoding argument");
    if (opts.errors !== undefined)
      throw new ValueError("binary mode doesn't take an errors argument");
    if (opts.newline !== undefined)
      throw new ValueError("binary mode doesn't take a newline argument");
  }
  const buffering = opts.buffering ?? -1;
  if (!Number.isInteger(buffering) || buffering < -1) {
    throw new ValueError(
      `buffering must be -1 (default), 0, 1 or a buffer size in bytes, got ${String(buffering)}`,
    );
  }
  if (buffering === 0 && !info.binary) {
    throw new ValueError(
      "can't have unbuffered text I/O: open in binary mode, or use buffering: 1",
    );
  }
  const lineBuffered = buffering === 1 && !info.binary;
  const bufferSize = buffering === 0 ? 0 : buffering > 1 ? buffering : DEFAULT_BUFFER_SIZE;
  const errors = checkErrors(opts.errors);
  const newline = checkNewline(opts.newline);
  const encoding = info.binary ? null : getCodec(opts.encoding ?? "utf-8", errors).name;
  return {
    info,
    pool: opts.pool ?? getDefaultPool(),
    bufferSize,
    lineBuffered,
    encoding,
    errors,
    newline,
  };
}

/** @internal Build the AsyncFile for a descriptor that a job opened. */
export function makeFile<T extends string | Uint8Array, N extends string | number>(
  name: N,
  r: ResolvedOpen,
  opened: {
    fd: number;
    size: number;
    ahead: Uint8Array | null;
    aheadAsked: number;
    positional: boolean;
  },
  unlinkOnClose: string | null,
): AsyncFile<T, N> {
  const raw = new BufferedIO({
    pool: r.pool,
    fd: opened.fd,
    positional: opened.positional,
    append: r.info.append,
    bufferSize: r.bufferSize,
    readOnly: !r.info.writable,
    ahead: opened.ahead,
    aheadAsked: opened.aheadAsked,
    size: opened.size,
  });
  raw.stats.hops = 1;
  const text =
    r.encoding === null
      ? null
      : new TextIO(raw, getCodec(r.encoding, r.errors), r.newline, r.lineBuffered);
  return new AsyncFile<T, N>({
    name,
    info: r.info,
    raw,
    text,
    encoding: r.encoding,
    unlinkOnClose,
  });
}

const NO_OPTIONS: OpenOptions = Object.freeze({});
/** resolveOpen(mode, {}) by mode, for the default pool it was made with (the common call). */
const defaults = new Map<string, ResolvedOpen>();

function resolveDefault(mode: string): ResolvedOpen {
  const r = defaults.get(mode);
  if (r !== undefined && r.pool === getDefaultPool()) return r;
  const fresh = resolveOpen(mode, NO_OPTIONS);
  defaults.set(mode, fresh);
  return fresh;
}

/** An open() whose task was cancelled while the worker opened the file: close what it got. */
const OPEN_OPTIONS = {
  release: (v: [number], pool: WorkerPool) =>
    pool._submitDetached(OP.CLOSE, [v[0], null, null, -1]),
};

/**
 * Types of open()'s result by mode literal: "b" modes give bytes (a mode not known until run
 * time: either). `N` is the type of `name`: a path (`string`) for open() and
 * NamedTemporaryFile(), the descriptor (`number`) for TemporaryFile().
 */
export type FileFor<M extends string, N extends string | number = string> = string extends M
  ? AsyncFile<string | Uint8Array, N>
  : M extends `${string}b${string}`
    ? AsyncFile<Uint8Array, N>
    : AsyncFile<string, N>;

/**
 * Open a file, as Python's open() (and aiofiles.open): a coroutine that gives an AsyncFile.
 * Errors are Python's: FileNotFoundError, PermissionError, IsADirectoryError, FileExistsError
 * (mode "x"), each with Node's `code`, `path` and `syscall`.
 * @throws `ValueError` for a bad mode (e.g. "rw") or option (an encoding in binary mode,
 * `buffering: 0` in text mode); `LookupError` (@aioloop/core's) for an unknown encoding or
 * `errors` value: both before touching the disk.
 * @throws `TypeError` when `path` is neither a string nor a file: URL.
 * @example
 * let count = 0;
 * const f = yield* open("/etc/hosts"); // text mode, utf-8: an AsyncFile<string>
 * try {
 *   yield* forEach(f, () => {
 *     count++; // async for line in f
 *   });
 * } finally {
 *   yield* f.close();
 * }
 * @example
 * const png = yield* open("logo.png", "rb"); // binary: an AsyncFile<Uint8Array>
 * const magic = yield* png.read(8);
 * yield* png.close();
 */
export const open = coro(function* open<M extends string = "r">(
  path: string | URL,
  mode: M = "r" as M,
  opts: OpenOptions = NO_OPTIONS,
): Coro<FileFor<M>> {
  const p = pathArg(path, "open()");
  const r = opts === NO_OPTIONS ? resolveDefault(mode) : resolveOpen(mode, opts);
  const info = r.info;
  const readahead =
    info.readable && !info.truncate && !info.append && r.bufferSize > 0 ? r.bufferSize : 0;
  const pool = r.pool;
  const opened = yield* pool._submit<[number, number, Uint8Array | null, number, number]>(
    OP.OPEN,
    [p, info.flags, 0o666, readahead],
    OPEN_OPTIONS,
  );
  const [fd, size, ahead, positional, asked] = opened;
  return makeFile(
    p,
    r,
    { fd, size, ahead, aheadAsked: asked, positional: positional === 1 },
    null,
  ) as FileFor<M>;
});

/**
 * Anything with a close() coroutine, what {@link withFile} needs (Python's async context
 * manager, with `close()` as `__aexit__`): {@link AsyncFile}, {@link TemporaryDirectoryHandle},
 * or a class of your own.
 */
export interface Closable {
  /**
   * Release the resource: `withFile` calls it once on every exit path of its body (return,
   * throw, cancellation), and lets its error, if any, replace the body's. The closables of this
   * package make a second call do nothing.
   */
  close(): Coro<void>;
}

/**
 * Python's `async with`: open (or create) the resource, run `body` with it, and close it on every
 * exit path: return, throw, cancellation.
 * @example
 * const text = yield* withFile(open("config.json"), function* (f) {
 *   return yield* f.read();
 * });
 */
export const withFile = coro(function* withFile<F extends Closable, R>(
  opening: Awaitable<F>,
  body: (resource: F) => Coro<R> | R,
): Coro<R> {
  const resource = yield* opening;
  try {
    const out = body(resource);
    return isCoroutine(out) ? ((yield* out as Coro<R>) as R) : (out as R);
  } finally {
    yield* resource.close();
  }
});
