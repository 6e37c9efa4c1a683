/**
 * TextIO: the text layer of an AsyncFile: decoding, newlines, and character positions, on top of
 * BufferedIO's bytes.
 *
 * HOW: decoded text waits in one string; a line is an indexOf and a slice, so iterating a file
 * costs a string scan per line and a thread hop per readahead chunk (64 KiB growing to 1 MiB),
 * not a hop per line as in aiofiles:
 *
 *   raw chunk ──codec.split──► whole characters ──decode──► text[tpos..]   ──indexOf──► line
 *              └── incomplete tail bytes (carry) wait for the next chunk
 *
 * The text is kept exactly as decoded (no newline translation inside the buffer), so the bytes
 * behind the unread text are known, and `tell()` is a byte offset:
 *
 *   tell() = raw.tell() - carry.length - byteLength(text[tpos..])
 *
 * which `seek()` accepts back (Python's text tell() is an opaque cookie; this one is too, and
 * happens to be the byte offset). Newlines follow Python's `newline` argument:
 *
 *   null (default): lines end at "\n", "\r" or "\r\n", returned ending in "\n"; on write "\n" is
 *                   written as the platform's line separator
 *   ""            : lines end at "\n", "\r" or "\r\n", returned untranslated
 *   "\n" "\r" "\r\n": only that ends a line; on write "\n" becomes it
 *
 * Counts of characters (read(n), the value write() returns) are JavaScript string lengths
 * (UTF-16 code units); read(n) never splits a surrogate pair.
 */

import { EOL } from "node:os";
import type { Coro } from "@aioloop/core";
import { type BufferedIO, concatBytes } from "./buffered.js";
import type { Codec } from "./codec.js";
import { UnsupportedOperation, ValueError } from "./errors.js";
import type { Newline } from "./mode.js";

/** What ends a line when reading. */
type Scan = "lf" | "cr" | "crlf" | "any";

const CR = 13;
const LF = 10;
const ANY_NEWLINE = /\r\n?/g;

/** The text layer of an AsyncFile. */
export class TextIO {
  readonly raw: BufferedIO;
  readonly codec: Codec;
  readonly newline: Newline;
  readonly #scan: Scan;
  readonly #translate: boolean;
  /** What "\n" becomes on write (null: written as is). */
  readonly #writeNl: string | null;
  readonly #lineBuffered: boolean;
  /** Invariant: text[tpos..] is decoded and unread; it came from the bytes just before carry. */
  #text = "";
  #tpos = 0;
  /** Bytes of an incomplete character at the end of the last chunk. */
  #carry: Uint8Array | null = null;
  /** No line ending in text[..scanned) beyond tpos (so long lines are scanned once). */
  #scanned = 0;
  /** Index of the next "\r" in text at or after the last search, or -1 if there is none. */
  #nextCR = -1;

