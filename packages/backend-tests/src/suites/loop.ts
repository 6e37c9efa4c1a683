/**
 * The loop itself: running and stopping (fact 10), closing, argument checks, deadlocks, the
 * exception handler, debug mode, the lazy purge of cancelled timers (fact 11), timer order.
 * Runs use the loop's own mode: `runSync` where it blocks, else `runUntilComplete`.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type Awaitable,
  type BaseEventLoop,
  type Coro,
  DeadlockError,
  type ExceptionContext,
  LoopClosedError,
  LoopRunningError,
  MIN_SCHEDULED_TIMERS,
  createTask,
  fromPromise,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { AN_HOUR, drive } from "../support.js";

export function loopTests(l: LoopUnderTest): void {
  /**
   * Try to run `aw` on `loop` from inside a running task, in `l`'s own mode, and return the
   * error that refused it (null if it ran): `runSync` throws at once; `runUntilComplete`
   * rejects, and the rejection is awaited.
   */
  function* runError(loop: BaseEventLoop, aw: Awaitable<unknown>): Coro<unknown> {
    if (l.blocking) {
      try {
        loop.runSync(aw);
        return null;
      } catch (e) {
        return e;
      }
    }
    return yield* fromPromise(
      loop.runUntilComplete(aw).then(
        () => null,
        (e: unknown) => e,
      ),
    );
  }

  describe(`loop lifecycle on ${l.name}`, () => {
    it("fact 10: stop() before runForever() runs exactly one iteration", async () => {
      const loop = l.make();
      const log: string[] = [];
      loop.callSoon(() => {
        log.push("first");
        loop.callSoon(() => log.push("second"));
      });
      loop.stop();
      const before = loop.statistics().iterations;
      await loop.runForever();
      expect(log).toEqual(["first"]);
      expect(loop.statistics().iterations - before).toBe(1);
      loop.close();
    });

    it("fact 10: running a running loop throws; so does running while another loop runs", async () => {
      const a = l.make();
      const b = l.make();
      const errors = await drive(
        l,
        a,
        (function* () {
          const errs: string[] = [];
          errs.push(((yield* runError(a, sleep(0))) as Error).name);
          errs.push(((yield* runError(b, sleep(0))) as Error).message);
          yield* sleep(0);
          return errs;
        })(),
      );
      expect(errors[0]).toBe("LoopRunningError");
      expect(errors[1]).toMatch(/another loop is running/);
      // The first run waits for the test, not for a timer: a stall during its first host turn
      // could end a short sleep before the second call. The hour-long timer keeps it parked.
      const gate = a.createFuture<void>();
      const hold = a.callLater(AN_HOUR, () => {});
      const p = a.runUntilComplete(gate);
      await expect(a.runUntilComplete(sleep(0))).rejects.toThrow(LoopRunningError);
      gate.setResult(undefined);
      await p;
      hold.cancel();
      a.close();
      b.close();
    });

    it("a closed loop refuses to run or schedule, with LoopClosedError", async () => {
      const loop = l.make();
      loop.close();
      expect(loop.isClosed()).toBe(true);
      expect(() => loop.callSoon(() => {})).toThrow(LoopClosedError);
      await expect(drive(l, loop, sleep(0))).rejects.toThrow(/closed/);
      await expect(loop.runForever()).rejects.toThrow(LoopClosedError);
      loop.close();
    });

    it("closing a running loop throws", async () => {
      const loop = l.make();
      await drive(
        l,
        loop,
        (function* () {
          expect(() => loop.close()).toThrow(LoopRunningError);
          yield* sleep(0);
        })(),
      );
      loop.close();
    });

    it("callLater/callAt with a non-finite delay throw RangeError; sleep(NaN) too", async () => {
      await runOn(l, function* () {
        const loop = getRunningLoop();
        expect(() => loop.callLater(Number.NaN, () => {})).toThrow(RangeError);
        expect(() => loop.callLater(Number.POSITIVE_INFINITY, () => {})).toThrow(
          /finite number of milliseconds/,
        );
        expect(() => loop.callAt(Number.NaN, () => {})).toThrow(RangeError);
        expect(() => loop.callSoon(42 as never)).toThrow(/needs a function/);
        expect(() => sleep(Number.NaN)).toThrow(RangeError);
        expect(() => sleep(Number.NEGATIVE_INFINITY)).toThrow(/number of milliseconds/);
        yield* sleep(0);
      });
    });

    it("a run (runSync, or a host-driven run) of a future nothing can complete throws DeadlockError instead of hanging", async () => {
      const loop = l.make();
      await expect(drive(l, loop, loop.createFuture<void>())).rejects.toThrow(DeadlockError);
      loop.close();
    });

    it("an error in a callback goes to the exception handler and the loop goes on", async () => {
      const seen: ExceptionContext[] = [];
      const out = await runOn(l, function* () {
        const loop = getRunningLoop();
        loop.setExceptionHandler((_l, ctx) => seen.push(ctx));
        loop.callSoon(() => {
          throw new Error("callback failed");
        });
        yield* sleep(0);
        yield* sleep(0);
        return "still running";
      });
      expect(out).toBe("still running");
      expect(seen).toHaveLength(1);
      expect(seen[0]!.message).toMatch(/Exception in callback/);
      expect((seen[0]!.exception as Error).message).toBe("callback failed");
    });

    it("debug mode reports callbacks slower than slowCallbackDuration", async () => {
      // The report is a console.warn "Executing <callback> took <ms> ms" (asyncio's wording).
      // Durations are host time on every loop, virtual clocks too, and a stalled process makes
      // any callback slow: so the test asserts that the step made slow is reported, and that no
      // report is under the threshold, not that the loop's other callbacks were fast.
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const reports: [what: string, ms: number][] = [];
      const loop = l.make();
      loop.setDebug(true);
      expect(loop.getDebug()).toBe(true);
      loop.slowCallbackDuration = 5;
      try {
        const busy = loop.createTask(
          (function* () {
            const end = performance.now() + 8;
            while (performance.now() < end) {}
            yield* sleep(0);
          })(),
          { name: "busy" },
        );
        await drive(l, loop, busy);
        loop.close();
        for (const [msg] of warn.mock.calls) {
          const m = /^Executing (.*) took ([\d.]+) ms/.exec(String(msg));
          if (m !== null) reports.push([m[1]!, Number(m[2])]);
        }
      } finally {
        warn.mockRestore();
      }
      const firstStep = reports.filter(([what]) => what === "<Task busy pending>");
      expect(firstStep).toHaveLength(1);
      expect(firstStep[0]![1]).toBeGreaterThanOrEqual(8);
      for (const [, ms] of reports) expect(ms).toBeGreaterThanOrEqual(5);
    });

    it("runUntilComplete resolves with the result and leaves no host timer behind", async () => {
      const loop = l.make();
      const v = await loop.runUntilComplete(
        (function* () {
          yield* sleep(50);
          return "done";
        })(),
      );
      expect(v).toBe("done");
      expect(loop.isRunning()).toBe(false);
      loop.close();
    });
  });

  // The timers here are only counted: they are an hour away, so none comes due during the one
  // iteration even when a busy machine stalls the process between callLater and it.
  describe(`timer purge on ${l.name} (fact 11)`, () => {
    it("purges cancelled timers lazily from the heap head", () => {
      const loop = l.make();
      const early = loop.callLater(1, () => {});
      const late = loop.callLater(AN_HOUR, () => {});
      early.cancel();
      expect(loop.statistics()).toMatchObject({ timers: 2, cancelledTimers: 1 });
      loop.stop();
      void loop.runForever();
      expect(loop.statistics()).toMatchObject({ timers: 1, cancelledTimers: 0 });
      late.cancel();
      loop.close();
    });

    it("keeps cancelled timers that are not at the head while few are cancelled", () => {
      const loop = l.make();
      const handles = Array.from({ length: 10 }, (_, i) => loop.callLater(AN_HOUR + i, () => {}));
      for (const h of handles.slice(5)) h.cancel();
      loop.stop();
      void loop.runForever();
      expect(loop.statistics()).toMatchObject({ timers: 10, cancelledTimers: 5 });
      loop.close();
    });

    it("purges all cancelled timers at once when over 100 timers and more than half are cancelled", () => {
      const loop = l.make();
      const n = MIN_SCHEDULED_TIMERS + 20;
      const handles = Array.from({ length: n }, (_, i) => loop.callLater(AN_HOUR + i, () => {}));
      const cancelled = Math.floor(n / 2) + 1;
      for (const h of handles.slice(n - cancelled)) h.cancel();
      loop.stop();
      void loop.runForever();
      expect(loop.statistics()).toMatchObject({ timers: n - cancelled, cancelledTimers: 0 });
      loop.close();
    });

    it("does not purge in bulk at exactly half cancelled", () => {
      const loop = l.make();
      const n = MIN_SCHEDULED_TIMERS + 20;
      const handles = Array.from({ length: n }, (_, i) => loop.callLater(AN_HOUR + i, () => {}));
      for (const h of handles.slice(n / 2)) h.cancel();
      loop.stop();
      void loop.runForever();
      expect(loop.statistics()).toMatchObject({ timers: n, cancelledTimers: n / 2 });
      loop.close();
    });
  });

  describe(`tasks and the loop on ${l.name}`, () => {
    it("createTask on a loop with nothing running yet starts when the loop runs", async () => {
      const loop = l.make();
      const log: string[] = [];
      const t = loop.createTask(
        (function* () {
          log.push("ran");
          yield* sleep(0);
          return 1;
        })(),
      );
      expect(log).toEqual([]);
      expect(await drive(l, loop, t)).toBe(1);
      expect(log).toEqual(["ran"]);
      expect(() => createTask(sleep(0))).toThrow(/no running event loop/);
      loop.close();
    });
  });

  describe(`timers on ${l.name}`, () => {
    it("equal deadlines fire in the order they were scheduled", async () => {
      const loop = l.make();
      const log: number[] = [];
      const at = loop.time() + 10;
      for (let i = 0; i < 50; i++) loop.callAt(at, () => log.push(i));
      await drive(l, loop, sleep(20));
      expect(log).toEqual(Array.from({ length: 50 }, (_, i) => i));
      loop.close();
    });

    // Only a virtual clock can sleep an hour at once.
    it.skipIf(!l.virtualTime)(
      "runs a coroutine that sleeps an hour of virtual time at once",
      async () => {
        const out = await runOn(l, function* () {
          const loop = getRunningLoop();
          const t0 = loop.time();
          yield* sleep(3_600_000);
          return loop.time() - t0;
        });
        expect(out).toBe(3_600_000);
      },
    );
  });
}
