/**
 * Python peers: CPython's asyncio, and uvloop when it is importable, run by python/peers.py.
 *
 * HOW: `probe()` asks the interpreter once which flavours exist. A suite asks `micro()` for its
 * scenarios; all of a suite's asks for one flavour are made before the first result is read, so
 * that they travel in ONE Python process (one interpreter start, one warm-up per scenario):
 *
 *   timers suite ─ micro("asyncio", {timers: 200000}) ─┐
 *                ─ micro("asyncio", {timers: 1000000}) ─┤ batched on the next microtask
 *                                                       ▼
 *          python3 peers.py micro --loop asyncio --timers 200000 --timers 1000000 --rounds 5
 *                                                       │ {"results": {"timers:200000": [ns/op…]}}
 *                                                       ▼ each ask gets its own key
 *
 * Echo servers are long-lived children (`echoServer`), spoken to over stdin/stdout.
 * WHY a separate interpreter rather than numbers copied from elsewhere: the same machine, the
 * same load, the same minute; a note in the table says when Python or uvloop is missing.
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Comparison, SuiteContext } from "./harness.js";

/** python/peers.py, found from both src/ (tests) and dist/ (the CLI). */
export const PEERS_SCRIPT = fileURLToPath(new URL("../python/peers.py", import.meta.url));

/** A Python micro run should finish in well under this; past it the run is killed. */
const MICRO_TIMEOUT_MS = 10 * 60_000;

export type PythonFlavour = "asyncio" | "uvloop";

/** What one micro ask wants measured; the key of its result in the script's JSON. */
export type MicroAsk =
  | { readonly kind: "switch"; readonly n: number }
  | { readonly kind: "timers"; readonly n: number }
  | { readonly kind: "cancel-half"; readonly n: number };

function keyOf(ask: MicroAsk): string {
  switch (ask.kind) {
    case "switch":
      return "switch";
    case "timers":
      return `timers:${ask.n}`;
    case "cancel-half":
      return `cancel-half:${ask.n}`;
  }
}

function argsOf(ask: MicroAsk): string[] {
  switch (ask.kind) {
    case "switch":
      return ["--switch", String(ask.n)];
    case "timers":
      return ["--timers", String(ask.n)];
    case "cancel-half":
      return ["--cancel-half", String(ask.n)];
  }
}

/** Run a command to completion; resolves with stdout, rejects with stderr's tail on failure. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${cmd} ${args.join(" ")} failed (${signal ?? code}): ${err.slice(-500)}`),
        );
    });
  });
}

interface Pending {
  readonly asks: MicroAsk[];
  readonly done: Promise<Record<string, number[]>>;
}

/** The Python side of the bench. One instance per bench run. */
export class PythonPeers {
  readonly #python: string;
  readonly #rounds: number;
  #probe: Promise<{ python: string | null; uvloop: string | null; why: string }> | null = null;
  readonly #pending = new Map<PythonFlavour, Pending>();

  /**
   * @param python the interpreter (`PYTHON` env or "python3")
   * @param rounds measured rounds per scenario (each after one warm-up)
   */
  constructor(python: string, rounds: number) {
    this.#python = python;
    this.#rounds = rounds;
  }

  /** Why `flavour` cannot run here, or null when it can. */
  async unavailable(flavour: PythonFlavour): Promise<string | null> {
    this.#probe ??= runCommand(this.#python, [PEERS_SCRIPT, "probe"], 30_000).then(
      (out) => {
        const j = JSON.parse(out) as { python: string; uvloop: string | null };
        return { python: j.python, uvloop: j.uvloop, why: "" };
      },
      (e: unknown) => ({
        python: null,
        uvloop: null,
        why: `${this.#python} not runnable (${e instanceof Error ? e.message.split("\n")[0] : e})`,
      }),
    );
    const p = await this.#probe;
    if (p.python === null) return p.why;
    if (flavour === "uvloop" && p.uvloop === null) {
      return (
        `uvloop not importable by ${this.#python} (Python ${p.python}): pip install uvloop, ` +
        "apt-get install python3-uvloop, or set PYTHON to an interpreter that has it"
      );
    }
    return null;
  }

  /** The label of a flavour in the table, with its version once probed. */
  async label(flavour: PythonFlavour): Promise<string> {
    const p = await this.#probe;
    if (p === null || p.python === null) return `${flavour} (python)`;
    switch (flavour) {
      case "asyncio":
        return `asyncio (py ${p.python})`;
      case "uvloop":
        return p.uvloop === null ? "uvloop (python)" : `uvloop ${p.uvloop} (py ${p.python})`;
    }
  }

  /**
   * Samples in ns/op for `ask` on `flavour`. Asks made in the same tick share one process.
   * Rejects when Python is unavailable (check `unavailable()` first) or the script fails.
   */
  micro(flavour: PythonFlavour, ask: MicroAsk): Promise<number[]> {
    let p = this.#pending.get(flavour);
    if (p === undefined) {
      const asks: MicroAsk[] = [];
      const done = Promise.resolve().then(async () => {
        this.#pending.delete(flavour);
        const args = [PEERS_SCRIPT, "micro", "--loop", flavour, "--rounds", String(this.#rounds)];
        for (const a of asks) args.push(...argsOf(a));
        const out = await runCommand(this.#python, args, MICRO_TIMEOUT_MS);
        return (JSON.parse(out) as { results: Record<string, number[]> }).results;
      });
      p = { asks, done };
      this.#pending.set(flavour, p);
    }
    p.asks.push(ask);
    return p.done.then((results) => {
      const got = results[keyOf(ask)];
      if (got === undefined) throw new Error(`peers.py gave no result for ${keyOf(ask)}`);
      return got;
    });
  }

  /** Arguments that start an echo server of this flavour and style (see echo suite). */
  echoServerCommand(flavour: PythonFlavour, style: "protocol" | "streams"): [string, string[]] {
    return [this.#python, [PEERS_SCRIPT, "echo-server", "--loop", flavour, "--style", style]];
  }
}

const FLAVOURS: readonly PythonFlavour[] = ["asyncio", "uvloop"];

/**
 * Peer comparisons (asyncio, then uvloop) for each named ask, measured now, in one Python process
 * per flavour, before the suite measures anything in this process (two processes measuring at
 * once on a 2-core machine would disturb each other). Python's own failures become rows that say
 * "error", missing interpreters become "skipped" rows. Peers from another language are shown for
 * information: no target.
 */
export async function pythonComparisons<K extends string>(
  ctx: SuiteContext,
  asks: Readonly<Record<K, MicroAsk>>,
): Promise<Record<K, Comparison[]>> {
  const keys = Object.keys(asks) as K[];
  const out = {} as Record<K, Comparison[]>;
  for (const k of keys) out[k] = [];
  for (const flavour of FLAVOURS) {
    const py = ctx.python;
    const why = py === null ? "python peers disabled (--no-python)" : await py.unavailable(flavour);
    if (py === null || why !== null) {
      for (const k of keys) {
        out[k].push({ name: `${flavour} (python)`, role: "peer", target: null, skip: why! });
      }
      continue;
    }
    ctx.log(`   python ${flavour}: ${keys.join(", ")}`);
    const settled = await Promise.allSettled(keys.map((k) => py.micro(flavour, asks[k])));
    const name = await py.label(flavour);
    keys.forEach((k, i) => {
      const r = settled[i]!;
      out[k].push({
        name,
        role: "peer",
        target: null,
        samples: () =>
          r.status === "fulfilled" ? Promise.resolve(r.value) : Promise.reject(r.reason),
      });
    });
  }
  return out;
}
