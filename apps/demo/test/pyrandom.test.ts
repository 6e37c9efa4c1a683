import { describe, expect, it } from "vitest";
import { PyRandom, PyRandomValueError } from "../src/pyrandom.js";

// Every expected value below was printed by python3 (3.11) on this machine, e.g.
//   python3 -c "import random; random.seed(444); print([random.randint(0,10) for _ in range(40)])"
// so the test needs no Python to run.

describe("PyRandom: Python's Mersenne Twister, seeding and sampling", () => {
  it("seed(444) then randint(0, 10) gives Python's sequence (the seed programs' numbers)", () => {
    const rng = new PyRandom(444);
    const got = Array.from({ length: 40 }, () => rng.randint(0, 10));
    expect(got).toEqual([
      4, 4, 0, 4, 7, 4, 4, 8, 10, 7, 8, 4, 7, 1, 6, 9, 3, 9, 7, 10, 0, 1, 0, 1, 9, 0, 5, 10, 5, 8,
      2, 5, 5, 0, 3, 1, 5, 6, 10, 5,
    ]);
  });

  it("getrandbits(32) gives Python's raw words, across the 624-word twist", () => {
    const rng = new PyRandom(444);
    const words = Array.from({ length: 700 }, () => rng.getrandbits(32));
    expect(words.slice(0, 5)).toEqual([1326692461, 1236154736, 56854717, 1327727452, 2080643381]);
    expect([words[623], words[624], words[699]]).toEqual([3604634309, 1761918868, 1405746827]);
    expect(new PyRandom(0).getrandbits(32)).toBe(3626764237);
  });

  it("getrandbits(k) for k of 0, 1, 33, 40 and 64 bits, in Python's word order", () => {
    const rng = new PyRandom(444);
    expect(rng.getrandbits(64)).toBe(5309244165242206317n);
    expect(rng.getrandbits(40)).toBe(339359271101);
    expect(rng.getrandbits(1)).toBe(0);
    expect(rng.getrandbits(0)).toBe(0);
    expect(rng.getrandbits(33)).toBe(5481265760);
  });

  it("seeds above 32 bits use every word of the key; negative seeds their absolute value", () => {
    const big = new PyRandom(2 ** 40 + 5);
    expect(Array.from({ length: 10 }, () => big.randint(1, 5))).toEqual([
      5, 5, 3, 1, 5, 1, 2, 1, 2, 2,
    ]);
    const bigint = new PyRandom(2n ** 40n + 5n);
    expect(bigint.randint(1, 5)).toBe(5);
    const neg = new PyRandom(-444);
    expect(Array.from({ length: 5 }, () => neg.randint(0, 10))).toEqual([4, 4, 0, 4, 7]);
  });

  it("randrange, negative ranges and random() match Python", () => {
    const rng = new PyRandom(12345);
    expect(Array.from({ length: 5 }, () => rng.randrange(0, 1000000))).toEqual([
      436857, 768276, 10663, 860015, 865291,
    ]);
    expect(Array.from({ length: 8 }, () => rng.randint(-3, 3))).toEqual([
      3, -1, 3, -1, -2, -1, 1, 0,
    ]);
    const f = new PyRandom(444);
    expect(f.random()).toBe(0.3088946587429545);
    expect(f.random()).toBe(0.01323751590501987);
  });

  it("re-seeding restarts the sequence and counts draws afresh", () => {
    const rng = new PyRandom(444);
    rng.randint(0, 10);
    rng.randint(0, 10);
    expect(rng.statistics().draws).toBe(2);
    rng.seed(444);
    expect(rng.statistics().draws).toBe(0);
    expect(rng.randint(0, 10)).toBe(4);
  });

  it("rejects empty ranges and bad arguments with Python's wording", () => {
    const rng = new PyRandom(1);
    expect(() => rng.randint(5, 4)).toThrow(PyRandomValueError);
    expect(() => rng.randint(5, 4)).toThrow(/empty range in randrange\(5, 5\)/);
    expect(() => rng.getrandbits(-1)).toThrow(/must be non-negative/);
    expect(() => new PyRandom(1.5)).toThrow(TypeError);
  });

  it("an unseeded generator draws from the OS (two of them differ)", () => {
    const a = Array.from({ length: 4 }, () => new PyRandom().getrandbits(32));
    expect(new Set(a).size).toBeGreaterThan(1);
  });
});
