// @ts-check
/**
 * The pool worker's message loop: takes batches of jobs from a WorkerPool (pool.ts), runs them
 * one at a time (file operations: fileops.js; runInWorker calls: here), and posts the answers.
 *
 * HOW: plain JavaScript (it runs unchanged from src/ under vitest and from dist/),
 * started by the pool with `workerData = { results: MessagePort, shared: SharedArrayBuffer,
 * control: Int32Array, wake: { index, set }, epoch }` (control: protocol.js CONTROL; wake:
 * @aioloop/core's WAKE_INDEX and WAKE_SET; epoch: the pool's Date.now() at its start).
 *
 *   main ── {k: JOBS, j: [len, slot, seq, wakeId, op, ...args, len, …], c?: fds to close} ──► parentPort
 *            │
 *            ▼  for each job: CAS slot SENT→RUNNING (lost: it was cancelled, report SKIPPED)
 *               run it with the synchronous fs calls (one thread hop for the whole batch)
 *            │
 *   main ◄── results port: [slot, seq, status, value, …] (read buffers transferred, not copied)
 *            then Atomics.add(POSTED) and Atomics.notify on each waiting loop's wake word,
 *            which wakes a loop blocked in runSync; host-driven loops get the port's
 *            'message' event instead.
 *
 * Results are posted when the queue runs dry, every RESULTS_PER_MESSAGE results, or every
 * RESULT_FLUSH_MS while a long batch runs, so the loop works on the first answers while this
 * worker works on the rest, and a slow job does not hold back the quick ones before it. Before
 * going idle the worker pulls any batch that arrived meanwhile with receiveMessageOnPort, so a
 * busy pool never pays for a trip through the worker's own event loop.
 *
 * A job runs at a time. `CALL` jobs (runInWorker) may return a Promise: the worker awaits it
 * before starting the next job, as a thread would. If user code kills the worker (process.exit,
 * an uncaught error), the exit handler posts whatever results are ready and an exit notice naming
 * the job that was running, so the pool rejects only that job and requeues the others, even when
 * its loop is blocked in runSync and cannot see the Worker's 'exit' event.
 */

import * as fs from "node:fs";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { TRANSFER_MIN_BYTES, runFileOp, wireError } from "./fileops.js";
import { CONTROL, HEADER, MSG, OP, SLOT, STATUS } from "./protocol.js";

/**
 * How long an idle worker waits on its doorbell for the next batch before returning to its event
 * loop (where it sleeps at no cost, and timers of user modules run). Longer than a loop takes to
 * answer a batch; short enough that those timers hardly notice.
 */
const IDLE_WAIT_MS = 2;
/** Post results at least this often (ms) while a batch is still running. */
const RESULT_FLUSH_MS = 1;
/**
 * Post results once this many are waiting, whatever the time: the loop starts on the first ones
 * (and sends new jobs) while this worker is still busy with the rest, so neither side sleeps
 * between rounds. Few enough per message to overlap, enough that a message is worth its cost.
 */
const RESULTS_PER_MESSAGE = 16;
/** Entries per result in the results array: slot, seq, status, value. */
const RESULT_WORDS = 4;

if (parentPort === null) throw new Error("worker.js must run in a worker thread (WorkerPool)");
const port = parentPort;
/**
 * @type {{
 *   results: import("node:worker_threads").MessagePort,
 *   shared: SharedArrayBuffer,
 *   control: Int32Array,
 *   wake: { index: number, set: number },
 *   epoch: number,
 * }}
 */
const data = workerData;
/** The pool's Date.now() at its start: RUNNING_SINCE counts from it (protocol.js CONTROL). */
const epoch = data.epoch;
/** @aioloop/core's wake protocol (WAKE_INDEX, WAKE_SET), as the pool passed it. */
const WAKE_INDEX = data.wake.index;
const WAKE_SET = data.wake.set;
/** Word 0: set (and notified) by the pool after each post to this worker. */
const control = data.control;
const results = data.results;
const header = new Int32Array(data.shared);

/** @type {Map<number, Int32Array>} wake words of the loops waiting on our results */
const wakes = new Map();
/** @type {unknown[][]} */
let queue = [];
let head = 0;
/** Invariant: true while drain() runs or an async CALL job is pending (no re-entry). */
let running = false;
let quitting = false;
let closed = false;
/** @type {unknown[] | null} the job being run (for the crash report) */
let current = null;
/** @type {unknown} the uncaught error that is killing this worker, if any */
let crash;

/** @type {unknown[]} flat [slot, seq, status, value, …] */
let out = [];
/** @type {ArrayBuffer[]} */
let transfers = [];
/** @type {number[]} wake ids to notify after the next post */
let toWake = [];
let firstOutAt = 0;

/** @type {Map<string, Record<string, unknown>>} modules imported by CALL jobs */
const modules = new Map();

