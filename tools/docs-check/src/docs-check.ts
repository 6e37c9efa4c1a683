/**
 * Docs that run (issue 13). Every ```ts / ```typescript / ```js block of the README, docs/*.md and
 * packages/*\/README.md is written into one scratch project whose `@aioloop/*` are the workspace
 * packages as built (their package.json exports: dist/), type-checked there by one TypeScript
 * program (strict, NodeNext), and every complete block is then run with node, each in its own
 * child process with a timeout.
 *
 * A block that is deliberately a fragment says so, either in its info string (```ts fragment) or
 * in an HTML comment on the line right before it:
 *
 *     <!-- fragment: what it leaves out (a note for the reader of the source)
 *     declare const url: string;
 *     -->
 *
 * The comment's first line is a note; its next lines are TypeScript put before the block: the
 * declarations the fragment needs. A fragment is type-checked with its imports at the top of the
 * module and the rest of it inside `function* (): Coro<any> { ... }` (so `yield*` is allowed);
 * it is not run.
 *
 * A block that imports `vitest` or `@aioloop/backend-tests` is a test file: vitest runs it, node
 * cannot, so it is type-checked only (whole, not wrapped).
 *
 * Shell blocks (```sh) are not run; the scripts and files their commands name must exist
 * (`pnpm <script>`, `npx -y pnpm@10 run <script>`, `--filter <package>`, `cd <dir>`, a file
 * given to tsx or node, an `@aioloop/*` package to install).
 *
 * A block's relative import (`./emitter-backend.js`) is the file of that name (`.ts`) in the
 * document's directory or in its `examples/` directory, copied beside the block. In a fragment,
 * a relative import found nowhere is left out: its names are the fragment comment's to declare.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** The documents whose blocks are checked, relative to the repository root. */
export function documents(root: string): string[] {
  const docs = ["README.md"];
  for (const f of readdirSync(join(root, "docs")).sort()) {
    if (f.endsWith(".md")) docs.push(`docs/${f}`);
  }
  for (const p of readdirSync(join(root, "packages")).sort()) {
    if (existsSync(join(root, "packages", p, "README.md"))) docs.push(`packages/${p}/README.md`);
  }
  return docs;
}

export interface Block {
  /** The document, relative to the root. */
  doc: string;
  /** The 1-based line of the opening fence. */
  line: number;
  lang: "ts" | "js";
  code: string;
  fragment: boolean;
  /** A test file (imports vitest or the kit): type-checked, not run. */
  testFile: boolean;
  /** A fragment's declarations (from its `<!-- fragment: ... -->` comment). */
  prelude: string;
  /** `doc:line`, the block's name in reports. */
  id: string;
}

const LANGS: Record<string, "ts" | "js"> = {
  ts: "ts",
  typescript: "ts",
  js: "js",
  javascript: "js",
  mjs: "js",
};

/** An import that makes a block a test file. */
const TEST_IMPORT = /^\s*import\b[^;]*?\bfrom\s*["'](vitest|@aioloop\/backend-tests)["']/m;

/** The code blocks of one markdown text, with shell blocks' languages left out. */
export function extractBlocks(doc: string, md: string): Block[] {
  const lines = md.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++;
    const lang = LANGS[open[2]!.toLowerCase()];
    if (lang) {
      const comment = commentBefore(lines, i);
      const infoFragment = /\bfragment\b/.test(open[3]!);
      const commentFragment = comment !== null && /^\s*fragment\b/.test(comment);
      const fragment = infoFragment || commentFragment;
      const code = lines.slice(i + 1, end).join("\n");
      blocks.push({
        doc,
        line: i + 1,
        lang,
        code,
        fragment,
        testFile: TEST_IMPORT.test(code),
        // The comment's first line is a note; the lines after it, the declarations.
        prelude: commentFragment ? comment!.split("\n").slice(1).join("\n") : "",
        id: `${doc}:${i + 1}`,
      });
    }
    i = end;
  }
  return blocks;
}

