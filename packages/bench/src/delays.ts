/**
 * The random timer delays shared by the timers and tasks suites: the same sequence on our side
 * and on setTimeout's, run after run.
 *
 * HOW: a fixed-seed mulberry32 generator fills a Float64Array with delays uniform in [0, 1) ms.
 * Fractional delays on purpose: Node keeps one timer list per distinct duration, so they are not
 * its best case (measured: about 1.15x its cost with every timer at 1 ms), but they are not a
 * pathology either, and they make every deadline distinct, which exercises exact deadline order.
 *
 * WHY seeded: a ratio compares two runs of the same work only if both see the same delays.
 */

/** Seed of the delay sequence (any constant: it only has to be the same on both sides). */
const SEED = 0x9e3779b9;

/** `n` delays uniform in [0, maxMs) ms, the same sequence on every call. */
export function randomDelays(n: number, maxMs = 1): Float64Array {
  const out = new Float64Array(n);
  let a = SEED >>> 0;
  for (let i = 0; i < n; i++) {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * maxMs;
  }
  return out;
}
