#!/usr/bin/env node
/**
 * `npx -y pnpm@10 pack-all [--out DIR]`: builds the published packages and packs each into a
 * tarball a project outside this repository can install with npm, pnpm or yarn (pnpm rewrites the
 * `workspace:` ranges into real versions as it packs). Tarballs go to `dist-packages/` unless
 * `--out` says otherwise; older aioloop tarballs there are removed first.
 *
 * The release check (tools/release) runs this same command and installs its output into a
 * scratch project outside the workspace.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
/** Every package published to npm, in dependency order. */
const PUBLISHED = [
  "core",
  "timer-loop",
  "transports",
  "selector-loop",
  "epoll-loop",
  "files",
  "backend-tests",
];

const args = process.argv.slice(2).filter((a) => a !== "--");
const at = args.indexOf("--out");
const out = resolve(
  process.cwd(),
  at >= 0 && args[at + 1] ? args[at + 1] : join(root, "dist-packages"),
);

/** pnpm as this script was started (`pnpm pack-all`), else through npx. */
function pnpm() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: set by pnpm for the script it runs; no turbo task runs this
  const p = process.env.npm_execpath ?? "";
  if (/pnpm(\.c?js)?$/.test(p)) return p.endsWith("js") ? [process.execPath, p] : [p];
  return ["npx", "-y", "pnpm@10"];
}

function run(cmd, cmdArgs, cwd) {
  execFileSync(cmd, cmdArgs, { cwd, stdio: ["ignore", "ignore", "inherit"] });
}

// Build: tsc -b follows the project references, and does nothing for what is up to date.
const tsc = join(root, "node_modules", ".bin", "tsc");
run(tsc, ["-b", ...PUBLISHED.map((p) => join("packages", p))], root);

mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) {
  if (/^aioloop-.*\.tgz$/.test(f)) rmSync(join(out, f));
}
const [cmd, ...pre] = pnpm();
for (const p of PUBLISHED) {
  run(cmd, [...pre, "pack", "--pack-destination", out], join(root, "packages", p));
}

const tarballs = readdirSync(out)
  .filter((f) => /^aioloop-.*\.tgz$/.test(f))
  .map((f) => join(out, f));
const shown = tarballs.map((t) => relative(process.cwd(), t) || t);
console.log(`Packed ${tarballs.length} packages into ${out}:`);
for (const t of shown) console.log(`  ${t}`);
console.log("\nInstall the ones you use, core always, from your project, e.g.:");
const pick = (name) => tarballs.find((t) => t.includes(`aioloop-${name}-`)) ?? "";
console.log(`  npm install ${pick("core")} ${pick("timer-loop")}`);
