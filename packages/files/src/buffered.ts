/**
 * BufferedIO: the byte layer under every AsyncFile. Readahead and write-behind buffers over a
 * file descriptor whose system calls run on a WorkerPool.
 *
 * HOW: the file's position is kept here, and every read and write names its offset (pread and
 * pwrite), so jobs never depend on a descriptor's shared position:
 *
 *        rstart      pos - rbuf.length + rpos = logical position            pos
 *   file ──┬──────────────────────┬────────────────────────────────────────┬──────
 *          │ consumed             │ unread (served without a thread hop)   │ next raw read
 *          └────────── rbuf (the last chunk read) ─────────────────────────┘
 *
 *   writing: logical position = pos + wlen; wbuf[0..wlen) is written at pos when it fills up,
 *   on flush(), seek(), a read, or close().
 *
 * Readahead: a chunk starts at `bufferSize` bytes and doubles with each sequential refill up to
 * MAX_READAHEAD, so iterating a large file costs a handful of hops and a small one a single hop
 * (open() reads the first chunk in the same job that opens the file). A raw read that comes back
 * short proves end of file at that moment; the next request past it returns end of file without
 * another hop (once: later requests read again, so a growing file is seen).
 *
 * Write-behind: a full buffer is handed to a worker and the writer goes on filling a new one; at
 * most one write is in flight per file, so writes land in order. Its error (a full disk) surfaces
 * at the next operation that waits for it: the next flush, seek, read or close; the bytes it did
 * not write go back into the buffer, so every later flush and close() fails again instead of
 * dropping them (as Python's BufferedWriter; a close still closes the descriptor). Writes, truncates
 * and closes run to the end even when the waiting task is cancelled (it sees CancelledError once
 * they are done), so a cancel never leaves a file half-written or a descriptor half-closed.
 *
 * Costs: a read or readline served from the buffer is a subarray/slice (no hop, no yield); a
 * write that fits the buffer is one copy.
 */

import type { Coro, Future } from "@aioloop/core";
import { OSError, UnsupportedOperation, ValueError, type WireError } from "./errors.js";
import type { WorkerPool } from "./pool.js";
import { OP } from "./protocol.js";

/** Python's io.DEFAULT_BUFFER_SIZE is 8 KiB; a thread hop costs far more than a syscall, so 64 KiB. */
export const DEFAULT_BUFFER_SIZE = 64 * 1024;
/** Sequential readahead grows up to this: large enough that a hop per chunk is noise. */
export const MAX_READAHEAD = 1024 * 1024;
/** Reads at least this large skip the buffer and land directly in their own array. */
const DIRECT_READ_MIN = MAX_READAHEAD;

const EMPTY = new Uint8Array(0);

/** Counters of one file. */
export interface FileStatistics {
  /** Jobs sent to the worker pool (thread hops). */
  hops: number;
  /** Bytes that came from disk. */
  bytesRead: number;
  /** Bytes handed to the operating system. */
  bytesWritten: number;
  /** Reads and readlines answered from the buffer without waiting for a worker. */
  bufferHits: number;
}

/** How the file was opened (set by open()). */
export interface BufferedInit {
  pool: WorkerPool;
  fd: number;
  /** Regular file or block device: pread/pwrite at offsets. Else a stream (pipe, tty). */
  positional: boolean;
  append: boolean;
  /** Write-buffer size and first readahead (0: unbuffered). */
  bufferSize: number;
  /** Opened for reading only: close() need not wait (nothing can fail that matters). */
  readOnly: boolean;
  /** Bytes open() read ahead from offset 0 (or the stream). */
  ahead: Uint8Array | null;
  /** How many bytes open() asked for (a shorter answer means end of file). */
  aheadAsked: number;
  /** File size at open (the position of "a" modes). */
  size: number;
}

