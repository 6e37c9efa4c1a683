/**
 * Tracing: watch what the loop does, task by task, without changing it.
 *
 * HOW: a loop carries an optional `LoopTracer` (`loop.setTracer(t)`). Hot paths test one field
 * (`loop._tracer !== null`) and call the tracer only when one is set, so tracing off costs a
 * predictable branch per task step and per timer. Two tracers ship:
 *
 *   TraceRecorder ──► toChromeTrace()  Trace Event JSON: open it in Perfetto / chrome://tracing;
 *                │                     one row per task, a slice per step, instants for timers
 *                └─► timeline()        a compact text timeline for a terminal
 *
 * Events (loop time in ms):
 *   task-created  a task was created (by which task)       timer-scheduled / -fired / -cancelled
 *   task-step     a step ran [start, end], and then the     io-ready   a backend reported readiness
 *                 task was suspended on a future, yielded,
 *                 or finished (result, error, cancelled)
 *   task-woken    the future a task waited on completed
 *
 * WHY: the seed documents explain asyncio by drawing exactly this: which coroutine runs, what it
 * waits on, and when it wakes. The tracer shows it for any program.
 */

import type { Future } from "./future.js";
import type { TimerHandle } from "./handle.js";
import type { Task } from "./task.js";

/** How a task step ended. */
export type StepOutcome = "suspended" | "yielded" | "result" | "error" | "cancelled";

/** Receives loop events; implement the methods you need (all optional). */
export interface LoopTracer {
  taskCreated?(task: Task<unknown>, parent: Task<unknown> | null, time: number): void;
  taskStep?(
    task: Task<unknown>,
    start: number,
    end: number,
    outcome: StepOutcome,
    waitingOn: Future<unknown> | null,
  ): void;
  timerScheduled?(handle: TimerHandle, time: number): void;
  timerFired?(handle: TimerHandle, time: number): void;
  timerCancelled?(handle: TimerHandle, time: number): void;
  ioReady?(what: string, time: number): void;
}

/** One recorded event. */
export type TraceEvent =
  | { kind: "task-created"; time: number; task: number; name: string; parent: number | null }
  | {
      kind: "task-step";
      time: number;
      end: number;
      task: number;
      name: string;
      outcome: StepOutcome;
      waitingOn: string | null;
    }
  | {
      kind: "timer-scheduled" | "timer-fired" | "timer-cancelled";
      time: number;
      when: number;
      callback: string;
    }
  | { kind: "io-ready"; time: number; what: string };

/** Recording stops at this many events (a trace of a long run stays bounded in memory). */
export const DEFAULT_TRACE_LIMIT = 1_000_000;

/**
 * A tracer that records events in memory, for `toChromeTrace()` and `timeline()`.
 * @example
 * const rec = new TraceRecorder();
 * loop.setTracer(rec);
 * loop.runSync(main());
 * writeFileSync("trace.json", JSON.stringify(rec.toChromeTrace()));
 * console.log(rec.timeline());
 */
export class TraceRecorder implements LoopTracer {
  readonly events: TraceEvent[] = [];
  /** Events not recorded because the limit was reached. */
  dropped = 0;
  readonly #limit: number;
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;

  constructor(opts: { limit?: number } = {}) {
    this.#limit = opts.limit ?? DEFAULT_TRACE_LIMIT;
  }

