import { describe, expect, it } from "vitest";
import {
  BaseEventLoop,
  type Coro,
  DeadlockError,
  type ExceptionContext,
  LoopClosedError,
  LoopRunningError,
  MIN_SCHEDULED_TIMERS,
  createTask,
  getRunningLoop,
  sleep,
} from "../src/index.js";
import { LOOPS, MinimalBackend, runOn } from "./support/loops.js";

/** A backend with simulated I/O: `io.push(cb)` makes cb "ready" at the next select. */
class FakeIOBackend extends MinimalBackend {
  readonly io: (() => void)[] = [];
  loop!: BaseEventLoop;
  override attach(loop: BaseEventLoop): void {
    this.loop = loop;
  }
  override select(timeoutMs: number): void {
    const ready = this.io.splice(0);
    for (const cb of ready) this.loop.callSoon(cb);
    if (ready.length === 0) super.select(timeoutMs);
  }
}

describe("BaseEventLoop ordering", () => {
  it("fact 9: callSoon is FIFO; an iteration runs earlier callSoons, then I/O callbacks, then due timers; new work waits", () => {
    const backend = new FakeIOBackend();
    const loop = new BaseEventLoop(backend);
    const log: string[] = [];
    loop.callLater(0, () => log.push("timer"));
    loop.callSoon(() => {
      log.push("soon 1");
      loop.callSoon(() => log.push("scheduled during iteration"));
    });
    loop.callSoon(() => log.push("soon 2"));
    backend.io.push(() => log.push("I/O"));
    loop.stop();
    void loop.runForever();
    expect(log).toEqual(["soon 1", "soon 2", "I/O", "timer"]);
    loop.stop();
    void loop.runForever();
    expect(log.at(-1)).toBe("scheduled during iteration");
    loop.close();
  });

  it("equal deadlines fire in the order they were scheduled", () => {
    const loop = new BaseEventLoop(new MinimalBackend());
    const log: number[] = [];
    for (let i = 0; i < 50; i++) loop.callAt(10, () => log.push(i));
    loop.runSync(sleepOn(loop, 20));
    expect(log).toEqual(Array.from({ length: 50 }, (_, i) => i));
    loop.close();
  });
});

function* sleepOn(_loop: BaseEventLoop, ms: number): Coro<void> {
  yield* sleep(ms);
}