/** Bytes of `parts` in one array. */
export function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The byte layer of an AsyncFile. Not for direct use: AsyncFile adds mode checks and locking. */
export class BufferedIO {
  readonly pool: WorkerPool;
  readonly fd: number;
  readonly positional: boolean;
  readonly append: boolean;
  readonly bufferSize: number;
  readonly readOnly: boolean;
  /** Invariant: unread bytes are rbuf[rpos..]; when there are any, wlen === 0. */
  rbuf: Uint8Array = EMPTY;
  rpos = 0;
  /** File offset of the end of rbuf (reading) or the start of wbuf (writing). */
  pos = 0;
  /** A raw read ending at `pos` came back short: the file ended there (report it once). */
  eofAt = false;
  #ahead: number;
  /** The next chunk, requested early while reading sequentially (see fill()). */
  #prefetch: Future<Uint8Array> | null = null;
  /** Invariant: while #prefetch is set, it reads #prefetchSize bytes at #prefetchAt. */
  #prefetchAt = -1;
  #prefetchSize = 0;
  wbuf: Uint8Array | null = null;
  wlen = 0;
  /** Invariant: at most one write job in flight, so writes land in order. */
  #inflightWrite: Future<number> | null = null;
  readonly stats: FileStatistics = { hops: 0, bytesRead: 0, bytesWritten: 0, bufferHits: 0 };

  constructor(init: BufferedInit) {
    this.pool = init.pool;
    this.fd = init.fd;
    this.positional = init.positional;
    this.append = init.append;
    this.bufferSize = init.bufferSize;
    this.readOnly = init.readOnly;
    this.#ahead = Math.max(init.bufferSize, 1);
    if (init.append) this.pos = init.size;
    if (init.ahead !== null) {
      this.rbuf = init.ahead;
      this.pos = init.ahead.length;
      this.stats.bytesRead += init.ahead.length;
      this.eofAt = init.positional && init.ahead.length < init.aheadAsked;
    }
  }

  /** Unread bytes in the read buffer. */
  get available(): number {
    return this.rbuf.length - this.rpos;
  }

