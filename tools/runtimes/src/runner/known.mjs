// Causes found for failures the table shows, so a reader knows why without re-investigating.
// An explanation is shown only while its failure still looks the same (`match` on the error),
// so a fixed or changed failure never keeps a stale explanation.

export const KNOWN = [
  {
    scenario: "files-host",
    runtime: "deno",
    match: /did not finish|no result/,
    why:
      "Deno's node:worker_threads throws from receiveMessageOnPort(parentPort) " +
      '("The "port" argument must be a MessagePort instance"): the files worker dies at its ' +
      "first message, the pool replaces it, and the job waits forever.",
  },
  {
    scenario: "files-runsync",
    runtime: "deno",
    match: /did not finish|no result/,
    why: "As files-host: the worker dies at its first message, so the blocked loop is never woken.",
  },
  {
    scenario: "selector-subprocess",
    runtime: "bun",
    match: /destroySoon/,
    why:
      "Bun's net.Socket has no destroySoon(), which selector-loop's transport calls when it " +
      "closes a socket that still has data to flush (here a child's stdin just after " +
      "communicate() wrote and ended it): it fails whenever that flush is still pending.",
  },
  {
    scenario: "run-helper",
    runtime: "chromium",
    match: /process/,
    why:
      'timer-loop\'s run() listens for Ctrl-C with process.once("SIGINT"); a browser has no ' +
      "process. loop.runUntilComplete() is what runs there.",
  },
];

/** The known cause of `scenarioId`'s failure `error` on `runtimeId`, if any. */
export function knownCause(scenarioId, runtimeId, error) {
  const k = KNOWN.find(
    (x) =>
      x.scenario === scenarioId && runtimeId.startsWith(x.runtime) && x.match.test(error ?? ""),
  );
  return k?.why ?? null;
}
