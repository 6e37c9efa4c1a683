// @ts-check
/**
 * The file worker: runs batches of blocking file calls for a WorkerPool (pool.ts).
 *
 * HOW: one plain-JavaScript module (it runs unchanged from src/ under vitest and from dist/),
 * started by the pool with `workerData = { results: MessagePort, shared: SharedArrayBuffer,
 * bell: Int32Array, wake: { index, set } }` (the last: @aioloop/core's WAKE_INDEX and WAKE_SET).
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

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { constants as osConstants } from "node:os";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { DIRENT, HEADER, MSG, OP, PATHTEST, SLOT, STATUS } from "./protocol.js";

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
/** Read buffers at least this large are transferred; smaller ones are copied (cheaper). */
const TRANSFER_MIN_BYTES = 64 * 1024;
/** The reused read buffer: the default readahead, so open() of a small file allocates n bytes. */
const SCRATCH_BYTES = 64 * 1024;
/** Attempts at a fresh temporary name before giving up (as Python's tempfile.TMP_MAX is large). */
const TEMP_ATTEMPTS = 100;
/** Letters of temporary names (as Python's tempfile). */
const TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_";
/** Length of the random part of temporary names (as Python's tempfile). */
const TEMP_RANDOM_LENGTH = 8;

if (parentPort === null) throw new Error("worker.js must run in a worker thread (WorkerPool)");
const port = parentPort;
/**
 * @type {{
 *   results: import("node:worker_threads").MessagePort,
 *   shared: SharedArrayBuffer,
 *   bell: Int32Array,
 *   wake: { index: number, set: number },
 * }}
 */
const data = workerData;
/** @aioloop/core's wake protocol (WAKE_INDEX, WAKE_SET), as the pool passed it. */
const WAKE_INDEX = data.wake.index;
const WAKE_SET = data.wake.set;
/** Word 0: set (and notified) by the pool after each post to this worker. */
const bell = data.bell;
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
    error: crash,
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
 * a way that matters).
 * @param {number[]} fds
 */
