/**
 * The `import-cycle` rule of check-seams: no run-time import cycle among one package's own files.
 *
 * HOW: a graph of the package's relative value imports and re-exports (`import type` and
 * all-type specifiers do not count), its strongly connected components, and one cycle through
 * each reported at the import that starts it.
 * WHY: a cycle makes module evaluation order matter, so a class can be used before it is
 * defined, depending only on which file was imported first.
 */

import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const CYCLE_ADVICE =
  "break it: move what both sides need into a module of its own, or import only types (`import type`) on one side";

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

export function checkCycles(program, ws, files, root, report) {
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
      `run-time import cycle: ${chain.join(", ")}${more}: ${CYCLE_ADVICE}`,
    );
  }
}
