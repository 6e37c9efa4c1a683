/**
 * Python's `open()` mode strings and options, checked as Python checks them, turned into the
 * open(2) flags and the few facts the file object needs.
 *
 *   mode   flags                          readable writable position at open
 *   "r"    O_RDONLY                       yes      no       0
 *   "r+"   O_RDWR                         yes      yes      0
 *   "w"    O_WRONLY|O_CREAT|O_TRUNC       no       yes      0
 *   "w+"   O_RDWR|O_CREAT|O_TRUNC         yes      yes      0
 *   "x"    O_WRONLY|O_CREAT|O_EXCL        no       yes      0
 *   "a"    O_WRONLY|O_CREAT|O_APPEND      no       yes      end of file (writes always append)
 *   "a+"   O_RDWR|O_CREAT|O_APPEND        yes      yes      end of file
 *   plus "b" (bytes, Uint8Array) or "t" (text, the default), in any order.
 */

import { constants } from "node:fs";
import { ValueError } from "./errors.js";

/** What a mode string means. */
export interface ModeInfo {
  /** The mode as given. */
  readonly mode: string;
  readonly readable: boolean;
  readonly writable: boolean;
  /** Writes go to the end of the file whatever the position ("a" modes). */
  readonly append: boolean;
  /** The file is emptied at open ("w" modes). */
  readonly truncate: boolean;
  /** Bytes ("b") rather than text. */
  readonly binary: boolean;
  /** open(2) flags. */
  readonly flags: number;
}

const MODE_CHARS = "rwxabt+";

/** Parsed modes by mode string (there are only a few dozen valid ones). */
const parsed = new Map<string, ModeInfo>();

/** Parse a Python mode string; throws ValueError with Python's message for a bad one. */
export function parseMode(mode: string): ModeInfo {
  const known = parsed.get(mode);
  if (known !== undefined) return known;
  const info = parse(mode);
  parsed.set(mode, info);
  return info;
}

function parse(mode: string): ModeInfo {
  if (typeof mode !== "string") {
    throw new TypeError(`open(): mode must be a string such as "r" or "wb", got ${typeof mode}`);
  }
  const seen = new Set<string>();
  for (const c of mode) {
    if (!MODE_CHARS.includes(c) || seen.has(c)) {
      throw new ValueError(`invalid mode: '${mode}' (use r, w, x or a, then optionally + and b)`);
    }
    seen.add(c);
  }
  const kinds = ["r", "w", "x", "a"].filter((c) => seen.has(c));
  if (kinds.length !== 1) {
    throw new ValueError(
      `must have exactly one of create/read/write/append mode, got '${mode}' (e.g. "r", "w+", "ab")`,
    );
  }
  if (seen.has("b") && seen.has("t")) {
    throw new ValueError(`can't have text and binary mode at once: '${mode}'`);
  }
  const kind = kinds[0]!;
  const plus = seen.has("+");
  const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_EXCL, O_APPEND } = constants;
  const access = plus ? O_RDWR : kind === "r" ? O_RDONLY : O_WRONLY;
  let flags = access;
  switch (kind) {
    case "w":
      flags |= O_CREAT | O_TRUNC;
      break;
    case "x":
      flags |= O_CREAT | O_EXCL;
      break;
    case "a":
      flags |= O_CREAT | O_APPEND;
      break;
  }
  return {
    mode,
    readable: kind === "r" || plus,
    writable: kind !== "r" || plus,
    append: kind === "a",
    truncate: kind === "w",
    binary: seen.has("b"),
    flags,
  };
}

/** Python's newline argument: null is universal newlines with translation to "\n". */
export type Newline = null | "" | "\n" | "\r" | "\r\n";

const NEWLINES: readonly unknown[] = [null, "", "\n", "\r", "\r\n"];

/** Check `newline` (undefined means null, Python's default). */
export function checkNewline(newline: unknown): Newline {
  if (newline === undefined) return null;
  if (!NEWLINES.includes(newline)) {
    throw new ValueError(
      `illegal newline value: ${JSON.stringify(newline)} (use null, "", "\\n", "\\r" or "\\r\\n")`,
    );
  }
  return newline as Newline;
}
