// From a runtime's output lines to one result per scenario, whatever happens to the runtime:
// a batch runs the scenarios still without a result; a scenario that started and never
// reported (the runtime crashed, hung, or was killed) fails with what is known, and the rest
// run in a fresh batch. Pure: the batch runner is passed in (a process, a browser page, a fake).

import { MARK } from "../catalog.mjs";

/** The `@@runtimes` events in `lines` (other lines are ignored; a broken one is an error). */
export function parseEvents(lines) {
  const events = [];
  for (const line of lines) {
    const at = line.indexOf(MARK);
    if (at < 0) continue;
    try {
      events.push(JSON.parse(line.slice(at + MARK.length)));
    } catch {
      events.push({ event: "garbled", line });
    }
  }
  return events;
}

/**
 * Run `ids` through `runBatch(ids) => Promise<{ lines, ended }>` until each has a result.
 * `ended` says how the batch ended when it did not finish on its own ("exit code 1", "timed out
 * after 15 s of silence"...) and may carry the tail of its error output. Returns
 * `{ results: Map(id -> result), hello }`, `hello` being the runtime's first "hello" event.
 */
export async function collect(ids, runBatch) {
  const results = new Map();
  let hello = null;
  let remaining = [...ids];
  while (remaining.length > 0) {
    let batch;
    try {
      batch = await runBatch(remaining);
    } catch (e) {
      batch = { lines: [], ended: `could not run: ${e instanceof Error ? e.message : String(e)}` };
    }
    const events = parseEvents(batch.lines);
    let started = null;
    let finished = false;
    for (const ev of events) {
      if (ev.event === "hello" && hello === null) hello = ev;
      else if (ev.event === "start") started = ev.id;
      else if (ev.event === "result" && remaining.includes(ev.id)) {
        results.set(ev.id, ev);
        if (started === ev.id) started = null;
      } else if (ev.event === "done") finished = true;
    }
    const why = batch.ended ?? (finished ? null : "the program ended without finishing");
    if (started !== null && !results.has(started)) {
      results.set(started, {
        id: started,
        status: "fail",
        error: `no result: the runtime stopped during this scenario (${why ?? "no reason given"})`,
      });
    }
    const next = remaining.filter((id) => !results.has(id));
    if (next.length === remaining.length) {
      // No progress (the runtime did not even start a scenario): the rest fail with the reason.
      for (const id of next) {
        results.set(id, {
          id,
          status: "fail",
          error: `no result: ${why ?? "the runtime reported nothing for it"}`,
        });
      }
      break;
    }
    remaining = next;
  }
  return { results, hello };
}