/**
 * The modules being imported for CALL jobs, shared with module-url.ts's checkNotMainModule through
 * globalThis: a module that calls runInWorker on itself while this worker evaluates it is the
 * program's main module run again here. The check throws MainModuleInWorkerError there and
 * reports it here: the job fails with it at once (and the exit notice carries it if the re-run
 * program then exits), rather than waiting on a program that may never finish.
 * @type {Map<string, (e: unknown) => void>}
 */
const evaluating = new Map();
/** @type {unknown} the MainModuleInWorkerError reported, as wire data (for the exit notice) */
let recursion;
Object.defineProperty(globalThis, Symbol.for("@aioloop/files.evaluating"), {
  value: {
    urls: evaluating,
    /** @param {string} url @param {unknown} e */
    report(url, e) {
      recursion ??= wireError(e);
      evaluating.get(url)?.(e);
    },
  },
});

/**
 * TEST ONLY: with AIOLOOP_FILES_TEST_DIE_AT_START=1 in the environment the worker inherits, it
 * exits (code 1) on its first batch of jobs, before running any: how a worker dies on a runtime
 * whose node:worker_threads cannot serve it (Deno's receiveMessageOnPort rejects parentPort).
 * The pool's tests use it for its start-up crash limit (pool.ts MAX_START_CRASHES); unset, it
 * has no effect.
 */
const DIE_AT_START = process.env.AIOLOOP_FILES_TEST_DIE_AT_START === "1";

port.on("message", (m) => {
  handle(m);
  if (!running) drain();
});

process.on("uncaughtException", (e) => {
  crash = wireError(e);
  process.exit(1);
});

process.on("exit", (code) => {
  if (closed) return;
  postResults();
  /** @type {{ exit: number, slot: number, seq: number, error: unknown }} */
  const notice = {
    exit: code,
    slot: current === null ? -1 : /** @type {number} */ (current[0]),
    seq: current === null ? -1 : /** @type {number} */ (current[1]),
    error: crash ?? recursion,
  };
  try {
    results.postMessage(notice);
  } catch {
    results.postMessage({ exit: code, slot: notice.slot, seq: notice.seq, error: undefined });
  }
  Atomics.add(header, HEADER.POSTED, 1);
  for (const w of wakes.values()) wake(w);
});

/** @param {any} m */
function handle(m) {
  switch (m.k) {
    case MSG.JOBS: {
      if (DIE_AT_START) process.exit(1);
      if (m.c !== undefined) closeAll(m.c);
      // Flat: [length, slot, seq, wakeId, op, ...args, length, slot, …] (cheaper to clone).
      const flat = m.j;
      if (head === queue.length) {
        queue = [];
        head = 0;
      }
      for (let i = 0; i < flat.length; ) {
        const n = flat[i];
        queue.push(flat.slice(i + 1, i + 1 + n));
        i += n + 1;
      }
      break;
    }
    case MSG.WAKE:
      wakes.set(m.id, m.w);
      break;
    case MSG.QUIT:
      quitting = true;
      break;
    case MSG.CLOSES:
      closeAll(m.c);
      break;
  }
}

/**
 * Close descriptors nobody waits for (files opened only for reading: their close cannot fail in
 * a way that matters), each counted in CLOSES_DONE first (see protocol.js CONTROL).
 * @param {number[]} fds
 */
function closeAll(fds) {
  for (const fd of fds) {
    Atomics.add(control, CONTROL.CLOSES_DONE, 1);
    try {
      fs.closeSync(fd);
    } catch {}
  }
}

function drain() {
  running = true;
  for (;;) {
    while (head < queue.length) {
      const job = queue[head];
      queue[head++] = /** @type {any} */ (undefined);
      const slot = /** @type {number} */ (job[0]);
      if (Atomics.compareExchange(header, slot, SLOT.SENT, SLOT.RUNNING) !== SLOT.SENT) {
        push(job, STATUS.SKIPPED, null);
        continue;
      }
      current = job;
      Atomics.store(control, CONTROL.RUNNING_SINCE, Date.now() - epoch + 1);
      if (job[3] === OP.CALL) {
        postResults();
        runCall(job).then(afterCall, afterCall);
        return;
      }
      /** @type {number} */
      let status = STATUS.OK;
      let value;
      try {
        value = runFileOp(job);
      } catch (e) {
        status = STATUS.ERROR;
        value = wireError(e);
      }
      Atomics.store(header, slot, SLOT.DONE);
      current = null;
      push(job, status, value);
      if (
        out.length >= RESULTS_PER_MESSAGE * RESULT_WORDS ||
        performance.now() - firstOutAt > RESULT_FLUSH_MS
      )
        postResults();
    }
    queue = [];
    head = 0;
    Atomics.store(control, CONTROL.RUNNING_SINCE, 0);
    postResults();
    // Batches that arrived while we were busy: take them now instead of via the event loop.
    let m = receiveMessageOnPort(port);
    if (m === undefined && !quitting) m = awaitDoorbell();
    if (m === undefined) break;
    handle(m.message);
  }
  running = false;
  if (quitting) shutDown();
}

