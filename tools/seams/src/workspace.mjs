/**
 * The workspace as check-seams sees it: the packages of pnpm-workspace.yaml (plus docs/examples/,
 * checked as a package of its own), the files of each that are checked, and one TypeScript
 * program over all of them.
 *
 * HOW: each package's `exports` is mapped back to its sources (as vitest's aliases do) through
 * `paths`, so a name imported from another package resolves to the declaration its author wrote.
 * WHY the sources: tests and vitest read them, and they keep the JSDoc tags (@internal) that the
 * built .d.ts strips; no build is needed.
 */

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ts from "typescript";

/** The folders of a package whose files are checked (the rest is build output or config). */
const SOURCE_DIRS = ["src", "test", "bench"];
const SOURCE_EXT = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".turbo", "coverage"]);
/** Folders outside the workspace packages whose code is checked as a user's would be. */
const EXAMPLE_DIRS = ["docs/examples"];

/** @typedef {{ name: string, dir: string, rel: string, manifest: Record<string, any> }} Workspace */

/** The package globs of pnpm-workspace.yaml (the `packages:` list; `dir/*` and plain dirs). */
function workspaceGlobs(root) {
  const file = join(root, "pnpm-workspace.yaml");
  if (!existsSync(file)) return ["packages/*", "apps/*", "tools/*"];
  const globs = [];
  let inPackages = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (inPackages) {
      const m = /^\s+-\s+["']?([^"'#]+?)["']?\s*(?:#.*)?$/.exec(line);
      if (m) globs.push(m[1]);
      else if (/^\S/.test(line)) inPackages = false;
    }
  }
  return globs;
}

/** @returns {Workspace[]} every workspace package (a folder matched by the globs, with a package.json). */
export function findWorkspaces(root) {
  const out = [];
  for (const glob of workspaceGlobs(root)) {
    if (glob.startsWith("!")) continue;
    const dirs = [];
    if (glob.endsWith("/*")) {
      const parent = join(root, glob.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const d of readdirSync(parent).sort()) dirs.push(join(parent, d));
    } else {
      dirs.push(join(root, glob));
    }
    for (const dir of dirs) {
      const pj = join(dir, "package.json");
      if (!existsSync(pj)) continue;
      const manifest = JSON.parse(readFileSync(pj, "utf8"));
      if (typeof manifest.name !== "string") continue;
      out.push({ name: manifest.name, dir, rel: relative(root, dir), manifest });
    }
  }
  // Example code the docs tell users to copy: held to the seam like a user's own package.
  for (const rel of EXAMPLE_DIRS) {
    const dir = join(root, rel);
    if (existsSync(dir) && !existsSync(join(dir, "package.json"))) {
      out.push({ name: rel, dir, rel, manifest: { private: true }, examples: true });
    }
  }
  return out;
}

/** The checked files of a package: src/, test/ and bench/, minus nested packages and output. */
export function packageFiles(ws) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        // A folder with its own package.json or workspace is not this package's (a test fixture).
        if (
          SKIP_DIRS.has(entry.name) ||
          existsSync(join(p, "package.json")) ||
          existsSync(join(p, "pnpm-workspace.yaml"))
        ) {
          continue;
        }
        walk(p);
      } else if (SOURCE_EXT.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) {
        files.push(p);
      }
    }
  };
  for (const d of ws.examples ? ["."] : SOURCE_DIRS) {
    const dir = join(ws.dir, d);
    if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  }
  return files;
}

/** A built path of an exports target (./dist/x.js, ./dist/x.d.ts) back to its source file. */
function sourceOf(ws, target) {
  const stem = target
    .replace(/^\.\//, "")
    .replace(/^dist\//, "src/")
    .replace(/\.d\.[cm]?ts$|\.[cm]?js$/, "");
  for (const ext of [".ts", ".tsx", ".mts", ".js", ".mjs"]) {
    const f = join(ws.dir, stem + ext);
    if (existsSync(f)) return f;
  }
  return null;
}

/** The first string of an exports condition object, preferring source-like conditions. */
function exportTarget(value) {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    for (const key of ["types", "import", "default", "node"]) {
      const t = exportTarget(value[key]);
      if (t) return t;
    }
  }
  return null;
}

/** `paths` that send every package name (and subpath export) to its sources. */
export function sourcePaths(workspaces) {
  /** @type {Record<string, string[]>} */
  const paths = {};
  for (const ws of workspaces) {
    const { exports: exp, main, types } = ws.manifest;
    const entries =
      exp && typeof exp === "object" && !Array.isArray(exp) && Object.keys(exp)[0]?.startsWith(".")
        ? Object.entries(exp)
        : [[".", exp ?? types ?? main ?? "./dist/index.js"]];
    for (const [key, value] of entries) {
      if (key.includes("*") || key.endsWith(".json")) continue;
      const target = exportTarget(value);
      const src = target && sourceOf(ws, target);
      if (src) paths[ws.name + key.slice(1)] = [src];
    }
  }
  return paths;
}

/** The workspace package a file belongs to (the deepest package folder holding it). */
export function ownerOf(workspaces, file) {
  let best = null;
  for (const ws of workspaces) {
    if (file.startsWith(ws.dir + sep) && (!best || ws.dir.length > best.dir.length)) best = ws;
  }
  return best;
}

/** The package name an import specifier names, if it is a bare one (`@s/a/b` → `@s/a`). */
export function packageNameOf(spec) {
  if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("node:")) return null;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

export function createProgram(root, files, workspaces) {
  const typeRoot = join(root, "node_modules", "@types");
  /** @type {ts.CompilerOptions} */
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts", "lib.dom.d.ts"],
    strict: true,
    noEmit: true,
    allowJs: true,
    checkJs: false,
    skipLibCheck: true,
    types: existsSync(join(typeRoot, "node")) ? ["node"] : [],
    typeRoots: [typeRoot],
    paths: sourcePaths(workspaces),
  };
  return ts.createProgram({ rootNames: files, options });
}