  constructor(raw: BufferedIO, codec: Codec, newline: Newline, lineBuffered: boolean) {
    this.raw = raw;
    this.codec = codec;
    this.newline = newline;
    this.#translate = newline === null;
    this.#scan =
      newline === "\n" ? "lf" : newline === "\r" ? "cr" : newline === "\r\n" ? "crlf" : "any";
    this.#writeNl =
      newline === "\r" || newline === "\r\n"
        ? newline
        : newline === null && EOL !== "\n"
          ? EOL
          : null;
    this.#lineBuffered = lineBuffered;
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────

  /** A line if one can be had without a thread hop, else null. */
  readlineNow(limit: number): string | null {
    for (;;) {
      const end = this.#lineEnd(limit);
      if (end >= 0) return this.#take(end);
      const raw = this.raw;
      if (raw.available > 0) {
        this.#absorb(raw.takeBuffered(), false);
        continue;
      }
      if (raw.eofAt && raw.writesSettled) {
        raw.eofAt = false;
        this.#finish();
        return this.#takeRest(limit);
      }
      return null;
    }
  }

  /** A line, with its ending (translated when newline is null); "" at end of file. */
  *readline(limit: number): Coro<string> {
    for (;;) {
      const now = this.readlineNow(limit);
      if (now !== null) return now;
      if (!(yield* this.#fill())) return this.#takeRest(limit);
    }
  }

  /** Up to `n` characters (fewer only at end of file). */
  *read(n: number): Coro<string> {
    for (;;) {
      const now = this.#readNow(n);
      if (now !== null) return now;
      // Nothing is consumed until enough text is here: a cancelled fill loses nothing.
      if (!(yield* this.#fill())) this.raw.eofAt = true;
    }
  }

  /**
   * `n` characters if the text holds them (or end of file is known), consumed; else null with
   * nothing consumed. A "\r\n" counts as one character when translating, and is never split;
   * neither is a surrogate pair.
   */
  #readNow(n: number): string | null {
    const raw = this.raw;
    if (this.#tpos >= this.#text.length && raw.available > 0) {
      this.#absorb(raw.takeBuffered(), false);
    }
    const atEof = raw.eofAt && raw.available === 0 && raw.writesSettled;
    if (atEof && this.#carry !== null) this.#finish();
    const t = this.#text;
    const p = this.#tpos;
    let end: number;
    if (!this.#translate || this.#nextCR < 0) {
      end = p + n;
      if (
        end > t.length ||
        (end === t.length && !atEof && isHighSurrogate(t.charCodeAt(end - 1)))
      ) {
        if (!atEof) return null;
        end = t.length;
      } else if (end < t.length && isHighSurrogate(t.charCodeAt(end - 1))) end++;
    } else {
      // Count translated characters: "\r\n" and "\r" are one "\n" each.
      end = p;
      let count = 0;
      while (count < n && end < t.length) {
        const c = t.charCodeAt(end);
        if (c === CR) {
          if (end + 1 < t.length) end += t.charCodeAt(end + 1) === LF ? 2 : 1;
          else if (atEof) end++;
          else return null;
        } else end += isHighSurrogate(c) && end + 1 < t.length ? 2 : 1;
        count++;
      }
      if (count < n && !atEof) return null;
    }
    // End of file is reported once (by returning ""): later reads look at the disk again.
    if (atEof && end === p) raw.eofAt = false;
    const piece = t.slice(p, end);
    this.#tpos = end;
    this.#scanned = end;
    return this.#translate ? piece.replace(ANY_NEWLINE, "\n") : piece;
  }

  /** Everything to end of file. */
  *readAll(): Coro<string> {
    const bytes = yield* this.raw.readAll();
    // No awaits from here on: a cancelled readAll() leaves the text where it was.
    const rest = this.#text.slice(this.#tpos);
    this.#resetBuffer();
    const carry = this.#carry;
    this.#carry = null;
    const all = carry === null ? bytes : concatBytes([carry, bytes], carry.length + bytes.length);
    const s = rest + this.codec.decode(all);
    // The raw layer is at end of file; it is reported (by "") on the next read, not this one.
    if (s.length > 0 && this.raw.positional) this.raw.eofAt = true;
    return this.#translate ? s.replace(ANY_NEWLINE, "\n") : s;
  }

  /** Read the next raw chunk into the text; false at end of file. */
  *#fill(): Coro<boolean> {
    const raw = this.raw;
    if (raw.available > 0) {
      this.#absorb(raw.takeBuffered(), false);
      return true;
    }
    const chunk = yield* raw.fill();
    if (chunk.length === 0) {
      return this.#finish();
    }
    raw.takeBuffered();
    this.#absorb(chunk, false);
    return true;
  }

  /** End of file: decode the carried bytes as they are. True when that added text. */
  #finish(): boolean {
    const carry = this.#carry;
    if (carry === null) return false;
    this.#carry = null;
    this.#absorb(carry, true);
    return true;
  }

  #absorb(bytes: Uint8Array, final: boolean): void {
    const carry = this.#carry;
    if (carry !== null) {
      bytes = concatBytes([carry, bytes], carry.length + bytes.length);
      this.#carry = null;
    }
    const cut = final ? bytes.length : this.codec.split(bytes);
    if (cut < bytes.length) this.#carry = bytes.slice(cut);
    const s = this.codec.decode(cut === bytes.length ? bytes : bytes.subarray(0, cut));
    const tpos = this.#tpos;
    if (tpos < this.#text.length) {
      this.#text = this.#text.slice(tpos) + s;
      this.#scanned = Math.max(0, this.#scanned - tpos);
    } else {
      this.#text = s;
      this.#scanned = 0;
    }
    this.#tpos = 0;
    this.#nextCR = this.#scan === "any" ? this.#text.indexOf("\r") : -1;
  }

  /** The index just past the next line ending (or the limit), or -1 when more text is needed. */
  #lineEnd(limit: number): number {
    const t = this.#text;
    const p = this.#tpos;
    const from = Math.max(p, this.#scanned);
    let end = -1;
    switch (this.#scan) {
      case "lf": {
        const i = t.indexOf("\n", from);
        if (i >= 0) end = i + 1;
        break;
      }
      case "cr": {
        const i = t.indexOf("\r", from);
        if (i >= 0) end = i + 1;
        break;
      }
      case "crlf": {
        const i = t.indexOf("\r\n", from);
        if (i >= 0) end = i + 2;
        break;
      }
      case "any": {
        const n = t.indexOf("\n", from);
        let r = this.#nextCR;
        if (r >= 0 && r < from) r = this.#nextCR = t.indexOf("\r", from);
        if (r < 0 || (n >= 0 && n < r)) {
          if (n >= 0) end = n + 1;
        } else if (r + 1 < t.length) {
          end = t.charCodeAt(r + 1) === LF ? r + 2 : r + 1;
        }
        break;
      }
    }
    if (end < 0) {
      // Nothing before the last character (which may be the "\r" of a "\r\n").
      this.#scanned = Math.max(p, t.length - 1);
      if (limit >= 0 && t.length - p >= limit) return p + limit;
      return -1;
    }
    if (limit >= 0 && end - p > limit) return p + limit;
    return end;
  }

  #take(end: number): string {
    let line = this.#text.slice(this.#tpos, end);
    this.#tpos = end;
    this.#scanned = end;
    if (this.#translate && this.#nextCR >= 0) line = translateEnding(line);
    return line;
  }

  /** End of file: the rest is the last line (or ""). */
  #takeRest(limit: number): string {
    const t = this.#text;
    const end = limit >= 0 ? Math.min(t.length, this.#tpos + limit) : t.length;
    return this.#take(end);
  }

  #resetBuffer(): void {
    this.#text = "";
    this.#tpos = 0;
    this.#scanned = 0;
    this.#nextCR = -1;
  }

  // ── positions ─────────────────────────────────────────────────────────────────────────────

  /** The byte offset of the next character (Python's opaque cookie; seek() takes it back). */
  tell(): number {
    const unread = this.#tpos < this.#text.length ? this.#text.slice(this.#tpos) : "";
    return (
      this.raw.tell() -
      (this.#carry === null ? 0 : this.#carry.length) -
      (unread === "" ? 0 : this.codec.byteLength(unread))
    );
  }

  /** Python's text-mode seek: to a tell() value, or seek(0, 1), or seek(0, 2). */
  *seek(offset: number, whence: number): Coro<number> {
    if (!Number.isInteger(offset)) {
      throw new TypeError(
        `seek(${String(offset)}): the offset must be a whole number (a tell() value)`,
      );
    }
    switch (whence) {
      case 0:
        if (offset < 0) {
          throw new ValueError(
            `negative seek position ${offset}: seek to 0 or to a value tell() returned`,
          );
        }
        break;
      case 1:
        if (offset !== 0) {
          throw new UnsupportedOperation(
            "can't do nonzero cur-relative seeks in text mode: seek to a value tell() returned, or open the file in binary mode",
          );
        }
        offset = this.tell();
        break;
      case 2:
        if (offset !== 0) {
          throw new UnsupportedOperation(
            "can't do nonzero end-relative seeks in text mode: use seek(0, 2), or open the file in binary mode",
          );
        }
        offset = yield* this.raw.size();
        break;
      default:
        throw new ValueError(
          `invalid whence (${String(whence)}, should be 0 (start), 1 (current) or 2 (end))`,
        );
    }
    this.#resetBuffer();
    this.#carry = null;
    return yield* this.raw.seekTo(offset);
  }

  /** Drop decoded text so the byte layer's position is the text position (before writing). */
  *#sync(): Coro<void> {
    if (this.#tpos < this.#text.length || this.#carry !== null) {
      const at = this.tell();
      this.#resetBuffer();
      this.#carry = null;
      yield* this.raw.seekTo(at);
    } else if (this.#text.length > 0) this.#resetBuffer();
  }

  /** Before a truncate or any byte-level repositioning. */
  *syncPosition(): Coro<void> {
    yield* this.#sync();
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────────

  /** Write `s`; returns its length. */
  *write(s: string): Coro<number> {
    if (typeof s !== "string") {
      throw new TypeError(
        `write() argument must be a string, not ${describeData(s)}: this file is open in text mode (open it with "b" for bytes)`,
      );
    }
    yield* this.#sync();
    const out = this.#writeNl === null ? s : s.replaceAll("\n", this.#writeNl);
    yield* this.raw.write(this.codec.encode(out));
    if (this.#lineBuffered && (s.includes("\n") || s.includes("\r"))) {
      yield* this.raw.flushWrites();
    }
    return s.length;
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** A line's "\r" or "\r\n" ending as "\n". */
function translateEnding(line: string): string {
  const n = line.length;
  if (n === 0) return line;
  const last = line.charCodeAt(n - 1);
  if (last === CR) return `${line.slice(0, -1)}\n`;
  if (last === LF && n >= 2 && line.charCodeAt(n - 2) === CR) return `${line.slice(0, -2)}\n`;
  return line;
}

/** A short name for what was passed to write(). */
export function describeData(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
