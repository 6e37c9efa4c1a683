/**
 * Sample statistics and verdicts: what turns a pile of timings into "1.23x, ±4%, met".
 *
 * HOW: every contender of a scenario yields samples in nanoseconds per operation (one sample per
 * timed batch). We keep the median and the quartiles, never the mean: a GC pause or a neighbour's
 * test run lands in the tail and moves the mean, not the median. The ratio of a row is
 * median(ours) / median(other); its plausible range is taken from the quartiles:
 *
 *        ours  ├──[p25 ▌p50 p75]──┤          low  = ours.p25 / other.p75
 *        other     ├──[p25 ▌p50 p75]──┤      high = ours.p75 / other.p25
 *
 * A target is "met" or "missed" for sure when the whole [low, high] range is on one side of it,
 * and "unsure" when the range straddles it: the table then says "yes?" or "no?" instead of
 * pretending. A side whose quartiles are far apart (IQR over NOISY_SPREAD of its median) gets a
 * note that the spread is too wide to trust.
 *
 * WHY quartiles and not a confidence interval: the samples are not independent (warm-up, JIT
 * tiers, GC, machine load drift), so a textbook interval would be falsely narrow; the IQR says
 * plainly how much the batches disagreed. Cost: O(n log n) per contender for the sort.
 */

/** Summary of one contender's samples (nanoseconds per operation). */
export interface Stats {
  readonly n: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
  /** (p75 - p25) / median: 0.1 means the middle half of the batches lie within 10% of each other. */
  readonly spread: number;
}

/**
 * IQR above this fraction of the median marks a side as too noisy to trust: at 20% two medians
 * 1.1x apart are within each other's middle halves, so a ratio near a target tells nothing.
 */
export const NOISY_SPREAD = 0.2;

/** Fewer batches than this and the quartiles are the extremes: say so rather than trust them. */
export const MIN_TRUSTED_SAMPLES = 5;

/** Linear-interpolated quantile of an ascending array (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/**
 * Summarise samples. Throws a RangeError for an empty list or a non-finite sample, because a
 * row built on those would print numbers that mean nothing.
 * @example
 * summarize([10, 11, 12, 30]).median; // 11.5
 */
export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new RangeError("summarize: no samples (the contender never ran)");
  for (const s of samples) {
    if (!Number.isFinite(s) || s < 0) {
      throw new RangeError(`summarize: sample ${s} is not a finite non-negative duration`);
    }
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const p25 = quantile(sorted, 0.25);
  const p75 = quantile(sorted, 0.75);
  return {
    n: sorted.length,
    median,
    p25,
    p75,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    spread: median > 0 ? (p75 - p25) / median : 0,
  };
}

/** A ratio ours/other with its plausible range from the quartiles. */
export interface Ratio {
  /** The median of the round ratios when there are any, else median(ours) / median(other). */
  readonly value: number;
  /** Plausible range from the pooled quartiles (ours p25 / other p75 … ours p75 / other p25). */
  readonly low: number;
  readonly high: number;
  /**
   * Round by round, median(ours in the round) / median(other in the round): how stable the
   * ratio is when both sides run minutes apart at most. Absent for out-of-process contenders.
   */
  readonly rounds?: readonly number[];
}

/** median(ours) / median(other), or null when the other side measured zero time. */
export function ratioOf(ours: Stats, other: Stats): Ratio | null {
  if (!(other.median > 0) || !(other.p25 > 0)) return null;
  return {
    value: ours.median / other.median,
    low: ours.p25 / other.p75,
    high: ours.p75 / other.p25,
  };
}

/**
 * The ratio with its round ratios: its value becomes their median (two sides measured side by
 * side share the machine's load, so this drifts least), and the plausible range is widened to
 * include it if needed. Unchanged when there are no round ratios.
 * @example
 * withRoundRatios(ratioOf(ours, other), [1.02, 0.98, 1.05]).value; // 1.02
 */
export function withRoundRatios(ratio: Ratio | null, rounds: readonly number[]): Ratio | null {
  if (ratio === null || rounds.length === 0) return ratio;
  const value = quantile(
    [...rounds].sort((a, b) => a - b),
    0.5,
  );
  return {
    value,
    low: Math.min(ratio.low, value),
    high: Math.max(ratio.high, value),
    rounds: [...rounds],
  };
}

/** What the table's "met?" column says. */
export type Verdict =
  | { readonly kind: "met" }
  | { readonly kind: "missed" }
  | { readonly kind: "unsure"; readonly leaning: "met" | "missed" }
  | { readonly kind: "info" }
  | { readonly kind: "skipped"; readonly why: string }
  | { readonly kind: "error"; readonly message: string };

/** A target: the ratio ours/other must be at most `max` (e.g. 1.0 for "as fast as native"). */
export interface Target {
  readonly max: number;
  /** How the table prints it, e.g. "<= 1.0x" or "ahead". */
  readonly label: string;
}

/** Judge a ratio against a target (null target: the row is for information only). */
export function judge(ratio: Ratio | null, target: Target | null): Verdict {
  if (target === null) return { kind: "info" };
  if (ratio === null) return { kind: "unsure", leaning: "missed" };
  if (ratio.high <= target.max) return { kind: "met" };
  if (ratio.low > target.max) return { kind: "missed" };
  return { kind: "unsure", leaning: ratio.value <= target.max ? "met" : "missed" };
}

/** Notes a reader needs before trusting a row: noisy sides, too few batches. */
export function trustNotes(ours: Stats, other: Stats): string[] {
  const notes: string[] = [];
  const wide = (s: Stats) => s.spread > NOISY_SPREAD;
  if (wide(ours) || wide(other)) {
    // One wording for every noisy row (the table prints each note once); the ± of each side
    // already says how wide it was.
    notes.push(
      `spread too wide to trust: the middle half of one side's batches spans over ${Math.round(NOISY_SPREAD * 100)}% of its median (rerun on a quiet machine)`,
    );
  }
  if (Math.min(ours.n, other.n) < MIN_TRUSTED_SAMPLES) {
    notes.push(`only ${Math.min(ours.n, other.n)} batches`);
  }
  return notes;
}