  taskCreated(task: Task<unknown>, parent: Task<unknown> | null, time: number): void {
    this.#push({
      kind: "task-created",
      time,
      task: this.#id(task),
      name: task.getName(),
      parent: parent === null ? null : this.#id(parent),
    });
  }

  taskStep(
    task: Task<unknown>,
    start: number,
    end: number,
    outcome: StepOutcome,
    waitingOn: Future<unknown> | null,
  ): void {
    this.#push({
      kind: "task-step",
      time: start,
      end,
      task: this.#id(task),
      name: task.getName(),
      outcome,
      waitingOn: waitingOn === null ? null : describeFuture(waitingOn),
    });
  }

  timerScheduled(h: TimerHandle, time: number): void {
    this.#timer("timer-scheduled", h, time);
  }
  timerFired(h: TimerHandle, time: number): void {
    this.#timer("timer-fired", h, time);
  }
  timerCancelled(h: TimerHandle, time: number): void {
    this.#timer("timer-cancelled", h, time);
  }

  ioReady(what: string, time: number): void {
    this.#push({ kind: "io-ready", time, what });
  }

  /**
   * The events as a Chrome Trace Event object (`{ traceEvents: [...] }`): a row (thread) per
   * task named after it, a complete slice per step, instant events for timers and I/O.
   */
  toChromeTrace(): { traceEvents: Record<string, unknown>[]; displayTimeUnit: "ms" } {
    const us = (ms: number) => Math.round(ms * 1000);
    const out: Record<string, unknown>[] = [
      { ph: "M", pid: 1, tid: 0, name: "process_name", args: { name: "aioloop" } },
      { ph: "M", pid: 1, tid: 0, name: "thread_name", args: { name: "loop" } },
    ];
    for (const e of this.events) {
      switch (e.kind) {
        case "task-created":
          out.push({ ph: "M", pid: 1, tid: e.task, name: "thread_name", args: { name: e.name } });
          out.push({
            ph: "i",
            s: "t",
            pid: 1,
            tid: e.task,
            ts: us(e.time),
            name: "created",
            args: { parent: e.parent },
          });
          break;
        case "task-step":
          out.push({
            ph: "X",
            pid: 1,
            tid: e.task,
            ts: us(e.time),
            dur: Math.max(1, us(e.end - e.time)),
            name: e.outcome === "suspended" ? `step → ${e.waitingOn}` : `step → ${e.outcome}`,
            args: { outcome: e.outcome, waitingOn: e.waitingOn },
          });
          break;
        case "timer-scheduled":
        case "timer-fired":
        case "timer-cancelled":
          out.push({
            ph: "i",
            s: "p",
            pid: 1,
            tid: 0,
            ts: us(e.time),
            name: `${e.kind} ${e.callback}`,
            args: { when: e.when },
          });
          break;
        case "io-ready":
          out.push({ ph: "i", s: "p", pid: 1, tid: 0, ts: us(e.time), name: `io ${e.what}` });
          break;
      }
    }
    return { traceEvents: out, displayTimeUnit: "ms" };
  }

  /**
   * A compact text timeline: one line per event, loop time first.
   * `maxLines` keeps it readable (the middle is elided).
   */
  timeline(maxLines = 60): string {
    const lines = this.events.map(formatEvent);
    if (this.dropped > 0) lines.push(`… ${this.dropped} more events not recorded (limit reached)`);
    if (lines.length <= maxLines) return lines.join("\n");
    const head = Math.ceil(maxLines / 2);
    const tail = maxLines - head;
    return [
      ...lines.slice(0, head),
      `  … ${lines.length - maxLines} events …`,
      ...lines.slice(-tail),
    ].join("\n");
  }

  #push(e: TraceEvent): void {
    if (this.events.length < this.#limit) this.events.push(e);
    else this.dropped++;
  }

  #timer(
    kind: "timer-scheduled" | "timer-fired" | "timer-cancelled",
    h: TimerHandle,
    time: number,
  ): void {
    const cb = h._callback;
    this.#push({
      kind,
      time,
      when: h.when(),
      callback: cb === null ? "(cancelled)" : cb.name || "(anonymous)",
    });
  }

  #id(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(o, id);
    }
    return id;
  }
}

function describeFuture(f: Future<unknown>): string {
  const name = (f as { getName?: () => string }).getName;
  return typeof name === "function" ? `task ${name.call(f)}` : f.constructor.name;
}

function formatEvent(e: TraceEvent): string {
  const t = `${e.time.toFixed(3).padStart(12)} ms`;
  switch (e.kind) {
    case "task-created":
      return `${t}  + ${e.name}${e.parent === null ? "" : ` (by #${e.parent})`}`;
    case "task-step": {
      const what =
        e.outcome === "suspended"
          ? `waits on ${e.waitingOn}`
          : e.outcome === "yielded"
            ? "yields"
            : e.outcome;
      return `${t}  ▶ ${e.name} ran ${(e.end - e.time).toFixed(3)} ms, ${what}`;
    }
    case "timer-scheduled":
      return `${t}  ⏲ ${e.callback} scheduled for ${e.when.toFixed(3)}`;
    case "timer-fired":
      return `${t}  ⏰ ${e.callback} fired`;
    case "timer-cancelled":
      return `${t}  ✕ timer ${e.callback} cancelled`;
    case "io-ready":
      return `${t}  ⇄ ${e.what} ready`;
  }
}
