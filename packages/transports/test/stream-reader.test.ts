import {
  type Coro,
  IncompleteReadError,
  LimitOverrunError,
  type Task,
  forEach,
  toArray,
} from "@aioloop/core";
import { TimerLoop } from "@aioloop/timer-loop";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConcurrentReadError, LineTooLongError } from "../src/errors.js";
import { DEFAULT_LIMIT, StreamReader } from "../src/stream-reader.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const DATA = "line1\nline2\nline3\n";

let loop: TimerLoop;
beforeEach(() => {
  loop = new TimerLoop({ clock: "virtual" });
});
afterEach(() => {
  loop.close();
});

/** Run a coroutine to completion on the virtual-clock loop. */
function R<T>(coro: Coro<T> | Task<T>): T {
  return loop.runSync(coro);
}

/** What is left in the reader's buffer (read without waiting). */
function rest(r: StreamReader): string {
  const n = r.bufferedLength;
  return n === 0 ? "" : dec(R(r.read(n)));
}

function reader(limit?: number): StreamReader {
  return new StreamReader(limit === undefined ? { loop } : { limit, loop });
}

function errorOf(coro: Coro<unknown> | Task<unknown>): unknown {
  try {
    R(coro);
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("StreamReader (asyncio fact 20 and CPython's test_streams cases)", () => {
  it("fact 20: limit 7, 'chunk1chunk2\\nchunk3\\n': readline throws, 'chunk3\\n' stays", () => {
    const r = reader(7);
    r.feedData("chunk1chunk2\nchunk3\n");
    const e = errorOf(r.readline());
    expect(e).toBeInstanceOf(LineTooLongError);
    expect(e).toBeInstanceOf(RangeError); // JavaScript's ValueError
    expect((e as Error).cause).toBeInstanceOf(LimitOverrunError);
    expect(((e as Error).cause as LimitOverrunError).consumed).toBe(12);
    expect(r.bufferedLength).toBe(7);
    expect(dec(R(r.readline()))).toBe("chunk3\n");
  });

  it("fact 20: the limit excludes the separator ('1234567\\n' is accepted)", () => {
    const r = reader(7);
    r.feedData("1234567\n");
    expect(dec(R(r.readline()))).toBe("1234567\n");
    expect(r.bufferedLength).toBe(0);
    r.feedData("12345678\n");
    expect(errorOf(r.readline())).toBeInstanceOf(LineTooLongError);
    expect(r.bufferedLength).toBe(0);
    r.feedData("12345678");
    expect(errorOf(r.readline())).toBeInstanceOf(LineTooLongError);
    expect(r.bufferedLength).toBe(0);
  });

  it("readline limit when data arrives after the call (test_readline_limit)", () => {
    const r = reader(7);
    loop.callSoon(() => {
      r.feedData("chunk1");
      r.feedData("chunk2");
      r.feedData("chunk3\n");
      r.feedEof();
    });
    expect(errorOf(r.readline())).toBeInstanceOf(LineTooLongError);
    expect(r.bufferedLength).toBe(0);

    const r2 = reader(7);
    loop.callSoon(() => {
      r2.feedData("chunk1");
      r2.feedData("chunk2\n");
      r2.feedData("chunk3\n");
      r2.feedEof();
    });
    expect(errorOf(r2.readline())).toBeInstanceOf(LineTooLongError);
    expect(rest(r2)).toBe("chunk3\n");
  });

  it("readline limit with existing data", () => {
    const r = reader(3);
    r.feedData("li");
    r.feedData("ne1\nline2\n");
    expect(errorOf(r.readline())).toBeInstanceOf(LineTooLongError);
    expect(rest(r)).toBe("line2\n");

    const r2 = reader(3);
    r2.feedData("li");
    r2.feedData("ne1");
    r2.feedData("li");
    expect(errorOf(r2.readline())).toBeInstanceOf(LineTooLongError);
    expect(r2.bufferedLength).toBe(0);
  });

  it("feeds, reads zero, reads what is there, and waits for data", () => {
    const r = reader();
    r.feedData(new Uint8Array(0));
    expect(r.bufferedLength).toBe(0);
    r.feedData(DATA);
    expect(R(r.read(0)).length).toBe(0);
    expect(r.bufferedLength).toBe(DATA.length);

    const r2 = reader();
    loop.callSoon(() => r2.feedData(DATA));
    expect(dec(R(r2.read(30)))).toBe(DATA);
    expect(r2.bufferedLength).toBe(0);

    const r3 = reader();
    r3.feedData("line1");
    r3.feedData("line2");
    expect(dec(R(r3.read(5)))).toBe("line1");
    expect(rest(r3)).toBe("line2");
  });

  it("read at EOF, read(-1) until EOF, and read past the limit", () => {
    const r = reader();
    loop.callSoon(() => r.feedEof());
    expect(R(r.read(1024)).length).toBe(0);
    expect(r.atEof()).toBe(true);

    const r2 = reader();
    loop.callSoon(() => {
      r2.feedData("chunk1\n");
      r2.feedData("chunk2");
      r2.feedEof();
    });
    expect(dec(R(r2.read(-1)))).toBe("chunk1\nchunk2");

    const r3 = reader(3);
    r3.feedData("chunk");
    expect(dec(R(r3.read(5)))).toBe("chunk");
  });

  it("rejects a bad limit", () => {
    expect(() => new StreamReader({ limit: 0, loop })).toThrow(/limit/);
    expect(() => new StreamReader({ limit: -1, loop })).toThrow(/limit/);
    expect(reader().limit).toBe(DEFAULT_LIMIT);
  });

  it("readline waits across chunks, stops at EOF, and mixes with read", () => {
    const r = reader();
    r.feedData("chunk1 ");
    loop.callSoon(() => {
      r.feedData("chunk2 ");
      r.feedData("chunk3 ");
      r.feedData("\n chunk4");
    });
    expect(dec(R(r.readline()))).toBe("chunk1 chunk2 chunk3 \n");
    expect(rest(r)).toBe(" chunk4");

    const r2 = reader();
    r2.feedData(DATA.slice(0, 6));
    r2.feedData(DATA.slice(6));
    expect(dec(R(r2.readline()))).toBe("line1\n");
    expect(dec(R(r2.read(7)))).toBe("line2\nl");
    expect(rest(r2)).toBe("ine3\n");

    const r3 = reader();
    r3.feedData("some data");
    r3.feedEof();
    expect(dec(R(r3.readline()))).toBe("some data");
    expect(R(r3.readline()).length).toBe(0);
  });

  it("readuntil: separators of several bytes, split over chunks", () => {
    const r = reader();
    expect(errorOf(r.readuntil(""))).toBeInstanceOf(RangeError);
    r.feedData("lineAAA");
    expect(dec(R(r.readuntil("AAA")))).toBe("lineAAA");
    r.feedData("lineAAAxxx");
    expect(dec(R(r.readuntil("AAA")))).toBe("lineAAA");
    expect(rest(r)).toBe("xxx");
    for (const chunks of [
      ["QWEaa", "XYaa", "a"],
      ["QWEaa", "XYa", "aa"],
    ]) {
      for (const c of chunks) r.feedData(c);
      expect(dec(R(r.readuntil("aaa")))).toBe("QWEaaXYaaa");
    }
    for (const c of ["XXX", "a", "a", "a"]) r.feedData(c);
    expect(dec(R(r.readuntil("aaa")))).toBe("XXXaaa");
    expect(r.bufferedLength).toBe(0);
  });

  it("readuntil at EOF raises IncompleteReadError with the partial data", () => {
    const r = reader();
    r.feedData("some dataAA");
    r.feedEof();
    const e = errorOf(r.readuntil("AAA")) as IncompleteReadError;
    expect(e).toBeInstanceOf(IncompleteReadError);
    expect(dec(e.partial)).toBe("some dataAA");
    expect(e.expected).toBeNull();
    expect(e.message).toMatch(/undefined expected bytes/);
    expect(r.bufferedLength).toBe(0);
  });

  it("readuntil over the limit leaves the data buffered", () => {
    const r = reader(3);
    r.feedData("some dataAA");
    const e1 = errorOf(r.readuntil("AAA")) as LimitOverrunError;
    expect(e1).toBeInstanceOf(LimitOverrunError);
    expect(e1.message).toMatch(/not found/);
    expect(r.bufferedLength).toBe(11);
    r.feedData("A");
    const e2 = errorOf(r.readuntil("AAA")) as LimitOverrunError;
    expect(e2.message).toMatch(/is found/);
    expect(e2.consumed).toBe(9);
    expect(rest(r)).toBe("some dataAAA");
  });

  it("readuntil with several separators returns the shortest result (3.13)", () => {
    const r = reader();
    r.feedData("a\r\nb\nc");
    expect(dec(R(r.readuntil(["\r\n", "\n"])))).toBe("a\r\n");
    expect(dec(R(r.readuntil(["\r\n", "\n"])))).toBe("b\n");
    r.feedData("xxENDyyEND");
    expect(dec(R(r.readuntil(["yyEND", "END"])))).toBe("cxxEND");
    expect(dec(R(r.readuntil([enc("END"), "yyEND"])))).toBe("yyEND");
    expect(errorOf(r.readuntil([]))).toBeInstanceOf(RangeError);
    const limited = reader(5);
    limited.feedData("0123456789\n");
    const e = errorOf(limited.readuntil(["\n", "89\n"])) as LimitOverrunError;
    expect(e.consumed).toBe(10); // the shortest separator is the one that matched
  });

  it("readexactly: zero, waiting, past the limit, and EOF", () => {
    const r = reader();
    r.feedData(DATA);
    expect(R(r.readexactly(0)).length).toBe(0);
    expect(errorOf(r.readexactly(-1))).toBeInstanceOf(RangeError);
    expect(r.bufferedLength).toBe(DATA.length);

    const r2 = reader();
    loop.callSoon(() => {
      r2.feedData(DATA);
      r2.feedData(DATA);
      r2.feedData(DATA);
    });
    expect(dec(R(r2.readexactly(2 * DATA.length)))).toBe(DATA + DATA);
    expect(rest(r2)).toBe(DATA);

    const r3 = reader(3);
    r3.feedData("chunk");
    expect(dec(R(r3.readexactly(5)))).toBe("chunk");

    const r4 = reader();
    loop.callSoon(() => {
      r4.feedData(DATA);
      r4.feedEof();
    });
    const e = errorOf(r4.readexactly(36)) as IncompleteReadError;
    expect(e).toBeInstanceOf(IncompleteReadError);
    expect(dec(e.partial)).toBe(DATA);
    expect(e.expected).toBe(36);
    expect(e.message).toBe("18 bytes read on a total of 36 expected bytes");
  });

  it("an exception is raised once the bytes received before it are read", () => {
    const r = reader();
    expect(r.exception()).toBeNull();
    r.feedData("line\n");
    expect(dec(R(r.read(2)))).toBe("li");
    const boom = new Error("reset");
    r.setException(boom);
    expect(r.exception()).toBe(boom);
    // asyncio would raise here and lose "ne\n"; the bytes come first, then the error.
    expect(dec(R(r.readexactly(2)))).toBe("ne");
    expect(errorOf(r.readexactly(2))).toBe(boom); // only "\n" left: not enough
    expect(dec(R(r.readline()))).toBe("\n");
    expect(errorOf(r.read(2))).toBe(boom);
    expect(errorOf(r.readline())).toBe(boom);
  });

  it("read(-1) interrupted by an error keeps what it had read", () => {
    const r = reader();
    loop.callSoon(() => {
      r.feedData("partial ");
      r.feedData("data");
      r.setException(new Error("lost"));
    });
    expect((errorOf(r.read(-1)) as Error).message).toBe("lost");
    expect(dec(R(r.read(100)))).toBe("partial data");
  });

  it("wakes a waiting reader with the exception; a cancelled waiter leaves no trace", () => {
    const r = reader();
    const t1 = loop.createTask(r.readline());
    loop.callSoon(() => r.setException(new TypeError("bad")));
    expect(errorOf(t1)).toBeInstanceOf(TypeError);

    const r2 = reader();
    const t = loop.createTask(r2.readline());
    R(
      (function* () {
        yield;
        t.cancel();
        yield;
      })(),
    );
    expect(t.cancelled()).toBe(true);
    r2.setException(new Error("message"));
    expect(r2.toString()).not.toContain("waiting");
  });

  it("two concurrent readers are a named error", () => {
    const r = reader();
    const t = loop.createTask(r.read(10));
    R(
      (function* () {
        yield;
      })(),
    );
    expect(errorOf(r.readline())).toBeInstanceOf(ConcurrentReadError);
    r.feedData("x");
    expect(dec(R(t))).toBe("x");
  });

  it("atEof only once the buffer is drained after feedEof", () => {
    const r = reader();
    expect(r.atEof()).toBe(false);
    r.feedData("some data\n");
    expect(r.atEof()).toBe(false);
    R(r.readline());
    expect(r.atEof()).toBe(false);
    r.feedData("some data\n");
    r.feedEof();
    R(r.readline());
    expect(r.atEof()).toBe(true);
    expect(() => r.feedData("more")).toThrow(/after feedEof/);
  });

  it("iterates over lines with lines()/aiter() in the shape of core's AsyncIter", () => {
    const r = reader();
    loop.callSoon(() => {
      r.feedData("a\nbb\n");
      r.feedData("ccc");
      r.feedEof();
    });
    expect(R(toArray(r)).map(dec)).toEqual(["a\n", "bb\n", "ccc"]);
    const r2 = reader();
    r2.feedData("x\ny\n");
    r2.feedEof();
    const seen: string[] = [];
    R(
      forEach(r2.lines(), (line) => {
        seen.push(dec(line));
      }),
    );
    expect(seen).toEqual(["x\n", "y\n"]);
  });

  it("pauses the transport past twice the limit and resumes under the limit", () => {
    const r = reader(4);
    const calls: string[] = [];
    r.setTransport({
      pauseReading: () => calls.push("pause"),
      resumeReading: () => calls.push("resume"),
    });
    r.feedData("12345");
    r.feedData("6789");
    expect(calls).toEqual(["pause"]);
    R(r.read(3));
    expect(calls).toEqual(["pause"]);
    R(r.read(2));
    expect(calls).toEqual(["pause", "resume"]);
    expect(r.statistics().pauses).toBe(1);
  });
});
