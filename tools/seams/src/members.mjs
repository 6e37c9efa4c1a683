/**
 * The member-access rules of check-seams, per file of a package A over the TypeScript API:
 * `internal` (A uses a name another package declares @internal), `underscore-member` (A reads a
 * `_`-member it cannot resolve, or through a cast of another package's value), `cast-member`
 * (A duck-types another package's value through a cast), `undeclared-dependency` and
 * `internal-comment` (see check-seams.mjs for the full table).
 *
 * HOW: walk each source file with the program's type checker, resolve every import, member
 * access, override and object-literal member to its declarations, and ask whether another
 * package's author marked them @internal (TypeScript's own stripInternal test).
 * WHY: stripInternal only fails a dependent's build; tests, vitest and `as unknown as` casts
 * slip past it, and this sees them all.
 */

import { join, sep } from "node:path";
import ts from "typescript";
import { ownerOf, packageNameOf } from "./workspace.mjs";

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

const ADVICE = {
  internal:
    "use the public API instead (core's LoopHost / addOutsideSource / wakeWord / blockOn, a loop's public methods, statistics()); if a power is missing, add it to the owning package's public, documented API",
  unresolved:
    "nothing declares it, so it is reached through `any` or an index signature: use the owning package's public API instead, or declare it in this package",
  cast: "this casts another package's value to a shape with its private members, which bypasses stripInternal: use the owning package's public API instead",
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
export function checkFile(checker, sf, ws, workspaces, strips, report) {
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
