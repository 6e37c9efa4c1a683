// What runs where, and what the contract promises: the one list the runner, the table and the
// scenario programs share. No imports, so the runner reads it without the built packages.
//
// A scenario's `promise` says where it applies and whether a failure fails CI:
//   everywhere     every runtime; gating (API.md: core and timer-loop's host-driven runs work
//                  in Node, Bun, Deno and browsers)
//   blocking       runtimes whose thread may block (Atomics.wait on shared memory); gating
//   non-blocking   runtimes whose thread may not block; gating (the clear error)
//   reported       where `on` says; never gating: the table says what runs, CI does not fail
// and `on` ("all", "node-compat", "blocking", "non-blocking") narrows a reported scenario.

/**
 * The runtimes, in table order. `blocking`: whether runSync may block the thread there (so
 * whether the runSync scenarios or the refusal scenario apply). `node`: whether Node's modules
 * (net, worker_threads, fs) are there for selector-loop and files to try.
 */
export const RUNTIMES = [
  { id: "node", title: "Node", blocking: true, node: true },
  { id: "bun", title: "Bun", blocking: true, node: true },
  { id: "deno", title: "Deno", blocking: true, node: true },
  // A cross-origin isolated page (COOP/COEP headers): SharedArrayBuffer exists, but a
  // browser's main thread may not Atomics.wait.
  { id: "chromium-page", title: "Chromium page", blocking: false, node: false, isolated: true },
  { id: "chromium-worker", title: "Chromium Worker", blocking: true, node: false, isolated: true },
  // The same without the headers, as most pages are served: no SharedArrayBuffer at all, so
  // not even a Worker can block (Atomics.wait needs shared memory).
  {
    id: "chromium-page-plain",
    title: "Chromium page, not isolated",
    blocking: false,
    node: false,
    isolated: false,
  },
  {
    id: "chromium-worker-plain",
    title: "Chromium Worker, not isolated",
    blocking: false,
    node: false,
    isolated: false,
  },
];

/** Scenarios, in table order. `file`: which scenario module implements it. */
export const SCENARIOS = [
  {
    id: "core-tasks",
    file: "portable",
    area: "core",
    promise: "everywhere",
    title: "Tasks and futures: sleep order, done callbacks, cancel, context variables, coro()",
  },
  {
    id: "core-interop",
    file: "portable",
    area: "core",
    promise: "everywhere",
    title: "Promise interop: fromPromise, toPromise, abortSignal",
  },
  {
    id: "core-deadlock",
    file: "portable",
    area: "core",
    promise: "everywhere",
    title: "A host run that can never finish rejects with DeadlockError",
  },
  {
    id: "host-real",
    file: "portable",
    area: "timer-loop",
    promise: "everywhere",
    title: "TimerLoop real clock, runUntilComplete: sleeps take their time, callLater order",
  },
  {
    id: "host-virtual",
    file: "portable",
    area: "timer-loop",
    promise: "everywhere",
    title: "TimerLoop virtual clock, runUntilComplete: an hour at once, advance()",
  },
  {
    id: "combinators",
    file: "portable",
    area: "core",
    promise: "everywhere",
    title: "gather, wait, waitFor, timeout, shield, asCompleted, taskGroup",
  },
  {
    id: "locks",
    file: "portable",
    area: "core",
    promise: "everywhere",
    title: "Lock (fair, hold), Event, Condition, Semaphore, BoundedSemaphore, Barrier",
  },
  {
    id: "queues",
    file: "portable",
    area: "core",
    promise: "everywhere",
    title: "Queue (maxsize, join), PriorityQueue, LifoQueue, QueueEmpty/Full, shutdown",
  },
  {
    id: "runsync-real",
    file: "portable",
    area: "timer-loop",
    promise: "blocking",
    title: "runSync, real clock: blocks between deadlines; runSync(); DeadlockError",
  },
  {
    id: "runsync-virtual",
    file: "portable",
    area: "timer-loop",
    promise: "blocking",
    title: "runSync, virtual clock: an hour at once",
  },
  {
    id: "runsync-refused",
    file: "portable",
    area: "timer-loop",
    promise: "non-blocking",
    title:
      "new TimerLoop().runSync(...) where the thread cannot block: a named error that says to use runUntilComplete",
  },
  {
    id: "runsync-virtual-nonblocking",
    file: "portable",
    area: "timer-loop",
    promise: "reported",
    on: "non-blocking",
    title: "runSync, virtual clock, where the thread cannot block",
  },
  {
    id: "run-helper",
    file: "portable",
    area: "timer-loop",
    promise: "reported",
    on: "all",
    title: "timer-loop's run(main) (asyncio.run), both clocks",
  },
  {
    id: "selector-echo-streams",
    file: "node-compat",
    area: "selector-loop",
    promise: "reported",
    on: "node-compat",
    title: "TCP echo over 127.0.0.1 with streams (startServer, openConnection)",
  },
  {
    id: "selector-echo-protocols",
    file: "node-compat",
    area: "selector-loop",
    promise: "reported",
    on: "node-compat",
    title: "TCP echo over 127.0.0.1 with protocols (createServer, createConnection)",
  },
  {
    id: "selector-subprocess",
    file: "node-compat",
    area: "selector-loop",
    promise: "reported",
    on: "node-compat",
    title: "Subprocesses through pipes (createSubprocessExec cat, communicate; five in a row)",
  },
  {
    id: "files-host",
    file: "node-compat",
    area: "files",
    promise: "reported",
    on: "node-compat",
    title: "files on a host run: write, read back, stat, listdir in a TemporaryDirectory",
  },
  {
    id: "files-runsync",
    file: "node-compat",
    area: "files",
    promise: "reported",
    on: "node-compat",
    title: "files under runSync (a worker thread wakes the blocked loop)",
  },
];

/** Whether `scenario` applies on `runtime` (otherwise its cell is "n/a"). */
export function applies(scenario, runtime) {
  const where = scenario.promise === "reported" ? scenario.on : scenario.promise;
  switch (where) {
    case "everywhere":
    case "all":
      return true;
    case "blocking":
      return runtime.blocking;
    case "non-blocking":
      return !runtime.blocking;
    case "node-compat":
      return runtime.node;
    default:
      throw new Error(`scenario ${scenario.id}: unknown place ${JSON.stringify(where)}`);
  }
}

/** Whether a failure of `scenario` on `runtime` fails the check (it must apply there). */
export function gating(scenario, runtime) {
  return scenario.promise !== "reported" && applies(scenario, runtime);
}

/** The line prefix of a machine-readable result: `@@runtimes {json}`. */
export const MARK = "@@runtimes ";
