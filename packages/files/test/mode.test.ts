import { constants } from "node:fs";
import { describe, expect, it } from "vitest";
import { ValueError } from "../src/errors.js";
import { checkNewline, parseMode } from "../src/mode.js";

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_EXCL, O_APPEND } = constants;

describe("parseMode", () => {
  it("maps every Python mode to open(2) flags and capabilities", () => {
    const table: [string, number, boolean, boolean, boolean, boolean][] = [
      // mode, flags, readable, writable, append, binary
      ["r", O_RDONLY, true, false, false, false],
      ["rb", O_RDONLY, true, false, false, true],
      ["rt", O_RDONLY, true, false, false, false],
      ["r+", O_RDWR, true, true, false, false],
      ["+rb", O_RDWR, true, true, false, true],
      ["w", O_WRONLY | O_CREAT | O_TRUNC, false, true, false, false],
      ["w+b", O_RDWR | O_CREAT | O_TRUNC, true, true, false, true],
      ["x", O_WRONLY | O_CREAT | O_EXCL, false, true, false, false],
      ["xb+", O_RDWR | O_CREAT | O_EXCL, true, true, false, true],
      ["a", O_WRONLY | O_CREAT | O_APPEND, false, true, true, false],
      ["ab+", O_RDWR | O_CREAT | O_APPEND, true, true, true, true],
    ];
    for (const [mode, flags, readable, writable, append, binary] of table) {
      const m = parseMode(mode);
      expect([m.flags, m.readable, m.writable, m.append, m.binary], mode).toEqual([
        flags,
        readable,
        writable,
        append,
        binary,
      ]);
    }
  });

  it("refuses what Python refuses, with Python's messages", () => {
    const cases: [string, RegExp][] = [
      ["", /must have exactly one of create\/read\/write\/append mode/],
      ["b", /must have exactly one/],
      ["rw", /must have exactly one/],
      ["wx", /must have exactly one/],
      ["rr", /invalid mode: 'rr'/],
      ["r+b+", /invalid mode/],
      ["U", /invalid mode/],
      ["rbt", /can't have text and binary mode at once/],
    ];
    for (const [mode, msg] of cases) {
      expect(() => parseMode(mode), mode).toThrow(ValueError);
      expect(() => parseMode(mode), mode).toThrow(msg);
    }
    expect(() => parseMode(3 as unknown as string)).toThrow(TypeError);
  });
});

describe("checkNewline", () => {
  it("accepts Python's values (undefined is null) and refuses others", () => {
    expect(checkNewline(undefined)).toBe(null);
    for (const nl of [null, "", "\n", "\r", "\r\n"]) expect(checkNewline(nl)).toBe(nl);
    expect(() => checkNewline("\n\r")).toThrow(/illegal newline value/);
  });
});