  /** The logical position (where the next read or write happens). */
  tell(): number {
    if (!this.positional) {
      throw new UnsupportedOperation(
        "tell() on a stream (a pipe, socket or terminal): it has no position",
      );
    }
    return this.wlen > 0 ? this.pos + this.wlen : this.pos - this.available;
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────
  //
  // Every slow path below awaits first and changes state after its last await, so a task
  // cancelled while a read is in flight leaves the file exactly as it was.

  /** Up to `n` bytes if the buffer can answer without a hop (or end of file is known); else null. */
  readNow(n: number): Uint8Array | null {
    const avail = this.available;
    if (avail >= n || (this.eofAt && this.wlen === 0)) {
      const take = Math.min(n, avail);
      if (take === 0) {
        this.eofAt = false;
        return EMPTY;
      }
      const out =
        this.rpos === 0 && take === this.rbuf.length
          ? this.rbuf
          : this.rbuf.slice(this.rpos, this.rpos + take);
      this.rpos += take;
      return out;
    }
    return null;
  }

  /** `n` bytes (fewer only at end of file). */
  *read(n: number): Coro<Uint8Array> {
    const now = this.readNow(n);
    if (now !== null) return now;
    yield* this.flushWrites();
    const head = this.rbuf.subarray(this.rpos);
    const chunks: Uint8Array[] = [];
    let total = head.length;
    let at = this.pos;
    let eof = false;
    let direct = false;
    let asked = 0;
    while (total < n) {
      const want = n - total;
      let chunk: Uint8Array;
      if (want >= DIRECT_READ_MIN) {
        // Large: straight into its own array, no copy through the buffer.
        direct = true;
        asked = want;
        this.#cancelPrefetch();
        chunk = yield* this.#job<Uint8Array>(OP.PREAD, [this.fd, want, this.#at(at)]);
      } else {
        [chunk, asked] = yield* this.#fetch(at, want);
      }
      chunks.push(chunk);
      at += chunk.length;
      total += chunk.length;
      if (this.#short(chunk, asked)) {
        eof = true;
        break;
      }
      if (direct) break;
    }
    // No awaits from here on: install the last chunk as the buffer, return the rest.
    const last = chunks[chunks.length - 1]!;
    const used = last.length - Math.max(0, total - n);
    this.stats.bytesRead += at - this.pos;
    this.pos = at;
    if (direct) this.#setBuffer(EMPTY, 0, eof);
    else this.#setBuffer(last, used, eof);
    const parts = head.length > 0 ? [head] : [];
    for (let i = 0; i < chunks.length - 1; i++) parts.push(chunks[i]!);
    if (used > 0) parts.push(last.subarray(0, used));
    const got = Math.min(total, n);
    if (got === 0) {
      this.eofAt = false;
      return EMPTY;
    }
    // A single direct chunk is already the caller's own array.
    if (parts.length === 1 && direct && used === last.length) return last;
    return parts.length === 1 ? parts[0]!.slice() : concatBytes(parts, got);
  }

  /** Everything up to end of file. */
  *readAll(): Coro<Uint8Array> {
    if (this.eofAt && this.wlen === 0) return this.readNow(this.available) ?? EMPTY;
    yield* this.flushWrites();
    if (!this.positional) {
      const head = this.rbuf.subarray(this.rpos);
      const rest = yield* this.#job<Uint8Array>(OP.READALL, [this.fd, -1]);
      this.stats.bytesRead += rest.length;
      this.#setBuffer(EMPTY, 0, false);
      return head.length === 0 ? rest : concatBytes([head, rest], head.length + rest.length);
    }
    // Re-read the buffered tail with the rest rather than copying the rest behind it.
    const at = this.tell();
    const all = yield* this.#job<Uint8Array>(OP.READALL, [this.fd, at]);
    this.stats.bytesRead += all.length;
    this.pos = at + all.length;
    // It read up to end of file: the next read reports end of file without a hop.
    this.#setBuffer(EMPTY, 0, true);
    return all;
  }

  /** A line (through "\n", or up to `limit` bytes) if the buffer holds one; else null. */
  readlineNow(limit: number): Uint8Array | null {
    const buf = this.rbuf;
    const start = this.rpos;
    const end = limit >= 0 ? Math.min(buf.length, start + limit) : buf.length;
    const nl = buf.indexOf(10, start);
    if (nl >= 0 && nl < end) {
      this.rpos = nl + 1;
      return buf.slice(start, nl + 1);
    }
    if (limit >= 0 && end - start === limit) {
      this.rpos = end;
      return buf.slice(start, end);
    }
    if (this.eofAt && this.wlen === 0) return this.readNow(buf.length - start);
    return null;
  }

  /** A line including its "\n" (the last one may lack it); empty at end of file. */
  *readline(limit: number): Coro<Uint8Array> {
    const now = this.readlineNow(limit);
    if (now !== null) return now;
    yield* this.flushWrites();
    const head = this.rbuf.subarray(this.rpos);
    const parts: Uint8Array[] = head.length > 0 ? [head] : [];
    let total = head.length;
    let at = this.pos;
    let chunk: Uint8Array = EMPTY;
    let used = 0;
    let eof = false;
    for (;;) {
      let asked: number;
      [chunk, asked] = yield* this.#fetch(at, 0);
      at += chunk.length;
      const room = limit >= 0 ? limit - total : Number.POSITIVE_INFINITY;
      const end = Math.min(chunk.length, room);
      const nl = chunk.indexOf(10);
      used = nl >= 0 && nl < end ? nl + 1 : end;
      if (used > 0) parts.push(chunk.subarray(0, used));
      total += used;
      if (used < chunk.length || total === limit || (nl >= 0 && nl < end)) break;
      if (this.#short(chunk, asked)) {
        eof = true;
        break;
      }
    }
    // No awaits from here on.
    this.stats.bytesRead += at - this.pos;
    this.pos = at;
    this.#setBuffer(chunk, used, eof);
    if (total === 0) {
      this.eofAt = false;
      return EMPTY;
    }
    return parts.length === 1 ? parts[0]!.slice() : concatBytes(parts, total);
  }

  /** The unread buffered bytes, taken (the text layer decodes them). */
  takeBuffered(): Uint8Array {
    const out = this.rbuf.subarray(this.rpos);
    this.rpos = this.rbuf.length;
    return out;
  }

  /**
   * Replace the (consumed) read buffer with the next chunk from disk; empty at end of file. The
   * chunk becomes `rbuf` with rpos = 0.
   */
  *fill(): Coro<Uint8Array> {
    if (this.eofAt) {
      this.eofAt = false;
      this.#dropReadBuffer();
      return EMPTY;
    }
    yield* this.flushWrites();
    const at = this.pos;
    const [chunk, asked] = yield* this.#fetch(at, 0);
    this.stats.bytesRead += chunk.length;
    this.pos = at + chunk.length;
    this.#setBuffer(chunk, 0, this.#short(chunk, asked));
    return chunk;
  }

  /**
   * The chunk at file offset `at` (at least `min` bytes unless the file ends): the prefetched
   * one when it fits, else a new read of the readahead size. Changes nothing but the prefetch.
   */
  *#fetch(at: number, min: number): Coro<[Uint8Array, number]> {
    const pf = this.#prefetch;
    if (pf !== null && this.#prefetchAt === at && this.#prefetchSize >= min) {
      const asked = this.#prefetchSize;
      this.#prefetch = null;
      return [yield* pf, asked];
    }
    this.#cancelPrefetch();
    const asked = Math.max(this.#ahead, min);
    return [yield* this.#job<Uint8Array>(OP.PREAD, [this.fd, asked, this.#at(at)]), asked];
  }

  /**
   * Make `chunk` the read buffer with `used` bytes consumed (its end is at `pos`). A file being
   * read through gets its next chunk requested at once (prefetch), so the disk works while the
   * caller consumes this one; readahead doubles up to MAX_READAHEAD.
   */
  #setBuffer(chunk: Uint8Array, used: number, eof: boolean): void {
    this.rbuf = chunk;
    this.rpos = used;
    this.eofAt = eof && this.positional;
    if (this.#ahead < MAX_READAHEAD) this.#ahead = Math.min(this.#ahead * 2, MAX_READAHEAD);
    if (this.positional && !eof && chunk.length > 0) {
      this.#cancelPrefetch();
      this.#prefetchAt = this.pos;
      this.#prefetchSize = this.#ahead;
      this.#prefetch = this.#job<Uint8Array>(OP.PREAD, [this.fd, this.#ahead, this.pos]);
    }
  }

  /** A read that came back short: end of file (regular files), or nothing at all (streams). */
  #short(chunk: Uint8Array, asked: number): boolean {
    return chunk.length === 0 || (this.positional && chunk.length < asked);
  }

  /** The offset argument of a read at `at` (-1: a stream's own position). */
  #at(at: number): number {
    return this.positional ? at : -1;
  }

