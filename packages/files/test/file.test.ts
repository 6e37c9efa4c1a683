import * as fs from "node:fs";
import * as path from "node:path";
import { type Coro, CancelledError, createTask, forEach, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import {
  type AsyncFile,
  DEFAULT_BUFFER_SIZE,
  FileExistsError,
  FileNotFoundError,
  IsADirectoryError,
  OSError,
  PermissionError,
  UnicodeDecodeError,
  UnsupportedOperation,
  ValueError,
  open,
  os,
  withFile,
} from "../src/index.js";
import { RUNNERS, fixture, rejects, runSync, tmpDir, usePool } from "./support.js";

usePool();

const enc = new TextEncoder();
const dec = new TextDecoder();

function* lines<T extends string | Uint8Array>(f: AsyncFile<T>): Coro<T[]> {
  const out: T[] = [];
  yield* forEach(f, (line) => {
    out.push(line);
  });
  return out;
}

/** Node's view of a file's lines, each with its "\n" (what Python's binary readline gives). */
function nodeLines(p: string): string[] {
  return fs
    .readFileSync(p, "utf8")
    .split(/(?<=\n)/)
    .filter((l) => l.length > 0);
}

describe("reading", () => {
  const dir = tmpDir();

  it("read() gives the whole file, as fs.readFileSync, in text and binary mode", async () => {
    const content = "héllo wörld\nsecond line\n€ and 𝄞\n";
    const p = fixture(dir, "whole.txt", content);
    const [text, bytes] = await runSync.run(function* () {
      const t = yield* withFile(open(p), (f) => f.read());
      const b = yield* withFile(open(p, "rb"), (f) => f.read());
      return [t, b] as const;
    });
    expect(text).toBe(fs.readFileSync(p, "utf8"));
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes).equals(fs.readFileSync(p))).toBe(true);
  });

  it("read(n) gives n bytes, or n characters in text mode, then the rest, then empty", async () => {
    const p = fixture(dir, "n.txt", "añb€c\n");
    const out = await runSync.run(function* () {
      const t = yield* open(p);
      const chars = [yield* t.read(2), yield* t.read(2), yield* t.read(100), yield* t.read(1)];
      yield* t.close();
      const b = yield* open(p, "rb");
      const bytes = [yield* b.read(2), yield* b.read(3), yield* b.read(100), yield* b.read(1)];
      yield* b.close();
      return { chars, bytes: bytes.map((x) => Array.from(x)) };
    });
    expect(out.chars).toEqual(["añ", "b€", "c\n", ""]);
    const raw = Array.from(fs.readFileSync(p));
    expect(out.bytes).toEqual([raw.slice(0, 2), raw.slice(2, 5), raw.slice(5), []]);
  });

  it("readline keeps the ending, returns the last line without one, then empty at end of file", async () => {
    const p = fixture(dir, "rl.txt", "one\ntwo\nthree");
    const out = await runSync.run(function* () {
      const f = yield* open(p);
      const got = [];
      for (let i = 0; i < 5; i++) got.push(yield* f.readline());
      yield* f.close();
      const b = yield* open(p, "rb");
      const gotB = [];
      for (let i = 0; i < 5; i++) gotB.push(dec.decode(yield* b.readline()));
      yield* b.close();
      return [got, gotB];
    });
    expect(out[0]).toEqual(["one\n", "two\n", "three", "", ""]);
    expect(out[1]).toEqual(["one\n", "two\n", "three", "", ""]);
  });

  it("readline(size) and readlines(hint) stop where Python's do", async () => {
    const p = fixture(dir, "limits.txt", "a\r\nb\rc\nd");
    const out = await runSync.run(function* () {
      const t = yield* open(p);
      const text = [yield* t.readline(1), yield* t.readline(2), yield* t.readline()];
      yield* t.close();
      const b = yield* open(p, "rb");
      const bin = [yield* b.readline(1), yield* b.readline(2), yield* b.readline()];
      const rest = yield* b.readlines(2);
      yield* b.close();
      const h = yield* withFile(open(p), (f) => f.readlines(3));
      return { text, bin: bin.map((x) => dec.decode(x)), rest: rest.map((x) => dec.decode(x)), h };
    });
    // Checked against CPython 3.11.
    expect(out.text).toEqual(["a", "\n", "b\n"]);
    expect(out.bin).toEqual(["a", "\r\n", "b\rc\n"]);
    expect(out.rest).toEqual(["d"]);
    expect(out.h).toEqual(["a\n", "b\n"]);
  });

  it("an empty file reads as empty everywhere", async () => {
    const p = fixture(dir, "empty.txt", "");
    const out = await runSync.run(function* () {
      return yield* withFile(open(p), function* (f) {
        return [yield* f.readline(), yield* f.read(), yield* f.readlines(), yield* lines(f)];
      });
    });
    expect(out).toEqual(["", "", [], []]);
  });

  it("line iteration matches Node for \\n, \\r\\n and no final newline, in every newline mode", async () => {
    const cases = {
      lf: "alpha\nbeta\ngamma\n",
      crlf: "alpha\r\nbeta\r\ngamma\r\n",
      noFinal: "alpha\nbeta\ngamma",
      mixed: "a\r\nb\rc\nd",
      blank: "\n\n\r\n\n",
    };
    for (const [name, content] of Object.entries(cases)) {
      const p = fixture(dir, `iter-${name}.txt`, content);
      const out = await runSync.run(function* () {
        const res: Record<string, string[]> = {};
        for (const nl of [undefined, "", "\n", "\r", "\r\n"] as const) {
          res[String(nl)] = yield* withFile(
            open(p, "r", nl === undefined ? {} : { newline: nl }),
            lines,
          );
        }
        res.binary = (yield* withFile(open(p, "rb"), lines)).map((l) => dec.decode(l));
        return res;
      });
      // Python's rules, written out: universal newlines translate \r\n and \r to \n.
      const universal = content.split(/(?<=\r\n|\r(?!\n)|\n)/).filter((l) => l !== "");
      expect(out.undefined, name).toEqual(universal.map((l) => l.replace(/\r\n?$/, "\n")));
      expect(out[""], name).toEqual(universal);
      expect(out["\n"], name).toEqual(content.split(/(?<=\n)/).filter((l) => l !== ""));
      expect(out["\r"], name).toEqual(content.split(/(?<=\r)/).filter((l) => l !== ""));
      expect(out["\r\n"], name).toEqual(content.split(/(?<=\r\n)/).filter((l) => l !== ""));
      expect(out.binary, name).toEqual(nodeLines(p));
    }
  });

  it("unicode split across read boundaries decodes as Node does (tiny buffers)", async () => {
    const content = `${"ab€𝄞ñ\n".repeat(50)}日本語のテキスト\r\n最後`;
    const p = fixture(dir, "split.txt", content);
    for (const buffering of [2, 3, 5, 7]) {
      const out = await runSync.run(function* () {
        const byLine = yield* withFile(open(p, "r", { buffering, newline: "" }), lines);
        const byRead = yield* withFile(open(p, "r", { buffering }), function* (f) {
          const parts: string[] = [];
          for (let s = yield* f.read(3); s !== ""; s = yield* f.read(3)) parts.push(s);
          return parts;
        });
        const all = yield* withFile(open(p, "r", { buffering, newline: "" }), (f) => f.read());
        return { byLine, byRead, all };
      });
      expect(out.byLine.join(""), `buffering ${buffering}`).toBe(content);
      expect(out.byRead.join(""), `buffering ${buffering}`).toBe(content.replace(/\r\n/g, "\n"));
      // read(3) never splits a surrogate pair.
      const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
      for (const part of out.byRead) expect(lone.test(part)).toBe(false);
      expect(out.all).toBe(fs.readFileSync(p, "utf8"));
    }
  });

  it("a file larger than the readahead reads the same as Node (prefetch and direct reads)", async () => {
    const size = 5 * 1024 * 1024 + 123;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
    const p = fixture(dir, "big.bin", data);
    const out = await runSync.run(function* () {
      const f = yield* open(p, "rb");
      const a = yield* f.read(100);
      const b = yield* f.read(3 * 1024 * 1024);
      const c = yield* f.read();
      yield* f.close();
      const g = yield* open(p, "rb");
      const chunks: Uint8Array[] = [];
      for (let x = yield* g.read(70_000); x.length > 0; x = yield* g.read(70_000)) chunks.push(x);
      yield* g.close();
      return { a, b, c, chunks };
    });
    expect(Buffer.concat([out.a, out.b, out.c]).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.concat(out.chunks).equals(Buffer.from(data))).toBe(true);
  });

  it("iterating 20,000 lines costs a handful of thread hops, not one per line", async () => {
    const content = Array.from({ length: 20_000 }, (_, i) => `line number ${i}\n`).join("");
    const p = fixture(dir, "many.txt", content);
    const [n, hops] = await runSync.run(function* () {
      const f = yield* open(p);
      const got = yield* lines(f);
      yield* f.close();
      return [got.length, f.statistics().hops];
    });
    expect(n).toBe(20_000);
    expect(hops).toBeLessThan(20);
  });

  it("a small file is read by open() itself: read() and readline() need no further hop", async () => {
    const p = fixture(dir, "small.txt", "tiny\nfile\n");
    const stats = await runSync.run(function* () {
      const f = yield* open(p);
      expect(yield* f.readline()).toBe("tiny\n");
      expect(yield* f.read()).toBe("file\n");
      expect(yield* f.readline()).toBe("");
      const s = f.statistics();
      yield* f.close();
      return s;
    });
    expect(stats.hops).toBe(1);
    expect(stats.bufferHits).toBeGreaterThanOrEqual(2);
  });

  it("closing read-only files does not wait, yet their descriptors are closed with the next batch", async () => {
    const p = fixture(dir, "fds.txt", "x");
    // Count only descriptors open on this file: workers starting meanwhile open others.
    const fds = () =>
      fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === fs.realpathSync(p);
        } catch {
          return false; // closed between readdir and readlink
        }
      }).length;
    const before = fds();
    await runSync.run(function* () {
      const files = [];
      for (let i = 0; i < 50; i++) files.push(yield* open(p));
      expect(fds()).toBe(before + 50);
      for (const f of files) {
        const c = f.close();
        expect(c.next().done).toBe(true); // finished without yielding
      }
      yield* os.path.exists(p); // the next batch carries the closes
    });
    expect(fds()).toBe(before);
  });

  it("a growing file: end of file is reported, then new data is seen", async () => {
    const p = fixture(dir, "grow.txt", "first\n");
    const out = await runSync.run(function* () {
      const f = yield* open(p);
      const a = yield* f.readline();
      const b = yield* f.readline();
      fs.appendFileSync(p, "second\n");
      const c = yield* f.readline();
      yield* f.close();
      return [a, b, c];
    });
    expect(out).toEqual(["first\n", "", "second\n"]);
  });
});

