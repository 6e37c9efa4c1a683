/**
 * Barrier (asyncio.Barrier, 3.11+): parties, rounds, abort and reset, cancelled waiters.
 */
import { describe, expect, it } from "vitest";
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  type Coro,
  InvalidArgumentError,
  type Task,
  createTask,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { tick } from "../support.js";

/** How a task ended: its value, "broken" or "cancelled". */
function* outcome(t: Task<unknown>): Coro<unknown> {
  try {
    return yield* t;
  } catch (e) {
    if (e instanceof BrokenBarrierError) return "broken";
    if (e instanceof CancelledError) return "cancelled";
    throw e;
  }
}

export function barrierTests(l: LoopUnderTest): void {
  describe(`Barrier on ${l.name}`, () => {
    it("rejects fewer than one party with InvalidArgumentError", () => {
      for (const bad of [0, -1, 1.5, Number.NaN, "3"]) {
        expect(() => new Barrier(bad as number)).toThrow(InvalidArgumentError);
      }
    });

    it("releases all parties together, each with its arrival index", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(3);
        const log: string[] = [];
        const mk = (name: string) =>
          createTask(
            (function* () {
              const i = yield* b.wait();
              log.push(`${name}:${i}`);
              return i;
            })(),
          );
        const x = mk("x");
        const y = mk("y");
        yield* tick();
        const waiting = b.nWaiting;
        const early = log.length;
        const z = mk("z");
        const idx = [yield* x, yield* y, yield* z];
        return {
          waiting,
          early,
          log,
          idx,
          after: b.nWaiting,
          broken: b.broken,
          parties: b.parties,
        };
      });
      expect(out.waiting).toBe(2);
      expect(out.early).toBe(0);
      // As asyncio: the last arrival returns first, then the others in arrival order.
      expect(out.log).toEqual(["z:2", "x:0", "y:1"]);
      expect(out.idx).toEqual([0, 1, 2]);
      expect(out).toMatchObject({ after: 0, broken: false, parties: 3 });
    });

    it("a barrier of one party passes at once", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(1);
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        const i = yield* b.wait();
        const j = yield* b.wait();
        return { i, j, same: loop.statistics().iterations === before };
      });
      expect(out).toEqual({ i: 0, j: 0, same: true });
    });

    it("refills for the next round; early arrivals wait until the previous round has left", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(2);
        const log: string[] = [];
        function* worker(name: string): Coro<void> {
          for (let round = 0; round < 3; round++) {
            yield* b.wait();
            log.push(`${name}${round}`);
          }
        }
        const p = createTask(worker("p"));
        const q = createTask(worker("q"));
        yield* p;
        yield* q;
        return { log, stats: b.statistics() };
      });
      // Nobody starts round r+1 before both have finished round r.
      const rounds = out.log.map((s) => Number(s.slice(1)));
      expect(rounds).toEqual([...rounds].sort());
      expect(out.log).toHaveLength(6);
      expect(out.stats).toEqual({
        parties: 2,
        nWaiting: 0,
        state: "filling",
        parked: 0,
        rounds: 3,
      });
    });

    it("abort() breaks the waiters and later wait() calls until reset()", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(3);
        const a = createTask(b.wait());
        yield* tick();
        b.abort(); // plain call
        const ra = yield* outcome(a);
        const late = yield* outcome(createTask(b.wait()));
        const broken = b.broken;
        yield* b.reset(); // asyncio style: `await barrier.reset()`
        const x = createTask(b.wait());
        const y = createTask(b.wait());
        const z = createTask(b.wait());
        return {
          ra,
          late,
          broken,
          afterReset: [yield* x, yield* y, yield* z],
          brokenAfter: b.broken,
        };
      });
      expect(out).toEqual({
        ra: "broken",
        late: "broken",
        broken: true,
        afterReset: [0, 1, 2],
        brokenAfter: false,
      });
    });

    it("yield* barrier.abort() works too and acts at once", async () => {
      await runOn(l, function* () {
        const b = new Barrier(2);
        yield* b.abort();
        expect(b.broken).toBe(true);
        expect(String(b)).toBe("<Barrier [broken, waiters:0/2]>");
      });
    });

    it("reset() while tasks wait breaks them; the barrier is usable again after they leave", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(2);
        const a = createTask(b.wait());
        yield* tick();
        b.reset();
        const state = b.statistics().state;
        const ra = yield* outcome(a);
        const stateAfter = b.statistics().state;
        const x = createTask(b.wait());
        const y = createTask(b.wait());
        return { state, ra, stateAfter, again: [yield* x, yield* y] };
      });
      expect(out).toEqual({
        state: "resetting",
        ra: "broken",
        stateAfter: "filling",
        again: [0, 1],
      });
    });

    it("arrivals during a reset wait for the reset to finish, then fill the next round", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(2);
        const a = createTask(b.wait());
        yield* tick();
        b.reset();
        const c = createTask(b.wait()); // arrives while resetting
        const d = createTask(b.wait());
        return { a: yield* outcome(a), c: yield* outcome(c), d: yield* outcome(d) };
      });
      expect(out).toEqual({ a: "broken", c: 0, d: 1 });
    });

    it("a cancelled waiter leaves without breaking the barrier (as asyncio)", async () => {
      const out = await runOn(l, function* () {
        const b = new Barrier(3);
        const t1 = createTask(b.wait());
        const t2 = createTask(b.wait());
        yield* tick();
        t1.cancel();
        yield* tick(2);
        const afterCancel = { nWaiting: b.nWaiting, broken: b.broken };
        const t3 = createTask(b.wait());
        const t4 = createTask(b.wait());
        yield* sleep(1);
        return {
          afterCancel,
          r: [yield* outcome(t1), yield* outcome(t2), yield* outcome(t3), yield* outcome(t4)],
        };
      });
      // asyncio 3.11+ gives exactly these indices (t3 reuses index 1).
      expect(out).toEqual({
        afterCancel: { nWaiting: 1, broken: false },
        r: ["cancelled", 1, 1, 2],
      });
    });
  });
}
