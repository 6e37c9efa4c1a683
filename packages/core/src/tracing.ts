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
 *
 * WHY: the seed documents explain asyncio by drawing exactly this: which coroutine runs, what it
 * waits on, and when it wakes. The tracer shows it for any program.
 */

import type { Future } from "./future.js";
import type { TimerHandle } from "./handle.js";
import type { Task } from "./task.js";

/** How a task step ended. */
export type StepOutcome = "suspended" | "yielded" | "result" | "error" | "cancelled";

/**
 * Receives loop events; implement the methods you need (all optional) and install it with
 * `loop.setTracer(tracer)`. Every `time` is loop time in milliseconds (`loop.time()`). Methods
 * are called synchronously from the loop's hot paths: keep them cheap, and do not schedule work
 * on the loop from them. `TraceRecorder` is a ready-made one.
 * @example
 * let steps = 0;
 * loop.setTracer({ taskStep: () => void steps++ });
 */
export interface LoopTracer {
  /**
   * A task was created. `parent` is the task that was running when it was created, or null
   * when it was created from a plain callback or from outside the loop.
   */
  taskCreated?(task: Task<unknown>, parent: Task<unknown> | null, time: number): void;
  /**
   * One step of `task` ran from `start` to `end` (loop times in ms; equal on a virtual clock)
   * and ended as `outcome`. `waitingOn` is the future the task parked on when `outcome` is
   * "suspended", else null.
   */
  taskStep?(
    task: Task<unknown>,
    start: number,
    end: number,
    outcome: StepOutcome,
    waitingOn: Future<unknown> | null,
  ): void;
  /** `callLater`/`callAt` scheduled a timer; `handle.when()` is its due time. */
  timerScheduled?(handle: TimerHandle, time: number): void;
  /** A timer was due: its callback was queued to run in this iteration. */
  timerFired?(handle: TimerHandle, time: number): void;
  /** A timer still in the loop's schedule was cancelled. */
  timerCancelled?(handle: TimerHandle, time: number): void;
  /** For backends: an I/O source became ready; `what` describes it (e.g. a socket and a direction). */
  ioReady?(what: string, time: number): void;
}

/**
 * One event `TraceRecorder` recorded, discriminated by `kind`. Times are loop times in ms;
 * tasks are identified by small numbers the recorder assigns (1, 2, ...) in order of first
 * appearance.
 */
export type TraceEvent =
  | {
      /** A task was created. */
      kind: "task-created";
      /** When it was created (ms). */
      time: number;
      /** The task's number in this recording. */
      task: number;
      /** The task's name (`getName()`) at creation. */
      name: string;
      /** The number of the task that created it, or null (a callback or outside the loop). */
      parent: number | null;
    }
  | {
      /** A task step ran. */
      kind: "task-step";
      /** When the step started (ms). */
      time: number;
      /** When the step ended (ms). */
      end: number;
      /** The task's number in this recording. */
      task: number;
      /** The task's name (`getName()`) at the end of the step. */
      name: string;
      /** How the step ended. */
      outcome: StepOutcome;
      /** What the task parked on ("task Task-3", "Future", ...) when suspended, else null. */
      waitingOn: string | null;
    }
  | {
      /** A timer was scheduled, fired (its callback queued), or cancelled. */
      kind: "timer-scheduled" | "timer-fired" | "timer-cancelled";
      /** When it happened (ms). */
      time: number;
      /** The timer's due time (ms, `TimerHandle.when()`). */
      when: number;
      /** The callback's function name, "(anonymous)", or "(cancelled)". */
      callback: string;
    }
  | {
      /** A backend reported I/O readiness. */
      kind: "io-ready";
      /** When it was reported (ms). */
      time: number;
      /** What became ready, as the backend described it. */
      what: string;
    };

/** Recording stops at this many events (a trace of a long run stays bounded in memory). */
export const DEFAULT_TRACE_LIMIT = 1_000_000;

/**
 * A tracer that records events in memory, for `toChromeTrace()` (Perfetto, chrome://tracing)
 * and `timeline()` (text). Recording stops after `opts.limit` events (default
 * `DEFAULT_TRACE_LIMIT`); later events are only counted in `dropped`.
 * @example
 * const rec = new TraceRecorder();
 * loop.setTracer(rec);
 * loop.runSync(main());
 * writeFileSync("trace.json", JSON.stringify(rec.toChromeTrace()));
 * console.log(rec.timeline());
 */
export class TraceRecorder implements LoopTracer {
  /** The recorded events, oldest first. */
  readonly events: TraceEvent[] = [];
  /** Events not recorded because the limit was reached. */
  dropped = 0;
  readonly #limit: number;
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;

  /** @param opts `limit`: record at most this many events (default `DEFAULT_TRACE_LIMIT`). */
  constructor(opts: { limit?: number } = {}) {
    this.#limit = opts.limit ?? DEFAULT_TRACE_LIMIT;
  }

  /** Records a `task-created` event. */
  taskCreated(task: Task<unknown>, parent: Task<unknown> | null, time: number): void {
    this.#push({
      kind: "task-created",
      time,
      task: this.#id(task),
      name: task.getName(),
      parent: parent === null ? null : this.#id(parent),
    });
  }

  /** Records a `task-step` event. */
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

  /** Records a `timer-scheduled` event. */
  timerScheduled(h: TimerHandle, time: number): void {
    this.#timer("timer-scheduled", h, time);
  }
  /** Records a `timer-fired` event. */
  timerFired(h: TimerHandle, time: number): void {
    this.#timer("timer-fired", h, time);
  }
  /** Records a `timer-cancelled` event. */
  timerCancelled(h: TimerHandle, time: number): void {
    this.#timer("timer-cancelled", h, time);
  }

  /** Records an `io-ready` event. */
  ioReady(what: string, time: number): void {
    this.#push({ kind: "io-ready", time, what });
  }

  /**
   * The events as a Chrome Trace Event object (`{ traceEvents: [...] }`): a row (thread) per
   * task named after it, a complete slice per step, instant events for timers and I/O.
   * Timestamps are in microseconds, as the format requires. Write it as JSON and open it in
   * Perfetto or chrome://tracing.
   */
  toChromeTrace(): {
    /** The Trace Event Format records (metadata, slices and instants). */
    traceEvents: Record<string, unknown>[];
    /** Tells the viewers to display milliseconds. */
    displayTimeUnit: "ms";
  } {
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
    // In time order: a task step is recorded when it ends (its outcome is known only then) but
    // stamped with its start, after what it did meanwhile. The sort is stable, so events of
    // the same time keep the order they happened in.
    const lines = [...this.events].sort((a, b) => a.time - b.time).map(formatEvent);
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