/** The text of an HTML comment that ends on the line right before line `i`, if any. */
function commentBefore(lines: string[], i: number): string | null {
  const last = i - 1;
  if (last < 0 || !lines[last]!.trimEnd().endsWith("-->")) return null;
  for (let j = last; j >= 0; j--) {
    const at = lines[j]!.indexOf("<!--");
    if (at >= 0) {
      const text = lines.slice(j, last + 1).join("\n");
      return text.slice(text.indexOf("<!--") + 4, text.lastIndexOf("-->"));
    }
  }
  return null;
}

/** One block as written into the scratch project. */
export interface Written {
  block: Block;
  /** The TypeScript or JavaScript file, absolute. */
  file: string;
  /** The file node runs, absolute (complete blocks). */
  out: string;
  /** For each line of `file` (0-based), the document's line (1-based), or 0 for added lines. */
  map: number[];
}

export interface Project {
  dir: string;
  written: Written[];
  /** Per block id: its type errors, as `doc:line: message`. */
  errors: Map<string, string[]>;
  /** Errors of no block (options, libraries). */
  global: string[];
}

/** The workspace packages a block may import, by their directory under packages/. */
const PACKAGES = [
  "core",
  "timer-loop",
  "transports",
  "selector-loop",
  "epoll-loop",
  "files",
  "backend-tests",
];

/** Where a block's relative import is looked for, relative to the document's directory. */
const LOOKUP = [".", "examples"];

/**
 * Write every block into a fresh scratch project, type-check them all with one program and emit
 * their JavaScript. Synchronous: a few seconds for the whole documentation.
 */
export function buildProject(root: string, blocks: Block[]): Project {
  const dir = mkdtempSync(join(tmpdir(), "aioloop-docs-"));
  writeFileSync(join(dir, "package.json"), '{ "private": true, "type": "module" }\n');
  mkdirSync(join(dir, "node_modules", "@aioloop"), { recursive: true });
  for (const p of PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(root, "packages", p, "package.json"), "utf8"));
    symlinkSync(join(root, "packages", p), join(dir, "node_modules", pkg.name), "dir");
  }
  const written = blocks.map((b) => writeBlock(root, dir, b));
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // The lib the packages are built with (tsconfig.base.json), and Node's types.
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
    skipLibCheck: true,
    allowJs: true,
    checkJs: true,
    rootDir: dir,
    outDir: join(dir, "out"),
    noEmitOnError: false,
  };
  const program = ts.createProgram(
    written.map((w) => w.file),
    options,
  );
  const byFile = new Map(written.map((w) => [w.file, w]));
  const errors = new Map<string, string[]>(blocks.map((b) => [b.id, []]));
  const global: string[] = [];
  const all = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  for (const d of all) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const w = d.file ? byFile.get(resolve(d.file.fileName)) : undefined;
    if (!d.file) {
      global.push(text);
    } else if (!w) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      global.push(`${relative(dir, d.file.fileName)}:${line + 1}: ${text}`);
    } else {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      const at = w.map[line] ?? 0;
      const where = at > 0 ? `${w.block.doc}:${at}` : `${w.block.id} (the fragment's wrapper)`;
      errors.get(w.block.id)!.push(`${where}: ${text}`);
    }
  }
  program.emit();
  return { dir, written, errors, global };
}

