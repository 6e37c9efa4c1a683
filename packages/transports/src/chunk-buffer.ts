/**
 * ChunkBuffer: the byte queue behind StreamReader. Keeps the chunks as they arrived and hands
 * out views of them, so a read that takes whole chunks copies nothing.
 *
 * HOW: an array of chunks, a start index (consumed chunks are skipped, not shifted, and the
 * array is compacted once the dead prefix is large) and an offset into the first live chunk:
 *
 *   #chunks: [ dead | dead | c0 (from #offset) | c1 | c2 ]     length = sum of live bytes
 *                            ▲ #start
 *
 *   consume(n): inside c0 ─► a subarray view (no copy); across chunks ─► one copy of n bytes
 *   find(sep, from): single byte ─► native indexOf per chunk; longer ─► native search inside
 *   each chunk plus a small window at each chunk boundary, so a separator split across two
 *   chunks is found without joining the chunks (linear in the bytes searched)
 *
 * WHY: asyncio's StreamReader is a bytearray that it slices (a copy per read); here the common
 * cases (read(n) of what arrived, readexactly of a whole chunk) return Node's own buffers.
 */

import { EMPTY_BYTES } from "./bytes.js";

/** Compact the chunk array once this many consumed slots lead it (and they are over half). */
const COMPACT_THRESHOLD = 32;

const indexOfBytes = Buffer.prototype.indexOf as (
  this: Uint8Array,
  value: Uint8Array,
  byteOffset: number,
) => number;

/** A FIFO of bytes made of the chunks that were pushed. */
export class ChunkBuffer {
  /**
   * Invariant: live chunks are #chunks[#start..#end), none of them empty; other slots hold
   * EMPTY_BYTES. Indices instead of push/length changes: emptying the buffer (every message
   * of an echo) then costs two stores, not a runtime call to resize the array.
   */
  #chunks: Uint8Array[] = [];
  #start = 0;
  #end = 0;
  /** Invariant: 0 <= #offset < #chunks[#start].length while a live chunk exists, else 0. */
  #offset = 0;
  /** Invariant: the number of live bytes. */
  #length = 0;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Append `chunk` (kept as is, not copied: do not modify it afterwards). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks[this.#end++] = chunk;
    this.#length += chunk.length;
  }

  /** Put `chunk` back in front (undoing a consume). */
  unshift(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#offset > 0) {
      this.#chunks[this.#start] = this.#chunks[this.#start]!.subarray(this.#offset);
      this.#offset = 0;
    }
    if (this.#start > 0) this.#chunks[--this.#start] = chunk;
    else {
      this.#chunks.splice(0, 0, chunk);
      this.#end++;
    }
    this.#length += chunk.length;
  }

  /** Remove and return the first `n` bytes (n <= length); a view when they lie in one chunk. */
  consume(n: number): Uint8Array {
    if (n > this.#length) n = this.#length;
    if (n <= 0) return EMPTY_BYTES;
    const first = this.#chunks[this.#start]!;
    const avail = first.length - this.#offset;
    if (n <= avail) {
      const out =
        this.#offset === 0 && n === first.length
          ? first
          : first.subarray(this.#offset, this.#offset + n);
      this.#advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[this.#start]!;
      const take = Math.min(c.length - this.#offset, n - filled);
      out.set(c.subarray(this.#offset, this.#offset + take), filled);
      filled += take;
      this.#advance(take);
    }
    return out;
  }

  /** Remove and return everything. */
  takeAll(): Uint8Array {
    return this.consume(this.#length);
  }

  /** Drop everything. */
  clear(): void {
    this.#chunks = [];
    this.#start = 0;
    this.#end = 0;
    this.#offset = 0;
    this.#length = 0;
  }

  /** The position of the first `sep` at or after `from`, or -1. */
  find(sep: Uint8Array, from: number): number {
    if (sep.length === 1) return this.#findByte(sep[0]!, from);
    let base = 0; // the logical position of the current chunk's first live byte
    const last = this.#end - 1;
    for (let k = this.#start; k <= last; k++) {
      const c = this.#chunks[k]!;
      const off = k === this.#start ? this.#offset : 0;
      const size = c.length - off;
      if (base + size > from) {
        const localFrom = Math.max(0, from - base);
        const i = indexOfBytes.call(c, sep, off + localFrom);
        if (i >= 0) return base + (i - off);
        // A match that starts in this chunk's last sep.length-1 bytes and runs into the next.
        if (k < last) {
          const hit = this.#findAcross(sep, base, size, from);
          if (hit >= 0) return hit;
        }
      }
      base += size;
    }
    return -1;
  }

  #findByte(b: number, from: number): number {
    let base = 0;
    for (let k = this.#start; k < this.#end; k++) {
      const c = this.#chunks[k]!;
      const off = k === this.#start ? this.#offset : 0;
      const size = c.length - off;
      if (base + size > from) {
        const i = c.indexOf(b, off + Math.max(0, from - base));
        if (i >= 0) return base + (i - off);
      }
      base += size;
    }
    return -1;
  }

  /** A match starting in the last sep.length-1 bytes of a chunk and running past its end. */
  #findAcross(sep: Uint8Array, base: number, size: number, from: number): number {
    const tail = Math.min(sep.length - 1, size);
    const winStart = base + size - tail; // the logical position of the window's first byte
    const winLen = Math.min(tail + sep.length - 1, this.#length - winStart);
    if (winLen < sep.length) return -1;
    const win = this.#copyOut(winStart, winLen);
    const i = indexOfBytes.call(win, sep, Math.max(0, from - winStart));
    return i >= 0 && i < tail ? winStart + i : -1;
  }

  /** A copy of `len` bytes from logical position `pos` (one walk over the chunks). */
  #copyOut(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let filled = 0;
    let skip = pos + this.#offset;
    for (let k = this.#start; filled < len; k++) {
      const c = this.#chunks[k]!;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const take = Math.min(c.length - skip, len - filled);
      out.set(c.subarray(skip, skip + take), filled);
      filled += take;
      skip = 0;
    }
    return out;
  }

  /** Whether the bytes at `at` are `sep`. */
  startsWith(sep: Uint8Array, at: number): boolean {
    if (at < 0 || at + sep.length > this.#length) return false;
    const got = this.#copyOut(at, sep.length);
    for (let j = 0; j < sep.length; j++) if (got[j] !== sep[j]) return false;
    return true;
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#offset += n;
    const first = this.#chunks[this.#start]!;
    if (this.#offset === first.length) {
      this.#chunks[this.#start] = EMPTY_BYTES; // let the chunk be collected
      this.#start++;
      this.#offset = 0;
      if (this.#start === this.#end) {
        this.#start = 0;
        this.#end = 0;
      } else if (this.#start >= COMPACT_THRESHOLD && this.#start * 2 >= this.#end) {
        this.#compact();
      }
    }
  }

  /** Move the live chunks to the front of the array. */
  #compact(): void {
    const c = this.#chunks;
    const live = this.#end - this.#start;
    for (let i = 0; i < live; i++) {
      c[i] = c[this.#start + i]!;
      c[this.#start + i] = EMPTY_BYTES;
    }
    this.#start = 0;
    this.#end = live;
  }
}
