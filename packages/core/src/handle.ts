/**
 * Handles: a scheduled callback, returned by `callSoon`/`callLater` so it can be cancelled.
 *
 * HOW: a Handle is a `Runnable` in the loop's ready queue; `_run` enters the handle's context,
 * calls the callback, and hands any error to the loop's exception handler, so one failing
 * callback never stops the loop. Cancelling drops the callback and its arguments at once (they
 * may hold large objects) and leaves the handle in the queue to be skipped: O(1).
 * A TimerHandle also sits in the loop's timers (timer-store.ts: a slot, no other object) at
 * `when`; cancelling one only marks it, and the loop purges marked timers lazily (asyncio's
 * rule; see BaseEventLoop).
 */

import { Context, type VarMap, enterContext, enterVars, exitContext } from "./context.js";
import type { EventLoop } from "./events.js";

type Callback = (...args: any[]) => void;

/**
 * A callback scheduled on a loop, as asyncio.Handle: `loop.callSoon` and
 * `loop.callSoonThreadsafe` return one so the callback can be cancelled before it runs.
 * @example
 * const h = loop.callSoon(() => console.log("never printed"));
 * h.cancel();
 */
export class Handle {
  /** @internal Invariant: null exactly when cancelled (there is no separate flag). */
  _callback: Callback | null;
  /** @internal */ _args: unknown[] | null;
  /** @internal */ readonly _loop: EventLoop;
  /**
   * @internal The context values the callback runs with (immutable; see context.ts), or a
   * Context given explicitly (`addDoneCallback(cb, { context })`), which it runs inside.
   */
  readonly _vars: VarMap | Context;

  /** Made by the loop (`callSoon`); there is no reason to make one yourself. */
  constructor(callback: Callback, args: unknown[], loop: EventLoop, vars: VarMap | Context) {
    this._callback = callback;
    this._args = args;
    this._loop = loop;
    this._vars = vars;
  }

  /**
   * Do not run the callback (asyncio's `Handle.cancel()`); it and its arguments are released at
   * once. Does nothing if the callback already ran or the handle was cancelled before.
   */
  cancel(): void {
    this._callback = null;
    this._args = null;
  }

  /** True once `cancel()` was called (asyncio's `Handle.cancelled()`). */
  cancelled(): boolean {
    return this._callback === null;
  }

  /** The context the callback runs in (a copy, unless one was given explicitly). */
  getContext(): Context {
    const v = this._vars;
    return v instanceof Context ? v : new Context(v);
  }

  /** @internal Called by the loop's runOnce only. */
  _run(): void {
    const cb = this._callback;
    if (cb === null) return;
    const v = this._vars;
    const prev = v instanceof Context ? enterContext(v) : enterVars(v);
    try {
      const args = this._args!;
      if (args.length === 0) cb();
      else cb(...args);
    } catch (exception) {
      this._loop.callExceptionHandler({
        message: `Exception in callback ${cb.name || "(anonymous)"}`,
        exception,
        handle: this,
      });
    } finally {
      exitContext(prev);
    }
  }

  /** A short description such as `<Handle tick>` or `<TimerHandle cancelled>`. */
  toString(): string {
    const name = this._callback?.name || "(anonymous)";
    return `<${this.constructor.name} ${this._callback === null ? "cancelled" : name}>`;
  }
}

/**
 * A TimerHandle's deadline is kept as its 64 bits in two integers that V8 stores inline (as
 * Smis, 31 bits wide where pointers are compressed): the low 30 bits of the double, and the
 * high 32 bits less HIGH_BIAS (the high word of 2.0), times 4, plus the 2 bits left over. For
 * every positive time from about 1e-77 to 1e77 ms both fit in 31 bits; any other double (0,
 * negative) still comes back exactly, its high integer then a plain number.
 */
const BITS = new Float64Array(1);
const HALVES = new Int32Array(BITS.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // little-endian: 0
const HIGH = 1 - LOW;
const LOW_MASK = 0x3fffffff;
const HIGH_BIAS = 0x40000000;

/** The high integer of a deadline from its two 32-bit halves (`when()` reverses it). */
function splitHigh(high: number, low: number): number {
  return (high - HIGH_BIAS) * 4 + (low >>> 30);
}

/**
 * A callback scheduled for a time, as asyncio.TimerHandle: `loop.callLater` and `loop.callAt`
 * return one. Cancelling it removes the timer from the loop's schedule (lazily: O(1)).
 * @example
 * const h = loop.callLater(5000, () => console.log("timed out"));
 * h.when();   // loop.time() + 5000 at the moment of the call
 * h.cancel(); // it will not fire
 */
export class TimerHandle extends Handle {
  /**
   * @internal The handle's slot in the loop's timers, set when scheduled. It may be stale (the
   * timer fired, the slot was reused): the loop checks that the slot still holds this handle.
   */
  _slot = -1;
  /**
   * @internal `when` as two small integers (see `splitHigh`): a fractional number in a field
   * is a separate heap box, and at 200k live timers that second object per timer was a tenth
   * of `callLater` + firing (the garbage collector copies every live timer twice).
   */
  readonly _whenHigh: number;
  /** @internal */ readonly _whenLow: number;

  /** Made by the loop (`callLater`, `callAt`); there is no reason to make one yourself. */
  constructor(when: number, callback: Callback, args: unknown[], loop: EventLoop, vars: VarMap) {
    super(callback, args, loop, vars);
    BITS[0] = when;
    this._whenHigh = splitHigh(HALVES[HIGH]!, HALVES[LOW]!);
    this._whenLow = HALVES[LOW]! & LOW_MASK;
  }

  /** The loop time (ms) at which the callback is due. */
  when(): number {
    const high = this._whenHigh;
    HALVES[LOW] = this._whenLow | ((high & 3) << 30);
    HALVES[HIGH] = (high - (high & 3)) / 4 + HIGH_BIAS;
    return BITS[0]!;
  }

  /** As `Handle.cancel()`, and tells the loop the timer is gone (asyncio's `TimerHandle.cancel()`). */
  override cancel(): void {
    if (this._callback !== null && this._slot >= 0) {
      this._loop._timerHandleCancelled(this);
    }
    super.cancel();
  }
}