function writeBlock(root: string, dir: string, b: Block): Written {
  const docDir = dirname(b.doc);
  const name = `${b.doc.replace(/[/.]/g, "_")}_L${b.line}.${b.lang === "ts" ? "ts" : "js"}`;
  const file = join(dir, docDir, name);
  mkdirSync(dirname(file), { recursive: true });
  const code = b.code.split("\n");
  const src = ts.createSourceFile(name, b.code, ts.ScriptTarget.Latest, true);
  // Relative imports: copy the file they name beside the block, or (fragments) leave them out.
  const dropped = new Set<number>();
  const importLines = new Set<number>();
  for (const st of src.statements) {
    if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) continue;
    const first = src.getLineAndCharacterOfPosition(st.getStart()).line;
    const last = src.getLineAndCharacterOfPosition(st.getEnd()).line;
    if (ts.isImportDeclaration(st)) for (let l = first; l <= last; l++) importLines.add(l);
    const spec = st.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    const found = copyRelative(root, dir, docDir, spec.text);
    if (!found && b.fragment) for (let l = first; l <= last; l++) dropped.add(l);
  }
  const lines: string[] = [];
  const map: number[] = [];
  const add = (text: string, at: number) => {
    lines.push(text);
    map.push(at);
  };
  if (!b.fragment) {
    code.forEach((text, i) => {
      add(text, b.line + 1 + i);
    });
  } else {
    code.forEach((text, i) => {
      if (importLines.has(i) && !dropped.has(i)) add(text, b.line + 1 + i);
    });
    add('import type { Coro as __Coro } from "@aioloop/core";', 0);
    for (const text of b.prelude.split("\n")) add(text, 0);
    add("export function* __fragment(): __Coro<any> {", 0);
    code.forEach((text, i) => {
      if (!importLines.has(i)) add(text, b.line + 1 + i);
    });
    add("}", 0);
  }
  // A block that imports nothing is a script to TypeScript: make it a module like the others.
  if (!/^\s*(import|export)\b/m.test(lines.join("\n"))) add("export {};", 0);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const out = join(dir, "out", docDir, name.replace(/\.ts$/, ".js"));
  return { block: b, file, out, map };
}

/** Copy the file a relative import names (a `.ts` for a `.js`) beside the blocks; found? */
function copyRelative(root: string, dir: string, docDir: string, spec: string): boolean {
  const ts_ = spec.replace(/\.js$/, ".ts");
  const target = join(dir, docDir, ts_);
  if (existsSync(target)) return true;
  for (const where of LOOKUP) {
    const from = join(root, docDir, where, ts_);
    if (existsSync(from)) {
      mkdirSync(dirname(target), { recursive: true });
      cpSync(from, target);
      return true;
    }
  }
  return false;
}

export interface RunResult {
  code: number | null;
  /** Killed after the timeout. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run one emitted block with node in its own process. */
export function runBlock(dir: string, w: Written, timeoutMs: number): Promise<RunResult> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [w.out],
      { cwd: dir, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
        done({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          timedOut: e?.killed === true,
          stdout,
          stderr,
          ms: performance.now() - started,
        });
      },
    );
  });
}

/** Run `jobs` at most `width` at a time; each job's promise settles as it finishes. */
export function pool<T>(width: number, jobs: (() => Promise<T>)[]): Promise<T>[] {
  let next = 0;
  const results = jobs.map(() => {
    let settle!: (v: Promise<T>) => void;
    const p = new Promise<T>((r) => {
      settle = r;
    });
    return { p, settle };
  });
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const p = jobs[i]!();
      results[i]!.settle(p);
      await p.catch(() => {});
    }
  };
  for (let i = 0; i < Math.min(width, jobs.length); i++) void worker();
  return results.map((r) => r.p);
}

export function removeProject(p: Project): void {
  rmSync(p.dir, { recursive: true, force: true });
}

export interface ShellBlock {
  doc: string;
  line: number;
  code: string;
  id: string;
}

/** The ```sh / ```bash / ```shell blocks of one markdown text. */
export function extractShellBlocks(doc: string, md: string): ShellBlock[] {
  const lines = md.split("\n");
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(open[1]!)) end++;
    if (/^(sh|bash|shell|console)$/i.test(open[2]!)) {
      blocks.push({
        doc,
        line: i + 1,
        code: lines.slice(i + 1, end).join("\n"),
        id: `${doc}:${i + 1}`,
      });
    }
    i = end;
  }
  return blocks;
}

