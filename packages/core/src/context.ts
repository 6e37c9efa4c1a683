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

/**
 * A snapshot of context-variable values, as Python's `contextvars.Context`; tasks and callbacks
 * run inside one. Each task gets a copy of its creator's context (or `opts.context`).
 * @example
 * const ctx = copyContext();
 * ctx.run(() => requestId.set("r2")); // changes ctx only, not the current context
 * ctx.get(requestId);                 // "r2"
 */
export class Context {
  /** @internal Invariant: never mutated in place; `set` swaps in a new map. */
  _vars: VarMap;
  /** An empty context (Python's `contextvars.Context()`); use `copyContext()` to copy the current one. */
  constructor(vars: VarMap = EMPTY) {
    this._vars = vars;
  }
  /** A new context with the same values (O(1): the map is shared until either side writes). */
  copy(): Context {
    return new Context(this._vars);
  }
  /**
   * Run `fn(...args)` with this context current, then restore the previous one (Python's
   * `Context.run`); `ContextVar.set` calls inside `fn` change this context. Returns what `fn`
   * returns and lets its errors through.
   */
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
  /** True when `v` has a value in this context (Python's `var in ctx`). */
  has(v: ContextVar<unknown>): boolean {
    return this._vars.has(v);
  }
  /** How many variables have a value in this context (Python's `len(ctx)`). */
  get size(): number {
    return this._vars.size;
  }
}

/** The context of code outside every task and callback (a module's top level, a Promise callback). */
const base = new Context();

/**
 * Invariant: the current context, or null for "the running task's own context" (`base` when no
 * task is running). A task step leaves it null rather than switching contexts: the switch was a
 * tenth of a task switch. Callbacks (`enterVars`) and `Context.run` set it for their duration.
 */
let current: Context | null = null;

/** How the running task's context is found (task.ts registers it; no import cycle). */
let taskContext: () => Context | null = () => null;
/** The running task's values, without making its Context (a task makes it on first use). */
let taskVars: () => VarMap | null = () => null;

/**
 * @internal task.ts tells this module how to find the running task's context, and its values
 * alone (what a callback or a child task captures: no Context object needed).
 */
export function _setTaskContextSource(
  source: () => Context | null,
  vars: () => VarMap | null,
): void {
  taskContext = source;
  taskVars = vars;
}

/** The current context, resolved. */
function cur(): Context {
  return current ?? taskContext() ?? base;
}

/** @internal True when the running task's own context is current (a step need not switch). */
export function _inTaskContext(): boolean {
  return current === null;
}

/**
 * @internal Make `ctx` current (null: the running task's own); returns the previous one for
 * `exitContext`.
 */
export function enterContext(ctx: Context | null): Context | null {
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
export function enterVars(vars: VarMap): Context | null {
  const prev = current;
  scratch._vars = vars;
  scratchEpoch++;
  current = scratch;
  return prev;
}

/** @internal The current values, for a callback to capture (O(1), no copy). */
export function currentVars(): VarMap {
  if (current !== null) return current._vars;
  return taskVars() ?? base._vars;
}

/** @internal Restore the context `enterContext` returned. */
export function exitContext(prev: Context | null): void {
  current = prev;
}

/**
 * A copy of the current context (Python's `contextvars.copy_context()`): what a new task or
 * callback captures. O(1).
 */
export function copyContext(): Context {
  return cur().copy();
}

/** @internal The current context itself (not a copy). */
export function currentContext(): Context {
  return cur();
}

const MISSING: unique symbol = Symbol("MISSING");

/**
 * Returned by `ContextVar.set`; pass it to `reset` to restore the previous value (Python's
 * `contextvars.Token`). A token can be used once, in the context that made it.
 */
export class Token<T> {
  /** The marker `oldValue` holds when the variable had no value before `set` (Python's `Token.MISSING`). */
  static readonly MISSING: typeof MISSING = MISSING;
  /** The variable whose `set` made this token (Python's `Token.var`). */
  readonly var: ContextVar<T>;
  /** The value before `set`, or `Token.MISSING` when the variable had none (Python's `Token.old_value`). */
  readonly oldValue: T | typeof MISSING;
  /** @internal */ _context: Context;
  /** @internal Which callback run made the token, when made in the shared callback context. */
  _epoch: number;
  /** @internal */ _used = false;
  /** Made by `ContextVar.set`; there is no reason to make one yourself. */
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
 * A value set in a task is seen by that task and by the tasks and callbacks it creates
 * afterwards, never by its siblings or its parent.
 * @example
 * const requestId = new ContextVar<string>("requestId", { default: "-" });
 * function* handle(id: string): Coro<void> {
 *   requestId.set(id);          // this task and the tasks it creates from now on see `id`
 *   yield* sleep(10);
 *   log(`[${requestId.get()}] done`);
 * }
 * yield* gather([handle("r1"), handle("r2")]); // each task logs its own id
 * requestId.get();                             // still "-" here
 */
export class ContextVar<T> {
  /** The name given to the constructor (Python's `ContextVar.name`), for messages and debugging. */
  readonly name: string;
  readonly #default: T | typeof MISSING;
  /**
   * A new variable (Python's `ContextVar(name, default=...)`). Make variables once, at module
   * level: each instance is a distinct variable.
   * @param name Shown in error messages (e.g. the LookupError of `get()`).
   * @param opts `default`: what `get()` returns when the variable has no value in the context.
   */
  constructor(name: string, opts?: { default: T }) {
    this.name = name;
    this.#default = opts && "default" in opts ? opts.default : MISSING;
  }
  /**
   * The value in the current context, else `dflt` when given, else the variable's default
   * (Python's `ContextVar.get`).
   * @throws {@link LookupError} when there is no value, no `dflt` and no default.
   */
  get(...dflt: [] | [T]): T {
    const vars = cur()._vars;
    if (vars.has(this)) return vars.get(this) as T;
    if (dflt.length > 0) return dflt[0] as T;
    if (this.#default !== MISSING) return this.#default;
    throw new LookupError(
      `ContextVar "${this.name}" has no value in this context and no default: set() it first or give a default`,
    );
  }
  /**
   * Set the value in the current context (Python's `ContextVar.set`). Inside a plain callback
   * the change lasts until the callback returns.
   * @returns A Token for `reset`.
   */
  set(value: T): Token<T> {
    const ctx = cur();
    const old = ctx._vars.has(this) ? (ctx._vars.get(this) as T) : MISSING;
    const next = new Map(ctx._vars);
    next.set(this, value);
    ctx._vars = next;
    return new Token(this, old, ctx);
  }
  /**
   * Restore the value from before the `set` that returned `token` (Python's `ContextVar.reset`).
   * @throws {@link InvalidStateError} when `token` was made by another variable, was already
   * used, or was made in a different context.
   */
  reset(token: Token<T>): void {
    if (token.var !== this) {
      throw new InvalidStateError(
        `this token was made by ContextVar "${token.var.name}", not "${this.name}"`,
      );
    }
    if (token._used)
      throw new InvalidStateError("this token was already used to reset: a token resets once");
    const ctx = cur();
    if (token._context !== ctx || (ctx === scratch && token._epoch !== scratchEpoch)) {
      throw new InvalidStateError(
        "this token was made in a different context: reset it in the task that set it",
      );
    }
    token._used = true;
    const next = new Map(ctx._vars);
    if (token.oldValue === MISSING) next.delete(this);
    else next.set(this, token.oldValue);
    ctx._vars = next;
  }
}
