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
 */

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The folders of a package whose files are checked (the rest is build output or config). */
const SOURCE_DIRS = ["src", "test", "bench"];
const SOURCE_EXT = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".turbo", "coverage"]);
/** Folders outside the workspace packages whose code is checked as a user's would be. */
const EXAMPLE_DIRS = ["docs/examples"];

/**
 * @typedef {{ name: string, dir: string, rel: string, manifest: Record<string, any> }} Workspace
 * @typedef {{ file: string, line: number, col: number, rule: string, pkg: string, message: string }} Violation
 */

// ---------------------------------------------------------------------------------------------
// The workspace: packages, their files, and how their names resolve
// ---------------------------------------------------------------------------------------------

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
function packageFiles(ws) {
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
function sourcePaths(workspaces) {
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
function ownerOf(workspaces, file) {
  let best = null;
  for (const ws of workspaces) {
    if (file.startsWith(ws.dir + sep) && (!best || ws.dir.length > best.dir.length)) best = ws;
  }
  return best;
}

/** The package name an import specifier names, if it is a bare one (`@s/a/b` → `@s/a`). */
function packageNameOf(spec) {
  if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("node:")) return null;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function createProgram(root, files, workspaces) {
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

// ---------------------------------------------------------------------------------------------
// Declarations: where a name lives and whether its author marked it @internal
// ---------------------------------------------------------------------------------------------

/**
 * Whether `decl` is @internal itself or sits inside an @internal class, interface, enum,
 * namespace or statement: exactly what stripInternal removes (TypeScript's own test, which looks
 * for "@internal" anywhere in the comments right before a declaration).
 */
function isInternal(decl) {
  const sf = decl.getSourceFile();
  for (let n = decl; n && !ts.isSourceFile(n); n = n.parent) {
    if (
      n === decl ||
      ts.isClassDeclaration(n) ||
      ts.isClassExpression(n) ||
      ts.isInterfaceDeclaration(n) ||
      ts.isTypeAliasDeclaration(n) ||
      ts.isEnumDeclaration(n) ||
      ts.isModuleDeclaration(n) ||
      ts.isFunctionDeclaration(n) ||
      ts.isVariableStatement(n) ||
      ts.isPropertyDeclaration(n) ||
      ts.isPropertySignature(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isParameter(n)
    ) {
      if (ts.isInternalDeclaration(n, sf)) return true;
    }
  }
  return false;
}

/** The declarations behind a symbol: aliases followed, union/intersection members split. */
function declarationsOf(checker, symbol) {
  if (!symbol) return [];
  let s = symbol;
  if (s.flags & ts.SymbolFlags.Alias) {
    try {
      s = checker.getAliasedSymbol(s);
    } catch {
      return [];
    }
  }
  const roots = checker.getRootSymbols(s);
  const decls = [];
  for (const r of roots.length > 0 ? roots : [s]) decls.push(...(r.declarations ?? []));
  return decls;
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

const ADVICE = {
  internal:
    "use the public API instead (core's LoopHost / addOutsideSource / wakeWord / blockOn, a loop's public methods, statistics()); if a power is missing, add it to the owning package's public, documented API",
  unresolved:
    "nothing declares it, so it is reached through `any` or an index signature: use the owning package's public API instead, or declare it in this package",
  cast: "this casts another package's value to a shape with its private members, which bypasses stripInternal: use the owning package's public API instead",
  cycle:
    "break it: move what both sides need into a module of its own, or import only types (`import type`) on one side",
};

function isTypeAssertion(n) {
  return ts.isAsExpression(n) || ts.isTypeAssertionExpression(n);
}

function stripParens(e) {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isNonNullExpression(x)) x = x.expression;
  return x;
}

/** The expression a chain of assertions starts from: `(x as unknown as T)` → x. */
function castOperand(e) {
  let x = stripParens(e);
  while (isTypeAssertion(x) || ts.isSatisfiesExpression(x)) x = stripParens(x.expression);
  return x;
}

/**
 * Type literals and interfaces/type aliases of this package used as the target of a cast of a
 * value that is not this package's own (another package's type, `any` or `unknown`), or as the
 * declared type of a variable initialised by such a cast (`const l: T = x as any`).
 */
function castShapes(checker, sf, ws, workspaces) {
  /** Each shape, with the types of the foreign values cast to it. */
  const shapes = new Map();
  const own = (decl) => ownerOf(workspaces, decl.getSourceFile().fileName) === ws;
  const foreignDecl = (d) => {
    const o = ownerOf(workspaces, d.getSourceFile().fileName);
    return o !== null && o !== ws;
  };
  /** Whether a type is (or extends, or is a union with) another workspace package's type. */
  const foreign = (t, depth = 0) => {
    if (depth > 8) return false;
    if (t.isUnionOrIntersection()) return t.types.some((p) => foreign(p, depth + 1));
    const sym = t.aliasSymbol ?? t.getSymbol();
    if ((sym?.declarations ?? []).some(foreignDecl)) return true;
    const target = t.target ?? t;
    if (target.isClassOrInterface?.()) {
      return checker.getBaseTypes(target).some((b) => foreign(b, depth + 1));
    }
    return false;
  };
  const foreignValue = (expr) => foreign(checker.getApparentType(checker.getTypeAtLocation(expr)));
  const add = (shape, from) => {
    if (!shapes.has(shape)) shapes.set(shape, []);
    shapes.get(shape).push(checker.getApparentType(checker.getTypeAtLocation(from)));
  };
  const markType = (typeNode, from) => {
    const visit = (n) => {
      if (ts.isTypeLiteralNode(n)) add(n, from);
      if (ts.isTypeReferenceNode(n)) {
        for (const d of declarationsOf(checker, checker.getSymbolAtLocation(n.typeName))) {
          if ((ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d)) && own(d)) {
            add(d, from);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(typeNode);
  };
  const visit = (n) => {
    if (isTypeAssertion(n)) {
      // `x as unknown as T`: the innermost operand is the value it really is.
      const from = castOperand(n);
      if (foreignValue(from)) markType(n.type, from);
    }
    if (ts.isVariableDeclaration(n) && n.type && n.initializer) {
      const init = stripParens(n.initializer);
      const from = isTypeAssertion(init) ? castOperand(init) : null;
      if (from && foreignValue(from)) markType(n.type, from);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return shapes;
}

/** The type literal or interface/type alias a member signature belongs to, if any. */
function shapeOf(decl) {
  if (!(ts.isPropertySignature(decl) || ts.isMethodSignature(decl))) return null;
  for (let n = decl.parent; n && !ts.isSourceFile(n); n = n.parent) {
    if (ts.isTypeLiteralNode(n) || ts.isInterfaceDeclaration(n)) {
      if (ts.isInterfaceDeclaration(n)) return [n];
      // A literal counts itself and, when it is a type alias's body, the alias.
      const out = [n];
      let p = n.parent;
      while (p && (ts.isIntersectionTypeNode(p) || ts.isParenthesizedTypeNode(p))) p = p.parent;
      if (p && ts.isTypeAliasDeclaration(p)) out.push(p);
      return out;
    }
  }
  return null;
}

/**
 * The string literal an expression stands for: itself, or (through parentheses and casts) a
 * const initialised with one, as in `const spec = "@scope/pkg"; await import(spec as string)`.
 */
function constantString(checker, expr) {
  const e = castOperand(expr);
  if (ts.isStringLiteralLike(e)) return e;
  if (!ts.isIdentifier(e)) return null;
  for (const d of checker.getSymbolAtLocation(e)?.declarations ?? []) {
    if (
      ts.isVariableDeclaration(d) &&
      d.initializer &&
      ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const
    ) {
      const init = castOperand(d.initializer);
      if (ts.isStringLiteralLike(init)) return init;
    }
  }
  return null;
}

/**
 * A declaration stripInternal removes because "@internal" appears somewhere in the comments
 * before it (TypeScript looks for the word anywhere), though no comment line starts with it:
 * prose such as "like the @internal queue" silently unpublishes a public declaration.
 */
function checkStrayInternal(node, sf, report) {
  if (!ts.isInternalDeclaration(node, sf)) return;
  const ranges = ts.getLeadingCommentRanges(sf.text, node.pos) ?? [];
  const tagged = ranges.some((r) =>
    sf.text
      .slice(r.pos, r.end)
      .split("\n")
      .some((line) => /^\s*(?:\/\*\*?|\/\/|\*)?\s*@internal\b/.test(line)),
  );
  if (!tagged) {
    const first = ts.isVariableStatement(node) ? node.declarationList.declarations[0] : node;
    const at = first?.name && !ts.isComputedPropertyName(first.name) ? first.name : node;
    report(
      at,
      "internal-comment",
      `a comment before this declaration mentions "@internal" in passing, and stripInternal removes any declaration whose comments contain that word: reword the comment, or start a line with \`@internal\` if it is meant to be internal`,
    );
  }
}

/**
 * Check one workspace's files. `report(node, rule, message)` records a violation.
 * @param {ts.TypeChecker} checker
 */
function checkFile(checker, sf, ws, workspaces, strips, report) {
  const shapes = castShapes(checker, sf, ws, workspaces);
  const otherPkg = (decl) => {
    const o = ownerOf(workspaces, decl.getSourceFile().fileName);
    return o !== null && o !== ws ? o : null;
  };

  /** A name another package declares @internal, from any of `decls`. */
  const internalFrom = (decls) => {
    for (const d of decls) {
      const o = otherPkg(d);
      if (o && isInternal(d)) return o;
    }
    return null;
  };

  const checkName = (node, name, decls, what) => {
    const owner = internalFrom(decls);
    if (owner) {
      report(
        node,
        "internal",
        `${what} \`${name}\` is @internal in ${owner.name} (stripInternal removes it from the published types): ${ADVICE.internal}`,
      );
      return true;
    }
    return false;
  };

  /** A member read: `obj.name`, `obj["name"]`, `{ name } = obj`. */
  const checkMember = (node, name, symbol) => {
    const decls = declarationsOf(checker, symbol);
    if (checkName(node, name, decls, "member")) return;
    if (decls.length === 0) {
      if (name.startsWith("_"))
        report(node, "underscore-member", `\`${name}\`: ${ADVICE.unresolved}`);
      return;
    }
    for (const d of decls) {
      const shape = shapeOf(d);
      const from = shape && !otherPkg(d) ? shape.flatMap((x) => shapes.get(x) ?? []) : [];
      if (from.length === 0) continue;
      if (name.startsWith("_")) {
        report(node, "underscore-member", `\`${name}\` is read through a cast: ${ADVICE.cast}`);
        return;
      }
      // Any other name: a duck-typed cast is harmless only while the value really has it.
      const missing = from.filter((t) => {
        const prop = checker.getPropertyOfType(t, name);
        return !prop || internalFrom(declarationsOf(checker, prop)) !== null;
      });
      if (missing.length > 0) {
        const what = missing.map((t) => checker.typeToString(t)).join(" | ");
        report(
          node,
          "cast-member",
          `\`${name}\` is read through a cast of another package's ${what}, whose public type has no \`${name}\` (or has it @internal), so nothing checks it still exists and a rename there fails here only at run time: use that package's public API, or ask for the member to be added to it`,
        );
        return;
      }
    }
  };

  /** A member this package declares that redeclares another package's @internal one. */
  const checkOverride = (member, type, where) => {
    if (!member.name || !type) return;
    const name =
      ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : null;
    if (!name) return;
    const prop = checker.getPropertyOfType(type, name);
    const owner = internalFrom(declarationsOf(checker, prop));
    if (owner) {
      report(
        member.name,
        "internal",
        `\`${name}\` ${where} an @internal member of ${owner.name} (gone from its published types; the loop would call this instead of its own): ${ADVICE.internal}`,
      );
    }
  };

  const deps = new Set(
    ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"].flatMap((k) =>
      Object.keys(ws.manifest[k] ?? {}),
    ),
  );
  const names = new Set(workspaces.map((w) => w.name));
  const checkSpecifier = (lit, at = lit) => {
    const pkg = packageNameOf(lit.text);
    if (pkg && names.has(pkg) && pkg !== ws.name && !deps.has(pkg) && !ws.examples) {
      const field = lit.getSourceFile().fileName.includes(`${sep}src${sep}`)
        ? "dependencies"
        : "devDependencies";
      report(
        at,
        "undeclared-dependency",
        `imports ${pkg}, which ${ws.rel}/package.json does not list: add "${pkg}": "workspace:*" to its ${field} so turbo builds it first (unless that makes a dependency cycle: then the code belongs in another package)`,
      );
    }
  };

  const inSrc = strips && sf.fileName.startsWith(join(ws.dir, "src") + sep);
  const visit = (node) => {
    const declares =
      (ts.isStatement(node) && (ts.isSourceFile(node.parent) || ts.isModuleBlock(node.parent))) ||
      ((ts.isClassElement(node) || ts.isTypeElement(node)) &&
        !ts.isObjectLiteralExpression(node.parent));
    if (inSrc && declares) {
      checkStrayInternal(node, sf, report);
    }
    if (ts.isPropertyAccessExpression(node)) {
      checkMember(node.name, node.name.text, checker.getSymbolAtLocation(node.name));
    } else if (ts.isElementAccessExpression(node)) {
      const arg = node.argumentExpression;
      if (ts.isStringLiteralLike(arg)) {
        const type = checker.getApparentType(checker.getTypeAtLocation(node.expression));
        checkMember(arg, arg.text, checker.getPropertyOfType(type, arg.text));
      }
    } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const key = node.propertyName ?? node.name;
      const name = ts.isIdentifier(key) || ts.isStringLiteralLike(key) ? key.text : null;
      if (name !== null && !node.dotDotDotToken) {
        const type = checker.getApparentType(checker.getTypeAtLocation(node.parent));
        checkMember(key, name, checker.getPropertyOfType(type, name));
      }
    } else if (
      ts.isObjectLiteralExpression(node) &&
      ts.isBinaryExpression(node.parent) &&
      node.parent.left === node &&
      node.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken
    ) {
      // ({ _a } = x): a destructuring assignment reads x's members.
      const type = checker.getApparentType(checker.getTypeAtLocation(node.parent.right));
      for (const p of node.properties) {
        if (
          (ts.isShorthandPropertyAssignment(p) || ts.isPropertyAssignment(p)) &&
          (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
        ) {
          checkMember(p.name, p.name.text, checker.getPropertyOfType(type, p.name.text));
        }
      }
    } else if (ts.isObjectLiteralExpression(node)) {
      // An object literal implementing another package's type must not fill its @internal slots.
      const ctx = checker.getContextualType(node);
      if (ctx) for (const p of node.properties) checkOverride(p, ctx, "fills");
    } else if (
      ts.isImportSpecifier(node) ||
      (ts.isExportSpecifier(node) && node.parent.parent.moduleSpecifier)
    ) {
      const name = (node.propertyName ?? node.name).text;
      const decls = declarationsOf(checker, checker.getSymbolAtLocation(node.name));
      checkName(node.propertyName ?? node.name, name, decls, "import");
    } else if (ts.isImportClause(node) && node.name) {
      checkName(
        node.name,
        "default",
        declarationsOf(checker, checker.getSymbolAtLocation(node.name)),
        "import",
      );
    } else if (ts.isQualifiedName(node)) {
      checkName(
        node.right,
        node.right.text,
        declarationsOf(checker, checker.getSymbolAtLocation(node.right)),
        "type",
      );
    } else if (ts.isImportTypeNode(node) && node.qualifier) {
      const q = ts.isQualifiedName(node.qualifier) ? node.qualifier.right : node.qualifier;
      checkName(q, q.text, declarationsOf(checker, checker.getSymbolAtLocation(q)), "type");
    } else if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      for (const clause of node.heritageClauses ?? []) {
        for (const t of clause.types) {
          const type = checker.getTypeAtLocation(t);
          const where = clause.token === ts.SyntaxKind.ExtendsKeyword ? "overrides" : "implements";
          for (const m of node.members) {
            if (m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) continue;
            checkOverride(m, type, where);
          }
        }
      }
    }
    // Module specifiers: imports, re-exports, import("…") and import types.
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      checkSpecifier(node.moduleSpecifier);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0]
    ) {
      const spec = constantString(checker, node.arguments[0]);
      if (spec) checkSpecifier(spec, node.arguments[0]);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      checkSpecifier(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

// ---------------------------------------------------------------------------------------------
// Run-time import cycles
// ---------------------------------------------------------------------------------------------

/** Whether an import/export declaration loads its module at run time. */
function isValueEdge(node) {
  if (ts.isImportDeclaration(node)) {
    const c = node.importClause;
    if (!c) return true; // import "./x.js"
    if (c.isTypeOnly) return false;
    if (c.name) return true;
    const b = c.namedBindings;
    if (!b) return true;
    if (ts.isNamespaceImport(b)) return true;
    return b.elements.length === 0 || b.elements.some((e) => !e.isTypeOnly);
  }
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return false;
    const c = node.exportClause;
    if (!c || ts.isNamespaceExport(c)) return true;
    return c.elements.length === 0 || c.elements.some((e) => !e.isTypeOnly);
  }
  return false;
}

/** The file a relative specifier names (`./x.js` → x.ts), if it is one of `known`. */
function resolveRelative(from, spec, known) {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.[cm]?js$|\.[cm]?ts$|\.tsx$/, "");
  const candidates = [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.mts`,
    `${stem}.cts`,
    `${stem}.js`,
    `${stem}.mjs`,
    `${stem}.cjs`,
    join(base, "index.ts"),
    join(base, "index.js"),
  ];
  return candidates.find((c) => known.has(c)) ?? null;
}

/** Strongly connected components (Tarjan), each with more than one file or a self-import. */
function cyclesOf(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!idx.has(to)) {
        strong(to);
        low.set(v, Math.min(low.get(v), low.get(to)));
      } else if (on.has(to)) {
        low.set(v, Math.min(low.get(v), idx.get(to)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
      if (comp.length > 1 || selfLoop) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** One cycle through `start` inside `comp`: the edges, in order (breadth-first, shortest). */
function cycleThrough(graph, comp, start) {
  const inComp = new Set(comp);
  const prev = new Map();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift();
    for (const e of graph.get(v) ?? []) {
      if (!inComp.has(e.to)) continue;
      if (e.to === start) {
        const path = [e];
        for (let x = v; x !== start; ) {
          const p = prev.get(x);
          path.unshift(p);
          x = p.from;
        }
        return path;
      }
      if (!seen.has(e.to)) {
        seen.add(e.to);
        prev.set(e.to, e);
        queue.push(e.to);
      }
    }
  }
  return [];
}

function checkCycles(program, ws, files, root, report) {
  const known = new Set(files);
  const graph = new Map();
  for (const f of files) {
    const sf = program.getSourceFile(f);
    const edges = [];
    for (const st of sf?.statements ?? []) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st))) continue;
      if (!st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      if (!st.moduleSpecifier.text.startsWith(".") || !isValueEdge(st)) continue;
      const to = resolveRelative(f, st.moduleSpecifier.text, known);
      if (to) edges.push({ from: f, to, node: st.moduleSpecifier });
    }
    graph.set(f, edges);
  }
  for (const comp of cyclesOf(graph)) {
    const path = cycleThrough(graph, comp, comp[0]);
    const where = (e) => {
      const sf = e.node.getSourceFile();
      const { line } = sf.getLineAndCharacterOfPosition(e.node.getStart(sf));
      return `${relative(root, e.from)}:${line + 1}`;
    };
    const chain = path.map((e) => `${where(e)} imports ${relative(dirname(e.from), e.to)}`);
    const more =
      comp.length > path.length
        ? ` (${comp.length} files in the cycle: ${comp.map((c) => relative(ws.dir, c)).join(", ")})`
        : "";
    report(
      path[0].node,
      "import-cycle",
      `run-time import cycle: ${chain.join(", ")}${more}: ${ADVICE.cycle}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Published types: what stripInternal leaves must still compile
// ---------------------------------------------------------------------------------------------

/** The compiler options of a package's build (its tsconfig.json, `extends` followed). */
function buildOptions(ws) {
  const file = join(ws.dir, "tsconfig.json");
  if (!existsSync(file)) return null;
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) return null;
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ws.dir, undefined, file).options;
}

/** The names of the declarations around `pos` (outermost first): ["Server", "close"]. */
function namePath(sf, pos) {
  const names = [];
  const visit = (n) => {
    if (pos < n.getStart(sf) || pos >= n.getEnd()) return;
    const name = n.name;
    if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) && !ts.isSourceFile(n)) {
      if (ts.isDeclarationStatement(n) || ts.isClassElement(n) || ts.isTypeElement(n)) {
        names.push(name.text);
      }
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(sf, visit);
  return names;
}

/** The node in `sf` declared under `path` (["Server", "close"]), or the deepest found. */
function findByPath(sf, path) {
  let found = null;
  const visit = (n, depth) => {
    if (depth >= path.length) return;
    const name = n.name;
    if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) && name.text === path[depth]) {
      if (!found || depth >= found.depth) found = { node: name, depth };
      ts.forEachChild(n, (c) => visit(c, depth + 1));
      return;
    }
    ts.forEachChild(n, (c) => visit(c, depth));
  };
  ts.forEachChild(sf, (c) => visit(c, 0));
  return found?.node ?? null;
}

/** The import or re-export of `name` in `sf` (where a stripped name is imported by a module). */
function findImport(sf, name) {
  for (const st of sf.statements) {
    const b = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : st.exportClause;
    if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !b) continue;
    if (ts.isNamedImports(b) || ts.isNamedExports(b)) {
      const e = b.elements.find((x) => (x.propertyName ?? x.name).text === name);
      if (e) return e;
    }
  }
  return null;
}

/**
 * Emit every published package's declarations as its build would (stripInternal), in memory,
 * and type-check them on their own (skipLibCheck off): a public declaration that refers to an
 * @internal one compiles in the package but leaves its users a dangling name (silently `any`
 * under their skipLibCheck). Also: a published package whose build does not strip internals.
 */
function checkPublishedTypes(root, workspaces, filesOf, report, reportAt) {
  const published = workspaces.filter((ws) => ws.manifest.private !== true);
  const stripping = [];
  for (const ws of published) {
    const opts = buildOptions(ws);
    if (!opts) continue;
    if (!opts.stripInternal) {
      reportAt(
        ws,
        join(ws.dir, "tsconfig.json"),
        1,
        "published-types",
        `${ws.name} is published, but its build does not strip @internal declarations: add "stripInternal": true to ${ws.rel}/tsconfig.json`,
      );
    } else {
      stripping.push(ws);
    }
  }
  if (stripping.length === 0) return;
  const sources = stripping.flatMap((ws) =>
    filesOf.get(ws).filter((f) => f.startsWith(join(ws.dir, "src") + sep)),
  );
  const out = join(root, ".check-seams-dts");
  const dts = new Map();
  const typeRoot = join(root, "node_modules", "@types");
  const types = existsSync(join(typeRoot, "node")) ? ["node"] : [];
  const common = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts", "lib.dom.d.ts"],
    strict: true,
    types,
    typeRoots: [typeRoot],
  };
  const emitter = ts.createProgram({
    rootNames: sources,
    options: {
      ...common,
      allowJs: true,
      declaration: true,
      emitDeclarationOnly: true,
      stripInternal: true,
      skipLibCheck: true,
      rootDir: root,
      outDir: out,
      paths: sourcePaths(workspaces),
    },
  });
  emitter.emit(undefined, (file, text) => {
    if (file.endsWith(".d.ts")) dts.set(resolve(file), text);
  });
  // The published names, resolved to the emitted declarations.
  const paths = {};
  for (const [name, [src]] of Object.entries(sourcePaths(stripping))) {
    paths[name] = [join(out, relative(root, src)).replace(/\.[cm]?[jt]sx?$/, ".d.ts")];
  }
  const host = ts.createCompilerHost({});
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => dts.has(resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => dts.get(resolve(f)) ?? readFile.call(host, f);
  const dirs = new Set();
  for (const f of dts.keys())
    for (let d = dirname(f); d.startsWith(out); d = dirname(d)) dirs.add(d);
  const { directoryExists } = host;
  host.directoryExists = (d) => dirs.has(resolve(d)) || (directoryExists?.call(host, d) ?? false);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = dts.get(resolve(f));
    return text !== undefined
      ? ts.createSourceFile(f, text, lang, true)
      : getSourceFile.call(host, f, lang, ...rest);
  };
  // From the entry points users import: a module they can never reach does not matter.
  const entries = Object.values(paths)
    .flat()
    .filter((f) => dts.has(resolve(f)));
  const checker = ts.createProgram({
    rootNames: entries,
    options: { ...common, noEmit: true, skipLibCheck: false, paths },
    host,
  });
  for (const d of ts.getPreEmitDiagnostics(checker)) {
    if (!d.file || !dts.has(resolve(d.file.fileName))) continue;
    const rel = relative(out, d.file.fileName);
    const srcFile = [".ts", ".tsx", ".mts", ".js", ".mjs"]
      .map((ext) => join(root, rel.replace(/\.d\.ts$/, ext)))
      .find((f) => existsSync(f));
    const ws = srcFile && ownerOf(workspaces, srcFile);
    if (!ws) continue;
    const text = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/\.$/, "");
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const path = namePath(d.file, d.start ?? 0);
    const dist = `${relative(ws.dir, srcFile)
      .replace(/^src/, "dist")
      .replace(/\.[cm]?[jt]sx?$/, ".d.ts")}:${line + 1}`;
    const message = `the published ${path.join(".") || "module"} (${dist}) does not compile once @internal declarations are stripped: ${text}. A public declaration uses something marked @internal: make that part public (drop @internal, document it) or keep it out of the public declaration`;
    const sf = emitter.getSourceFile(srcFile);
    const word = d.file.text.slice(d.start ?? 0, (d.start ?? 0) + (d.length ?? 0));
    const node = sf && (path.length > 0 ? findByPath(sf, path) : findImport(sf, word));
    if (node) report(ws, node, "published-types", message);
    else reportAt(ws, srcFile, 1, "published-types", message);
  }
}

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