describe("writing and modes", () => {
  const dir = tmpDir();

  it("write buffers until flush/close; the bytes then match what was written", async () => {
    const p = path.join(dir, "w.txt");
    await runSync.run(function* () {
      const f = yield* open(p, "w");
      expect(yield* f.write("héllo\n")).toBe(6);
      expect(fs.readFileSync(p, "utf8")).toBe(""); // still buffered
      yield* f.flush();
      expect(fs.readFileSync(p, "utf8")).toBe("héllo\n");
      yield* f.writelines(["a", "b", "c\n"]);
      yield* f.close();
    });
    expect(fs.readFileSync(p, "utf8")).toBe("héllo\nabc\n");
  });

  it("large and many writes land in order (write-behind)", async () => {
    const p = path.join(dir, "big-write.bin");
    const expected: Buffer[] = [];
    await runSync.run(function* () {
      const f = yield* open(p, "wb");
      for (let i = 0; i < 300; i++) {
        const chunk = Buffer.alloc((i * 977) % 150_000, i & 0xff);
        expected.push(chunk);
        expect(yield* f.write(chunk)).toBe(chunk.length);
      }
      yield* f.close();
    });
    expect(fs.readFileSync(p).equals(Buffer.concat(expected))).toBe(true);
  });

  it("write() leaves the caller's array usable (not detached)", async () => {
    const p = path.join(dir, "keep.bin");
    const small = new Uint8Array([1, 2, 3]);
    const big = new Uint8Array(DEFAULT_BUFFER_SIZE * 2).fill(7);
    await runSync.run(function* () {
      yield* withFile(open(p, "wb"), function* (f) {
        yield* f.write(small);
        yield* f.write(big);
      });
    });
    expect(small.length).toBe(3);
    expect(big.length).toBe(DEFAULT_BUFFER_SIZE * 2);
    expect(fs.statSync(p).size).toBe(3 + DEFAULT_BUFFER_SIZE * 2);
  });

  it('"w" truncates, "x" refuses an existing file, "a" appends whatever the position', async () => {
    const p = fixture(dir, "modes.txt", "hello\nworld\n");
    const out = await runSync.run(function* () {
      const res: unknown[] = [];
      const a = yield* open(p, "a+");
      res.push(yield* a.tell(), yield* a.read()); // at the end: nothing to read
      yield* a.seek(0);
      res.push(yield* a.read());
      yield* a.write("X"); // appends, though we are at 12 after the read
      yield* a.flush();
      res.push(yield* a.tell());
      yield* a.close();
      res.push(fs.readFileSync(p, "utf8"));
      try {
        yield* open(p, "x");
      } catch (e) {
        res.push(e instanceof FileExistsError, (e as FileExistsError).code);
      }
      yield* withFile(open(p, "w"), (f) => f.write("new"));
      res.push(fs.readFileSync(p, "utf8"));
      const q = path.join(dir, "fresh.txt");
      yield* withFile(open(q, "x"), (f) => f.write("made"));
      res.push(fs.readFileSync(q, "utf8"));
      return res;
    });
    expect(out).toEqual([
      12,
      "",
      "hello\nworld\n",
      13,
      "hello\nworld\nX",
      true,
      "EEXIST",
      "new",
      "made",
    ]);
  });

  it("every mode, text and binary: what is allowed works, the rest throws, the file ends as Node sees it", async () => {
    // mode: [content after writing "XY" at open, what read() gives after seek(0)]
    const table: Record<string, [string, string | null]> = {
      r: ["hello\n", "hello\n"],
      "r+": ["XYllo\n", "XYllo\n"],
      w: ["XY", null],
      "w+": ["XY", "XY"],
      x: ["XY", null],
      "x+": ["XY", "XY"],
      a: ["hello\nXY", null],
      "a+": ["hello\nXY", "hello\nXY"],
    };
    for (const [base, [after, readBack]] of Object.entries(table)) {
      for (const binary of [false, true]) {
        const mode = binary ? `${base}b` : base;
        const p = path.join(dir, `mode-${base.replace("+", "plus")}-${binary ? "b" : "t"}.txt`);
        if (!base.startsWith("x")) fs.writeFileSync(p, "hello\n");
        const out = await runSync.run(function* () {
          const f = yield* open(p, mode);
          const errs: string[] = [];
          const data = binary ? enc.encode("XY") : "XY";
          try {
            expect(yield* f.write(data as never)).toBe(2);
          } catch (e) {
            errs.push((e as Error).name);
          }
          let got: string | null = null;
          try {
            yield* f.seek(0);
            const r = yield* f.read();
            got = typeof r === "string" ? r : dec.decode(r);
          } catch (e) {
            errs.push((e as Error).name);
          }
          yield* f.close();
          return { errs, got };
        });
        expect(fs.readFileSync(p, "utf8"), mode).toBe(after);
        expect(out.got, mode).toBe(readBack);
        const expectedErrs = [
          ...(base === "r" ? ["UnsupportedOperation"] : []),
          ...(readBack === null ? ["UnsupportedOperation"] : []),
        ];
        expect(out.errs, mode).toEqual(expectedErrs);
      }
    }
  });

  it('"r+" and "w+" read and write at the same position, in text and binary mode', async () => {
    const p = fixture(dir, "rplus.txt", "hello\nworld\n");
    const out = await runSync.run(function* () {
      const res: unknown[] = [];
      const f = yield* open(p, "r+");
      yield* f.write("J");
      res.push(yield* f.tell(), yield* f.read());
      yield* f.seek(0);
      res.push(yield* f.readline());
      yield* f.write("W"); // at the position after the line, as binary files do
      yield* f.close();
      res.push(fs.readFileSync(p, "utf8"));
      const g = yield* open(p, "w+b");
      yield* g.write(enc.encode("abcdef"));
      yield* g.seek(2);
      res.push(dec.decode(yield* g.read(2)));
      yield* g.write(enc.encode("XY"));
      yield* g.seek(0);
      res.push(dec.decode(yield* g.read()));
      yield* g.close();
      return res;
    });
    expect(out).toEqual([1, "ello\nworld\n", "Jello\n", "Jello\nWorld\n", "cd", "abcdXY"]);
  });

  it("seek and tell follow Python in binary mode (all whences, past the end)", async () => {
    const p = fixture(dir, "seek.bin", "a\r\nb\rc\nd");
    const out = await runSync.run(function* () {
      const f = yield* open(p, "rb");
      const r = [
        yield* f.seek(-2, 2),
        dec.decode(yield* f.read()),
        yield* f.seek(0, 1),
        yield* f.seek(1),
        dec.decode(yield* f.read(1)),
        yield* f.seek(10),
        dec.decode(yield* f.read()),
        yield* f.tell(),
        yield* f.seek(-3, 1),
        yield* f.tell(),
      ];
      let err: unknown;
      try {
        yield* f.seek(-1);
      } catch (e) {
        err = e;
      }
      yield* f.close();
      return { r, err };
    });
    // The file is 8 bytes; the same calls in CPython give the same numbers.
    expect(out.r).toEqual([6, "\nd", 8, 1, "\r", 10, "", 10, 7, 7]);
    expect(out.err).toBeInstanceOf(OSError);
    expect((out.err as OSError).code).toBe("EINVAL");
  });

  it("text seek: tell() values round-trip, relative seeks are refused as in Python", async () => {
    const content = "añb€\nsecond 𝄞 line\nthird\n";
    const p = fixture(dir, "tseek.txt", content);
    const out = await runSync.run(function* () {
      const f = yield* open(p, "r", { buffering: 4 });
      yield* f.readline();
      const t1 = yield* f.tell();
      const l2 = yield* f.readline();
      yield* f.seek(t1);
      const again = yield* f.readline();
      const end = yield* f.seek(0, 2);
      const errs: unknown[] = [];
      for (const [o, w] of [
        [1, 1],
        [-1, 2],
        [-1, 0],
      ] as const) {
        try {
          yield* f.seek(o, w);
        } catch (e) {
          errs.push(e);
        }
      }
      yield* f.close();
      return { t1, l2, again, end, errs };
    });
    expect(out.t1).toBe(Buffer.byteLength("añb€\n"));
    expect(out.l2).toBe("second 𝄞 line\n");
    expect(out.again).toBe(out.l2);
    expect(out.end).toBe(Buffer.byteLength(content));
    expect(out.errs[0]).toBeInstanceOf(UnsupportedOperation);
    expect(out.errs[1]).toBeInstanceOf(UnsupportedOperation);
    expect(out.errs[2]).toBeInstanceOf(ValueError);
  });

  it("truncate resizes, keeps the position, and defaults to the position", async () => {
    const p = fixture(dir, "trunc.bin", "hello\nworld\n");
    const out = await runSync.run(function* () {
      const f = yield* open(p, "rb+");
      const a = yield* f.read(3);
      const t = yield* f.truncate();
      const pos = yield* f.tell();
      const rest = yield* f.read();
      const t2 = yield* f.truncate(1);
      yield* f.close();
      return [dec.decode(a), t, pos, rest.length, t2];
    });
    expect(out).toEqual(["hel", 3, 3, 0, 1]);
    expect(fs.readFileSync(p, "utf8")).toBe("h");
  });

  it("newline on write: \\n becomes the given ending", async () => {
    const p = path.join(dir, "nl.txt");
    await runSync.run(function* () {
      yield* withFile(open(p, "w", { newline: "\r\n" }), (f) => f.write("a\nb\n"));
    });
    expect(fs.readFileSync(p, "latin1")).toBe("a\r\nb\r\n");
  });

  it("line buffering (buffering: 1) writes each line through", async () => {
    const p = path.join(dir, "lb.txt");
    await runSync.run(function* () {
      const f = yield* open(p, "w", { buffering: 1 });
      yield* f.write("partial");
      expect(fs.readFileSync(p, "utf8")).toBe("");
      yield* f.write(" line\n");
      expect(fs.readFileSync(p, "utf8")).toBe("partial line\n");
      yield* f.close();
    });
  });

  it("unbuffered binary (buffering: 0) writes before write() returns", async () => {
    const p = path.join(dir, "unbuf.bin");
    await runSync.run(function* () {
      const f = yield* open(p, "wb", { buffering: 0 });
      yield* f.write(new Uint8Array([1, 2, 3]));
      expect(Array.from(fs.readFileSync(p))).toEqual([1, 2, 3]);
      yield* f.close();
    });
  });

  it("encodings: latin-1, utf-16-le, ascii; invalid bytes throw or become U+FFFD", async () => {
    const p = path.join(dir, "enc.txt");
    const out = await runSync.run(function* () {
      const res: unknown[] = [];
      for (const encoding of ["latin-1", "utf-16-le"]) {
        yield* withFile(open(p, "w", { encoding }), (f) =>
          f.write("café 𝄞".slice(0, encoding === "latin-1" ? 4 : 7)),
        );
        res.push(fs.readFileSync(p).toString(encoding === "latin-1" ? "latin1" : "utf16le"));
        res.push(yield* withFile(open(p, "r", { encoding }), (f) => f.read()));
      }
      fs.writeFileSync(p, Buffer.from([0x61, 0xff, 0x62, 0x0a]));
      try {
        yield* withFile(open(p), (f) => f.read());
      } catch (e) {
        res.push(e instanceof UnicodeDecodeError);
      }
      res.push(yield* withFile(open(p, "r", { errors: "replace" }), (f) => f.read()));
      try {
        yield* withFile(open(p, "r", { encoding: "ascii" }), (f) => f.read());
      } catch (e) {
        res.push(e instanceof UnicodeDecodeError);
      }
      return res;
    });
    expect(out).toEqual(["café", "café", "café 𝄞", "café 𝄞", true, "a\ufffdb\n", true]);
  });

  it("name, mode, closed, fileno and the capability checks", async () => {
    const p = fixture(dir, "props.txt", "x");
    const out = await runSync.run(function* () {
      const f = yield* open(p, "rb");
      const before = [
        f.name,
        f.mode,
        f.closed,
        f.readable(),
        f.writable(),
        f.seekable(),
        f.encoding,
      ];
      const fd = f.fileno();
      yield* f.close();
      yield* f.close(); // a second close does nothing
      return { before, fd, after: f.closed };
    });
    expect(out.before).toEqual([p, "rb", false, true, false, true, null]);
    expect(typeof out.fd).toBe("number");
    expect(out.after).toBe(true);
  });
});

