/**
 * The text timeline `--trace` prints, in loop-time order.
 *
 * WHY: a TraceRecorder records a task step when the step ends (that is when its outcome and
 * duration are known), stamped with the time it started. Whatever the step did meanwhile (create
 * tasks, schedule timers) was recorded first, with later times. `recorder.timeline()` prints the
 * events in recording order, so on the real clock each "▶ … ran" line came after the lines of
 * what the step did, with an earlier time. Here the events are put in time order first: a stable
 * sort, so events at the same time (every event of an iteration on the virtual clock) keep the
 * order they were recorded in.
 */
import { TraceRecorder } from "@aioloop/core";

/** The recorder's events sorted by `time`, oldest first; equal times keep recording order. */
export function eventsInTimeOrder(recorder: TraceRecorder): TraceRecorder["events"] {
  // Array.prototype.sort is stable (ES2019), so ties keep their recorded order.
  return [...recorder.events].sort((a, b) => a.time - b.time);
}

/**
 * `recorder.timeline(maxLines)` with its lines in time order (see the module comment): the same
 * line format, elision and "not recorded" note, from a copy; the recorder is left unchanged.
 */
export function timeOrderedTimeline(recorder: TraceRecorder, maxLines = 60): string {
  const events = eventsInTimeOrder(recorder);
  const ordered = new TraceRecorder({ limit: events.length });
  for (const e of events) ordered.events.push(e);
  ordered.dropped = recorder.dropped;
  return ordered.timeline(maxLines);
}
