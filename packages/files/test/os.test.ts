import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  FileExistsError,
  FileNotFoundError,
  IsADirectoryError,
  NotADirectoryError,
  OSError,
  StatResult,
  os,
  ospath,
} from "../src/index.js";
import { RUNNERS, fixture, rejects, runSync, tmpDir, usePool } from "./support.js";

usePool();

/** Node's error for the same call, to compare code, errno, path and syscall. */
function nodeError(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error("expected Node to throw");
}

function same(ours: unknown, node: NodeJS.ErrnoException): void {
  const e = ours as OSError;
  expect(e).toBeInstanceOf(OSError);
  expect([e.code, e.errno, e.syscall, e.path, e.dest]).toEqual([
    node.code,
    node.errno,
    node.syscall,
    node.path,
    (node as { dest?: string }).dest,
  ]);
}

describe("os", () => {
  const dir = tmpDir();

  it("stat and lstat agree with fs.statSync / fs.lstatSync", async () => {
    const p = fixture(dir, "st.txt", "12345");
    const link = path.join(dir, "st-link");
    fs.symlinkSync(p, link);
    const [st, lst, followed] = await runSync.run(function* () {
      return [
        yield* os.stat(p),
        yield* os.lstat(link),
        yield* os.stat(link, { followSymlinks: true }),
      ] as const;
    });
    const node = fs.statSync(p);
    expect(st).toBeInstanceOf(StatResult);
    expect([st.size, st.mode, st.ino, st.dev, st.nlink, st.uid, st.gid]).toEqual([
      node.size,
      node.mode,
      node.ino,
      node.dev,
      node.nlink,
      node.uid,
      node.gid,
    ]);
    expect(st.mtimeMs).toBe(node.mtimeMs);
    expect([st.isFile(), st.isDirectory(), st.isSymbolicLink()]).toEqual([true, false, false]);
    expect(lst.isSymbolicLink()).toBe(true);
    expect(lst.ino).toBe(fs.lstatSync(link).ino);
    expect(followed.ino).toBe(node.ino);
  });

  it("rename, replace, remove, unlink", async () => {
    const a = fixture(dir, "a.txt", "A");
    const b = path.join(dir, "b.txt");
    const c = fixture(dir, "c.txt", "C");
    await runSync.run(function* () {
      yield* os.rename(a, b);
      yield* os.replace(c, b); // replaces the existing b
    });
    expect(fs.existsSync(a)).toBe(false);
    expect(fs.existsSync(c)).toBe(false);
    expect(fs.readFileSync(b, "utf8")).toBe("C");
    const d = fixture(dir, "d.txt", "D");
    await runSync.run(function* () {
      yield* os.remove(b);
      yield* os.unlink(d);
    });
    expect([fs.existsSync(b), fs.existsSync(d)]).toEqual([false, false]);
  });

  it("mkdir, makedirs (existOk), rmdir, listdir, scandir", async () => {
    const base = path.join(dir, "tree");
    const out = await runSync.run(function* () {
      yield* os.mkdir(base);
      yield* os.makedirs(path.join(base, "x", "y", "z"));
      yield* os.makedirs(path.join(base, "x", "y"), { existOk: true });
      fs.writeFileSync(path.join(base, "f.txt"), "f");
      fs.symlinkSync(path.join(base, "x"), path.join(base, "to-x"));
      fs.symlinkSync(path.join(base, "missing"), path.join(base, "dangling"));
      const names = (yield* os.listdir(base)).sort();
      const entries = yield* os.scandir(base);
      const kinds = Object.fromEntries(
        entries.map((e) => [
          e.name,
          [e.isFile(), e.isDir(), e.isSymlink(), e.isDir({ followSymlinks: false })],
        ]),
      );
      const paths = entries.map((e) => e.path).sort();
      const fst = yield* entries.find((e) => e.name === "f.txt")!.stat();
      yield* os.rmdir(path.join(base, "x", "y", "z"));
      return { names, kinds, paths, size: fst.size };
    });
    expect(out.names).toEqual(fs.readdirSync(base).sort());
    expect(out.names).toEqual(["dangling", "f.txt", "to-x", "x"]);
    expect(out.kinds).toEqual({
      "f.txt": [true, false, false, false],
      x: [false, true, false, true],
      "to-x": [false, true, true, false],
      dangling: [false, false, true, false],
    });
    expect(out.paths).toEqual(out.names.map((n) => path.join(base, n)));
    expect(out.size).toBe(1);
    expect(fs.existsSync(path.join(base, "x", "y", "z"))).toBe(false);
    expect(fs.existsSync(path.join(base, "x", "y"))).toBe(true);
  });

  it("access, readlink, symlink", async () => {
    const p = fixture(dir, "acc.txt", "x");
    const link = path.join(dir, "acc-link");
    const out = await runSync.run(function* () {
      yield* os.symlink(p, link);
      return [
        yield* os.access(p, os.F_OK),
        yield* os.access(p, os.R_OK | os.W_OK),
        yield* os.access(path.join(dir, "nope"), os.F_OK),
        yield* os.readlink(link),
      ];
    });
    expect(out).toEqual([true, true, false, p]);
    expect(fs.readlinkSync(link)).toBe(p);
  });

  it("errors are Python's classes with Node's code, errno, syscall, path and dest", async () => {
    const missing = path.join(dir, "missing");
    const file = fixture(dir, "plain.txt", "x");
    const sub = path.join(dir, "sub");
    fs.mkdirSync(sub);
    const cases: [() => Generator<unknown, unknown, unknown>, () => unknown, Function][] = [
      [() => os.stat(missing), () => fs.statSync(missing), FileNotFoundError],
      [() => os.remove(missing), () => fs.unlinkSync(missing), FileNotFoundError],
      [() => os.rename(missing, file), () => fs.renameSync(missing, file), FileNotFoundError],
      [() => os.mkdir(sub), () => fs.mkdirSync(sub), FileExistsError],
      [() => os.listdir(file), () => fs.readdirSync(file), NotADirectoryError],
      [() => os.rmdir(file), () => fs.rmdirSync(file), NotADirectoryError],
      [() => os.remove(sub), () => fs.unlinkSync(sub), IsADirectoryError],
      [() => os.readlink(file), () => fs.readlinkSync(file), OSError],
    ];
    for (const [ours, node, Cls] of cases) {
      const e = await rejects(runSync, ours as () => Generator<never, unknown, unknown>);
      expect(e).toBeInstanceOf(Cls);
      same(e, nodeError(node));
    }
  });

  it("makedirs without existOk refuses an existing directory", async () => {
    const e = await rejects(runSync, () => os.makedirs(dir));
    expect(e).toBeInstanceOf(FileExistsError);
    expect((e as OSError).code).toBe("EEXIST");
  });
});

