import * as fs from "node:fs";
import * as nodeOs from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { open, tempfile, withFile } from "../src/index.js";
import { RUNNERS, runSync, tmpDir, usePool } from "./support.js";

usePool();

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("tempfile", () => {
  it("TemporaryFile: read/write (w+b), no name on disk, gone when closed", async () => {
    const dir = tmpDir();
    const out = await runSync.run(function* () {
      const f = yield* tempfile.TemporaryFile("w+b", { dir });
      const visible = fs.readdirSync(dir);
      yield* f.write(enc.encode("hello temp"));
      yield* f.seek(0);
      const back = dec.decode(yield* f.read());
      const fdLink = fs.readlinkSync(`/proc/self/fd/${f.fileno()}`);
      yield* f.close();
      return { visible, back, name: f.name, mode: f.mode, fdLink };
    });
    expect(out.visible).toEqual([]);
    expect(out.back).toBe("hello temp");
    expect(typeof out.name).toBe("number");
    expect(out.mode).toBe("w+b");
    expect(out.fdLink).toMatch(/\(deleted\)$/);
  });

  it("NamedTemporaryFile: has a name others can open, removed on close", async () => {
    const dir = tmpDir();
    const out = await runSync.run(function* () {
      const f = yield* tempfile.NamedTemporaryFile("w+", { dir, prefix: "pre-", suffix: ".txt" });
      const name = f.name;
      yield* f.write("shared text\n");
      yield* f.flush();
      const seenByNode = fs.readFileSync(name, "utf8");
      const mode = fs.statSync(name).mode & 0o777;
      yield* f.close();
      return { name, seenByNode, mode, after: fs.existsSync(name) };
    });
    expect(path.dirname(out.name)).toBe(dir);
    expect(path.basename(out.name)).toMatch(/^pre-[a-z0-9_]{8}\.txt$/);
    expect(out.seenByNode).toBe("shared text\n");
    expect(out.mode).toBe(0o600);
    expect(out.after).toBe(false);
  });

  it("NamedTemporaryFile({ delete: false }) stays", async () => {
    const dir = tmpDir();
    const name = await runSync.run(function* () {
      return yield* withFile(
        tempfile.NamedTemporaryFile("wb", { dir, delete: false }),
        (f) => f.name,
      );
    });
    expect(fs.existsSync(name as string)).toBe(true);
  });

  it("TemporaryDirectory: removed with its contents on close (withFile)", async () => {
    const out = await runSync.run(function* () {
      let name = "";
      yield* withFile(tempfile.TemporaryDirectory({ prefix: "aioloop-td-" }), function* (d) {
        name = d.name;
        yield* withFile(open(path.join(d.name, "inside.txt"), "w"), (f) => f.write("x"));
        fs.mkdirSync(path.join(d.name, "nested"));
        fs.writeFileSync(path.join(d.name, "nested", "deep.txt"), "y");
      });
      return name;
    });
    expect(path.dirname(out)).toBe(nodeOs.tmpdir());
    expect(path.basename(out)).toMatch(/^aioloop-td-/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("TemporaryDirectory: mode 0700, cleanup() once, delete: false keeps it", async () => {
    const out = await runSync.run(function* () {
      const d = yield* tempfile.TemporaryDirectory();
      const mode = fs.statSync(d.name).mode & 0o777;
      yield* d.cleanup();
      yield* d.cleanup();
      const kept = yield* tempfile.TemporaryDirectory({ delete: false });
      yield* kept.close();
      return { mode, removed: d.removed, gone: !fs.existsSync(d.name), kept: kept.name };
    });
    expect(out.mode).toBe(0o700);
    expect(out.removed).toBe(true);
    expect(out.gone).toBe(true);
    expect(fs.existsSync(out.kept)).toBe(true);
    fs.rmdirSync(out.kept);
  });

  it("mkdtemp and gettempdir", async () => {
    const dir = tmpDir();
    const made = await runSync.run(() => tempfile.mkdtemp({ dir, suffix: "-s" }));
    expect(fs.statSync(made).isDirectory()).toBe(true);
    expect(made.endsWith("-s")).toBe(true);
    expect(tempfile.gettempdir()).toBe(nodeOs.tmpdir());
  });

  it('a prefix with "/" is refused', async () => {
    await expect(
      runSync.run(() => tempfile.TemporaryDirectory({ prefix: "../escape" })),
    ).rejects.toThrow(TypeError);
  });
});

describe.each(RUNNERS)("tempfile on $name", (runner) => {
  it("a text TemporaryFile round-trips lines", async () => {
    const lines = await runner.run(function* () {
      return yield* withFile(tempfile.TemporaryFile("w+"), function* (f) {
        yield* f.writelines(["a\n", "b\n", "c"]);
        yield* f.seek(0);
        return yield* f.readlines();
      });
    });
    expect(lines).toEqual(["a\n", "b\n", "c"]);
  });
});