  #cancelPrefetch(): void {
    const pf = this.#prefetch;
    if (pf !== null) {
      this.#prefetch = null;
      pf.cancel();
    }
  }

  /** Forget the read buffer (and any prefetch), keeping the logical position. */
  #dropReadBuffer(): void {
    this.#cancelPrefetch();
    if (this.rbuf.length > 0) {
      this.pos -= this.available;
      this.rbuf = EMPTY;
      this.rpos = 0;
    }
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────────

  /** Buffer `bytes` if they fit (no hop): true; false when a flush must happen first. */
  writeNow(bytes: Uint8Array): boolean {
    if (this.bufferSize === 0) return false;
    if (this.available > 0 || this.rbuf.length > 0) {
      // Switching from reading to writing: the write goes at the logical position.
      this.#dropReadBuffer();
      this.eofAt = false;
    }
    let buf = this.wbuf;
    if (buf === null) {
      if (bytes.length >= this.bufferSize) return false;
      buf = this.wbuf = new Uint8Array(this.bufferSize);
    }
    if (this.wlen + bytes.length > buf.length) return false;
    buf.set(bytes, this.wlen);
    this.wlen += bytes.length;
    return true;
  }

  /** Write `bytes` (buffered; large writes go straight to a worker, behind the buffer). */
  *write(bytes: Uint8Array): Coro<void> {
    if (this.writeNow(bytes)) return;
    yield* this.#startWrite();
    if (this.writeNow(bytes)) return;
    // Too big for the buffer: write a copy directly (the caller keeps its array).
    const copy = new Uint8Array(bytes);
    yield* this.#awaitWrite();
    this.#dispatchWrite(copy, copy.length);
    // Unbuffered files (buffering: 0) have written when write() returns.
    if (this.bufferSize === 0) yield* this.#awaitWrite();
  }

  /** Hand the buffered bytes to a worker (after the previous write), without waiting for them. */
  *#startWrite(): Coro<void> {
    if (this.wlen === 0) return;
    yield* this.#awaitWrite();
    const buf = this.wbuf!;
    const n = this.wlen;
    this.wbuf = null;
    this.wlen = 0;
    this.#dispatchWrite(buf, n);
  }

  #dispatchWrite(buf: Uint8Array, n: number): void {
    const data = n === buf.length ? buf : buf.subarray(0, n);
    const at = this.append || !this.positional ? -1 : this.pos;
    if (at >= 0) this.pos += n;
    this.stats.hops++;
    this.stats.bytesWritten += n;
    this.#inflightWrite = this.pool._submit<number>(OP.PWRITE, [this.fd, data, at], {
      transfer: [data.buffer as ArrayBuffer],
      mustRun: true,
      failed: (this.#onWriteFailed ??= (wire) => this.#writeFailed(wire)),
    });
  }

  /** Made on a file's first write (a file only read needs none). */
  #onWriteFailed: ((wire: WireError) => void) | null = null;

  /**
   * A write failed (a full disk): the bytes it did not write go back in front of those buffered
   * since, so the next flush, or close(), tries them again, and fails again while the disk is
   * full: nothing is dropped in silence (Python's BufferedWriter keeps them too). Runs when the
   * answer arrives; the error itself surfaces where the write is awaited. An unbuffered file
   * keeps nothing: its write() itself raised.
   */
  #writeFailed(wire: WireError): void {
    const rest = wire.unwritten;
    if (rest === undefined || rest.length === 0) return;
    this.stats.bytesWritten -= rest.length;
    if (this.bufferSize === 0) return;
    if (!this.append && this.positional) this.pos -= rest.length;
    const total = rest.length + this.wlen;
    const buf = new Uint8Array(Math.max(this.bufferSize, total));
    buf.set(rest, 0);
    if (this.wlen > 0) buf.set(this.wbuf!.subarray(0, this.wlen), rest.length);
    this.wbuf = buf;
    this.wlen = total;
  }

  /** Wait for the write in flight (its error, if any, is thrown here). */
  *#awaitWrite(): Coro<void> {
    const w = this.#inflightWrite;
    if (w === null) return;
    let end: number;
    try {
      end = yield* w;
    } catch (e) {
      // Cancelled while the write is still in flight: it stays the write to wait for.
      if (w.done() && this.#inflightWrite === w) this.#inflightWrite = null;
      throw e;
    }
    if (this.#inflightWrite === w) this.#inflightWrite = null;
    if (this.append && end >= 0) this.pos = end;
  }

  /** Write out the buffer and wait until the operating system has every byte. */
  *flushWrites(): Coro<void> {
    if (this.wlen === 0 && this.#inflightWrite === null) return;
    yield* this.#startWrite();
    yield* this.#awaitWrite();
  }

  /** True when nothing is buffered for writing and no write is in flight. */
  get writesSettled(): boolean {
    return this.wlen === 0 && this.#inflightWrite === null;
  }

  // ── positioning ───────────────────────────────────────────────────────────────────────────

  /** Move to `target` if it lies inside the read buffer (no hop): true; else false. */
  seekNow(target: number): boolean {
    if (!this.writesSettled || this.rbuf.length === 0 || !Number.isInteger(target)) return false;
    const bufStart = this.pos - this.rbuf.length;
    if (target < bufStart || target > this.pos) return false;
    this.rpos = target - bufStart;
    return true;
  }

  /** Move to absolute offset `target` (≥ 0). Free when the target is inside the read buffer. */
  *seekTo(target: number): Coro<number> {
    if (this.seekNow(target)) return target;
    yield* this.flushWrites();
    this.#cancelPrefetch();
    this.rbuf = EMPTY;
    this.rpos = 0;
    this.pos = target;
    this.eofAt = false;
    this.#ahead = Math.max(this.bufferSize, 1);
    return target;
  }

  /** The file's size now (writes flushed first). */
  *size(): Coro<number> {
    yield* this.flushWrites();
    const st = yield* this.#job<number[]>(OP.FSTAT, [this.fd]);
    return st[7]!;
  }

  /** Python's seek(offset, whence) for binary files. */
  *seek(offset: number, whence: number): Coro<number> {
    if (!this.positional) {
      throw new UnsupportedOperation("seek() on a stream (a pipe, socket or terminal)");
    }
    if (!Number.isInteger(offset)) {
      throw new TypeError(`seek(${String(offset)}): the offset must be a whole number of bytes`);
    }
    let target: number;
    switch (whence) {
      case 0:
        target = offset;
        break;
      case 1:
        target = this.tell() + offset;
        break;
      case 2:
        target = (yield* this.size()) + offset;
        break;
      default:
        throw new ValueError(
          `invalid whence (${String(whence)}, should be 0 (start), 1 (current) or 2 (end))`,
        );
    }
    if (target < 0) {
      throw new OSError(
        `EINVAL: invalid argument, seek to ${target} (offset ${offset}, whence ${whence}): the position would be before the start of the file`,
        { code: "EINVAL", errno: -22, syscall: "lseek" },
      );
    }
    return yield* this.seekTo(target);
  }

  /** Resize the file to `size` bytes; the position does not move (as Python). */
  *truncate(size: number): Coro<number> {
    yield* this.flushWrites();
    const at = this.tell();
    this.#dropReadBuffer();
    this.pos = at;
    this.eofAt = false;
    this.stats.hops++;
    yield* this.pool._submit<null>(OP.FTRUNCATE, [this.fd, size], { mustRun: true });
    return size;
  }

  /** fsync(2): the data reaches the disk. */
  *sync(): Coro<void> {
    yield* this.flushWrites();
    yield* this.#job<null>(OP.FSYNC, [this.fd]);
  }

  /**
   * Wait until no write is in flight, even through a cancellation (closing the descriptor
   * under a running write could hit a reused descriptor). Returns the first error seen.
   */
  *#settleWrites(): Coro<unknown> {
    let err: unknown;
    while (this.#inflightWrite !== null) {
      try {
        yield* this.#awaitWrite();
      } catch (e) {
        err ??= e;
      }
    }
    return err;
  }

  /**
   * Close the descriptor (and unlink `unlinkPath`); the buffered tail is written by the same
   * job, so closing costs one hop. The descriptor is closed even if a write fails. A file opened
   * only for reading is closed without waiting: the close rides with the loop's next batch (its
   * only possible error, EBADF, cannot happen to a descriptor this object owns).
   */
  *close(unlinkPath: string | null): Coro<void> {
    if (this.closeNow(unlinkPath)) return;
    this.#cancelPrefetch();
    const err = yield* this.#settleWrites();
    const n = this.wlen;
    const data = n > 0 ? this.wbuf!.subarray(0, n) : null;
    const at = this.append || !this.positional ? -1 : this.pos;
    this.wbuf = null;
    this.wlen = 0;
    this.rbuf = EMPTY;
    this.rpos = 0;
    this.stats.hops++;
    this.stats.bytesWritten += n;
    const transfer = data === null ? [] : [data.buffer as ArrayBuffer];
    yield* this.pool._submit<null>(OP.CLOSE, [this.fd, unlinkPath, data, at], {
      transfer,
      mustRun: true,
      // Its final write failed: those bytes were not written (the descriptor is closed all the same).
      failed: (wire) => {
        this.stats.bytesWritten -= wire.unwritten?.length ?? 0;
      },
    });
    if (err !== undefined) throw err;
  }

  /** close() without waiting when that is all it takes (read-only, nothing to unlink): true. */
  closeNow(unlinkPath: string | null): boolean {
    if (!this.readOnly || unlinkPath !== null) return false;
    this.#cancelPrefetch();
    this.rbuf = EMPTY;
    this.rpos = 0;
    this.pool._closeDetached(this.fd);
    return true;
  }

  /** The file object was garbage-collected unclosed: write what is buffered and close. */
  closeLeaked(unlinkPath: string | null): void {
    const data = this.wlen > 0 ? this.wbuf!.subarray(0, this.wlen) : null;
    const at = this.append || !this.positional ? -1 : this.pos;
    this.pool._submitDetached(OP.CLOSE, [this.fd, unlinkPath, data, at]);
  }

  #job<T>(op: number, args: unknown[]): Future<T> {
    this.stats.hops++;
    return this.pool._submit<T>(op, args);
  }
}
