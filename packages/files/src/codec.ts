/**
 * Text encodings for text-mode files: decode chunks that may end in the middle of a character,
 * encode strings, and count bytes (for `tell()`).
 *
 * HOW: a chunk read from disk can end inside a multi-byte character. `split(bytes)` says how many
 * leading bytes hold only whole characters; the file keeps the rest and puts it in front of the
 * next chunk, so every decoded string maps to an exact byte range of the file:
 *
 *   chunk 1: … 61 62 E2 82 │            chunk 2: AC 0A …
 *                 decoded ─┘ carried ───► E2 82 AC 0A …  → "€\n"
 *
 * That exactness is what makes `tell()` a byte offset that `seek()` accepts, without Python's
 * decoder-state snapshots. UTF-8 decoding uses the native TextDecoder (SIMD in Node); strict
 * mode (Python's errors="strict", the default) throws UnicodeDecodeError on invalid bytes,
 * errors="replace" gives U+FFFD.
 *
 * Supported: utf-8 (default), utf-16-le, latin-1 (iso-8859-1), ascii, under Python's names and
 * the usual spellings. Anything else is a LookupError, as in Python.
 */

import { TextDecoder } from "node:util";
import { LookupError } from "@aioloop/core";
import { UnicodeDecodeError, UnicodeEncodeError } from "./errors.js";

/** What to do with bytes (or characters) the encoding cannot handle. */
export type ErrorsMode = "strict" | "replace";

/** One text encoding. */
export interface Codec {
  /** Python's canonical name, e.g. "utf-8". */
  readonly name: string;
  /** How many leading bytes of `bytes` end on a character boundary. */
  split(bytes: Uint8Array): number;
  /** Decode whole characters (`bytes` as cut by `split`, or everything at end of file). */
  decode(bytes: Uint8Array): string;
  /** Encode `s`. */
  encode(s: string): Uint8Array;
  /** The encoded length of `s` in bytes (what `encode(s).length` would be). */
  byteLength(s: string): number;
}

/** Canonical names by the spellings users write (lowercase, "_" read as "-"). */
const ALIASES: Record<string, string> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "utf-16-le": "utf-16-le",
  "utf-16le": "utf-16-le",
  utf16le: "utf-16-le",
  "latin-1": "latin-1",
  latin1: "latin-1",
  "iso-8859-1": "latin-1",
  "iso8859-1": "latin-1",
  l1: "latin-1",
  ascii: "ascii",
  "us-ascii": "ascii",
};

/** The codec for `encoding` (Python spelling), or LookupError. */
export function getCodec(encoding: string, errors: ErrorsMode): Codec {
  const name = ALIASES[String(encoding).toLowerCase().replaceAll("_", "-")];
  switch (name) {
    case "utf-8":
      return new Utf8Codec(errors);
    case "utf-16-le":
      return new Utf16Codec(errors);
    case "latin-1":
      return new SingleByteCodec("latin-1", 0xff, errors);
    case "ascii":
      return new SingleByteCodec("ascii", 0x7f, errors);
    default:
      throw new LookupError(
        `unknown encoding: ${encoding} (supported: utf-8, utf-16-le, latin-1, ascii)`,
      );
  }
}

/** Check Python's `errors` argument. */
export function checkErrors(errors: unknown): ErrorsMode {
  if (errors === undefined || errors === null) return "strict";
  if (errors === "strict" || errors === "replace") return errors;
  throw new LookupError(
    `unknown error handler name ${JSON.stringify(errors)} (use "strict" or "replace")`,
  );
}

function decodeError(codec: string, detail: string): UnicodeDecodeError {
  return new UnicodeDecodeError(
    codec,
    `'${codec}' codec can't decode the data: ${detail}; open the file with the right encoding, or with errors: "replace"`,
  );
}

class Utf8Codec implements Codec {
  readonly name = "utf-8";
  readonly #decoder: TextDecoder;
  readonly #strict: boolean;
  constructor(errors: ErrorsMode) {
    this.#strict = errors === "strict";
    // ignoreBOM: keep a leading U+FEFF, as Python's "utf-8" does (only "utf-8-sig" strips it).
    this.#decoder = new TextDecoder("utf-8", { fatal: this.#strict, ignoreBOM: true });
  }
  split(b: Uint8Array): number {
    const n = b.length;
    // Walk back over at most 3 continuation bytes to the lead byte of the last character.
    for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
      const c = b[i]!;
      if ((c & 0xc0) === 0x80) continue;
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      return n - i >= need ? n : i;
    }
    return n;
  }
  decode(b: Uint8Array): string {
    try {
      return this.#decoder.decode(b);
    } catch {
      throw decodeError(this.name, "invalid UTF-8 bytes");
    }
  }
  encode(s: string): Uint8Array {
    return Buffer.from(s, "utf8");
  }
  byteLength(s: string): number {
    return Buffer.byteLength(s, "utf8");
  }
}

class Utf16Codec implements Codec {
  readonly name = "utf-16-le";
  readonly #decoder: TextDecoder;
  constructor(errors: ErrorsMode) {
    this.#decoder = new TextDecoder("utf-16le", { fatal: errors === "strict", ignoreBOM: true });
  }
  split(b: Uint8Array): number {
    let n = b.length & ~1;
    // A high surrogate last: its low half is in the next chunk.
    if (n >= 2) {
      const unit = b[n - 2]! | (b[n - 1]! << 8);
      if (unit >= 0xd800 && unit <= 0xdbff) n -= 2;
    }
    return n;
  }
  decode(b: Uint8Array): string {
    try {
      return this.#decoder.decode(b);
    } catch {
      throw decodeError(this.name, "invalid UTF-16 data");
    }
  }
  encode(s: string): Uint8Array {
    return Buffer.from(s, "utf16le");
  }
  byteLength(s: string): number {
    return s.length * 2;
  }
}

class SingleByteCodec implements Codec {
  readonly #max: number;
  readonly #strict: boolean;
  readonly #bad: RegExp;
  constructor(
    readonly name: string,
    max: number,
    errors: ErrorsMode,
  ) {
    this.#max = max;
    this.#strict = errors === "strict";
    this.#bad = max === 0x7f ? /[\u0080-\uffff]/g : /[\u0100-\uffff]/g;
  }
  split(b: Uint8Array): number {
    return b.length;
  }
  decode(b: Uint8Array): string {
    const s = Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
    if (this.#max === 0xff) return s;
    this.#bad.lastIndex = 0;
    if (!this.#bad.test(s)) return s;
    if (this.#strict) throw decodeError(this.name, "a byte above 0x7f");
    return s.replace(this.#bad, "\ufffd");
  }
  encode(s: string): Uint8Array {
    this.#bad.lastIndex = 0;
    if (this.#bad.test(s)) {
      if (this.#strict) {
        throw new UnicodeEncodeError(
          this.name,
          `'${this.name}' codec can't encode a character of this text; open the file with encoding: "utf-8", or errors: "replace"`,
        );
      }
      s = s.replace(this.#bad, "?");
    }
    return Buffer.from(s, "latin1");
  }
  byteLength(s: string): number {
    return s.length;
  }
}
