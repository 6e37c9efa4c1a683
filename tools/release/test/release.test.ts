/**
 * Release readiness, as a user meets the packages: `pnpm pack` each published package, check it
 * with publint and arethetypeswrong, install the tarballs into a scratch project outside the
 * workspace (npm, no workspace links), and run each README's first TypeScript example there,
 * compiled with TypeScript's transpiler. A README example that no longer matches the API fails.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const PACKAGES = ["core", "timer-loop", "selector-loop", "files"] as const;
const bin = (name: string) => join(root, "node_modules", ".bin", name);

let work = "";
const tarballs = new Map<string, string>();

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true" },
  });
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

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "aioloop-release-"));
  const packs = join(work, "packs");
  for (const pkg of PACKAGES) {
    const dir = join(root, "packages", pkg);
    sh("npx", ["-y", "pnpm@10", "pack", "--pack-destination", packs], dir);
  }
  for (const f of readdirSync(packs)) {
    const pkg = PACKAGES.find((p) => f.startsWith(`aioloop-${p}-`));
    if (pkg) tarballs.set(pkg, join(packs, f));
  }
  const app = join(work, "app");
  sh("mkdir", ["-p", app], work);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  sh(
    "npm",
    ["install", "--no-audit", "--no-fund", "--offline", ...PACKAGES.map((p) => tarballs.get(p)!)],
    app,
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(PACKAGES)("@aioloop/%s as published", (pkg) => {
  it("packs dist, types and README, and no tests", () => {
    const list = sh("tar", ["-tzf", tarballs.get(pkg)!], work).split("\n");
    expect(list).toContain("package/dist/index.js");
    expect(list).toContain("package/dist/index.d.ts");
    expect(list).toContain("package/README.md");
    expect(list.some((f) => f.includes("/test/"))).toBe(false);
  });

  it("is clean under publint and arethetypeswrong", () => {
    const publint = sh(bin("publint"), ["run", tarballs.get(pkg)!, "--strict"], work);
    expect(publint).not.toMatch(/error|warning/i);
    sh(bin("attw"), [tarballs.get(pkg)!, "--profile", "esm-only", "--format", "ascii"], work);
  });

  it("runs its README example from the tarballs, outside the workspace", () => {
    const file = join(work, "app", `readme-${pkg}.mjs`);
    writeFileSync(file, readmeExample(pkg));
    execFileSync(process.execPath, [file], {
      cwd: join(work, "app"),
      stdio: "pipe",
      timeout: 60_000,
    });
  });
});
