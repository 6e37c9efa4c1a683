/**
 * timeout and timeoutAt (fact 15): expiry at the first suspension, nesting, bodies that
 * swallow or transform the cancel, reschedule, misuse. Loop times are exact on a virtual clock
 * and never early on a real one (see `loopTime`); four tests need a virtual clock (each says why).
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  InvalidStateError,
  type Timeout,
  TimeoutError,
  createTask,
  getRunningLoop,
  sleep,
  timeout,
  timeoutAt,
} from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";
import { AN_HOUR, cancelling, loopTime, now, run, settle } from "../support.js";

export function timeoutTests(l: LoopUnderTest): void {
  describe(`timeout on ${l.name}`, () => {
    it("fact 15: timeout(0) expires at the body's first suspension with TimeoutError", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        let t: Timeout | null = null;
        const r = yield* settle(
          timeout(0, function* (tt) {
            t = tt;
            log.push("before");
            yield* sleep(AN_HOUR);
            log.push("after");
          }),
        );
        return { r, log, expired: t!.expired(), at: now(), cancelling: cancelling() };
      });
      const err = (out.r as { error: unknown }).error;
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
      expect(out.log).toEqual(["before"]);
      expect(out.expired).toBe(true);
      expect(out.at).toEqual(loopTime(l, 0));
      expect(out.cancelling).toBe(0);
    });

    it("fact 15: other errors pass through with expired() false", async () => {
      const out = await run(l, function* () {
        let t: Timeout | null = null;
        const boom = new SyntaxError("boom");
        const r = yield* settle(
          timeout(AN_HOUR, function* (tt) {
            t = tt;
            yield* sleep(10);
            throw boom;
          }),
        );
        return { error: (r as { error: unknown }).error, boom, expired: t!.expired() };
      });
      expect(out.error).toBe(out.boom);
      expect(out.expired).toBe(false);
    });

    it("fact 15: the enclosing task is not left cancelled", async () => {
      const out = await run(l, function* () {
        const before = cancelling();
        yield* settle(timeout(5, () => sleep(AN_HOUR)));
        const after = cancelling();
        // A later suspension must not raise a leftover CancelledError.
        yield* sleep(100);
        yield;
        return { before, after, at: now() };
      });
      expect(out).toEqual({ before: 0, after: 0, at: loopTime(l, 105) });
    });

    it("timeout(0) around a body that never suspends lets it finish", async () => {
      const out = await run(l, function* () {
        let t: Timeout | null = null;
        const v = yield* timeout(0, function* (tt) {
          t = tt;
          return 42;
        });
        yield;
        return { v, expired: t!.expired(), cancelling: cancelling() };
      });
      expect(out).toEqual({ v: 42, expired: false, cancelling: 0 });
    });

    it("a bare yield is a suspension: timeout(0) expires there", async () => {
      const out = await run(l, function* () {
        const log: string[] = [];
        const r = yield* settle(
          timeout(0, function* () {
            yield;
            log.push("after yield");
          }),
        );
        return { r, log };
      });
      expect((out.r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
      expect(out.log).toEqual([]);
    });

    // Virtual clocks only: the body ends 1 ms before the deadline, closer than a real clock's
    // timers can tell apart.
    it.skipIf(!l.virtualTime)("returns the body's value when it finishes in time", async () => {
      const out = await run(l, function* () {
        const v = yield* timeout(100, function* () {
          yield* sleep(99);
          return "in time";
        });
        return { v, at: now() };
      });
      expect(out).toEqual({ v: "in time", at: 99 });
    });

    it("race: nested timeouts where the inner one expires first raise at the inner one only", async () => {
      const out = await run(l, function* () {
        const log: [string, number][] = [];
        let outer: Timeout | null = null;
        let inner: Timeout | null = null;
        const v = yield* timeout(AN_HOUR, function* (o) {
          outer = o;
          try {
            yield* timeout(10, function* (i) {
              inner = i;
              yield* sleep(AN_HOUR);
            });
          } catch (e) {
            log.push([`${(e as Error).name} at`, now()]);
          }
          yield* sleep(100);
          return "outer finished";
        });
        return {
          v,
          log,
          inner: inner!.expired(),
          outer: outer!.expired(),
          at: now(),
          cancelling: cancelling(),
        };
      });
      expect(out).toEqual({
        v: "outer finished",
        log: [["TimeoutError at", loopTime(l, 10)]],
        inner: true,
        outer: false,
        at: loopTime(l, 110),
        cancelling: 0,
      });
    });

    it("nested timeouts: the outer one expiring while the inner runs raises the outer's TimeoutError", async () => {
      const out = await run(l, function* () {
        let outer: Timeout | null = null;
        let inner: Timeout | null = null;
        let innerSaw: unknown = null;
        const r = yield* settle(
          timeout(10, function* (o) {
            outer = o;
            try {
              yield* timeout(AN_HOUR, function* (i) {
                inner = i;
                yield* sleep(AN_HOUR);
              });
            } catch (e) {
              innerSaw = e;
              throw e;
            }
          }),
        );
        return {
          r,
          innerSaw,
          inner: inner!.expired(),
          outer: outer!.expired(),
          cancelling: cancelling(),
        };
      });
      // The inner scope lets the CancelledError through; the outer one turns it into TimeoutError.
      expect(out.innerSaw).toBeInstanceOf(CancelledError);
      expect((out.r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
      expect(out.inner).toBe(false);
      expect(out.outer).toBe(true);
      expect(out.cancelling).toBe(0);
    });

    it("nested timeouts with the same deadline: the outer one raises", async () => {
      const out = await run(l, function* () {
        let innerSaw: unknown = null;
        const r = yield* settle(
          timeout(10, function* () {
            try {
              yield* timeout(10, () => sleep(AN_HOUR));
            } catch (e) {
              innerSaw = e;
              throw e;
            }
          }),
        );
        return { r, innerSaw, cancelling: cancelling() };
      });
      expect(out.innerSaw).toBeInstanceOf(CancelledError);
      expect((out.r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
      expect(out.cancelling).toBe(0);
    });

    it("a body that swallows the cancel and returns keeps its value; expired() is true", async () => {
      const out = await run(l, function* () {
        let t: Timeout | null = null;
        const v = yield* timeout(10, function* (tt) {
          t = tt;
          try {
            yield* sleep(AN_HOUR);
          } catch {}
          return "swallowed";
        });
        yield;
        return { v, expired: t!.expired(), cancelling: cancelling() };
      });
      expect(out).toEqual({ v: "swallowed", expired: true, cancelling: 0 });
    });

    it("a body that turns the cancel into another error raises that error", async () => {
      const out = await run(l, function* () {
        let t: Timeout | null = null;
        const r = yield* settle(
          timeout(10, function* (tt) {
            t = tt;
            try {
              yield* sleep(AN_HOUR);
            } catch {
              throw new URIError("other");
            }
          }),
        );
        return { r, expired: t!.expired(), cancelling: cancelling() };
      });
      expect((out.r as { error: unknown }).error).toBeInstanceOf(URIError);
      expect(out.expired).toBe(true);
      expect(out.cancelling).toBe(0);
    });

    it("cancelling the task from outside raises CancelledError, not TimeoutError", async () => {
      const out = await run(l, function* () {
        const t = createTask(timeout(AN_HOUR, () => sleep(AN_HOUR)));
        yield* sleep(10);
        t.cancel();
        const r = yield* settle(t);
        return { r, cancelled: t.cancelled() };
      });
      expect((out.r as { error: unknown }).error).toBeInstanceOf(CancelledError);
      expect(out.cancelled).toBe(true);
    });

    // Virtual clocks only: the body's 50 ms sleep must end before the moved 100 ms deadline.
    it.skipIf(!l.virtualTime)(
      "reschedule moves the deadline, null removes it, a past one expires at once",
      async () => {
        const out = await run(l, function* () {
          const loop = getRunningLoop();
          const origin = loop.time() - now(); // deadlines are loop times: log them from main's start
          const log: [string, number | null][] = [];
          const when = (t: Timeout) => {
            const w = t.when();
            return w === null ? null : w - origin;
          };
          yield* timeout(10, function* (t) {
            t.reschedule(loop.time() + 100);
            log.push(["when", when(t)]);
            yield* sleep(50); // past the first deadline
            t.reschedule(null);
            log.push(["when", when(t)]);
            yield* sleep(500);
          });
          log.push(["done at", now()]);
          const r = yield* settle(
            timeout(null, function* (t) {
              t.reschedule(loop.time() - 1);
              yield* sleep(500);
            }),
          );
          log.push([`${(r as { error: Error }).error.name} at`, now()]);
          return log;
        });
        expect(out).toEqual([
          ["when", loopTime(l, 100)],
          ["when", null],
          ["done at", loopTime(l, 550)],
          ["TimeoutError at", loopTime(l, 550)],
        ]);
      },
    );

    it("reschedule after the body ended or after expiry throws InvalidStateError", async () => {
      const out = await run(l, function* () {
        let done: Timeout | null = null;
        // An hour: a stall of 10 ms before the body's one yield would expire a 10 ms timeout.
        yield* timeout(AN_HOUR, function* (t) {
          done = t;
          yield;
        });
        let expired: Timeout | null = null;
        yield* settle(
          timeout(1, function* (t) {
            expired = t;
            yield* sleep(AN_HOUR);
          }),
        );
        const errs: unknown[] = [];
        for (const t of [done!, expired!]) {
          try {
            (t as Timeout).reschedule(null);
          } catch (e) {
            errs.push(e);
          }
        }
        return { errs, stats: [done!, expired!].map((t: Timeout) => t.statistics().state) };
      });
      expect(out.errs).toHaveLength(2);
      expect(out.errs[0]).toBeInstanceOf(InvalidStateError);
      expect((out.errs[0] as Error).message).toMatch(/finished/);
      expect((out.errs[1] as Error).message).toMatch(/expired/);
      expect(out.stats).toEqual(["finished", "expired"]);
    });

    // Virtual clocks only: it sleeps 2 s of loop time.
    it.skipIf(!l.virtualTime)(
      "timeoutAt takes a loop time; Infinity and null never expire",
      async () => {
        const out = await run(l, function* () {
          const loop = getRunningLoop();
          const deadline = loop.time() + 30;
          const a = yield* timeoutAt(deadline, () => sleep(10, "a"));
          const b = yield* settle(timeoutAt(deadline, () => sleep(100, "b")));
          const c = yield* timeoutAt(Number.POSITIVE_INFINITY, () => sleep(1000, "c"));
          const d = yield* timeoutAt(null, function* (t) {
            return `${t.when()} ${yield* sleep(1000, "d")}`;
          });
          return { a, b, c, d, at: now() };
        });
        expect(out.a).toBe("a");
        expect((out.b as { error: unknown }).error).toBeInstanceOf(TimeoutError);
        expect(out.c).toBe("c");
        expect(out.d).toBe("null d");
        expect(out.at).toBe(2030);
      },
    );

    it("rejects a NaN delay, a non-number deadline and a missing body", async () => {
      const errs = await run(l, function* () {
        const out: unknown[] = [];
        const attempts: (() => unknown)[] = [
          () => timeout(Number.NaN, () => sleep(1)),
          () => timeoutAt("later" as never, () => sleep(1)),
          () => timeout(5, undefined as never),
        ];
        for (const f of attempts) {
          try {
            f();
          } catch (e) {
            out.push(e);
          }
        }
        yield;
        return out;
      });
      expect(errs[0]).toBeInstanceOf(RangeError);
      expect(errs[1]).toBeInstanceOf(RangeError);
      expect(errs[2]).toBeInstanceOf(TypeError);
    });

    it("outside a task throws InvalidStateError", async () => {
      const out = await run(l, function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture<unknown>();
        loop.callSoon(() => {
          try {
            timeout(10, () => sleep(1)).next();
            fut.setResult("no error");
          } catch (e) {
            fut.setResult(e);
          }
        });
        return yield* fut;
      });
      expect(out).toBeInstanceOf(InvalidStateError);
      expect((out as Error).message).toMatch(/inside a task/);
    });

    // Virtual clocks only: the strings it checks hold absolute loop times (the main starts at 0).
    it.skipIf(!l.virtualTime)("reports its state in statistics() and toString()", async () => {
      const out = await run(l, function* () {
        const seen: string[] = [];
        yield* timeout(50, function* (t) {
          seen.push(String(t), JSON.stringify(t.statistics()));
          t.reschedule(t.when()! + 10);
          seen.push(JSON.stringify(t.statistics()));
          yield;
        });
        return seen;
      });
      expect(out).toEqual([
        "<Timeout [active] when=50>",
        '{"state":"active","when":50,"reschedules":0}',
        '{"state":"active","when":60,"reschedules":1}',
      ]);
    });
  });
}
