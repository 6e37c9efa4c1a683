/**
 * The `published-types` rule of check-seams: a published (non-private) package's build sets
 * stripInternal, and the declarations it would emit compile on their own from its `exports`
 * entry points.
 *
 * HOW: emit each published package's declarations in memory with its own build options, then
 * compile them alone and map each error back to the source name that caused it.
 * WHY: a public declaration that names an @internal one leaves users with `any` under
 * skipLibCheck; only compiling the stripped output shows it.
 */

import { existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { ownerOf, sourcePaths } from "./workspace.mjs";

/** The compiler options of a package's build (its tsconfig.json, `extends` followed). */
export function buildOptions(ws) {
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
export function checkPublishedTypes(root, workspaces, filesOf, report, reportAt) {
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
