/**
 * Deep await chains, part of the tasks suite: what a call through `depth` coroutine frames
 * costs, in the two styles aioloop supports, against async/await recursion of the same depth and
 * against Effection and co.
 *
 * HOW: one operation is one CALL of a recursive function of depth d (1, 10, 100) that awaits once
 * at the bottom and returns a number up the chain; a batch is a loop of such calls inside one
 * task, about CHAIN_FRAMES frames in all (20,000 calls at depth 1, 200 at depth 100):
 *
 *   style         definition                                              the await at the bottom
 *   plain         function* f(d): Coro<number> { … yield* f(d - 1) … }     yield* sleep(0)
 *   coro()        const f = coro(function* (d: number): Coro<number> {…})  yield* sleep(0)
 *   native        async function f(d): Promise<number> { … await f(d-1) }  await null
 *   effection     function* f(d): Operation<number> { … yield* f(d - 1) }  yield* until(resolved)
 *   co            function* f(d) { … yield f(d - 1) … }                    yield resolved
 *
 * The coro() rows carry issue 12's target (<= 1.2x of native at every depth) and the peers
 * (target: ahead). The plain rows are for information: plain generator functions keep V8's own
 * `yield*` delegation, where resuming the bottom frame passes through every frame above it
 * (O(depth) per await), as the issue decided. A last pair is Effection's own "recursion"
 * benchmark: depth 100 with 100 awaits at the bottom, where that O(depth) shows most.
 *
 * WHY one await per call: it is the shape of real code (a request handler calling a helper
 * calling a client that reads once), and the call itself (creating d frames) is measured too.
 */

import { type Coro, coro, sleep } from "@aioloop/core";
import co from "co";
import { type Operation, run as effRun, until } from "effection";
import { TIMER_SYNC } from "../backends.js";
import { AHEAD, type Comparison, type Scenario, atMost } from "../harness.js";

/** Frames per batch: the calls of a batch times the depth. */
const CHAIN_FRAMES = 20_000;
const CHAIN_FRAMES_QUICK = 1_000;

/** The depths issue 12's table names. */
export const CHAIN_DEPTHS = [1, 10, 100] as const;

/** Issue 12's target for the opt-in style at every depth. */
const CORO_TARGET = atMost(1.2);

const RESOLVED: Promise<number> = Promise.resolve(1);

// The five ways of writing the same recursion. Each returns the depth it went down, so that
// every frame's result is used.

function* plain(d: number): Coro<number> {
  if (d > 1) return 1 + (yield* plain(d - 1));
  yield* sleep(0);
  return 1;
}

const viaCoro = coro(function* chainCoro(d: number): Coro<number> {
  if (d > 1) return 1 + (yield* viaCoro(d - 1));
  yield* sleep(0);
  return 1;
});

async function native(d: number): Promise<number> {
  if (d > 1) return 1 + (await native(d - 1));
  await null;
  return 1;
}

function* effection(d: number): Operation<number> {
  if (d > 1) return 1 + (yield* effection(d - 1));
  yield* until(RESOLVED);
  return 1;
}

function* coStyle(d: number): Generator<unknown, number, unknown> {
  if (d > 1) return 1 + ((yield coStyle(d - 1)) as number);
  yield RESOLVED;
  return 1;
}

/** Throws unless a batch's calls all went down the whole chain (a broken contender must not win). */
function check(sum: number, calls: number, depth: number): number {
  if (sum !== calls * depth) throw new Error(`chain returned ${sum}, expected ${calls * depth}`);
  return sum;
}

