import { describe, expect, it } from "vitest";
import { TimerHandle } from "../src/index.js";
import { MinimalLoop } from "./support/minimal-loop.js";
import { rng } from "./support/rng.js";

describe("TimerHandle.when", () => {
  it("returns exactly the deadline it was made with, for any double", () => {
    const loop = new MinimalLoop();
    try {
      const r = rng(3);
      const bits = new Float64Array(1);
      const words = new Uint32Array(bits.buffer);
      const values = [0, -0, 1, 2, 1.5, 0.1, 123_456.789, 2 ** 31, 2 ** 53 + 2, -5.25];
      values.push(Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1e-300, 1e300);
      for (let i = 0; i < 2000; i++) {
        values.push(r() * 1e7, (r() - 0.5) * 10 ** (r() * 600 - 300));
        words[0] = (r() * 2 ** 32) >>> 0; // arbitrary bit patterns (NaN excepted)
        words[1] = (r() * 2 ** 32) >>> 0;
        if (Number.isFinite(bits[0]!)) values.push(bits[0]!);
      }
      for (const w of values) {
        const h = new TimerHandle(w, () => {}, [], loop, new Map());
        expect(Object.is(h.when(), w), `${w}`).toBe(true);
      }
    } finally {
      loop.close();
    }
  });

  it("callLater and callAt handles report their deadlines", () => {
    const loop = new MinimalLoop();
    try {
      const backend = loop._backend as unknown as { now: number };
      backend.now = 1234.5678;
      expect(loop.callLater(0.3, () => {}).when()).toBe(1234.5678 + 0.3);
      expect(loop.callAt(99.125, () => {}).when()).toBe(99.125);
      const h = loop.callLater(5, () => {});
      h.cancel();
      expect(h.when()).toBe(1234.5678 + 5);
    } finally {
      loop.close();
    }
  });
});
