/**
 * Release readiness, as a user meets the packages: `pnpm pack` each published package, check it
 * with publint and arethetypeswrong, install the tarballs into a scratch project outside the
 * workspace (npm, no workspace links), and run each README's first TypeScript example there,
 * compiled with TypeScript's transpiler. A README example that no longer matches the API fails.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const PACKAGES = ["core", "timer-loop", "selector-loop", "files"] as const;
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const execFileAsync = promisify(execFile);

/**
 * What one step may take, by the work it does, on a busy 2-core machine (CI runs every
 * package's tests at once). Each hook and test is given the sum of the steps it runs, so a
 * slow machine fails only when a step is really stuck, and says which.
 *
 * WHY asynchronous: a blocking execFileSync also blocks the vitest worker's own messages to
 * the main process, which then times the worker out and fails the run though every test passed.
 */
const STEP_MS = {
  /** `pnpm pack` of one package (through npx, which may first unpack pnpm). */
  pack: 120_000,
  /** `npm install --offline` of the scratch project, per tarball. */
  installPerTarball: 60_000,
  /** publint or attw on one tarball (attw loads TypeScript and checks every entry point). */
  lint: 120_000,
  /** Listing a tarball. */
  list: 30_000,
  /** Running one README example (they wait for nothing but their own timers). */
  example: 60_000,
} as const;
/** A hook's or test's allowance beyond its steps, so a stuck step reports itself, not vitest. */
const SLACK_MS = 15_000;

let work = "";
const tarballs = new Map<string, string>();

/** Run a command without blocking the worker; its stdout, or an error with its output. */
async function sh(cmd: string, args: string[], cwd: string, timeout: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      cwd,
      encoding: "utf8",
      timeout,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CI: "true" },
    });
    return stdout;
  } catch (e) {
    const err = e as { killed?: boolean; stdout?: string; stderr?: string; message: string };
    const why = err.killed ? `still running after ${timeout / 1000}s, killed` : err.message;
    throw new Error(
      `${cmd} ${args.join(" ")} (in ${cwd}): ${why}\n${err.stdout ?? ""}${err.stderr ?? ""}`,
    );
  }
}

/** The first ```ts block of a README, as JavaScript. */
function readmeExample(pkg: string): string {
  const md = readFileSync(join(root, "packages", pkg, "README.md"), "utf8");
  const m = /```ts\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error(`packages/${pkg}/README.md has no \`\`\`ts example`);
  return ts.transpileModule(m[1]!, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

beforeAll(
  async () => {
    work = mkdtempSync(join(tmpdir(), "aioloop-release-"));
    const packs = join(work, "packs");
    for (const pkg of PACKAGES) {
      const dir = join(root, "packages", pkg);
      await sh("npx", ["-y", "pnpm@10", "pack", "--pack-destination", packs], dir, STEP_MS.pack);
    }
    for (const f of readdirSync(packs)) {
      const pkg = PACKAGES.find((p) => f.startsWith(`aioloop-${p}-`));
      if (pkg) tarballs.set(pkg, join(packs, f));
    }
    const app = join(work, "app");
    mkdirSync(app, { recursive: true });
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "scratch", private: true, type: "module" }),
    );
    await sh(
      "npm",
      ["install", "--no-audit", "--no-fund", "--offline", ...PACKAGES.map((p) => tarballs.get(p)!)],
      app,
      STEP_MS.installPerTarball * PACKAGES.length,
    );
  },
  PACKAGES.length * (STEP_MS.pack + STEP_MS.installPerTarball) + SLACK_MS,
);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(PACKAGES)("@aioloop/%s as published", (pkg) => {
  it(
    "packs dist, types and README, and no tests",
    async () => {
      const list = (await sh("tar", ["-tzf", tarballs.get(pkg)!], work, STEP_MS.list)).split("\n");
      expect(list).toContain("package/dist/index.js");
      expect(list).toContain("package/dist/index.d.ts");
      expect(list).toContain("package/README.md");
      expect(list.some((f) => f.includes("/test/"))).toBe(false);
    },
    STEP_MS.list + SLACK_MS,
  );

  it(
    "is clean under publint and arethetypeswrong",
    async () => {
      const tarball = tarballs.get(pkg)!;
      const publint = await sh(bin("publint"), ["run", tarball, "--strict"], work, STEP_MS.lint);
      expect(publint).not.toMatch(/error|warning/i);
      const attw = ["--profile", "esm-only", "--format", "ascii"];
      await sh(bin("attw"), [tarball, ...attw], work, STEP_MS.lint);
    },
    2 * STEP_MS.lint + SLACK_MS,
  );

  it(
    "runs its README example from the tarballs, outside the workspace",
    async () => {
      const file = join(work, "app", `readme-${pkg}.mjs`);
      writeFileSync(file, readmeExample(pkg));
      await sh(process.execPath, [file], join(work, "app"), STEP_MS.example);
    },
    STEP_MS.example + SLACK_MS,
  );
});
