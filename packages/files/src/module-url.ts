/**
 * Which module a `runInWorker` job imports, and the one trap in that: the program's own main
 * module.
 *
 * HOW: `moduleSpecifier` turns the caller's URL or absolute path into the specifier the worker
 * imports (a relative path has no base there: refused with the fix). `checkNotMainModule`
 * refuses a call that would run the program again in a worker: the specifier is the main module
 * (`process.argv[1]`, resolved as Node resolves it), or, inside a pool worker, a module that
 * worker is still evaluating for a job (the program re-run there reached its own runInWorker).
 * WHY: importing the main module in a worker re-runs the whole program there, which calls
 * runInWorker again, in every worker, forever; a named error that says to move the function
 * into its own module ends that at the first call.
 */

import { realpathSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { MainModuleInWorkerError } from "./errors.js";

/** `moduleUrl` as a specifier the worker can import. */
export function moduleSpecifier(moduleUrl: string | URL): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl !== "string" || moduleUrl === "") {
    throw new TypeError(
      `runInWorker: moduleUrl must be a URL or an absolute path, got ${typeof moduleUrl}`,
    );
  }
  if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  if (moduleUrl.startsWith("./") || moduleUrl.startsWith("../")) {
    throw new TypeError(
      `runInWorker(${JSON.stringify(moduleUrl)}): a relative path has no base in a worker; pass new URL(${JSON.stringify(moduleUrl)}, import.meta.url)`,
    );
  }
  return moduleUrl;
}

/**
 * Shared with worker.js through globalThis (one per thread): in a pool worker, the module URLs it
 * is importing for CALL jobs (until their evaluation settles) and how to fail that job at once.
 */
const EVALUATING = Symbol.for("@aioloop/files.evaluating");
interface Evaluating {
  urls: Set<string>;
  report(url: string, error: Error): void;
}

let mainHref: string | null | undefined;

/** The file: URL of the program's main module (`process.argv[1]`), or null (a REPL, `-e`). */
export function mainModuleHref(): string | null {
  if (mainHref !== undefined) return mainHref;
  mainHref = null;
  const script = process.argv[1];
  if (typeof script === "string" && script !== "") {
    const abs = resolve(script);
    // `node main` runs main.js: try the name as given, then with the extensions Node adds.
    for (const candidate of [abs, `${abs}.js`, `${abs}.mjs`, `${abs}.cjs`]) {
      try {
        mainHref = pathToFileURL(realpathSync(candidate)).href;
        break;
      } catch {}
    }
  }
  return mainHref;
}

/**
 * Refuse a runInWorker() call that would run the program again in a worker: `spec` is the main
 * module, or (in a pool worker) a module this worker is evaluating for a job, i.e. the program
 * re-run there reached its own runInWorker call. The worker's job then fails with the error too,
 * so the caller's `yield*` gets it at once whatever the re-run program does with it.
 * @internal exported for tests.
 */
export function checkNotMainModule(spec: string, exportName: string): void {
  const evaluating = (globalThis as Record<symbol, unknown>)[EVALUATING] as Evaluating | undefined;
  const inWorker = evaluating?.urls.has(spec) === true;
  if (!inWorker && (!spec.startsWith("file:") || spec !== mainModuleHref())) return;
  const name = JSON.stringify(exportName);
  const trap = inWorker
    ? `the pool worker that imports ${spec} to find ${name} reached this call again: the module runs the program`
    : `${spec} is the program's main module; a worker imports it to find ${name}, which would run the whole program`;
  const e = new MainModuleInWorkerError(
    `runInWorker(${spec}, ${name}): ${trap} again in every worker (and again in theirs). ` +
      `Move ${name} into a module of its own and pass that module's URL ` +
      `(e.g. new URL("./${exportName}.js", import.meta.url))`,
  );
  if (inWorker) evaluating?.report(spec, e);
  throw e;
}
