/**
 * Promise interop: fromPromise, toPromise, ensureFuture, abortSignal, and the running loop seen
 * from host callbacks between the turns of a host-driven run. These run with
 * `runUntilComplete` on every loop; the runSync deadlock test needs a blocking loop.
 */
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  DeadlockError,
  NotACoroutineError,
  abortSignal,
  createTask,
  ensureFuture,
  fromPromise,
  getRunningLoop,
  isFuture,
  sleep,
  toPromise,
} from "@aioloop/core";
import type { LoopUnderTest } from "../loop-under-test.js";
import { AN_HOUR } from "../support.js";

export function interopTests(l: LoopUnderTest): void {
  describe(`Promise interop (${l.name})`, () => {
    it("fromPromise awaits a native Promise inside a coroutine (host-driven run)", async () => {
      const loop = l.make();
      const v = await loop.runUntilComplete(
        (function* () {
          const a = yield* fromPromise(new Promise<number>((r) => setTimeout(() => r(20), 5)));
          const b = yield* fromPromise(Promise.resolve(22));
          return a + b;
        })(),
      );
      expect(v).toBe(42);
      loop.close();
    });

    it("fromPromise passes rejections through to the yield*", async () => {
      const loop = l.make();
      const msg = await loop.runUntilComplete(
        (function* () {
          try {
            yield* fromPromise(Promise.reject(new Error("rejected")));
          } catch (e) {
            return (e as Error).message;
          }
          return "";
        })(),
      );
      expect(msg).toBe("rejected");
      loop.close();
    });

    // runSync holds the thread, so a Promise can never settle under it: blocking loops only.
    it.skipIf(!l.blocking)(
      "runSync reports a deadlock, not a hang, when a task awaits a Promise",
      () => {
        const loop = l.make();
        expect(() =>
          loop.runSync(
            (function* () {
              return yield* fromPromise(new Promise((r) => setTimeout(r, 1)));
            })(),
          ),
        ).toThrow(DeadlockError);
        loop.close();
      },
    );

    it("toPromise turns a task into a native Promise; ensureFuture accepts every awaitable", async () => {
      const loop = l.make();
      const out = await loop.runUntilComplete(
        (function* () {
          const p = toPromise(
            (function* () {
              yield* sleep(1);
              return "from coro";
            })(),
          );
          const fut = ensureFuture(Promise.resolve("from promise"));
          const same = loop.createFuture<number>();
          expect(ensureFuture(same)).toBe(same);
          expect(() => ensureFuture(42 as never)).toThrow(NotACoroutineError);
          const viaPromise = yield* fromPromise(p);
          return [viaPromise, yield* fut, isFuture(fut)];
        })(),
      );
      expect(out).toEqual(["from coro", "from promise", true]);
      loop.close();
    });

    it("abortSignal() aborts when the task is cancelled, so Promise APIs stop with it", async () => {
      const loop = l.make();
      const out = await loop.runUntilComplete(
        (function* () {
          let signal: AbortSignal | null = null;
          const t = createTask(
            (function* () {
              signal = abortSignal();
              yield* sleep(AN_HOUR);
            })(),
          );
          yield* sleep(1);
          expect(signal!.aborted).toBe(false);
          t.cancel("stop it");
          const abortedAtOnce = signal!.aborted;
          try {
            yield* t;
          } catch {}
          return { abortedAtOnce, reason: (signal!.reason as Error) instanceof CancelledError };
        })(),
      );
      expect(out).toEqual({ abortedAtOnce: true, reason: true });
      expect(() => abortSignal()).toThrow(/inside a task/);
      loop.close();
    });

    it("getRunningLoop() works between host turns of a host-driven run", async () => {
      const loop = l.make();
      let seen: unknown = null;
      await loop.runUntilComplete(
        (function* () {
          yield* fromPromise(
            new Promise<void>((r) =>
              setTimeout(() => {
                seen = getRunningLoop();
                r();
              }, 2),
            ),
          );
        })(),
      );
      expect(seen).toBe(loop);
      loop.close();
    });
  });
}
