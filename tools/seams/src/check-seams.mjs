/**
 * check-seams: the seam between workspace packages, enforced (ARCHITECTURE.md, "The seam,
 * enforced"). Prints `file:line:col [rule] message` for every violation and exits 1 if any.
 *
 * Usage: node tools/check-seams.mjs [--root <dir>] [--json] [<package dir>...]
 *   --root   the workspace root (default: the repo this file is in)
 *   --json   print the violations as JSON instead of text
 *   dirs     report only these packages (e.g. packages/bench); the whole workspace is still read
 * CI runs it as the root turbo task `check-seams` (part of `pnpm test`) and in `pnpm lint`.
 *
 * HOW: one TypeScript program over every workspace package's src/, test/ and bench/ files (and
 * docs/examples/, held to the same rules as a package of its own), with
 * each package's `exports` mapped back to its sources (as vitest's aliases do), so every name
 * resolves to the declaration its author wrote, JSDoc tags included. Then, per file of package A:
 *
 *   rule                  fails when...
 *   internal              A uses a name (import, member, override, object-literal member) that
 *                         another workspace package declares @internal (or inside an @internal
 *                         class/interface): stripInternal removes it from the published .d.ts
 *   underscore-member     A reads a `_`-member (x._a, x["_a"], { _a } = x) whose declaration
 *                         cannot be resolved (`as any`, index signatures), or that resolves to a
 *                         type literal/interface A wrote as the target of a cast of another
 *                         package's value (`x as { _a: T }`, `x as unknown as Internals`): the
 *                         casts that bypass stripInternal
 *   cast-member           A reads any other member through such a cast while the value's own
 *                         public type has no such member (duck typing across the seam: a
 *                         rename on the other side fails only at run time)
 *   import-cycle          A has a run-time import cycle among its own files (value imports and
 *                         re-exports; `import type` and all-type specifiers do not count)
 *   undeclared-dependency A imports another workspace package its package.json does not list
 *                         (turbo orders builds by those lists)
 *   internal-comment      a src/ declaration of a package built with stripInternal has
 *                         "@internal" in a comment but no comment line starting with it:
 *                         TypeScript strips it all the same
 *   published-types       a published (non-private) package's build does not set stripInternal,
 *                         or its declarations, emitted as its build would, do not compile on
 *                         their own from its `exports` entry points (a public declaration names
 *                         an @internal one; users would get `any` under skipLibCheck)
 *
 * Allowed: `_`-members declared in A itself, and another package's `_`-members declared without
 * @internal (those are public, such as core's `Runnable._run()`).
 *
 * WHY the sources and not the built .d.ts: stripInternal makes a cross-package use of an
 * @internal name a compile error in the dependent package's build, but tests and vitest read the
 * sources, and a cast (`as unknown as`) silences the compiler. This check sees both, needs no
 * build, and says where the source is.
 *
 * This file is the entry (checkSeams, the report, the command line); the rules live beside it:
 * workspace.mjs (packages, files, the program), members.mjs (internal, underscore-member,
 * cast-member, undeclared-dependency, internal-comment), cycles.mjs (import-cycle) and
 * published-types.mjs (published-types).
 */

import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkCycles } from "./cycles.mjs";
import { checkFile } from "./members.mjs";
import { buildOptions, checkPublishedTypes } from "./published-types.mjs";
import { createProgram, findWorkspaces, packageFiles } from "./workspace.mjs";

export { findWorkspaces } from "./workspace.mjs";

/** @typedef {{ file: string, line: number, col: number, rule: string, pkg: string, message: string }} Violation */

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/**
 * Check the workspace at `root`.
 * @param {{ root: string, only?: string[] }} opts  only: package folders (relative to root) to report
 * @returns {{ violations: Violation[], packages: string[], files: number }}
 */
export function checkSeams({ root, only = [] }) {
  const absRoot = resolve(root);
  const workspaces = findWorkspaces(absRoot);
  const filesOf = new Map(workspaces.map((ws) => [ws, packageFiles(ws)]));
  const all = [...filesOf.values()].flat();
  const program = createProgram(absRoot, all, workspaces);
  const checker = program.getTypeChecker();
  const wanted = new Set(only.map((d) => resolve(absRoot, d)));
  const reported = (ws) => wanted.size === 0 || wanted.has(ws.dir);
  /** @type {Violation[]} */
  const violations = [];
  const seen = new Set();
  const reportAt = (ws, fileName, line, rule, message, col = 1) => {
    if (!reported(ws)) return;
    const file = relative(absRoot, fileName);
    const key = `${file}:${line}:${col}:${rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    violations.push({ file, line, col, rule, pkg: ws.name, message });
  };
  const report = (ws, node, rule, message) => {
    const sf = node.getSourceFile();
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    reportAt(ws, sf.fileName, line + 1, rule, message, character + 1);
  };
  for (const [ws, files] of filesOf) {
    if (!reported(ws)) continue;
    const here = (node, rule, message) => report(ws, node, rule, message);
    const strips = buildOptions(ws)?.stripInternal === true;
    for (const f of files) {
      const sf = program.getSourceFile(f);
      if (sf) checkFile(checker, sf, ws, workspaces, strips, here);
    }
    checkCycles(program, ws, files, absRoot, here);
  }
  checkPublishedTypes(absRoot, workspaces, filesOf, report, reportAt);
  violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return {
    violations,
    packages: workspaces.filter(reported).map((w) => w.name),
    files: all.length,
  };
}

/** Text for a terminal or CI log: violations grouped by package, then one summary line. */
export function formatReport({ violations, packages, files }) {
  const lines = [];
  for (const pkg of packages) {
    const mine = violations.filter((v) => v.pkg === pkg);
    if (mine.length === 0) continue;
    lines.push(`${pkg}: ${mine.length} violation${mine.length === 1 ? "" : "s"}`);
    for (const v of mine) lines.push(`  ${v.file}:${v.line}:${v.col} [${v.rule}] ${v.message}`);
  }
  const n = violations.length;
  lines.push(
    n === 0
      ? `check-seams: ${packages.length} package${packages.length === 1 ? "" : "s"}, ${files} files: no cross-package use of internals, no import cycles`
      : `check-seams: ${n} violation${n === 1 ? "" : "s"} in ${new Set(violations.map((v) => v.pkg)).size} of ${packages.length} packages (see tools/check-seams.mjs for the rules)`,
  );
  return lines.join("\n");
}

export const USAGE = "usage: node tools/check-seams.mjs [--root <dir>] [--json] [<package dir>...]";

/** The command line: returns the exit code (1 when there is any violation, 2 on bad usage). */
export function main(argv, defaultRoot = fileURLToPath(new URL("../../..", import.meta.url))) {
  let root = defaultRoot;
  let json = false;
  const only = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--root" && i + 1 < argv.length) root = argv[++i];
    else if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith("-")) {
      console.error(`unknown option ${a}\n${USAGE}`);
      return 2;
    } else only.push(a);
  }
  const known = new Set(findWorkspaces(resolve(root)).map((ws) => ws.dir));
  for (const dir of only) {
    if (!known.has(resolve(root, dir))) {
      console.error(`${dir} is not a workspace package folder under ${root}\n${USAGE}`);
      return 2;
    }
  }
  const result = checkSeams({ root, only });
  console.log(json ? JSON.stringify(result.violations, null, 2) : formatReport(result));
  return result.violations.length > 0 ? 1 : 0;
}