/**
 * Idle: sleep on the doorbell (which the pool rings after each post) for up to IDLE_WAIT_MS
 * before going back to the event loop. A loop answering within that time hands over its next
 * batch through a futex wake-up instead of the event loop's poll, message event and dispatch.
 */
function awaitDoorbell() {
  Atomics.store(control, CONTROL.BELL, 0);
  // A post between the last check and clearing the bell rang it before we cleared it: look again.
  const m = receiveMessageOnPort(port);
  if (m !== undefined) return m;
  Atomics.wait(control, CONTROL.BELL, 0, IDLE_WAIT_MS);
  return receiveMessageOnPort(port);
}

function afterCall() {
  current = null;
  drain();
}

function shutDown() {
  closed = true;
  results.close();
  port.close();
}

/**
 * @param {unknown[]} job
 * @param {number} status
 * @param {unknown} value
 */
function push(job, status, value) {
  if (out.length === 0) firstOutAt = performance.now();
  out.push(job[0], job[1], status, value);
  const id = /** @type {number} */ (job[2]);
  if (id !== 0 && !toWake.includes(id)) toWake.push(id);
  if (value instanceof Uint8Array) transfer(value);
  else if (Array.isArray(value) && value[2] instanceof Uint8Array) transfer(value[2]);
}

/**
 * Move a large read buffer to the main thread instead of copying it. Small ones are copied:
 * for a few KiB a copy costs less than detaching and handing over a backing store.
 * @param {Uint8Array} bytes
 */
function transfer(bytes) {
  if (bytes.buffer.byteLength >= TRANSFER_MIN_BYTES)
    transfers.push(/** @type {ArrayBuffer} */ (bytes.buffer));
}

function postResults() {
  if (out.length === 0) return;
  const msg = out;
  const xfer = transfers;
  const ids = toWake;
  out = [];
  transfers = [];
  toWake = [];
  try {
    results.postMessage(msg, xfer);
  } catch {
    // A value that cannot be cloned (only CALL results can be): send them one by one.
    for (let i = 0; i < msg.length; i += RESULT_WORDS) {
      const one = msg.slice(i, i + RESULT_WORDS);
      try {
        results.postMessage(one);
      } catch (e) {
        one[2] = STATUS.ERROR;
        one[3] = wireError(e, "the result could not be sent back to the main thread: ");
        results.postMessage(one);
      }
    }
  }
  Atomics.add(header, HEADER.POSTED, 1);
  for (const id of ids) {
    const w = wakes.get(id);
    if (w !== undefined) wake(w);
  }
}

/** @param {Int32Array} w */
function wake(w) {
  // Already set: the loop has been woken (or is awake) and has not consumed the flag yet, so it
  // will drain this post too. Skipping the notify saves a futex wake-up per extra post.
  if (Atomics.exchange(w, WAKE_INDEX, WAKE_SET) !== WAKE_SET) Atomics.notify(w, WAKE_INDEX);
}

/** @param {any[]} job */
async function runCall(job) {
  const [slot, , , , url, name, args] = job;
  /** @type {number} */
  let status = STATUS.OK;
  let value;
  try {
    let mod = modules.get(url);
    if (mod === undefined) {
      mod = await importForCall(url);
      modules.set(url, mod);
    }
    const fn = mod[name];
    if (typeof fn !== "function") {
      throw new TypeError(
        `runInWorker: ${url} has no exported function ${JSON.stringify(name)} (it exports: ${Object.keys(mod).join(", ") || "nothing"})`,
      );
    }
    value = fn(...args);
    if (value !== null && typeof value === "object" && typeof value.then === "function")
      value = await value;
  } catch (e) {
    status = STATUS.ERROR;
    value = wireError(e);
  }
  Atomics.store(header, slot, SLOT.DONE);
  push(job, status, value);
  // A CALL result may hold buffers the caller still uses in the worker: never transfer them.
  transfers = [];
  postResults();
}

/**
 * Import a CALL job's module; fails at once if its evaluation turns out to re-run the program
 * (see `evaluating`), even while that evaluation is still going.
 * @param {string} url
 * @returns {Promise<Record<string, unknown>>}
 */
function importForCall(url) {
  /** @type {(e: unknown) => void} */
  let fail = () => {};
  /** @type {Promise<never>} */
  const failed = new Promise((_, reject) => {
    fail = reject;
  });
  // Keyed by the specifier runInWorker sends (module-url.ts moduleSpecifier), which is what the
  // module's own runInWorker(import.meta.url, …) call produces.
  evaluating.set(url, fail);
  const loading = import(toUrl(url));
  const done = () => {
    if (evaluating.get(url) === fail) evaluating.delete(url);
  };
  loading.then(done, done);
  return Promise.race([loading, failed]);
}

/** @param {string} url */
function toUrl(url) {
  return nodePath.isAbsolute(url) ? pathToFileURL(url).href : url;
}