describe.each(LOOPS)("loop lifecycle on $name", (kind) => {
  it("fact 10: stop() before runForever() runs exactly one iteration", async () => {
    const loop = kind.make();
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
    const a = kind.make();
    const b = kind.make();
    const errors = a.runSync(
      (function* () {
        const errs: string[] = [];
        try {
          a.runSync(sleep(0));
        } catch (e) {
          errs.push((e as Error).name);
        }
        try {
          b.runSync(sleep(0));
        } catch (e) {
          errs.push((e as Error).message);
        }
        yield* sleep(0);
        return errs;
      })(),
    );
    expect(errors[0]).toBe("LoopRunningError");
    expect(errors[1]).toMatch(/another loop is running/);
    const p = a.runUntilComplete(sleep(10));
    await expect(a.runUntilComplete(sleep(0))).rejects.toThrow(LoopRunningError);
    await p;
    a.close();
    b.close();
  });

  it("a closed loop refuses to run or schedule, with LoopClosedError", async () => {
    const loop = kind.make();
    loop.close();
    expect(loop.isClosed()).toBe(true);
    expect(() => loop.callSoon(() => {})).toThrow(LoopClosedError);
    expect(() => loop.runSync(sleep(0))).toThrow(/closed/);
    await expect(loop.runForever()).rejects.toThrow(LoopClosedError);
    loop.close();
  });

  it("closing a running loop throws", () => {
    const loop = kind.make();
    loop.runSync(
      (function* () {
        expect(() => loop.close()).toThrow(LoopRunningError);
        yield* sleep(0);
      })(),
    );
    loop.close();
  });

  it("callLater/callAt with a non-finite delay throw RangeError; sleep(NaN) too", () => {
    runOn(kind, function* () {
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

  it("runSync of a future nothing can complete throws DeadlockError instead of hanging", () => {
    const loop = kind.make();
    expect(() => loop.runSync(loop.createFuture<void>())).toThrow(DeadlockError);
    loop.close();
  });

  it("an error in a callback goes to the exception handler and the loop goes on", () => {
    const seen: ExceptionContext[] = [];
    const out = runOn(kind, function* () {
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

  it("debug mode reports callbacks slower than slowCallbackDuration", () => {
    const reports: number[] = [];
    const loop = kind.make();
    loop.setDebug(true);
    expect(loop.getDebug()).toBe(true);
    loop.slowCallbackDuration = 5;
    loop._reportSlowCallback = (_r, ms) => reports.push(ms);
    loop.runSync(
      (function* () {
        const end = performance.now() + 8;
        while (performance.now() < end) {}
        yield* sleep(0);
      })(),
    );
    loop.close();
    expect(reports.length).toBe(1);
    expect(reports[0]).toBeGreaterThanOrEqual(5);
  });

  it("runUntilComplete resolves with the result and leaves no host timer behind", async () => {
    const loop = kind.make();
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

describe.each(LOOPS)("timer purge on $name (fact 11)", (kind) => {
  it("purges cancelled timers lazily from the heap head", () => {
    const loop = kind.make();
    const early = loop.callLater(1, () => {});
    const late = loop.callLater(100, () => {});
    early.cancel();
    expect(loop.statistics()).toMatchObject({ timers: 2, cancelledTimers: 1 });
    loop.stop();
    void loop.runForever();
    expect(loop.statistics()).toMatchObject({ timers: 1, cancelledTimers: 0 });
    late.cancel();
    loop.close();
  });

  it("keeps cancelled timers that are not at the head while few are cancelled", () => {
    const loop = kind.make();
    const handles = Array.from({ length: 10 }, (_, i) => loop.callLater(10 + i, () => {}));
    for (const h of handles.slice(5)) h.cancel();
    loop.stop();
    void loop.runForever();
    expect(loop.statistics()).toMatchObject({ timers: 10, cancelledTimers: 5 });
    loop.close();
  });

  it("purges all cancelled timers at once when over 100 timers and more than half are cancelled", () => {
    const loop = kind.make();
    const n = MIN_SCHEDULED_TIMERS + 20;
    const handles = Array.from({ length: n }, (_, i) => loop.callLater(10 + i, () => {}));
    const cancelled = Math.floor(n / 2) + 1;
    for (const h of handles.slice(n - cancelled)) h.cancel();
    loop.stop();
    void loop.runForever();
    expect(loop.statistics()).toMatchObject({ timers: n - cancelled, cancelledTimers: 0 });
    loop.close();
  });

  it("does not purge in bulk at exactly half cancelled", () => {
    const loop = kind.make();
    const n = MIN_SCHEDULED_TIMERS + 20;
    const handles = Array.from({ length: n }, (_, i) => loop.callLater(10 + i, () => {}));
    for (const h of handles.slice(n / 2)) h.cancel();
    loop.stop();
    void loop.runForever();
    expect(loop.statistics()).toMatchObject({ timers: n, cancelledTimers: n / 2 });
    loop.close();
  });
});

describe("tasks and the loop", () => {
  it("createTask on a loop with nothing running yet starts when the loop runs", () => {
    const loop = LOOPS[0]!.make();
    const log: string[] = [];
    const t = loop.createTask(
      (function* () {
        log.push("ran");
        yield* sleep(0);
        return 1;
      })(),
    );
    expect(log).toEqual([]);
    expect(loop.runSync(t)).toBe(1);
    expect(log).toEqual(["ran"]);
    expect(() => createTask(sleep(0))).toThrow(/no running event loop/);
    loop.close();
  });
});
