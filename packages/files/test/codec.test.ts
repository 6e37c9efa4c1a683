import { LookupError } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { checkErrors, getCodec } from "../src/codec.js";
import { UnicodeDecodeError, UnicodeEncodeError } from "../src/errors.js";

describe("codec.split: chunks end on character boundaries", () => {
  it("utf-8: every cut of a text with 1- to 4-byte characters decodes to the same text", () => {
    const text = "aé€𝄞b\n日本𝄞";
    const bytes = new TextEncoder().encode(text);
    const codec = getCodec("UTF_8", "strict");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const head = bytes.subarray(0, cut);
      const whole = codec.split(head);
      expect(whole).toBeLessThanOrEqual(cut);
      expect(cut - whole).toBeLessThan(4);
      // What split keeps, followed by the rest, decodes to the original.
      const a = codec.decode(head.subarray(0, whole));
      const b = codec.decode(bytes.subarray(whole));
      expect(a + b).toBe(text);
    }
  });

  it("utf-16-le: odd lengths and a high surrogate last are carried", () => {
    const codec = getCodec("utf-16le", "strict");
    const bytes = new Uint8Array(Buffer.from("a𝄞", "utf16le"));
    expect(codec.split(bytes.subarray(0, 3))).toBe(2);
    expect(codec.split(bytes.subarray(0, 4))).toBe(2);
    expect(codec.split(bytes)).toBe(6);
  });

  it("byteLength is the encoded length", () => {
    for (const name of ["utf-8", "utf-16-le", "latin-1"]) {
      const codec = getCodec(name, "replace");
      const s = name === "latin-1" ? "café" : "café 𝄞";
      expect(codec.byteLength(s), name).toBe(codec.encode(s).length);
    }
  });
});

describe("codec errors", () => {
  it("strict decoding throws UnicodeDecodeError; replace gives U+FFFD; utf-8 keeps a BOM", () => {
    const bad = new Uint8Array([0x61, 0xc3, 0x28]);
    expect(() => getCodec("utf-8", "strict").decode(bad)).toThrow(UnicodeDecodeError);
    expect(getCodec("utf-8", "replace").decode(bad)).toBe("a\ufffd(");
    expect(getCodec("utf-8", "strict").decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe(
      "\ufeffa",
    );
    expect(() => getCodec("ascii", "strict").decode(new Uint8Array([0x80]))).toThrow(
      UnicodeDecodeError,
    );
    expect(() => getCodec("ascii", "strict").encode("é")).toThrow(UnicodeEncodeError);
    expect(Array.from(getCodec("ascii", "replace").encode("é!"))).toEqual([0x3f, 0x21]);
    expect(() => getCodec("latin-1", "strict").encode("€")).toThrow(UnicodeEncodeError);
  });

  it("unknown encodings and error handlers are LookupErrors", () => {
    expect(() => getCodec("ebcdic", "strict")).toThrow(LookupError);
    expect(() => checkErrors("ignore")).toThrow(LookupError);
    expect(checkErrors(undefined)).toBe("strict");
  });
});
