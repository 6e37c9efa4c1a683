// Compile-time checks of Coro<T> (run by `tsc -p tsconfig.test.json`, not by vitest): what users
// write today still compiles, and Coro<T> stays interchangeable with the type it was before the
// wrong-`yield` hint. The mistakes themselves are in fixtures/mistakes.ts.
import {
  type AwaitWithYieldStar,
  type Awaitable,
  type Coro,
  type Future,
  type Task,
  blockOn,
  createTask,
  fromPromise,
  getRunningLoop,
  sleep,
} from "@aioloop/core";
import { expectTypeOf, test } from "vitest";

/** Coro<T> as the public contract spells it, and as users' code and older releases wrote it. */
type PlainCoro<T> = Generator<Future<unknown> | undefined, T, unknown>;

/** The shape of @aioloop/timer-loop's `run` (core's tests cannot import it: a dependency cycle). */
declare function run<T>(main: Coro<T> | (() => Coro<T>), opts?: object): Promise<T>;

/** What a coroutine may yield to its task. */
type CoroYield = Coro<number> extends Generator<infer Y> ? Y : never;

declare const fut: Future<number>;
declare const anyFut: Future<unknown>;
declare const aw: Awaitable<string>;

test("Coro<T> and Generator<Future<unknown> | undefined, T, unknown> are assignable both ways", () => {
  expectTypeOf<PlainCoro<number>>().toExtend<Coro<number>>();
  expectTypeOf<Coro<number>>().toExtend<PlainCoro<number>>();
  expectTypeOf<PlainCoro<void>>().toExtend<Coro<void>>();
  expectTypeOf<Coro<void>>().toExtend<PlainCoro<void>>();
  // What a task receives from `next()` is still a Future (or undefined) for code that drives one.
  expectTypeOf<ReturnType<Coro<number>["next"]>>().toExtend<
    IteratorResult<Future<unknown> | undefined, number>
  >();
  // A coroutine is an Awaitable, and an Awaitable's iterator may be delegated to from a Coro.
  expectTypeOf<Coro<number>>().toExtend<Awaitable<number>>();
  // A typed Future, a Promise or a coroutine is not something to yield (`yield*` was meant);
  // Future<unknown> is, as `yield* fut` and `blockOn(fut)` yield it.
  expectTypeOf<Future<number>>().not.toExtend<CoroYield>();
  expectTypeOf<Task<string>>().not.toExtend<CoroYield>();
  expectTypeOf<Promise<number>>().not.toExtend<CoroYield>();
  expectTypeOf<Coro<undefined>>().not.toExtend<CoroYield>();
  expectTypeOf<Future<unknown>>().toExtend<CoroYield>();
  expectTypeOf<undefined>().toExtend<CoroYield>();
  // The hint member is never produced by accident: nothing has its property.
  expectTypeOf<Record<string, unknown>>().not.toExtend<AwaitWithYieldStar>();
});

test("generators typed the old way are accepted where a Coro is expected, and the reverse", () => {
  function* oldStyle(): PlainCoro<number> {
    yield* sleep(1);
    return 1;
  }
  function* newStyle(): Coro<number> {
    return yield* oldStyle();
  }
  const takesPlain = (g: PlainCoro<number>): PlainCoro<number> => g;
  expectTypeOf(createTask(oldStyle())).toEqualTypeOf<Task<number>>();
  expectTypeOf(takesPlain(newStyle())).toEqualTypeOf<PlainCoro<number>>();
  expectTypeOf(run(oldStyle)).toEqualTypeOf<Promise<number>>();
});

test("yield* on Futures, Tasks, coroutines and Promises, and a bare yield, still compile", () => {
  function* child(): Coro<string> {
    yield;
    return "x";
  }
  function* main(): Coro<number> {
    yield; // give up one loop iteration
    yield undefined;
    yield* sleep(10);
    const n: number = yield* fut;
    const s: string = yield* child();
    const t: string = yield* createTask(child());
    const u: string = yield* aw;
    const v: number = yield* fromPromise(Promise.resolve(1));
    yield blockOn(getRunningLoop().createFuture<void>()); // core's blocking protocol
    yield blockOn(fut);
    yield* anyFut;
    return n + s.length + t.length + u.length + v;
  }
  expectTypeOf(main()).toEqualTypeOf<Coro<number>>();
  // Inferred generators (no annotation) pass where a Coro is expected, T inferred.
  expectTypeOf(
    run(function* () {
      yield* sleep(1);
      yield;
      return yield* fut;
    }),
  ).toEqualTypeOf<Promise<number>>();
  expectTypeOf(createTask(main())).toEqualTypeOf<Task<number>>();
});
