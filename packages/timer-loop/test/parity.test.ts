/**
 * asyncio parity details, each checked against CPython 3.13 (the Python behaviour is quoted).
 */
import {
  type Coro,
  type DoneCallback,
  Future,
  InvalidArgumentError,
  NoRunningLoopError,
  NotACoroutineError,
  Queue,
  createTask,
  currentTask,
  ensureFuture,
  sleep,
} from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { TimerLoop, runSync } from "../src/index.js";

describe("asyncio parity", () => {
  it("a task awaiting a future registers through addDoneCallback (a subclass sees the waiter)", () => {
    // py: class F(asyncio.Future): def add_done_callback(self, cb, *, context=None): seen.append(cb); ...
    //     awaiting F() from a task calls the override once.
    const seen: string[] = [];
    class Watched<T> extends Future<T> {
      override addDoneCallback(cb: DoneCallback<T>, opts?: { context?: never }): void {
        seen.push("addDoneCallback");
        super.addDoneCallback(cb, opts);
      }
    }
    const v = runSync(
      function* (): Coro<number> {
        const f = new Watched<number>();
        createTask(
          (function* () {
            yield* sleep(1);
            f.setResult(5);
          })(),
        );
        return yield* f;
      },
      { clock: "virtual" },
    );
    expect(v).toBe(5);
    expect(seen).toEqual(["addDoneCallback"]);
  });

  it("ensureFuture(fut, { loop: other }) rejects a future of another loop (asyncio: ValueError)", () => {
    const a = new TimerLoop({ clock: "virtual" });
    const b = new TimerLoop({ clock: "virtual" });
    const fut = a.createFuture<number>();
    expect(() => ensureFuture(fut, { loop: b })).toThrow(InvalidArgumentError);
    expect(() => ensureFuture(fut, { loop: b })).toThrow(/different loop/);
    expect(ensureFuture(fut, { loop: a })).toBe(fut);
    a.close();
    b.close();
  });

  it('ensureFuture("ok") with no loop running is a TypeError about the argument', () => {
    // py: asyncio.ensure_future("ok") -> TypeError: An asyncio.Future, a coroutine or an awaitable is required
    expect(() => ensureFuture("ok" as never)).toThrow(NotACoroutineError);
    expect(() => ensureFuture("ok" as never)).toThrow(TypeError);
    expect(() => ensureFuture("ok" as never)).toThrow(/needs a coroutine, Future, Task or Promise/);
  });

  it("currentTask() with no running loop throws, as asyncio's RuntimeError('no running event loop')", () => {
    expect(() => currentTask()).toThrow(NoRunningLoopError);
    const inCallback = runSync(
      function* (): Coro<[boolean, boolean | null]> {
        yield* sleep(0);
        const loop = currentTask()!.getLoop();
        const fut = loop.createFuture<boolean>();
        loop.callSoon(() => fut.setResult(currentTask() === null)); // a plain callback: null
        return [currentTask() !== null, yield* fut];
      },
      { clock: "virtual" },
    );
    expect(inCallback).toEqual([true, true]);
  });

  it("Queue(1.5) is accepted as asyncio accepts a float maxsize; it holds 2 items", () => {
    // py: q = asyncio.Queue(1.5); q.put_nowait(1); q.put_nowait(2); q.full() -> True; a 3rd raises QueueFull
    const q = new Queue<number>(1.5);
    q.putNowait(1);
    expect(q.full()).toBe(false);
    q.putNowait(2);
    expect(q.full()).toBe(true);
    expect(() => new Queue(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => new Queue(-1)).toThrow(InvalidArgumentError);
  });

  it("a task name given as a number reads back as a string", () => {
    // py: asyncio.create_task(c(), name=42).get_name() -> '42'
    const name = runSync(
      function* () {
        const t = createTask(sleep(0), { name: 42 as never });
        yield* t;
        return t.getName();
      },
      { clock: "virtual" },
    );
    expect(name).toBe("42");
  });
});

describe("a newcomer's mistakes get the fix in the message", () => {
  it("run(async () => …) names the Promise and says what to write instead", async () => {
    const { run } = await import("../src/index.js");
    await expect(run((async () => 1) as never)).rejects.toThrow(
      /got a Promise \(an async function\?\): write `function\* main\(\)/,
    );
  });

  it("KeyboardInterrupt is core's class, re-exported by timer-loop", async () => {
    const core = await import("@aioloop/core");
    const tl = await import("../src/index.js");
    expect(tl.KeyboardInterrupt).toBe(core.KeyboardInterrupt);
    expect(new core.KeyboardInterrupt("x").name).toBe("KeyboardInterrupt");
  });
});
