// One batch of scenarios in a Node, Bun or Deno process: the program is src/scenarios/cli.mjs,
// its stdout lines are the events; a process silent for too long is killed (a runSync that
// blocks forever cannot time itself out).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runtimeBinary } from "./binaries.mjs";

const CLI = fileURLToPath(new URL("../scenarios/cli.mjs", import.meta.url));
/** The package's folder: Deno and Bun resolve `@aioloop/*` from its node_modules. */
const PKG_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** The command line that runs the scenario program under `runtime` ("node", "bun", "deno"). */
export function commandFor(runtime, ids) {
  const only = ["--only", ids.join(",")];
  switch (runtime) {
    case "node":
      return [process.execPath, [CLI, ...only]];
    case "bun":
      // --no-install: resolve from node_modules only, never install on the fly.
      return [runtimeBinary("bun"), ["--no-install", CLI, ...only]];
    case "deno":
      // -A: the node-compat scenarios use the network (127.0.0.1), subprocesses and files;
      // manual node_modules: resolve the workspace's installed packages, fetch nothing.
      return [
        runtimeBinary("deno"),
        ["run", "-A", "--no-lock", "--node-modules-dir=manual", CLI, ...only],
      ];
    default:
      throw new Error(`not a process runtime: ${runtime}`);
  }
}

/**
 * Run `ids` under `runtime`; resolves `{ lines, ended }` (see collect.mjs). `silenceMs`: how
 * long the process may print nothing before it is killed.
 */
export function runProcessBatch(runtime, ids, { silenceMs }) {
  const [cmd, args] = commandFor(runtime, ids);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: PKG_DIR,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", FORCE_COLOR: "0" },
    });
    const lines = [];
    let partial = "";
    let stderr = "";
    let killedForSilence = false;
    let timer = null;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        killedForSilence = true;
        child.kill("SIGKILL");
      }, silenceMs);
    };
    arm();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      arm();
      const parts = (partial + chunk).split("\n");
      partial = parts.pop();
      lines.push(...parts);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const finish = (ended) => {
      clearTimeout(timer);
      if (partial) lines.push(partial);
      resolve({ lines, ended });
    };
    child.on("error", (e) => finish(`could not start ${cmd}: ${e.message}`));
    child.on("close", (code, signal) => {
      const tail = stderr.trim().split("\n").slice(-3).join(" | ");
      if (killedForSilence) finish(`killed after ${silenceMs / 1000} s without output (a hang?)`);
      else if (code === 0) finish(null);
      else finish(`exited with ${signal ?? `code ${code}`}${tail ? `: ${tail}` : ""}`);
    });
  });
}
