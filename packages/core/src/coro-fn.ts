/**
 * `coro(fn)`: define a coroutine function, so the loop knows its coroutines by their definition.
 *
 * HOW: `coro(function* (…) { … })` returns a function with the same parameters and inferred
 * return type; calling it gives the generator, as calling `fn` would. While the running loop is
 * in debug mode, each coroutine it creates is also recorded (where it was created, and whether
 * it ever started): one never started is reported through the loop's exception handler
 * ("coroutine … was never awaited", with the creation stack), when it is garbage collected or
 * when the loop closes, whichever comes first; asyncio's RuntimeWarning for the missing
 * `await`. The classic case is a call without `yield*`: `sleep(10);` does nothing.
 *
 * Costs: outside debug mode one branch per call. In debug mode: a stack capture, a wrapper
 * generator (one `yield*` level) and a registry entry per coroutine.
 */

import { type Coro, GEN_PROTO } from "./coro.js";
import { type EventLoop, _getRunningLoop } from "./events.js";
import { CORO_NAME, CORO_PROTO } from "./task.js";

/**
 * Make the generators `fn` creates frames a task resumes directly: CORO_PROTO under its
 * `prototype`, and its name there for error traces. False when `fn` is not a generator function
 * (nothing changed).
 */
function optIn(fn: unknown, name: string): boolean {
  const proto = typeof fn === "function" ? (fn as { prototype?: unknown }).prototype : undefined;
  if (typeof proto !== "object" || proto === null) return false;
  const up = Object.getPrototypeOf(proto) as object | null;
  if (up !== GEN_PROTO && up !== CORO_PROTO) return false;
  if (up !== CORO_PROTO) Object.setPrototypeOf(proto, CORO_PROTO);
  Object.defineProperty(proto, CORO_NAME, { value: name, configurable: true });
  return true;
}

/** What a never-awaited report needs (never the generator itself: it must be collectable). */
interface Creation {
  readonly loop: EventLoop;
  readonly name: string;
  readonly stack: string;
  started: boolean;
}

const neverAwaited = new FinalizationRegistry<Creation>((c) => {
  if (!c.started) report(c);
});
/** Per loop, the creations not yet started (weakly), reported at close at the latest. */
const pendingOf = new WeakMap<EventLoop, Set<Creation>>();

function report(c: Creation): void {
  c.started = true; // once
  pendingOf.get(c.loop)?.delete(c);
  if (c.loop.isClosed() && !closing.has(c.loop)) return;
  c.loop.callExceptionHandler({
    message: `coroutine ${c.name} was never awaited: use \`yield* ${c.name}(…)\`, or createTask(${c.name}(…)) to run it concurrently`,
    source: c.stack,
  });
}

const closing = new WeakSet<EventLoop>();

/** How many loops are in debug mode: while 0, a coro() call is one branch. */
let debugLoops = 0;

/** @internal A loop entered (+1) or left (-1) debug mode. */
export function _debugLoopDelta(delta: 1 | -1): void {
  debugLoops += delta;
}

/** @internal Called by a debug-mode loop as it closes: report what was created and never started. */
export function _reportNeverAwaited(loop: EventLoop): void {
  const set = pendingOf.get(loop);
  if (set === undefined) return;
  pendingOf.delete(loop);
  closing.add(loop);
  try {
    for (const c of set) if (!c.started) report(c);
  } finally {
    closing.delete(loop);
  }
}

function* tracked<T>(gen: Coro<T>, c: Creation): Coro<T> {
  c.started = true;
  pendingOf.get(c.loop)?.delete(c);
  return yield* gen;
}

/**
 * Define a coroutine function: `const fetchUser = coro(function* (id: number): Coro<User> { … })`.
 * Callers write `yield* fetchUser(1)` as with any generator function; the parameter and return
 * types are inferred from `fn`. In debug mode (`loop.setDebug(true)`, `run(main, { debug: true })`)
 * a coroutine created and never awaited or scheduled is reported with where it was created.
 * @throws TypeError when `fn` is not a function.
 * @example
 * const fetchTwice = coro(function* (url: string): Coro<number> {
 *   const a = yield* fromPromise(fetch(url));
 *   const b = yield* fromPromise(fetch(url));
 *   return a.status + b.status;
 * });
 * const n = yield* fetchTwice("https://example.com"); // n: number
 */
export function coro<A extends unknown[], T>(fn: (...args: A) => Coro<T>): (...args: A) => Coro<T> {
  if (typeof fn !== "function") {
    throw new TypeError(`coro() needs a generator function, got ${typeof fn}`);
  }
  const name = fn.name || "(anonymous)";
  optIn(fn, name); // a plain function returning generators stays O(depth), as documented
  // `fn.apply(this, arguments)` is V8's fast path (no arguments object is built).
  const wrapped = function (this: unknown): Coro<T> {
    // biome-ignore lint/complexity/noArguments: forwarding every argument without a rest array
    const gen = fn.apply(this, arguments as unknown as A);
    return debugLoops === 0 ? gen : track(gen, name);
  } as (...args: A) => Coro<T>;
  Object.defineProperty(wrapped, "name", { value: name });
  return wrapped;
}

/**
 * Opt a class's generator methods into coro()'s frames, in place: `coroMethods(Parser.prototype,
 * "readFrame", "readHeader")`. Each named method must be a generator method (`*readFrame()`);
 * its calls are then resumed from the task's own stack, as `coro()` functions are. Call it once,
 * after the class (or in a `static {}` block).
 * @throws TypeError when a name is not a generator method of `target`.
 * @example
 * class Parser {
 *   *readFrame(): Coro<Uint8Array> {
 *     yield* sleep(0);
 *     return new Uint8Array(0);
 *   }
 * }
 * coroMethods(Parser.prototype, "readFrame");
 */
export function coroMethods<P extends object>(target: P, ...names: (keyof P & string)[]): void {
  for (const name of names) {
    if (!optIn((target as Record<string, unknown>)[name], name)) {
      throw new TypeError(
        `coroMethods: ${name} is not a generator method (write it as *${name}() { … })`,
      );
    }
  }
}

/** In debug mode, record a coroutine as created-and-not-started (see the module comment). */
function track<T>(gen: Coro<T>, name: string): Coro<T> {
  const loop = _getRunningLoop();
  if (loop === null || !loop.getDebug()) return gen;
  const stack = (new Error().stack ?? "").split("\n").slice(3).join("\n");
  const c: Creation = { loop, name, stack, started: false };
  let set = pendingOf.get(loop);
  if (set === undefined) pendingOf.set(loop, (set = new Set()));
  set.add(c);
  const out = tracked(gen, c);
  neverAwaited.register(out, c);
  return out;
}
