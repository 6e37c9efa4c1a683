/**
 * Release readiness, as a user meets the packages, by the install route the README gives:
 * `npx -y pnpm@10 pack-all` packs every published package (tools/pack.mjs), each tarball passes
 * publint and arethetypeswrong, and `npm install` of the tarballs (with vitest, typescript and
 * \@types/node from the registry) makes a scratch project outside the workspace, with no
 * workspace links. There each README's first TypeScript example runs (backend-tests' is a vitest
 * file, run with vitest against a TimerLoop), and a consumer's tsconfig compiles against the
 * packed types as the READMEs say. A README example that no longer matches the API fails.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const PACKAGES = [
  "core",
  "timer-loop",
  "transports",
  "selector-loop",
  "epoll-loop",
  "files",
  "backend-tests",
] as const;
/** What the scratch project installs from the registry beside the tarballs: the workspace's versions. */
const DEV_TOOLS = ["vitest", "typescript", "@types/node"] as const;
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
  /** `pnpm pack-all`, per package (through npx, which may first unpack pnpm; tsc -b first). */
  pack: 120_000,
  /** `npm install` of the scratch project, per tarball or registry package (and its own). */
  installPerTarball: 60_000,
  /** One `tsc --noEmit` of the scratch project. */
  typecheck: 60_000,
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

