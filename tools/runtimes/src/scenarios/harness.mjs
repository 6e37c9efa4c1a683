// The harness every scenario program shares (Node, Bun, Deno, a browser page or Worker): runs
// the scenarios it is asked for, one at a time, and reports each as one machine-readable line
// `@@runtimes {json}` through `report` (console.log, or postMessage from a Worker). Portable:
// no Node-only names.
//
//   {"event":"hello","runtime":"node","version":"v20.20.2","sab":true,"isolated":null}
//   {"event":"start","id":"locks"}
//   {"event":"result","id":"locks","status":"pass","ms":3.1,"note":"..."}
//   {"event":"result","id":"x","status":"fail","ms":2,"error":"TypeError: ...","stack":"..."}
//   {"event":"done"}
//
// A "start" without its "result" tells the runner which scenario hung or crashed the runtime.
// A scenario that times out leaves its loop running (the next run would meet LoopRunningError),
// so the program stops there ({"event":"stopped"}) and the runner runs the rest in a new one.
//
// A scenario returns nothing, a note (a string: stable, it goes into docs/runtimes.md), or
// `{ note?, timing? }` (timing: measurements that vary run to run, printed but not committed).

import { MARK } from "../catalog.mjs";

/** How long one asynchronous scenario may take before it is reported as timed out. */
export const SCENARIO_TIMEOUT_MS = 10_000;

/** Thrown when a scenario does not finish in time. */
class ScenarioTimeout extends Error {
  name = "ScenarioTimeout";
}

/** A failed check inside a scenario. */
export class CheckError extends Error {
  name = "CheckError";
}

/** Fail the scenario with `what` unless `cond`. */
export function ok(cond, what) {
  if (!cond) throw new CheckError(what);
}

/** Fail unless `actual` and `expected` have the same JSON form. */
export function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new CheckError(`${what}: expected ${e}, got ${a}`);
}

/** Run `fn` and return what it threw; fail when it does not throw. */
export function caught(fn, what) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new CheckError(`${what}: expected an error, none was thrown`);
}

/** Await `p` and return its rejection; fail when it fulfils. */
export async function rejection(p, what) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new CheckError(`${what}: expected a rejection, it fulfilled`);
}

/** Fail unless `e` is an error named `name` (an instance of `cls` when given). */
export function isNamed(e, name, what, cls) {
  const got = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  ok(e instanceof Error && e.name === name, `${what}: expected ${name}, got ${got}`);
  if (cls !== undefined) ok(e instanceof cls, `${what}: ${name} is not an instance of its class`);
}

/** `name: message` of an error, on one line, cut to a readable length. */
export function describeError(e) {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${String(e)}`;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

/** What runs this program: its name and version, and whether shared memory is there. */
export function describeRuntime() {
  const g = globalThis;
  let runtime = "unknown";
  let version = "";
  if (g.Deno?.version) {
    runtime = "deno";
    version = g.Deno.version.deno;
  } else if (g.Bun?.version) {
    runtime = "bun";
    version = g.Bun.version;
  } else if (g.process?.versions?.node) {
    runtime = "node";
    version = g.process.version;
  } else if (g.navigator?.userAgent) {
    const m = /(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/.exec(g.navigator.userAgent);
    runtime = "browser";
    version = m ? m[1] : g.navigator.userAgent;
  }
  return {
    runtime,
    version,
    sab: typeof SharedArrayBuffer === "function",
    isolated: typeof g.crossOriginIsolated === "boolean" ? g.crossOriginIsolated : null,
    worker: typeof g.WorkerGlobalScope === "function" && g instanceof g.WorkerGlobalScope,
  };
}

function withTimeout(p, ms, id) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new ScenarioTimeout(`${id} did not finish in ${ms / 1000} s (a hang?)`)),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Run the scenarios `ids` from `impls` (id -> async function returning an optional note), one
 * after another, reporting each through `report(line)`.
 */
export async function runScenarios(impls, ids, report) {
  const emit = (o) => report(MARK + JSON.stringify(o));
  emit({ event: "hello", ...describeRuntime() });
  for (const id of ids) {
    const fn = impls[id];
    emit({ event: "start", id });
    const t0 = performance.now();
    let out;
    let timedOut = false;
    if (fn === undefined) {
      out = { status: "fail", error: `no scenario "${id}" in this program` };
    } else {
      try {
        const r = await withTimeout(Promise.resolve().then(fn), SCENARIO_TIMEOUT_MS, id);
        const { note, timing } = typeof r === "string" ? { note: r } : (r ?? {});
        out = { status: "pass", ...(note ? { note } : {}), ...(timing ? { timing } : {}) };
      } catch (e) {
        timedOut = e instanceof ScenarioTimeout;
        out = {
          status: "fail",
          error: describeError(e),
          ...(e instanceof Error && e.stack ? { stack: String(e.stack).slice(0, 2000) } : {}),
        };
      }
    }
    emit({ event: "result", id, ms: Math.round((performance.now() - t0) * 10) / 10, ...out });
    if (timedOut) {
      emit({ event: "stopped", reason: `${id} timed out; its loop may still be running` });
      return;
    }
  }
  emit({ event: "done" });
}