describe("os.path", () => {
  const dir = tmpDir();

  it("exists, isfile, isdir, islink answer false instead of throwing", async () => {
    const f = fixture(dir, "f", "abc");
    const l = path.join(dir, "l");
    fs.symlinkSync(f, l);
    const dangling = path.join(dir, "dangling");
    fs.symlinkSync(path.join(dir, "gone"), dangling);
    const out = await runSync.run(function* () {
      const rows: boolean[][] = [];
      for (const p of [f, dir, l, dangling, path.join(dir, "none")]) {
        rows.push([
          yield* os.path.exists(p),
          yield* os.path.isfile(p),
          yield* os.path.isdir(p),
          yield* os.path.islink(p),
        ]);
      }
      return rows;
    });
    expect(out).toEqual([
      [true, true, false, false],
      [true, false, true, false],
      [true, true, false, true],
      [false, false, false, true],
      [false, false, false, false],
    ]);
  });

  it("getsize and the times match fs.statSync (milliseconds); a missing path throws", async () => {
    const f = fixture(dir, "sized", "12345678");
    const out = await runSync.run(function* () {
      return [
        yield* ospath.getsize(f),
        yield* ospath.getmtime(f),
        yield* ospath.getatime(f),
        yield* ospath.getctime(f),
      ];
    });
    const st = fs.statSync(f);
    expect(out).toEqual([8, st.mtimeMs, st.atimeMs, st.ctimeMs]);
    const e = await rejects(runSync, () => os.path.getsize(path.join(dir, "none")));
    expect(e).toBeInstanceOf(FileNotFoundError);
  });
});

describe.each(RUNNERS)("os on $name", (runner) => {
  it("makes, lists and removes a tree", async () => {
    const base = path.join(tmpDir(), "t");
    const out = await runner.run(function* () {
      yield* os.makedirs(path.join(base, "a", "b"));
      const listed = yield* os.listdir(base);
      const isdir = yield* os.path.isdir(path.join(base, "a", "b"));
      yield* os.rmdir(path.join(base, "a", "b"));
      yield* os.rmdir(path.join(base, "a"));
      return [listed, isdir, yield* os.path.exists(path.join(base, "a"))];
    });
    expect(out).toEqual([["a"], true, false]);
  });
});
