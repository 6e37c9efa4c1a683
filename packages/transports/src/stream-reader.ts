/**
 * StreamReader: asyncio's StreamReader. A protocol feeds it bytes (`feedData`, `feedEof`);
 * coroutines read them back in the shapes applications want.
 *
 * HOW: bytes wait in a ChunkBuffer; a reader that needs more parks on one future that the next
 * `feedData`/`feedEof`/`setException` completes (only one reader at a time, as asyncio):
 *
 *   transport ─dataReceived─► feedData ─► buffer ─► read(n) / readexactly(n) / readuntil(sep)
 *                                 │ buffer > 2 × limit           │ buffer ≤ limit again
 *                                 └► transport.pauseReading()    └► transport.resumeReading()
 *
 * The limit (64 KiB by default) bounds both memory (reading pauses at twice the limit) and
 * readuntil/readline: a line longer than the limit, not counting its separator, is an error
 * (readline: LineTooLongError, whose cause is the LimitOverrunError, as asyncio's ValueError).
 *
 * One deliberate difference from asyncio: after a fault (e.g. a peer reset) the bytes that
 * arrived before it are still returned; the error is raised once a read cannot be served from
 * what is buffered. asyncio raises at once and the buffered bytes are lost.
 *
 * Costs: feedData O(1) (the chunk is kept, not copied); read(n) of bytes inside one chunk is a
 * view (no copy); readuntil is linear in the bytes searched (native indexOf per chunk).
 */

import {
  type AsyncIter,
  type AsyncIterableCo,
  type Coro,
  type EventLoop,
  type Future,
  IncompleteReadError,
  InvalidStateError,
  LimitOverrunError,
  blockOn,
  coroMethods,
  getRunningLoop,
} from "@aioloop/core";
import { EMPTY_BYTES, concatBytes, toBytes } from "./bytes.js";
import { ChunkBuffer } from "./chunk-buffer.js";
import { ConcurrentReadError, LineTooLongError } from "./errors.js";

/** asyncio's default buffer limit: 64 KiB. */
export const DEFAULT_LIMIT = 64 * 1024;

const NEWLINE = new Uint8Array([0x0a]);

/** What a StreamReader needs from its transport: flow control. */
export interface ReadPausable {
  /**
   * Stop delivering data (asyncio's `ReadTransport.pause_reading`): called once more than
   * twice the reader's limit is buffered unread.
   */
  pauseReading(): void;
  /**
   * Deliver data again (`ReadTransport.resume_reading`): called once the buffer is back at
   * or under the limit, or when a read has to wait while reading is paused.
   */
  resumeReading(): void;
}

/** Options of `new StreamReader()`. */
export interface StreamReaderOptions {
  /**
   * Buffer limit in bytes, a positive integer (default 64 KiB, asyncio's `limit`): the longest
   * line readuntil/readline accept; reading pauses above twice this many bytes.
   */
  limit?: number;
  /** The loop (default: the running one). */
  loop?: EventLoop;
}

/** A separator for readuntil: bytes or a string (UTF-8); readuntil also takes an array of them. */
export type Separator = Uint8Array | string;

/**
 * Bytes arriving over time, read with coroutines: asyncio's `StreamReader`, as openConnection,
 * startServer and the `stdout`/`stderr` of a Process give them. Bytes are Uint8Arrays; an empty
 * one means EOF. One task reads a stream at a time (ConcurrentReadError otherwise).
 * @example
 * import { openConnection, run } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const [reader, writer] = yield* openConnection({ host: "example.com", port: 80 });
 *   writer.write("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
 *   const head = new TextDecoder().decode(yield* reader.readuntil("\r\n\r\n"));
 *   const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
 *   const body = yield* reader.readexactly(length); // IncompleteReadError if it ends first
 *   console.log(head, body.length);
 *   writer.close();
 *   yield* writer.waitClosed();
 * });
 * @example
 * // Line by line until EOF (asyncio's `async for line in reader`); forEach is @aioloop/core's.
 * yield* forEach(reader.lines(), function* (line) {
 *   console.log(new TextDecoder().decode(line));
 * });
 */
export class StreamReader implements AsyncIterableCo<Uint8Array> {
  readonly #limit: number;
  readonly #loop: EventLoop;
  readonly #buffer = new ChunkBuffer();
  /** Invariant: true once feedEof() was called; no feedData after it. */
  #eof = false;
  #exception: Error | null = null;
  /** Invariant: the one pending read's future, or null. */
  #waiter: Future<void> | null = null;
  #transport: ReadPausable | null = null;
  /** Invariant: true while this reader has the transport's reading paused. */
  #paused = false;
  #bytesFed = 0;
  #pauses = 0;