/** This process's environment less vitest's own (a vitest run in the scratch project is its own). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true", NO_COLOR: "1" };
  for (const k of Object.keys(env)) {
    if (k.startsWith("VITEST") || ["TEST", "NODE_OPTIONS", "FORCE_COLOR"].includes(k))
      delete env[k];
  }
  return env;
}

/** Run a command without blocking the worker; its stdout, or an error with its output. */
async function sh(cmd: string, args: string[], cwd: string, timeout: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, {
      cwd,
      encoding: "utf8",
      timeout,
      maxBuffer: 64 * 1024 * 1024,
      env: cleanEnv(),
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

/** The first ```ts block of a README. */
function readmeTs(pkg: string): string {
  const md = readFileSync(join(root, "packages", pkg, "README.md"), "utf8");
  const m = /```ts\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error(`packages/${pkg}/README.md has no \`\`\`ts example`);
  return m[1]!;
}

/** The first ```ts block of a README, as JavaScript. */
function readmeExample(pkg: string): string {
  return ts.transpileModule(readmeTs(pkg), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

/** The workspace's version of a dev tool (the root's devDependencies), for the scratch project. */
function workspaceVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const v = pkg.devDependencies?.[name];
  if (!v) throw new Error(`the root package.json has no devDependency ${name}`);
  return `${name}@${v}`;
}

/** `tsc --noEmit` in the scratch project with this tsconfig; its output ("" when it compiles). */
async function typecheck(name: string, compilerOptions: object, files: string[]): Promise<string> {
  const app = join(work, "app");
  const config = `tsconfig.${name}.json`;
  const base = {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  };
  const tsconfig = { compilerOptions: { ...base, ...compilerOptions }, files };
  writeFileSync(join(app, config), JSON.stringify(tsconfig, null, 2));
  const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
  try {
    await sh(process.execPath, [tsc, "-p", config], app, STEP_MS.typecheck);
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

beforeAll(
  async () => {
    work = mkdtempSync(join(tmpdir(), "aioloop-release-"));
    const packs = join(work, "packs");
    // The README's command, with the tarballs put here instead of dist-packages/.
    const pack = ["-y", "pnpm@10", "pack-all", "--out", packs];
    await sh("npx", pack, root, STEP_MS.pack * PACKAGES.length);
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
    // As the README says: npm install of the tarballs, here all of them at once, with the tools
    // a consumer brings (backend-tests needs vitest; the type checks typescript and @types/node).
    const install = ["install", "--no-audit", "--no-fund", "--prefer-offline"];
    await sh(
      "npm",
      [...install, ...PACKAGES.map((p) => tarballs.get(p)!), ...DEV_TOOLS.map(workspaceVersion)],
      app,
      STEP_MS.installPerTarball * (PACKAGES.length + DEV_TOOLS.length),
    );
  },
  PACKAGES.length * STEP_MS.pack +
    (PACKAGES.length + DEV_TOOLS.length) * STEP_MS.installPerTarball +
    SLACK_MS,
);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(PACKAGES)("@aioloop/%s as published", (pkg) => {
  it(
    "packs dist, types, README and LICENSE, and no tests",
    async () => {
      const list = (await sh("tar", ["-tzf", tarballs.get(pkg)!], work, STEP_MS.list)).split("\n");
      expect(list).toContain("package/dist/index.js");
      expect(list).toContain("package/dist/index.d.ts");
      expect(list).toContain("package/README.md");
      expect(list).toContain("package/LICENSE");
      expect(list.some((f) => f.includes("/test/"))).toBe(false);
    },
    STEP_MS.list + SLACK_MS,
  );

  it(
    "declares engines, ESM only, and core as a peer with a real range",
    () => {
      const installed = join(work, "app", "node_modules", "@aioloop", pkg, "package.json");
      const text = readFileSync(installed, "utf8");
      const manifest = JSON.parse(text);
      expect(text).not.toContain("workspace:");
      expect(manifest.engines).toEqual({ node: ">=20.10" });
      expect(manifest.type).toBe("module");
      expect(manifest.license).toBe("MIT");
      const core = JSON.parse(
        readFileSync(join(root, "packages", "core", "package.json"), "utf8"),
      ).version;
      if (pkg === "core") expect(manifest.peerDependencies?.["@aioloop/core"]).toBeUndefined();
      else {
        expect(manifest.peerDependencies?.["@aioloop/core"]).toBe(`^${core}`);
        expect(manifest.dependencies?.["@aioloop/core"]).toBeUndefined();
      }
      // One core per app: npm installed exactly one.
      const nested = join(work, "app", "node_modules", "@aioloop", pkg, "node_modules");
      expect(existsSync(join(nested, "@aioloop", "core"))).toBe(false);
    },
    SLACK_MS,
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
      const app = join(work, "app");
      if (pkg === "backend-tests") {
        // The README's test file as it stands, its `MyLoop` a TimerLoop on a virtual clock.
        mkdirSync(join(app, "src"), { recursive: true });
        mkdirSync(join(app, "test"), { recursive: true });
        writeFileSync(
          join(app, "src", "my-loop.js"),
          [
            'import { TimerLoop } from "@aioloop/timer-loop";',
            "export class MyLoop extends TimerLoop {",
            '  constructor() { super({ clock: "virtual" }); }',
            "}",
            "",
          ].join("\n"),
        );
        writeFileSync(join(app, "test", "my-loop.test.ts"), readmeTs(pkg));
        const vitest = join(app, "node_modules", "vitest", "vitest.mjs");
        const out = await sh(process.execPath, [vitest, "run"], app, STEP_MS.example);
        expect(out).toMatch(/Tests\s+\d+ passed/);
        return;
      }
      const file = join(app, `readme-${pkg}.mjs`);
      writeFileSync(file, readmeExample(pkg));
      await sh(process.execPath, [file], app, STEP_MS.example);
    },
    STEP_MS.example + SLACK_MS,
  );
});

describe("the packed types in a consumer's tsconfig", () => {
  /** Every package, and `using` on a lock's hold (the public types' Disposable). */
  const consumer = [
    'import { Lock, type Coro } from "@aioloop/core";',
    'import { run } from "@aioloop/timer-loop";',
    'import { openConnection } from "@aioloop/selector-loop";',
    'import { open } from "@aioloop/files";',
    'import { defineBackendTests } from "@aioloop/backend-tests";',
    "const lock = new Lock();",
    "export function* work(): Coro<void> {",
    "  using _ = yield* lock.hold();",
    "}",
    "export const all = [run, openConnection, open, defineBackendTests];",
    "",
  ];
  /** The same without selector-loop, whose types need \@types/node. */
  const noNode = consumer.filter((l) => !l.includes("selector-loop") && !l.includes("all ="));
  const write = (name: string, lines: string[]) => {
    writeFileSync(join(work, "app", `${name}.ts`), lines.join("\n"));
    return [`${name}.ts`];
  };

  it(
    'compiles with @types/node and a plain "lib": ["ES2022"]',
    async () => {
      const files = write("consumer-node", consumer);
      expect(await typecheck("node", { lib: ["ES2022"], types: ["node"] }, files)).toBe("");
    },
    STEP_MS.typecheck + SLACK_MS,
  );

  it(
    'compiles without @types/node with the READMEs\' "lib": ["ES2022", "ESNext.Disposable", "DOM"]',
    async () => {
      const files = write("consumer-no-node", noNode);
      const lib = ["ES2022", "ESNext.Disposable", "DOM"];
      expect(await typecheck("lib", { lib, types: [] }, files)).toBe("");
    },
    STEP_MS.typecheck + SLACK_MS,
  );

  it(
    'fails without @types/node on a plain "lib": ["ES2022"], as the READMEs say',
    async () => {
      const files = write("consumer-plain", noNode);
      const out = await typecheck("plain", { lib: ["ES2022"], types: [] }, files);
      expect(out).toContain("Cannot find name 'Disposable'");
    },
    STEP_MS.typecheck + SLACK_MS,
  );
});
