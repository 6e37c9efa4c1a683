// @ts-check
/**
 * The file operations a pool worker runs: one synchronous `node:fs` call (or a few) per job.
 *
 * HOW: `runFileOp(job)` takes a job tuple [slot, seq, wakeId, op, ...args] (protocol.js OP.*
 * says what each op's arguments and result are) and returns the result as plain data, or
 * throws Node's error, which the message loop (worker.js) turns into wire data. Plain
 * JavaScript, so the worker runs it from src/ (under vitest) and from dist/ alike; the pool
 * also runs it on the main thread for the jobs a terminated pool leaves behind.
 *
 * WHY so few syscalls: a job already costs a thread hop, so each op does what Python's would
 * with as few calls as it can: open() reads the first chunk instead of fstat-ing (the read tells
 * a directory, a pipe and the end of a small file), a short pread is the end of file, a read
 * that fits the scratch buffer is copied out at its exact length.
 */

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { constants as osConstants } from "node:os";
import * as nodePath from "node:path";
import { DIRENT, OP, PATHTEST } from "./protocol.js";

/** Read buffers at least this large are transferred to the main thread; smaller ones copied. */
export const TRANSFER_MIN_BYTES = 64 * 1024;
/** The reused read buffer: the default readahead, so open() of a small file allocates n bytes. */
const SCRATCH_BYTES = 64 * 1024;
/** Attempts at a fresh temporary name before giving up (as Python's tempfile.TMP_MAX is large). */
const TEMP_ATTEMPTS = 100;
/** Letters of temporary names (as Python's tempfile). */
const TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_";
/** Length of the random part of temporary names (as Python's tempfile). */
const TEMP_RANDOM_LENGTH = 8;

/**
 * Run a file job: `j` is [slot, seq, wakeId, op, ...args]; returns the op's result.
 * @param {any[]} j
 */
export function runFileOp(j) {
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
let scratch = Buffer.allocUnsafeSlow(0);

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
  if (scratch.length === 0) scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
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
 * Write all of `bytes`. On failure (a full disk: ENOSPC) the error carries the bytes not written
 * as `unwritten`, which go back to the main thread with it: the file keeps them buffered.
 * @param {number} fd
 * @param {Uint8Array} bytes
 * @param {number} position -1: append / stream (the descriptor's position)
 */
function writeAt(fd, bytes, position) {
  let n = 0;
  try {
    while (n < bytes.length) {
      n += fs.writeSync(fd, bytes, n, bytes.length - n, position < 0 ? null : position + n);
    }
  } catch (e) {
    if (e instanceof Error) /** @type {any} */ (e).unwritten = bytes.subarray(n);
    throw e;
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
 * An error as plain data (structured clone drops `code`, `path` and other own properties): how
 * every error, a file operation's or user code's, crosses to the main thread (errors.ts).
 * @param {unknown} e
 * @param {string} [prefix]
 */
export function wireError(e, prefix = "") {
  if (e instanceof Error) {
    const err = /** @type {any} */ (e);
    /** @type {Record<string, unknown>} */
    const props = {};
    for (const k of Object.keys(err)) {
      const v = err[k];
      if (v === null || ["string", "number", "boolean"].includes(typeof v)) props[k] = v;
    }
    const ctor = err.constructor?.name;
    /** @type {Record<string, unknown>} */
    const wire = {
      name: err.name,
      message: prefix + err.message,
      stack: err.stack,
      props,
      ctor: BUILTIN_ERRORS.has(ctor) ? ctor : "Error",
    };
    if (err.unwritten instanceof Uint8Array) wire.unwritten = err.unwritten;
    return wire;
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
