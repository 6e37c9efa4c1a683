/**
 * Measures TimerHeap with a binary (2-ary) heap against a 4-ary heap, to choose `ARITY` in
 * src/timer-heap.ts.
 *
 * HOW. The shipped source is read, its `const ARITY = …;` line is rewritten to each arity, and
 * each variant is transpiled (with the workspace's TypeScript) and imported from a `data:` URL.
 * So both variants are exactly the shipped code except for the constant, each a separate class
 * that V8 optimises on its own. Inputs come from a seeded PRNG and are identical for both.
 *
 * Workloads (N = 200k):
 *   insert-pop   insert N random deadlines, then pop all                    (2N operations)
 *   timer-mix    insert N, remove a random half by slot, then pop the rest  (2N operations)
 *
 * Each workload runs WARMUP_RUNS untimed, then RUNS timed, alternating which arity goes first
 * in each round so drift (GC, CPU frequency) hits both alike; the median is reported in ns per
 * operation.
 *
 * Run: `npx -y tsx@4.23.15 packages/core/bench/heap-arity.ts` from the repository root.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import ts from "typescript";

/** Entries per run: large enough that the heap (~5 MB of typed arrays) outgrows L2 caches. */
const N = 200_000;
/** Timed runs per workload and arity; the median of an odd count is one actual run. */
const RUNS = 7;
/** Untimed runs first, so both variants are optimised by V8 before measuring. */
const WARMUP_RUNS = 3;
/** Deadlines are spread over this many milliseconds: like timers set up to 1000 s ahead. */
const DEADLINE_SPAN_MS = 1_000_000;
/** Seed for the PRNG, so every run and both arities see the same inputs. */
const SEED = 0x5eed_1234;
/** The arities compared. */
const ARITIES = [2, 4] as const;

/** The part of TimerHeap's surface the workloads use. */
interface HeapLike {
  readonly size: number;
  insert(when: number, item: number): number;
  pop(): number | undefined;
  remove(slot: number): boolean;
}
type HeapClass = new () => HeapLike;

/** xorshift32: small, fast, and deterministic; returns floats in [0, 1). */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Loads src/timer-heap.ts with `ARITY` replaced by `arity`. */
async function loadVariant(arity: number): Promise<HeapClass> {
  const source = readFileSync(new URL("../src/timer-heap.ts", import.meta.url), "utf8");
  const pattern = /^const ARITY = \d+;$/m;
  if (!pattern.test(source)) throw new Error("bench: `const ARITY = <n>;` not found in source");
  const variant = source.replace(pattern, `const ARITY = ${arity};`);
  const js = ts.transpileModule(variant, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const mod = (await import(`data:text/javascript,${encodeURIComponent(js)}`)) as {
    TimerHeap: HeapClass;
  };
  return mod.TimerHeap;
}

const random = prng(SEED);
const deadlines = Float64Array.from({ length: N }, () => random() * DEADLINE_SPAN_MS);
// Insertion indices of the entries to remove in timer-mix: a random half, in random order.
const removeOrder = Int32Array.from({ length: N }, (_, i) => i);
for (let i = N - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  const t = removeOrder[i];
  removeOrder[i] = removeOrder[j];
  removeOrder[j] = t;
}
const REMOVED = N / 2;

/** Pops everything, checking the order; returns a checksum so the work cannot be skipped. */
function drain(heap: HeapLike): number {
  let sum = 0;
  let previous = Number.NEGATIVE_INFINITY;
  while (heap.size > 0) {
    const item = heap.pop()!;
    const when = deadlines[item];
    if (when < previous) throw new Error("bench: pop order is wrong");
    previous = when;
    sum += item;
  }
  return sum;
}

interface Workload {
  readonly name: string;
  readonly ops: number;
  run(Heap: HeapClass): number;
}

const workloads: Workload[] = [
  {
    name: "insert-pop",
    ops: 2 * N,
    run(Heap) {
      const heap = new Heap();
      for (let i = 0; i < N; i++) heap.insert(deadlines[i], i);
      return drain(heap);
    },
  },
  {
    name: "timer-mix",
    ops: N + REMOVED + (N - REMOVED),
    run(Heap) {
      const heap = new Heap();
      const slots = new Int32Array(N);
      for (let i = 0; i < N; i++) slots[i] = heap.insert(deadlines[i], i);
      for (let k = 0; k < REMOVED; k++) {
        if (!heap.remove(slots[removeOrder[k]])) throw new Error("bench: remove failed");
      }
      return drain(heap);
    },
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const variants = new Map<number, HeapClass>();
for (const arity of ARITIES) variants.set(arity, await loadVariant(arity));

console.log(`TimerHeap arity, N = ${N}, median (min..max) of ${RUNS} runs, ns per operation`);
console.log(`node ${process.version}`);
for (const workload of workloads) {
  const samples = new Map<number, number[]>(ARITIES.map((a) => [a, []]));
  const checksums = new Set<number>();
  for (let round = 0; round < WARMUP_RUNS + RUNS; round++) {
    const order = round % 2 === 0 ? ARITIES : [...ARITIES].reverse();
    for (const arity of order) {
      const start = performance.now();
      checksums.add(workload.run(variants.get(arity)!));
      const ns = ((performance.now() - start) * 1e6) / workload.ops;
      if (round >= WARMUP_RUNS) samples.get(arity)!.push(ns);
    }
  }
  if (checksums.size !== 1) throw new Error(`bench: ${workload.name} results differ by arity`);
  const row = ARITIES.map((a) => {
    const runs = samples.get(a)!;
    const spread = `${Math.min(...runs).toFixed(0)}..${Math.max(...runs).toFixed(0)}`;
    return `${a}-ary ${median(runs).toFixed(1)} ns/op (${spread})`;
  });
  const [binary, quaternary] = ARITIES.map((a) => median(samples.get(a)!));
  const faster = binary < quaternary ? "2-ary" : "4-ary";
  console.log(
    `${workload.name.padEnd(11)} ${row.join("   ")}   faster: ${faster} ` +
      `(4-ary/2-ary = ${(quaternary / binary).toFixed(2)})`,
  );
}