function closeAll(fds) {
  for (const fd of fds) {
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
      if (job[3] === OP.CALL) {
        postResults();
        runCall(job).then(afterCall, afterCall);
        return;
      }
      /** @type {number} */
      let status = STATUS.OK;
      let value;
      try {
        value = run(job);
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
  Atomics.store(bell, 0, 0);
  // A post between the last check and clearing the bell rang it before we cleared it: look again.
  const m = receiveMessageOnPort(port);
  if (m !== undefined) return m;
  Atomics.wait(bell, 0, 0, IDLE_WAIT_MS);
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

/**
 * Run a synchronous job.
 * @param {any[]} j
 */
function run(j) {
  switch (j[3]) {
    case OP.OPEN:
      return openFile(j[4], j[5], j[6], j[7]);
    case OP.CLOSE:
      try {
        if (j[6] !== null && j[6] !== undefined) writeAt(j[4], j[6], j[7]);
      } finally {
        fs.closeSync(j[4]);
        if (j[5] !== null) fs.unlinkSync(j[5]);
      }
      return null;
    case OP.PREAD:
      return readAt(j[4], j[5], j[6]);
    case OP.READALL:
      return readAll(j[4], j[5]);
    case OP.PWRITE:
      return writeAt(j[4], j[5], j[6]);
    case OP.FTRUNCATE:
      fs.ftruncateSync(j[4], j[5]);
      return null;
    case OP.FSTAT:
      return statTuple(fs.fstatSync(j[4]));
    case OP.FSYNC:
      fs.fsyncSync(j[4]);
      return null;
    case OP.STAT:
      return statTuple(j[5] ? fs.statSync(j[4]) : fs.lstatSync(j[4]));
    case OP.RENAME:
      fs.renameSync(j[4], j[5]);
      return null;
    case OP.UNLINK:
      fs.unlinkSync(j[4]);
      return null;
    case OP.MKDIR:
      return makeDir(j[4], j[5], j[6], j[7]);
    case OP.RMDIR:
      fs.rmdirSync(j[4]);
      return null;
    case OP.READDIR:
      return fs.readdirSync(j[4]);
    case OP.SCANDIR:
      return scanDir(j[4]);
    case OP.ACCESS:
      try {
        fs.accessSync(j[4], j[5]);
        return true;
      } catch {
        return false;
      }
    case OP.READLINK:
      return fs.readlinkSync(j[4]);
    case OP.SYMLINK:
      fs.symlinkSync(j[4], j[5]);
      return null;
    case OP.PATHTEST:
      return pathTest(j[4], j[5]);
    case OP.OPEN_TEMP:
      return openTemp(j[4], j[5], j[6], j[7], j[8]);
    case OP.MKDTEMP:
      return makeTempDir(j[4], j[5], j[6]);
    case OP.RMTREE:
      fs.rmSync(j[4], { recursive: true, force: true });
      return null;
    default:
      throw new TypeError(`file worker: unknown opcode ${j[3]}`);
  }
}

/**
 * @param {string} path
 * @param {number} flags
 * @param {number} mode
 * @param {number} readahead
 */
function openFile(path, flags, mode, readahead) {
  const fd = fs.openSync(path, flags, mode);
  try {
    if (readahead > 0) {
      // No fstat: the first read itself tells a directory (EISDIR), a pipe or terminal (ESPIPE:
      // no positions) and, by coming back short, the end of the file.
      try {
        return [fd, -1, readAt(fd, readahead, 0), 1, readahead];
      } catch (e) {
        const code = /** @type {any} */ (e).code;
        if (code === "EISDIR") {
          throw osError("EISDIR", "illegal operation on a directory", "open", path);
        }
        if (code !== "ESPIPE") throw e;
        return [fd, -1, readAt(fd, readahead, -1), 0, readahead];
      }
    }
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw osError("EISDIR", "illegal operation on a directory", "open", path);
    return [fd, st.size, null, st.isFile() || st.isBlockDevice() ? 1 : 0, 0];
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** The most bytes Linux reads or writes in one system call (2 GiB - 4 KiB). */
const MAX_RW_COUNT = 0x7ffff000;

/** Reused read buffer: small reads are copied out of it, large ones take it along. */
let scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/**
 * One read of up to `length` bytes at `position` (-1: the descriptor's own position): a single
 * system call, as Python's raw read. A regular file answers short only at end of file, which the
 * main thread takes as end of file (once); a second call just to see 0 would double the cost of
 * reading a small file. A result of TRANSFER_MIN_BYTES or more is a buffer of its own (it will
 * be transferred); a smaller one is copied out of the scratch buffer at its exact length.
 * @param {number} fd
 * @param {number} length
 * @param {number} position
 */
function readAt(fd, length, position) {
  const buf = length <= scratch.length ? scratch : Buffer.allocUnsafeSlow(length);
  let n = fs.readSync(fd, buf, 0, length, position < 0 ? null : position);
  // Linux moves at most MAX_RW_COUNT bytes per call: a full one of those is not end of file.
  while (n < length && n > 0 && n % MAX_RW_COUNT === 0 && position >= 0) {
    const got = fs.readSync(fd, buf, n, length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  if (n >= TRANSFER_MIN_BYTES) {
    if (buf === scratch) scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    return n === buf.length ? buf : buf.subarray(0, n);
  }
  const out = Buffer.allocUnsafeSlow(n);
  buf.copy(out, 0, 0, n);
  return out;
}

/**
 * Everything from `position` to end of file in one buffer (grown if the file grows meanwhile).
 * @param {number} fd
 * @param {number} position
 */
function readAll(fd, position) {
  if (position < 0) return readStream(fd);
  const size = fs.fstatSync(fd).size;
  let cap = Math.max(size - position, 0) + 1;
  let buf = Buffer.allocUnsafeSlow(cap);
  let n = 0;
  for (;;) {
    const got = fs.readSync(fd, buf, n, cap - n, position + n);
    if (got === 0) break;
    n += got;
    if (n === cap) {
      cap *= 2;
      const bigger = Buffer.allocUnsafeSlow(cap);
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
  }
  return n === cap ? buf : buf.subarray(0, n);
}

/** @param {number} fd */
function readStream(fd) {
  /** @type {Buffer[]} */
  const parts = [];
  let total = 0;
  for (;;) {
    const b = Buffer.allocUnsafe(65536);
    const got = fs.readSync(fd, b, 0, b.length, null);
    if (got === 0) break;
    parts.push(b.subarray(0, got));
    total += got;
  }
  const all = Buffer.allocUnsafeSlow(total);
  let off = 0;
  for (const p of parts) {
    p.copy(all, off);
    off += p.length;
  }
  return all;
}

/**
 * @param {number} fd
 * @param {Uint8Array} bytes
 * @param {number} position -1: append / stream (the descriptor's position)
 */
function writeAt(fd, bytes, position) {
  let n = 0;
  while (n < bytes.length) {
    n += fs.writeSync(fd, bytes, n, bytes.length - n, position < 0 ? null : position + n);
  }
  if (position >= 0) return position + n;
  const st = fs.fstatSync(fd);
  return st.isFile() ? st.size : -1;
}

/** @param {import("node:fs").Stats} s */
function statTuple(s) {
  return [
    s.dev,
    s.ino,
    s.mode,
    s.nlink,
    s.uid,
    s.gid,
    s.rdev,
    s.size,
    s.blksize,
    s.blocks,
    s.atimeMs,
    s.mtimeMs,
    s.ctimeMs,
    s.birthtimeMs,
  ];
}

/**
 * @param {string} path
 * @param {number} mode
 * @param {boolean} recursive
 * @param {boolean} existOk
 */
function makeDir(path, mode, recursive, existOk) {
  if (!recursive) {
    fs.mkdirSync(path, { mode });
    return null;
  }
  const made = fs.mkdirSync(path, { mode, recursive: true });
  if (made === undefined && !existOk) throw osError("EEXIST", "file already exists", "mkdir", path);
  return null;
}

/** @param {string} path */
function scanDir(path) {
  /** @type {unknown[]} */
  const flat = [];
  for (const d of fs.readdirSync(path, { withFileTypes: true })) {
    const type = direntType(d);
    /** @type {number} */
    let followed = type;
    if (type === DIRENT.SYMLINK) {
      try {
        const s = fs.statSync(nodePath.join(path, d.name));
        followed = s.isDirectory() ? DIRENT.DIR : s.isFile() ? DIRENT.FILE : DIRENT.OTHER;
      } catch {
        followed = DIRENT.MISSING;
      }
    }
    flat.push(d.name, type, followed);
  }
  return flat;
}

/** @param {import("node:fs").Dirent} d */
function direntType(d) {
  if (d.isFile()) return DIRENT.FILE;
  if (d.isDirectory()) return DIRENT.DIR;
  if (d.isSymbolicLink()) return DIRENT.SYMLINK;
  return DIRENT.OTHER;
}

/**
 * @param {string} path
 * @param {number} kind
 */
function pathTest(path, kind) {
  try {
    switch (kind) {
      case PATHTEST.EXISTS:
        fs.statSync(path);
        return true;
      case PATHTEST.ISFILE:
        return fs.statSync(path).isFile();
      case PATHTEST.ISDIR:
        return fs.statSync(path).isDirectory();
      case PATHTEST.ISLINK:
        return fs.lstatSync(path).isSymbolicLink();
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function randomName() {
  const bytes = randomBytes(TEMP_RANDOM_LENGTH);
  let s = "";
  for (const b of bytes) s += TEMP_CHARS[b % TEMP_CHARS.length];
  return s;
}

/**
 * @param {string} dir
 * @param {string} prefix
 * @param {string} suffix
 * @param {number} flags
 * @param {boolean} unlinkNow
 */
function openTemp(dir, prefix, suffix, flags, unlinkNow) {
  const { O_CREAT, O_EXCL } = fs.constants;
  for (let i = 0; ; i++) {
    const path = nodePath.join(dir, prefix + randomName() + suffix);
    try {
      const fd = fs.openSync(path, flags | O_CREAT | O_EXCL, 0o600);
      if (unlinkNow) fs.unlinkSync(path);
      return [fd, path];
    } catch (e) {
      if (/** @type {any} */ (e).code !== "EEXIST" || i + 1 >= TEMP_ATTEMPTS) throw e;
    }
  }
}

/**
 * @param {string} dir
 * @param {string} prefix
 * @param {string} suffix
 */
function makeTempDir(dir, prefix, suffix) {
  for (let i = 0; ; i++) {
    const path = nodePath.join(dir, prefix + randomName() + suffix);
    try {
      fs.mkdirSync(path, { mode: 0o700 });
      return path;
    } catch (e) {
      if (/** @type {any} */ (e).code !== "EEXIST" || i + 1 >= TEMP_ATTEMPTS) throw e;
    }
  }
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
      mod = /** @type {Record<string, unknown>} */ (await import(toUrl(url)));
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

/** @param {string} url */
function toUrl(url) {
  return nodePath.isAbsolute(url) ? pathToFileURL(url).href : url;
}

/**
 * @param {string} code
 * @param {string} description
 * @param {string} syscall
 * @param {string} path
 */
function osError(code, description, syscall, path) {
  const errno = /** @type {Record<string, number>} */ (osConstants.errno)[code];
  const e = /** @type {any} */ (new Error(`${code}: ${description}, ${syscall} '${path}'`));
  e.code = code;
  e.errno = errno === undefined ? undefined : -errno;
  e.syscall = syscall;
  e.path = path;
  return e;
}

/** Built-in error classes that keep their class across the thread boundary. */
const BUILTIN_ERRORS = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
]);

/**
 * An error as plain data (structured clone drops `code`, `path` and other own properties).
 * @param {unknown} e
 * @param {string} [prefix]
 */
function wireError(e, prefix = "") {
  if (e instanceof Error) {
    const err = /** @type {any} */ (e);
    /** @type {Record<string, unknown>} */
    const props = {};
    for (const k of Object.keys(err)) {
      const v = err[k];
      if (v === null || ["string", "number", "boolean"].includes(typeof v)) props[k] = v;
    }
    const ctor = err.constructor?.name;
    return {
      name: err.name,
      message: prefix + err.message,
      stack: err.stack,
      props,
      ctor: BUILTIN_ERRORS.has(ctor) ? ctor : "Error",
    };
  }
  let shown;
  try {
    shown = String(e);
  } catch {
    shown = typeof e;
  }
  const primitive = e === null || typeof e !== "object" ? e : undefined;
  return { name: "Error", message: prefix + shown, thrown: primitive, nonError: true };
}