/** One depth: the plain row (information) and the coro() row (target, peers). */
function depthScenarios(depth: number, frames: number): Scenario[] {
  const calls = Math.max(1, Math.round(frames / depth));
  const baseline = (target: Comparison["target"]): Comparison => ({
    name: "async/await recursion",
    role: "baseline",
    target,
    run: async () => {
      let s = 0;
      for (let i = 0; i < calls; i++) s += await native(depth);
      return check(s, calls, depth);
    },
  });
  const oursWith = (name: string, f: (d: number) => Coro<number>) => ({
    name,
    run: () =>
      TIMER_SYNC.run(function* (): Coro<number> {
        let s = 0;
        for (let i = 0; i < calls; i++) s += yield* f(depth);
        return check(s, calls, depth);
      }),
  });
  const title = (style: string) => `deep chain: depth ${depth}, one await per call, ${style}`;
  return [
    {
      id: `tasks.chain-${depth}.coro`,
      title: title("coro()"),
      unit: "call",
      ops: calls,
      metric: "wall",
      note: "const f = coro(function* (d: number): Coro<number> {...}); yield* f(d - 1)",
      ours: oursWith("aioloop coro()", viaCoro),
      compare: [
        baseline(CORO_TARGET),
        {
          name: "effection",
          role: "peer",
          target: AHEAD,
          run: () =>
            effRun(function* (): Operation<number> {
              let s = 0;
              for (let i = 0; i < calls; i++) s += yield* effection(depth);
              return check(s, calls, depth);
            }),
        },
        {
          name: "co",
          role: "peer",
          target: AHEAD,
          run: () =>
            co(function* () {
              let s = 0;
              for (let i = 0; i < calls; i++) s += (yield coStyle(depth)) as number;
              return check(s, calls, depth);
            }),
        },
      ],
    },
    {
      id: `tasks.chain-${depth}`,
      title: title("plain yield*"),
      unit: "call",
      ops: calls,
      metric: "wall",
      ours: oursWith("aioloop plain yield*", plain),
      compare: [baseline(null)],
    },
  ];
}

/** Effection's "recursion" benchmark (depth 100, 100 awaits at the bottom), in both styles. */
function effectionRecursion(repeat: number): Scenario[] {
  const DEPTH = 100;
  const AWAITS = 100;
  function* plainRec(d: number): Coro<void> {
    if (d > 1) yield* plainRec(d - 1);
    else for (let i = 0; i < AWAITS; i++) yield* sleep(0);
  }
  const coroRec = coro(function* recursion(d: number): Coro<void> {
    if (d > 1) yield* coroRec(d - 1);
    else for (let i = 0; i < AWAITS; i++) yield* sleep(0);
  });
  async function asyncRec(d: number): Promise<void> {
    if (d > 1) await asyncRec(d - 1);
    else for (let i = 0; i < AWAITS; i++) await null;
  }
  function* effRec(d: number): Operation<void> {
    if (d > 1) yield* effRec(d - 1);
    else for (let i = 0; i < AWAITS; i++) yield* until(RESOLVED);
  }
  function* coRec(d: number): Generator<unknown, void, unknown> {
    if (d > 1) yield coRec(d - 1);
    else for (let i = 0; i < AWAITS; i++) yield RESOLVED;
  }
  const baseline = (target: Comparison["target"]): Comparison => ({
    name: "async/await recursion",
    role: "baseline",
    target,
    run: async () => {
      for (let r = 0; r < repeat; r++) await asyncRec(DEPTH);
    },
  });
  const oursWith = (name: string, f: (d: number) => Coro<void>) => ({
    name,
    run: () =>
      TIMER_SYNC.run(function* (): Coro<void> {
        for (let r = 0; r < repeat; r++) yield* f(DEPTH);
      }),
  });
  const title = (style: string) =>
    `deep chain: depth ${DEPTH}, ${AWAITS} awaits at the bottom, ${style}`;
  return [
    {
      id: "tasks.deep-chain.coro",
      title: title("coro()"),
      unit: "await",
      ops: AWAITS * repeat,
      metric: "wall",
      note: "Effection's recursion benchmark: every await at the bottom of a 100-frame chain",
      ours: oursWith("aioloop coro()", coroRec),
      compare: [
        baseline(CORO_TARGET),
        {
          name: "effection",
          role: "peer",
          target: AHEAD,
          run: () =>
            effRun(function* (): Operation<void> {
              for (let r = 0; r < repeat; r++) yield* effRec(DEPTH);
            }),
        },
        {
          name: "co",
          role: "peer",
          target: AHEAD,
          run: () =>
            co(function* () {
              for (let r = 0; r < repeat; r++) yield coRec(DEPTH);
            }),
        },
      ],
    },
    {
      id: "tasks.deep-chain",
      title: title("plain yield*"),
      unit: "await",
      ops: AWAITS * repeat,
      metric: "wall",
      note: "Effection's recursion benchmark: every await at the bottom of a 100-frame chain",
      ours: oursWith("aioloop plain yield*", plainRec),
      compare: [baseline(null)],
    },
  ];
}

/** Every chain scenario, in table order. */
export function chainScenarios(quick: boolean): Scenario[] {
  const frames = quick ? CHAIN_FRAMES_QUICK : CHAIN_FRAMES;
  return [
    ...CHAIN_DEPTHS.flatMap((d) => depthScenarios(d, frames)),
    ...effectionRecursion(quick ? 1 : 10),
  ];
}
