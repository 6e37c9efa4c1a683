import { describe, expect, it } from "vitest";
import { ChunkBuffer } from "../src/chunk-buffer.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Deterministic xorshift32, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("ChunkBuffer", () => {
  it("consumes within a chunk as a view and across chunks as a copy", () => {
    const b = new ChunkBuffer();
    const first = enc("hello ");
    b.push(first);
    b.push(enc("world"));
    expect(b.length).toBe(11);
    const h = b.consume(2);
    expect(dec(h)).toBe("he");
    expect(h.buffer).toBe(first.buffer); // no copy
    expect(dec(b.consume(6))).toBe("llo wo");
    expect(dec(b.takeAll())).toBe("rld");
    expect(b.length).toBe(0);
    expect(b.consume(3).length).toBe(0);
  });

  it("returns a whole chunk itself when a read takes exactly it", () => {
    const b = new ChunkBuffer();
    const c = enc("abc");
    b.push(c);
    expect(b.consume(3)).toBe(c);
  });

  it("finds separators inside chunks and split across chunk boundaries", () => {
    const b = new ChunkBuffer();
    for (const s of ["QWEaa", "XYa", "a", "abc"]) b.push(enc(s)); // "QWEaaXYaaabc"
    expect(b.find(enc("aaa"), 0)).toBe(7);
    expect(b.find(enc("aXY"), 0)).toBe(4);
    expect(b.find(enc("a"), 6)).toBe(7);
    expect(b.find(enc("abc"), 0)).toBe(9);
    expect(b.find(enc("zz"), 0)).toBe(-1);
    expect(b.find(enc("aa"), 4)).toBe(7);
    b.consume(4); // "aXYaaabc"
    expect(b.find(enc("aXY"), 0)).toBe(0);
    expect(b.startsWith(enc("XY"), 1)).toBe(true);
    expect(b.startsWith(enc("bc"), 6)).toBe(true);
    expect(b.startsWith(enc("bcd"), 6)).toBe(false);
  });

  it("agrees with a naive search on random chunkings (property test)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const alphabet = "ab\n";
      let text = "";
      const b = new ChunkBuffer();
      const nChunks = 1 + Math.floor(r() * 8);
      for (let i = 0; i < nChunks; i++) {
        let c = "";
        const len = 1 + Math.floor(r() * 6);
        for (let j = 0; j < len; j++) c += alphabet[Math.floor(r() * 3)];
        text += c;
        b.push(enc(c));
      }
      const drop = Math.floor(r() * Math.min(3, text.length));
      b.consume(drop);
      text = text.slice(drop);
      let sep = "";
      const sepLen = 1 + Math.floor(r() * 3);
      for (let j = 0; j < sepLen; j++) sep += alphabet[Math.floor(r() * 3)];
      const from = Math.floor(r() * (text.length + 1));
      expect(b.find(enc(sep), from), `seed ${seed}`).toBe(text.indexOf(sep, from));
    }
  });

  it("puts bytes back in front with unshift and compacts a long consumed prefix", () => {
    const b = new ChunkBuffer();
    for (let i = 0; i < 100; i++) b.push(enc(String(i % 10)));
    expect(dec(b.consume(60))).toBe("0123456789".repeat(6));
    b.unshift(enc("xy"));
    expect(b.length).toBe(42);
    expect(dec(b.takeAll())).toBe(`xy${"0123456789".repeat(4)}`);
  });
});