  constructor(opts: StreamReaderOptions = {}) {
    const limit = opts.limit ?? DEFAULT_LIMIT;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) {
      throw new RangeError(`StreamReader: limit must be a positive integer, got ${String(limit)}`);
    }
    this.#limit = limit;
    this.#loop = opts.loop ?? getRunningLoop();
  }

  /** The buffer limit in bytes (asyncio's `_limit`). */
  get limit(): number {
    return this.#limit;
  }

  /** How many bytes are buffered. */
  get bufferedLength(): number {
    return this.#buffer.length;
  }

  /**
   * The error set by setException (e.g. the connection's ConnectionResetError), or null
   * (asyncio's `StreamReader.exception()`).
   */
  exception(): Error | null {
    return this.#exception;
  }

  /**
   * Fail the pending and later reads with `exc` once the buffered bytes are consumed
   * (asyncio's `set_exception`; asyncio fails them at once). Called by the protocol when the
   * connection is lost with an error.
   */
  setException(exc: Error): void {
    this.#exception = exc;
    this.#wakeWaiter();
  }

  /**
   * Called by the protocol: the transport whose reading this reader pauses and resumes
   * (asyncio's `set_transport`). Throws InvalidStateError when one is set already.
   */
  setTransport(transport: ReadPausable): void {
    if (this.#transport !== null) {
      throw new InvalidStateError("StreamReader.setTransport: a transport is set already");
    }
    this.#transport = transport;
  }

  /**
   * Add bytes (or a UTF-8 string) at the end of the buffer and wake the pending read
   * (asyncio's `feed_data`, called by the protocol's dataReceived). The bytes are kept, not
   * copied: do not reuse the array. Throws InvalidStateError after feedEof.
   */
  feedData(data: Uint8Array | string): void {
    if (this.#eof) {
      throw new InvalidStateError("feedData() after feedEof(): the stream has ended");
    }
    const bytes = data instanceof Uint8Array ? data : toBytes(data, "feedData");
    if (bytes.length === 0) return;
    this.#buffer.push(bytes);
    this.#bytesFed += bytes.length;
    this.#wakeWaiter();
    const t = this.#transport;
    if (t !== null && !this.#paused && this.#buffer.length > 2 * this.#limit) {
      this.#paused = true;
      this.#pauses++;
      t.pauseReading();
    }
  }

  /** Mark the end of the stream and wake the pending read (asyncio's `feed_eof`). */
  feedEof(): void {
    this.#eof = true;
    this.#wakeWaiter();
  }

  /** True when feedEof was called and the buffer is empty (asyncio's `at_eof()`). */
  atEof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /**
   * Up to `n` bytes as soon as any are there (asyncio's `StreamReader.read`); `n` < 0 (the
   * default): everything until EOF; an empty array at EOF. Throws the stream's error (e.g.
   * ConnectionResetError) once the bytes before it are read, ConcurrentReadError while
   * another task waits on this reader, RangeError when `n` is not a number.
   * @example
   * const chunks: Uint8Array[] = [];
   * for (let b = yield* reader.read(65536); b.length > 0; b = yield* reader.read(65536)) {
   *   chunks.push(b); // each as it arrives, at most 64 KiB
   * }
   */
  *read(n = -1): Coro<Uint8Array> {
    if (n === 0) return EMPTY_BYTES;
    if (typeof n !== "number" || Number.isNaN(n)) {
      throw new RangeError(`read(${String(n)}): pass a byte count (or -1 for "until EOF")`);
    }
    if (n < 0) return yield* this.#readAll();
    while (this.#buffer.length === 0) {
      if (this.#exception !== null) throw this.#exception;
      if (this.#eof) return EMPTY_BYTES;
      const w = this.#prepareWait("read");
      try {
        // `yield* w`, inlined: this is the hottest wait of a stream server, and the future's
        // iterator object and its delegation level cost more than the rest of the read.
        // blockOn is core's blocking protocol (tiny: V8 inlines it); result() re-raises a
        // cancellation.
        yield blockOn(w);
        w.result();
      } finally {
        this.#unpark(w);
      }
    }
    const data = this.#buffer.consume(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Exactly `n` bytes (asyncio's `readexactly`). Throws IncompleteReadError (with the bytes
   * read in `.partial` and `n` in `.expected`) when the stream ends first, RangeError when `n`
   * is not a non-negative integer; the stream's error and ConcurrentReadError as read does.
   * @example
   * const h = yield* reader.readexactly(4); // a 32-bit big-endian length prefix
   * const body = yield* reader.readexactly(new DataView(h.buffer, h.byteOffset, 4).getUint32(0));
   */
  *readexactly(n: number): Coro<Uint8Array> {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new RangeError(`readexactly(${String(n)}): the size must be a non-negative integer`);
    }
    if (n === 0) return EMPTY_BYTES;
    while (this.#buffer.length < n) {
      if (this.#exception !== null) throw this.#exception;
      if (this.#eof) {
        const partial = this.#buffer.takeAll();
        throw new IncompleteReadError(partial, n);
      }
      const w = this.#prepareWait("readexactly");
      try {
        // `yield* w`, inlined: this is the hottest wait of a stream server, and the future's
        // iterator object and its delegation level cost more than the rest of the read.
        // blockOn is core's blocking protocol (tiny: V8 inlines it); result() re-raises a
        // cancellation.
        yield blockOn(w);
        w.result();
      } finally {
        this.#unpark(w);
      }
    }
    const data = this.#buffer.consume(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Bytes up to and including a separator (asyncio's `StreamReader.readuntil`): `"\n"` by
   * default; or the first of several, the shortest result winning, as asyncio 3.13. Throws
   * LimitOverrunError (`.consumed`: where to cut) when more than `limit` bytes come before the
   * separator (the data stays buffered), IncompleteReadError (`.partial`: all that was left)
   * at EOF, RangeError for an empty separator or list; the stream's error and
   * ConcurrentReadError as read does.
   * @example
   * const head = yield* reader.readuntil("\r\n\r\n");
   * const word = yield* reader.readuntil([" ", "\n"]); // whichever comes first
   */
  *readuntil(separator: Separator | readonly Separator[] = NEWLINE): Coro<Uint8Array> {
    const seps = toSeparators(separator);
    const minLen = seps[0]!.length;
    const maxLen = seps[seps.length - 1]!.length;
    let offset = 0;
    for (;;) {
      const buflen = this.#buffer.length;
      if (buflen - offset >= minLen) {
        let matchStart = -1;
        let matchEnd = -1;
        for (const sep of seps) {
          const i = this.#buffer.find(sep, offset);
          if (i >= 0 && (matchEnd < 0 || i + sep.length < matchEnd)) {
            matchStart = i;
            matchEnd = i + sep.length;
          }
        }
        if (matchEnd >= 0) {
          if (matchStart > this.#limit) {
            throw new LimitOverrunError(
              "Separator is found, but chunk is longer than limit",
              matchStart,
            );
          }
          const chunk = this.#buffer.consume(matchEnd);
          this.#maybeResume();
          return chunk;
        }
        offset = Math.max(0, buflen + 1 - maxLen);
        if (offset > this.#limit) {
          throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
      }
      if (this.#exception !== null) throw this.#exception;
      if (this.#eof) {
        throw new IncompleteReadError(this.#buffer.takeAll(), null);
      }
      const w = this.#prepareWait("readuntil");
      try {
        // `yield* w`, inlined: this is the hottest wait of a stream server, and the future's
        // iterator object and its delegation level cost more than the rest of the read.
        // blockOn is core's blocking protocol (tiny: V8 inlines it); result() re-raises a
        // cancellation.
        yield blockOn(w);
        w.result();
      } finally {
        this.#unpark(w);
      }
    }
  }

  /**
   * One line, ending with "\n" (the last one may lack it); an empty array at EOF (asyncio's
   * `readline`). A line longer than the limit throws LineTooLongError (a RangeError, asyncio's
   * ValueError; cause: the LimitOverrunError) and drops that line (or the whole buffer when
   * its end is not there yet), as asyncio does. The stream's error and ConcurrentReadError as
   * read does.
   * @example
   * const line = new TextDecoder().decode(yield* reader.readline());
   */
  *readline(): Coro<Uint8Array> {
    try {
      return yield* this.readuntil(NEWLINE);
    } catch (e) {
      if (e instanceof IncompleteReadError) return e.partial;
      if (e instanceof LimitOverrunError) {
        if (this.#buffer.startsWith(NEWLINE, e.consumed)) this.#buffer.consume(e.consumed + 1);
        else this.#buffer.clear();
        this.#maybeResume();
        throw new LineTooLongError(
          `line longer than the stream limit (${this.#limit} bytes): ${e.message}; raise the limit ({ limit }) or read with read(n)`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  /**
   * The lines until EOF, as an AsyncIter (asyncio's `async for line in reader`): each `next()`
   * is a readline, done at EOF. Throws as readline does.
   * @example
   * yield* forEach(reader.lines(), function* (line) { writer.write(line); });
   */
  lines(): AsyncIter<Uint8Array> {
    const next = (): Coro<IteratorResult<Uint8Array, undefined>> => this.#nextLine();
    return { next };
  }

  /** Same as lines(): a StreamReader iterates over its lines. */
  aiter(): AsyncIter<Uint8Array> {
    return this.lines();
  }

  /**
   * Counters for monitoring: `buffered` (bytes unread), `bytesFed` (bytes received in all),
   * `eof`, `readingPaused` (flow control holds the transport now) and `pauses` (how often).
   */
  statistics(): Record<string, number | boolean> {
    return {
      buffered: this.#buffer.length,
      bytesFed: this.#bytesFed,
      eof: this.#eof,
      readingPaused: this.#paused,
      pauses: this.#pauses,
    };
  }

  /** For logs: `<StreamReader 12 bytes eof waiting ...>`, as asyncio's repr. */
  toString(): string {
    const parts = [`${this.#buffer.length} bytes`];
    if (this.#eof) parts.push("eof");
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#waiter !== null) parts.push("waiting");
    if (this.#exception !== null) parts.push(`exception=${this.#exception.name}`);
    if (this.#paused) parts.push("paused");
    return `<StreamReader ${parts.join(" ")}>`;
  }

  *#nextLine(): Coro<IteratorResult<Uint8Array, undefined>> {
    const line = yield* this.readline();
    return line.length === 0 ? { done: true, value: undefined } : { done: false, value: line };
  }

  *#readAll(): Coro<Uint8Array> {
    // Blocks of `limit`, so reading is never left paused (asyncio's reason for this loop).
    const blocks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const block = yield* this.read(this.#limit);
        if (block.length === 0) break;
        blocks.push(block);
        total += block.length;
      }
    } catch (e) {
      // Nothing received is lost: put what was read back for a later read.
      this.#buffer.unshift(concatBytes(blocks, total));
      throw e;
    }
    return concatBytes(blocks, total);
  }

  /**
   * The future a read parks on until feedData/feedEof/setException (asyncio's _wait_for_data,
   * split so the read awaits it directly: one generator less per wait). The caller must clear
   * `#waiter` if it leaves before the wake (cancellation): see #park.
   */
  #prepareWait(funcName: string): Future<void> {
    if (this.#waiter !== null) {
      throw new ConcurrentReadError(
        `${funcName}() called while another coroutine is already waiting for incoming data: read a stream from one task`,
      );
    }
    if (this.#eof) throw new InvalidStateError(`${funcName}(): waiting for data after EOF`);
    if (this.#paused) {
      // Waiting while paused would deadlock (e.g. readexactly(n) with n > limit).
      this.#paused = false;
      this.#transport!.resumeReading();
    }
    const waiter = this.#loop.createFuture<void>();
    this.#waiter = waiter;
    return waiter;
  }

  /** Forget `w` if it is still the pending waiter (the read was cancelled). */
  #unpark(w: Future<void>): void {
    if (this.#waiter === w) this.#waiter = null;
  }

  /** Wake the pending read; it re-checks the buffer, then the exception, then EOF. */
  #wakeWaiter(): void {
    const w = this.#waiter;
    if (w === null) return;
    this.#waiter = null;
    if (!w.done()) w.setResult(undefined);
  }

  #maybeResume(): void {
    if (this.#paused && this.#buffer.length <= this.#limit) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
  }
}

/** Calls into these are resumed from the task's own stack (see coro() in @aioloop/core). */
coroMethods(StreamReader.prototype, "read", "readexactly", "readuntil", "readline");

/** readuntil's separators, validated and sorted shortest first (the shortest match wins ties). */
function toSeparators(separator: Separator | readonly Separator[]): Uint8Array[] {
  const list = Array.isArray(separator)
    ? (separator as readonly Separator[])
    : [separator as Separator];
  if (list.length === 0) {
    throw new RangeError("readuntil: separator should contain at least one element");
  }
  const seps = list.map((s) => toBytes(s, "readuntil separator"));
  seps.sort((a, b) => a.length - b.length);
  if (seps[0]!.length === 0) {
    throw new RangeError("readuntil: separator should be at least one-byte string");
  }
  return seps;
}
