/**
 * Context variables, as Python's `contextvars`: values that follow the flow of a task.
 *
 * HOW: a `Context` holds an immutable Map from variable to value. `ContextVar.set` replaces the
 * current context's map with a copy that has the new value (copy on write), so `copy()` is O(1):
 * the copy shares the map until one side writes. The loop enters a context around each callback
 * and each task step (`enterContext`/`exitContext`: two assignments), so reads never search.
 *
 *   Context A ──map──► {user: "ann"}          Task T1 created in A: T1.context = A.copy()
 *   Context B ──map──┘ (shared until B.set)   T1 sets user: B.map = {user: "bob"}; A unchanged
 *
 * WHY: each task runs in a copy of its creator's context, so a request id set in one task is
 * seen by the tasks it spawns and never leaks into its siblings, exactly as asyncio does.
 */

import { InvalidStateError } from "./errors.js";

/** An immutable map of variable values: what a callback captures instead of a whole Context. */
export type VarMap = ReadonlyMap<ContextVar<unknown>, unknown>;
const EMPTY: VarMap = new Map();

/** A snapshot of context-variable values; tasks and callbacks run inside one. */
export class Context {
  /** @internal Invariant: never mutated in place; `set` swaps in a new map. */
  _vars: VarMap;
  constructor(vars: VarMap = EMPTY) {
    this._vars = vars;
  }
  /** A new context with the same values (O(1): the map is shared until either side writes). */
  copy(): Context {
    return new Context(this._vars);
  }
  /** Run `fn` with this context current, then restore the previous one. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    const prev = enterContext(this);
    try {
      return fn(...args);
    } finally {
      exitContext(prev);
    }
  }
  /** The value of `v` in this context, or `dflt` when unset. */
  get<T>(v: ContextVar<T>, dflt?: T): T | undefined {
    return this._vars.has(v) ? (this._vars.get(v) as T) : dflt;
  }
  has(v: ContextVar<unknown>): boolean {
    return this._vars.has(v);
  }
  get size(): number {
    return this._vars.size;
  }
}

let current: Context = new Context();

/** @internal Make `ctx` current; returns the previous context for `exitContext`. */
export function enterContext(ctx: Context): Context {
  const prev = current;
  current = ctx;
  return prev;
}

/**
 * Callbacks (Handles) capture only the immutable map of values when scheduled and run in this
 * scratch context, so scheduling a callback allocates no Context. A callback's own `set()`
 * calls replace the scratch's map and are dropped after it returns, which is exactly the
 * behaviour of asyncio's per-callback copy. Safe because the loop never nests callbacks.
 */
const scratch = new Context();
/** Invariant: counts the callbacks run in `scratch`, so a Token made in one is refused in the next. */
let scratchEpoch = 0;

/** @internal Run-time half of a Handle: make `vars` current in the scratch context. */
export function enterVars(vars: VarMap): Context {
  const prev = current;
  scratch._vars = vars;
  scratchEpoch++;
  current = scratch;
  return prev;
}

/** @internal The current values, for a callback to capture (O(1), no copy). */
export function currentVars(): VarMap {
  return current._vars;
}

/** @internal Restore the context `enterContext` returned. */
export function exitContext(prev: Context): void {
  current = prev;
}

/** A copy of the current context (what a new task or callback captures). */
export function copyContext(): Context {
  return current.copy();
}

/** @internal The current context itself (not a copy). */
export function currentContext(): Context {
  return current;
}

const MISSING: unique symbol = Symbol("MISSING");

/** Returned by `ContextVar.set`; pass it to `reset` to restore the previous value. */
export class Token<T> {
  /** The value before `set`, or `Token.MISSING` when the variable was unset. */
  static readonly MISSING: typeof MISSING = MISSING;
  readonly var: ContextVar<T>;
  readonly oldValue: T | typeof MISSING;
  /** @internal */ _context: Context;
  /** @internal Which callback run made the token, when made in the shared callback context. */
  _epoch: number;
  /** @internal */ _used = false;
  constructor(v: ContextVar<T>, oldValue: T | typeof MISSING, ctx: Context) {
    this.var = v;
    this.oldValue = oldValue;
    this._context = ctx;
    this._epoch = ctx === scratch ? scratchEpoch : -1;
  }
}

/** No value and no default: `ContextVar.get()` throws this (Python's LookupError). */
export class LookupError extends Error {}
Object.defineProperty(LookupError.prototype, "name", { value: "LookupError" });

/**
 * A variable whose value depends on the running task, as Python's `contextvars.ContextVar`.
 * @example
 * const requestId = new ContextVar<string>("requestId", { default: "-" });
 * requestId.set("r1"); // seen by this task and the tasks it creates from now on
 */
export class ContextVar<T> {
  readonly name: string;
  readonly #default: T | typeof MISSING;
  constructor(name: string, opts?: { default: T }) {
    this.name = name;
    this.#default = opts && "default" in opts ? opts.default : MISSING;
  }
  /** The value in the current context, else `dflt`, else the variable's default; else throws `LookupError`. */
  get(...dflt: [] | [T]): T {
    const vars = current._vars;
    if (vars.has(this)) return vars.get(this) as T;
    if (dflt.length > 0) return dflt[0] as T;
    if (this.#default !== MISSING) return this.#default;
    throw new LookupError(
      `ContextVar "${this.name}" has no value in this context and no default: set() it first or give a default`,
    );
  }
  /** Set the value in the current context; returns a Token for `reset`. */
  set(value: T): Token<T> {
    const ctx = current;
    const old = ctx._vars.has(this) ? (ctx._vars.get(this) as T) : MISSING;
    const next = new Map(ctx._vars);
    next.set(this, value);
    ctx._vars = next;
    return new Token(this, old, ctx);
  }
  /** Restore the value from before the `set` that returned `token`. */
  reset(token: Token<T>): void {
    if (token.var !== this) {
      throw new InvalidStateError(
        `this token was made by ContextVar "${token.var.name}", not "${this.name}"`,
      );
    }
    if (token._used)
      throw new InvalidStateError("this token was already used to reset: a token resets once");
    if (token._context !== current || (current === scratch && token._epoch !== scratchEpoch)) {
      throw new InvalidStateError(
        "this token was made in a different context: reset it in the task that set it",
      );
    }
    token._used = true;
    const next = new Map(current._vars);
    if (token.oldValue === MISSING) next.delete(this);
    else next.set(this, token.oldValue);
    current._vars = next;
  }
}