/** pnpm's own commands that take no script name. */
const PNPM_BUILTINS = new Set(["install", "i", "add", "remove", "update", "exec", "dlx", "pack"]);

interface Workspace {
  /** package name -> its directory (absolute). */
  packages: Map<string, string>;
}

function workspace(root: string): Workspace {
  const packages = new Map<string, string>();
  for (const group of ["packages", "apps", "tools"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) {
      const pj = join(base, d, "package.json");
      if (existsSync(pj)) packages.set(JSON.parse(readFileSync(pj, "utf8")).name, join(base, d));
    }
  }
  return { packages };
}

function scripts(dir: string): Record<string, string> {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts ?? {};
}

/**
 * What a shell block names that does not exist: a pnpm script of the root (or of the package
 * `--filter` picks), a directory it `cd`s to, a file it runs, an `@aioloop/*` package it installs.
 * Commands are followed in order, so a `cd` applies to the lines after it.
 */
export function checkShell(root: string, b: ShellBlock): string[] {
  const ws = workspace(root);
  const problems: string[] = [];
  let cwd = root;
  b.code.split("\n").forEach((text, i) => {
    const where = `${b.doc}:${b.line + 1 + i}`;
    const line = text.replace(/(^|\s)#.*$/, "");
    for (const cmd of line.split(/&&|\|\||;/)) {
      const words = cmd
        .trim()
        .split(/\s+/)
        .filter((w) => w !== "");
      if (words.length === 0) continue;
      let at = 0;
      if (words[0] === "npx") {
        at = 1;
        while (words[at]?.startsWith("-")) at++;
        const tool = words[at] ?? "";
        if (/^(tsx|node)(@|$)/.test(tool)) {
          const file = words.slice(at + 1).find((w) => !w.startsWith("-"));
          if (file && !existsSync(resolve(cwd, file))) problems.push(`${where}: no file ${file}`);
          continue;
        }
        if (!/^pnpm(@|$)/.test(tool)) continue;
      } else if (words[0] === "cd") {
        const dir = resolve(cwd, words[1] ?? "");
        if (!existsSync(dir)) problems.push(`${where}: no directory ${words[1]}`);
        else cwd = dir;
        continue;
      } else if (words[0] === "npm" && (words[1] === "install" || words[1] === "i")) {
        for (const w of words.slice(2)) {
          if (w.startsWith("@aioloop/") && !ws.packages.has(w)) {
            problems.push(`${where}: no workspace package ${w}`);
          }
        }
        continue;
      } else if (words[0] !== "pnpm") {
        continue;
      }
      // pnpm [--filter <pkg>] <command or script> ...
      at++;
      let dir = cwd;
      while (words[at]?.startsWith("-")) {
        if (words[at] === "--filter" || words[at] === "-F") {
          const pkg = words[at + 1] ?? "";
          const found = ws.packages.get(pkg);
          if (!found) problems.push(`${where}: no workspace package ${pkg}`);
          else dir = found;
          at += 2;
        } else at++;
      }
      let name = words[at];
      if (name === undefined) continue;
      if (name === "add") {
        for (const w of words.slice(at + 1)) {
          if (w.startsWith("@aioloop/") && !ws.packages.has(w)) {
            problems.push(`${where}: no workspace package ${w}`);
          }
        }
        continue;
      }
      if (PNPM_BUILTINS.has(name)) continue;
      if (name === "run") name = words[at + 1] ?? "";
      const own = existsSync(join(dir, "package.json")) ? scripts(dir) : {};
      const bin = existsSync(join(root, "node_modules", ".bin", name));
      if (!(name in own) && !bin)
        problems.push(
          `${where}: no script "${name}" in ${relative(root, dir) || "the root"}'s package.json`,
        );
    }
  });
  return problems;
}
