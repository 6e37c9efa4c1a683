import { describe, expect, it } from "vitest";
import { judge, quantile, ratioOf, summarize, trustNotes, withRoundRatios } from "../src/stats.js";

describe("summarize", () => {
  it("gives median and quartiles, not the mean, so one outlier does not move it", () => {
    const s = summarize([10, 11, 12, 13, 1000]);
    expect(s.median).toBe(12);
    expect(s.p25).toBe(11);
    expect(s.p75).toBe(13);
    expect(s.min).toBe(10);
    expect(s.max).toBe(1000);
    expect(s.spread).toBeCloseTo(2 / 12);
    expect(s.n).toBe(5);
  });

  it("interpolates between samples", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(summarize([7]).median).toBe(7);
  });

  it("refuses empty or non-finite samples with a message", () => {
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => summarize([1, Number.NaN])).toThrow(/not a finite/);
    expect(() => summarize([-1])).toThrow(/non-negative/);
  });
});

describe("ratios and verdicts", () => {
  const tight = (m: number) => summarize([m * 0.98, m * 0.99, m, m * 1.01, m * 1.02]);

  it("is ours over other, with a range from the quartiles", () => {
    const r = ratioOf(tight(50), tight(100))!;
    expect(r.value).toBeCloseTo(0.5);
    expect(r.low).toBeLessThan(r.value);
    expect(r.high).toBeGreaterThan(r.value);
  });

  it("has no ratio against a side that measured nothing", () => {
    expect(ratioOf(tight(5), summarize([0, 0, 0]))).toBeNull();
  });

  it("says met or missed only when the whole range is on one side of the target", () => {
    const t = { max: 1, label: "<= 1x" };
    expect(judge(ratioOf(tight(50), tight(100)), t)).toEqual({ kind: "met" });
    expect(judge(ratioOf(tight(200), tight(100)), t)).toEqual({ kind: "missed" });
    const wide = summarize([60, 95, 100, 105, 140]);
    expect(judge(ratioOf(wide, tight(100)), t)).toEqual({ kind: "unsure", leaning: "met" });
    expect(judge(ratioOf(tight(50), tight(100)), null)).toEqual({ kind: "info" });
  });

  it("takes the median of the round ratios as the value, widening the range to hold it", () => {
    const r = withRoundRatios({ value: 1, low: 0.95, high: 1.05 }, [1.2, 0.9, 1.1, 1.0, 1.15])!;
    expect(r.value).toBe(1.1);
    expect(r.low).toBe(0.95);
    expect(r.high).toBe(1.1);
    expect(r.rounds).toEqual([1.2, 0.9, 1.1, 1.0, 1.15]);
    expect(withRoundRatios({ value: 2, low: 1, high: 3 }, [])).toEqual({
      value: 2,
      low: 1,
      high: 3,
    });
    expect(withRoundRatios(null, [1])).toBeNull();
  });

  it("warns about wide spreads and thin samples", () => {
    expect(trustNotes(tight(1), tight(1))).toEqual([]);
    const noisy = summarize([1, 2, 3, 4, 5, 6, 7]);
    expect(trustNotes(noisy, tight(1))[0]).toMatch(/spread too wide to trust/);
    expect(trustNotes(summarize([1, 1]), tight(1))).toContain("only 2 batches");
  });
});