describe("faults", () => {
  const dir = tmpDir();

  it("a missing file: FileNotFoundError with Node's code, path and syscall", async () => {
    const p = path.join(dir, "nope.txt");
    const e = (await rejects(runSync, () => open(p))) as FileNotFoundError;
    expect(e).toBeInstanceOf(FileNotFoundError);
    expect(e).toBeInstanceOf(OSError);
    expect(e.name).toBe("FileNotFoundError");
    const node = (() => {
      try {
        fs.openSync(p, "r");
      } catch (err) {
        return err as NodeJS.ErrnoException;
      }
    })()!;
    expect([e.code, e.errno, e.path, e.syscall]).toEqual([
      node.code,
      node.errno,
      node.path,
      node.syscall,
    ]);
  });

  it("permission denied: PermissionError (EACCES), as Node reports it", async () => {
    // As root, mode 000 does not stop open(); fall back to a file even root may not read.
    const locked = fixture(dir, "locked.txt", "secret");
    fs.chmodSync(locked, 0o000);
    const candidates = [locked, "/proc/1/mem", "/proc/1/environ"];
    const target = candidates.find((c) => {
      try {
        fs.closeSync(fs.openSync(c, "r"));
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EACCES";
      }
    });
    if (target === undefined) return; // no file this process may not open: nothing to test
    const e = (await rejects(runSync, () => open(target, "rb"))) as PermissionError;
    expect(e).toBeInstanceOf(PermissionError);
    expect([e.code, e.syscall, e.path]).toEqual(["EACCES", "open", target]);
  });

  it("a directory opened as a file: IsADirectoryError, for reading and for writing", async () => {
    for (const mode of ["r", "rb", "w", "a"]) {
      const e = (await rejects(runSync, () => open(dir, mode))) as IsADirectoryError;
      expect(e, mode).toBeInstanceOf(IsADirectoryError);
      expect([e.code, e.path, e.syscall]).toEqual(["EISDIR", dir, "open"]);
    }
  });

  it("reading a write-only file, writing a read-only one: UnsupportedOperation", async () => {
    const p = fixture(dir, "ro.txt", "data");
    const out = await runSync.run(function* () {
      const errs: unknown[] = [];
      const r = yield* open(p);
      for (const op of [() => r.write("x"), () => r.writelines(["x"]), () => r.truncate()]) {
        try {
          yield* op();
        } catch (e) {
          errs.push(e);
        }
      }
      yield* r.close();
      const w = yield* open(p, "a");
      for (const op of [() => w.read(), () => w.readline(), () => w.readlines()]) {
        try {
          yield* op();
        } catch (e) {
          errs.push(e);
        }
      }
      yield* w.close();
      return errs;
    });
    expect(out).toHaveLength(6);
    for (const e of out) expect(e).toBeInstanceOf(UnsupportedOperation);
    expect((out[0] as Error).message).toMatch(/not writable/);
    expect((out[3] as Error).message).toMatch(/not readable/);
    expect(fs.readFileSync(p, "utf8")).toBe("data");
  });

  it("any use after close: ValueError 'I/O operation on closed file'", async () => {
    const p = fixture(dir, "closed.txt", "data");
    const out = await runSync.run(function* () {
      const f = yield* open(p, "r+");
      yield* f.close();
      const ops: (() => Coro<unknown> | unknown)[] = [
        () => f.read(),
        () => f.readline(),
        () => f.readlines(),
        () => f.write("x"),
        () => f.writelines([]),
        () => f.seek(0),
        () => f.tell(),
        () => f.truncate(),
        () => f.flush(),
        () => f.fileno(),
        () => f.readable(),
        () => f.aiter().next(),
      ];
      const errs: unknown[] = [];
      for (const op of ops) {
        try {
          const r = op();
          if (r && typeof (r as Coro<unknown>).next === "function") yield* r as Coro<unknown>;
        } catch (e) {
          errs.push(e);
        }
      }
      return errs;
    });
    expect(out).toHaveLength(12);
    for (const e of out) {
      expect(e).toBeInstanceOf(ValueError);
      expect((e as Error).message).toMatch(/I\/O operation on closed file/);
    }
  });

  it("bad arguments: Python's messages", async () => {
    const p = fixture(dir, "args.txt", "x");
    const out = await runSync.run(function* () {
      const errs: unknown[] = [];
      for (const [mode, opts] of [
        ["rw", {}],
        ["rr", {}],
        ["rbt", {}],
        ["rb", { encoding: "utf-8" }],
        ["r", { newline: "x" }],
        ["r", { buffering: 0 }],
        ["r", { encoding: "klingon" }],
      ] as const) {
        try {
          yield* open(p, mode, opts as object);
        } catch (e) {
          errs.push(e);
        }
      }
      const f = yield* open(p, "rb");
      try {
        yield* f.write("text" as unknown as Uint8Array);
      } catch (e) {
        errs.push(e);
      }
      yield* f.close();
      return errs.map((e) => [(e as Error).name, (e as Error).message]);
    });
    expect(out.map((x) => x[0])).toEqual([
      "ValueError",
      "ValueError",
      "ValueError",
      "ValueError",
      "ValueError",
      "ValueError",
      "LookupError",
      "UnsupportedOperation",
    ]);
    expect(out[0]![1]).toMatch(/must have exactly one of create\/read\/write\/append mode/);
    expect(out[1]![1]).toMatch(/invalid mode: 'rr'/);
    expect(out[2]![1]).toMatch(/can't have text and binary mode at once/);
    expect(out[3]![1]).toMatch(/binary mode doesn't take an encoding argument/);
    expect(out[6]![1]).toMatch(/unknown encoding: klingon/);
  });

  it("binary write of a string and text write of bytes are TypeErrors", async () => {
    const p = path.join(dir, "types.bin");
    const out = await runSync.run(function* () {
      const errs: unknown[] = [];
      yield* withFile(open(p, "wb"), function* (f) {
        try {
          yield* f.write("x" as unknown as Uint8Array);
        } catch (e) {
          errs.push(e);
        }
      });
      yield* withFile(open(p, "w"), function* (f) {
        try {
          yield* f.write(new Uint8Array(1) as unknown as string);
        } catch (e) {
          errs.push(e);
        }
      });
      return errs;
    });
    expect(out).toHaveLength(2);
    for (const e of out) expect(e).toBeInstanceOf(TypeError);
  });
});

describe("withFile, cancellation and sharing", () => {
  const dir = tmpDir();

  it("withFile closes on return, on throw and on cancellation", async () => {
    const p = fixture(dir, "with.txt", "x\n");
    const out = await runSync.run(function* () {
      const seen: AsyncFile<string>[] = [];
      yield* withFile(open(p), (f) => {
        seen.push(f);
      });
      try {
        yield* withFile(open(p), (f) => {
          seen.push(f);
          throw new Error("boom");
        });
      } catch {}
      const t = createTask(
        withFile(open(p), function* (f) {
          seen.push(f);
          yield* sleep(60_000);
        }),
      );
      // Cancel once the file is open (the open is a worker round trip: its time varies).
      while (seen.length < 3) yield* sleep(1);
      t.cancel();
      try {
        yield* t;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
      return seen.map((f) => f.closed);
    });
    expect(out).toEqual([true, true, true]);
  });

  it("a read cancelled while it waits for a worker leaves the file usable at the same position", async () => {
    const content = Array.from({ length: 200_000 }, (_, i) => `${i}\n`).join("");
    const p = fixture(dir, "cancel.txt", content);
    const out = await runSync.run(function* () {
      const f = yield* open(p, "r", { buffering: 16 });
      const first = yield* f.readline();
      const t = createTask(f.read()); // needs workers
      yield; // let it start and wait
      t.cancel();
      let cancelled = false;
      try {
        yield* t;
      } catch (e) {
        cancelled = e instanceof CancelledError;
      }
      const next = yield* f.readline();
      yield* f.close();
      return [first, cancelled, next];
    });
    expect(out).toEqual(["0\n", true, "1\n"]);
  });

  it("two tasks reading lines from one file share them without loss or duplicates", async () => {
    const content = Array.from({ length: 30_000 }, (_, i) => `${i}\n`).join("");
    const p = fixture(dir, "shared.txt", content);
    const got = await runSync.run(function* () {
      const f = yield* open(p, "r", { buffering: 256 });
      const seen: string[] = [];
      function* reader(): Coro<void> {
        for (let l = yield* f.readline(); l !== ""; l = yield* f.readline()) seen.push(l);
      }
      const a = createTask(reader());
      const b = createTask(reader());
      yield* a;
      yield* b;
      yield* f.close();
      return seen;
    });
    expect(got).toHaveLength(30_000);
    expect(new Set(got).size).toBe(30_000);
  });
});

describe.each(RUNNERS)("the same program on $name", (runner) => {
  const dir = tmpDir();

  it("writes, appends, reads back, iterates and handles a missing file", async () => {
    const p = path.join(dir, `${runner.name.replace(/\W+/g, "-")}.txt`);
    const out = await runner.run(function* () {
      yield* withFile(open(p, "w"), function* (f) {
        for (let i = 0; i < 1000; i++) yield* f.write(`line ${i} ✓\n`);
      });
      yield* withFile(open(p, "a"), (f) => f.write("tail"));
      const all = yield* withFile(open(p), lines);
      const bytes = yield* withFile(open(p, "rb"), (f) => f.read());
      yield* sleep(5);
      let missing: unknown;
      try {
        yield* open(path.join(dir, "missing"));
      } catch (e) {
        missing = e;
      }
      return { all, size: bytes.length, missing };
    });
    expect(out.all).toHaveLength(1001);
    expect(out.all.join("")).toBe(fs.readFileSync(p, "utf8"));
    expect(out.size).toBe(fs.statSync(p).size);
    expect(out.missing).toBeInstanceOf(FileNotFoundError);
  });
});
