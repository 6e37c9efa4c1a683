import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getDefaultPool } from "@aioloop/files";
import { run } from "@aioloop/timer-loop";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoProgram, UsageError } from "../src/program.js";
import { PROGRAMS } from "../src/programs/index.js";

/** Run a host-mode program on the virtual clock; what it printed and its progress reports. */
async function play(
  name: string,
  args: string[],
  color = false,
  clock: "virtual" | "real" = "virtual",
): Promise<{ out: string; progress: string[] }> {
  const program = PROGRAMS.find((p) => p.name === name) as DemoProgram;
  let out = "";
  const progress: string[] = [];
  await run(
    program.main({
      clock,
      args,
      color,
      out: (s) => (out += s),
      progress: (s) => progress.push(s),
    }),
    { clock },
  );
  return { out, progress };
}

afterAll(() => {
  getDefaultPool().close(); // the file workers: leave nothing running
});

describe("urandom: the seed's AsyncRead of /dev/urandom beside a sleeper", () => {
  it("reads the seed's 32 KiB while time stands still, then the sleeper finishes its beat", async () => {
    const { out } = await play("urandom", []);
    expect(out).toBe(
      "background step 1 at 0.00\n" +
        "read /dev/urandom at 0.00\n" +
        "done /dev/urandom at 0.00 got 32768 B\n" +
        "background step 2 at 0.10\n" +
        "background step 3 at 0.20\n" +
        "background step 4 at 0.30\n" +
        "background step 5 at 0.40\n",
    );
  });

  it("--amount and --chunk take sizes; a long read reports progress (real clock)", async () => {
    // The real clock: on the virtual one this read can hang (see the demo's report: a cancelled
    // read-ahead job of @aioloop/files ends without waking a parked virtual loop).
    const { out, progress } = await play(
      "urandom",
      ["--amount", "10M", "--chunk", "64K"],
      false,
      "real",
    );
    expect(out).toMatch(/^background step 1 at 0\.00\nread \/dev\/urandom at 0\.\d\d\n/);
    expect(out).toMatch(new RegExp(`done /dev/urandom at \\d+\\.\\d\\d got ${10 * 1024 * 1024} B`));
    expect(out).toContain("background step 5 at ");
    expect(progress).toHaveLength(10);
    expect(progress[0]).toMatch(/^read 1\.00 MiB of 10\.00 MiB at \d+\.\d\d s$/);
    expect(progress.at(-1)).toMatch(/^read 10\.00 MiB of 10\.00 MiB at /);
    expect((await play("urandom", [])).progress).toEqual([]); // short reads stay quiet
    await expect(play("urandom", ["--amount", "lots"])).rejects.toThrow(UsageError);
  });

  it("stops at end of file: a short file gives what it has", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aioloop-demo-urandom-"));
    try {
      writeFileSync(join(dir, "small"), "x".repeat(1500));
      const { out } = await play("urandom", [join(dir, "small")]);
      expect(out).toContain(`done ${join(dir, "small")} at 0.00 got 1500 B`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("grep: a concurrent search of a tree through @aioloop/files", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aioloop-demo-grep-"));
    mkdirSync(join(dir, "src", "deep", "deeper"), { recursive: true });
    mkdirSync(join(dir, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(dir, "README.md"), "# Title\nTODO: write me\n");
    writeFileSync(
      join(dir, "src", "a.ts"),
      "const a = 1;\n// TODO one\nconst b = 2; // todo two\r\n",
    );
    writeFileSync(join(dir, "src", "deep", "deeper", "z.txt"), "no newline at the end TODO");
    writeFileSync(join(dir, "src", "blob.bin"), Buffer.from([0x54, 0x4f, 0x44, 0x4f, 0, 1, 2]));
    writeFileSync(
      join(dir, "src", "latin1.txt"),
      Buffer.from([0x54, 0x4f, 0x44, 0x4f, 0xe9, 0x0a]),
    );
    writeFileSync(join(dir, "node_modules", "dep", "x.js"), "// TODO in a dependency\n");
    // many small files, more than searchers and queue slots, so the walk has to wait
    for (let i = 0; i < 60; i++) {
      writeFileSync(
        join(dir, "src", "deep", `f${i}.txt`),
        i % 20 === 0 ? `line\nTODO ${i}\n` : "x\n",
      );
    }
    symlinkSync(join(dir, "src"), join(dir, "loop")); // a directory link: not followed
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints path:line:text for every match, skips binary files, follows no directory links", async () => {
    const { out, progress } = await play("grep", ["TODO", dir, "-j", "3"]);
    const lines = out.trimEnd().split("\n");
    const summary = lines.pop()!;
    expect(lines.sort()).toEqual(
      [
        `${join(dir, "README.md")}:2:TODO: write me`,
        `${join(dir, "node_modules", "dep", "x.js")}:1:// TODO in a dependency`,
        `${join(dir, "src", "a.ts")}:2:// TODO one`,
        `${join(dir, "src", "deep", "deeper", "z.txt")}:1:no newline at the end TODO`,
        `${join(dir, "src", "deep", "f0.txt")}:2:TODO 0`,
        `${join(dir, "src", "deep", "f20.txt")}:2:TODO 20`,
        `${join(dir, "src", "deep", "f40.txt")}:2:TODO 40`,
        `${join(dir, "src", "latin1.txt")}:1:TODO\ufffd`,
      ].sort(),
    );
    expect(progress).toEqual([]); // fewer than 100 files
    expect(summary).toMatch(
      /^grep: 8 matches in 8 files; searched 66 files \(.+\), skipped 1 binary, 0 errors, 3 searchers, 0\.00 s$/,
    );
  });

  it("-i ignores case and strips \\r\\n; --exclude-dir prunes; -q drops the summary", async () => {
    const { out } = await play("grep", [
      "-i",
      "todo two",
      dir,
      "--exclude-dir",
      "node_modules",
      "-q",
    ]);
    expect(out).toBe(`${join(dir, "src", "a.ts")}:3:const b = 2; // todo two\n`);
    const pruned = await play("grep", ["dependency", dir, "--exclude-dir=node_modules"]);
    expect(pruned.out).toMatch(/^grep: 0 matches in 0 files; searched 65 files/);
  });

  it("colours the path and line number when colour is on", async () => {
    const { out } = await play("grep", ["write me", dir, "-q"], true);
    expect(out).toBe(`\x1b[35m${join(dir, "README.md")}\x1b[0m:\x1b[32m2\x1b[0m:TODO: write me\n`);
  });

  it("reports a missing directory and goes on; bad patterns and flags are usage errors", async () => {
    const { out } = await play("grep", ["x", join(dir, "missing")]);
    expect(out).toMatch(/^grep: .*missing: .*\n/);
    expect(out).toMatch(/1 errors/);
    await expect(play("grep", [])).rejects.toThrow(/give a pattern/);
    await expect(play("grep", ["(", dir])).rejects.toThrow(UsageError);
    await expect(play("grep", ["x", dir, "-j", "0"])).rejects.toThrow(/at least 1 searcher/);
  });
});
