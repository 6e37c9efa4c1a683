// The classic mistakes of async/await habits, and what they are told. At compile time (the
// missing `*`): the fixture project test/fixtures/ is compiled against the BUILT types (dist/,
// with stripInternal, as users get them), and a copy of it against src/, and each error must
// name the fix. At run time: the errors for an async function or a Promise given where a
// coroutine was expected, and for the compile-time mistakes forced through.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  BadYieldError,
  type Coro,
  NotACoroutineError,
  createTask,
  ensureFuture,
  getRunningLoop,
  sleep,
  waitFor,
} from "../src/index.js";
import { runOnMinimal } from "./support/minimal-loop.js";

/** The fix every wrong `yield` must report (the property name of AwaitWithYieldStar). */
const FIX = "use yield* (with the star) to await; for a Promise: yield* fromPromise(p)";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const fixture = `${fixtures}mistakes.ts`;
const dist = fileURLToPath(new URL("../dist/", import.meta.url));

/** Each `// @ts-expect-error <case>` of the fixture: the case and the line it applies to (0-based). */
function expectedErrors(text: string): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  text.split("\n").forEach((l, i) => {
    const m = /^\s*\/\/ @ts-expect-error (.+)$/.exec(l);
    if (m) out.push({ name: m[1]!, line: i + 1 });
  });
  return out;
}

/** The fixture as a user's project sees it (dist/), and as the monorepo does (src/). */
const variants = {
  dist: fixture,
  src: `${fixtures}mistakes.src.ts`,
} as const;

/**
 * One program: the fixture project (its tsconfig.json) with its `@ts-expect-error` directives
 * disabled, so the errors they expect are reported, plus a copy that imports src/ instead of the
 * built package. Returns each variant's diagnostics.
 */
function compileFixture(): {
  program: ts.Program;
  diagnostics: Record<keyof typeof variants, readonly ts.Diagnostic[]>;
} {
  const config = ts.getParsedCommandLineOfConfigFile(`${fixtures}tsconfig.json`, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (config === undefined) throw new Error("test/fixtures/tsconfig.json did not parse");
  const text = readFileSync(fixture, "utf8").replaceAll("// @ts-expect-error", "// (error here)");
  const texts = new Map<string, string>([
    [variants.dist, text],
    [variants.src, text.replace('from "@aioloop/core"', 'from "../../src/index.js"')],
  ]);
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const virtual = texts.get(name);
    return virtual === undefined
      ? read(name, version, ...rest)
      : ts.createSourceFile(name, virtual, version);
  };
  const program = ts.createProgram({ rootNames: [...texts.keys()], options: config.options, host });
  const general = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  const of = (name: string) => {
    const sf = program.getSourceFile(name)!;
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  };
  return {
    program,
    diagnostics: { dist: [...general, ...of(variants.dist)], src: of(variants.src) },
  };
}

describe("a `yield` without the star does not compile, and the error says the fix", () => {
  it("against the built .d.ts (stripInternal) and src/: each message ends with `yield*` and fromPromise", () => {
    // dist/ must be built from this src/ (turbo builds before testing; by hand: npx tsc -b).
    expect(
      readFileSync(fileURLToPath(new URL("../src/coro.ts", import.meta.url)), "utf8"),
    ).toContain(FIX);
    const built = existsSync(`${dist}coro.d.ts`) ? readFileSync(`${dist}coro.d.ts`, "utf8") : "";
    if (!built.includes(FIX)) {
      throw new Error("dist/ is missing or older than src/: run `npx tsc -b` in packages/core");
    }
    const cases = expectedErrors(readFileSync(fixture, "utf8"));
    expect(cases.map((c) => c.name)).toEqual([
      "yield promise, in a function* (): Coro<T>",
      "yield sleep(10), in a function* (): Coro<T>",
      "yield fut, in a function* (): Coro<T>",
      "yield promise, in run(function* () { … })",
      "yield sleep(10), in run(function* () { … })",
      "yield fut, in run(function* () { … })",
    ]);

    const { program, diagnostics } = compileFixture();
    // The fixture resolved @aioloop/core as a user's project does: to the built types.
    const files = program.getSourceFiles().map((f) => f.fileName);
    expect(files).toContain(`${dist}coro.d.ts`);
    expect(files).toContain(fileURLToPath(new URL("../src/coro.ts", import.meta.url)));

    for (const [variant, file] of Object.entries(variants) as [keyof typeof variants, string][]) {
      const found = diagnostics[variant].map((d) => ({
        file: d.file?.fileName,
        line: d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line ?? -1,
        text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
      }));
      // Nothing but the expected errors...
      expect(
        found.filter((d) => d.file !== file || !cases.some((c) => c.line === d.line)),
        variant,
      ).toEqual([]);
      // ...one per case, ending with the fix, and none about Future's members.
      for (const c of cases) {
        const here = found.filter((d) => d.line === c.line);
        expect(here, `${variant}: ${c.name}`).toHaveLength(1);
        const last = here[0]!.text.split("\n").at(-1);
        expect(last, `${variant}: ${c.name}`).toContain(`Property '"${FIX}"' is missing in type`);
        expect(here[0]!.text, `${variant}: ${c.name}`).not.toMatch(
          /_state|_result|missing the following properties/,
        );
      }
    }
    // One TypeScript program over the fixture: seconds of CPU, many more on a busy machine.
  }, 180_000);
});

describe("the run-time errors for async/await habits name the fix", () => {
  async function fetchPage(): Promise<number> {
    return 1;
  }
  function* page(): Coro<number> {
    return 1;
  }

  it("waitFor(asyncFn): names the async function, says to write a generator function using fromPromise", () => {
    expect(() => waitFor(fetchPage as never, 100)).toThrow(TypeError);
    expect(() => waitFor(fetchPage as never, 100)).toThrow(
      "waitFor needs a coroutine, Future, Task or Promise, got async function fetchPage: " +
        "write it as a generator function instead (`function* fetchPage(…): Coro<T>`) that " +
        "awaits each Promise with `yield* fromPromise(p)`, then pass `fetchPage(…)`",
    );
  });

  it("waitFor(generatorFn) still says to call it first", () => {
    expect(() => waitFor(page as never, 100)).toThrow(
      "got generator function page: call the generator function first: pass `page(…)`, not the function",
    );
  });

  it("ensureFuture(asyncFn): the same advice, as a NotACoroutineError", () => {
    expect(() => ensureFuture(fetchPage as never)).toThrow(NotACoroutineError);
    expect(() => ensureFuture(fetchPage as never)).toThrow(
      "ensureFuture needs a coroutine, Future, Task or Promise, got async function fetchPage: " +
        "write it as a generator function instead (`function* fetchPage(…): Coro<T>`)",
    );
    const [anonymous] = [async () => {}];
    expect(() => ensureFuture(anonymous as never)).toThrow(
      "got async function (anonymous): write it as a generator function instead (`function* f(…)",
    );
  });

  it("createTask(asyncFn()): a Promise is told to use fromPromise(p); createTask(asyncFn) to rewrite it", () => {
    const errors = runOnMinimal(function* () {
      const out: unknown[] = [];
      for (const wrong of [fetchPage(), fetchPage]) {
        try {
          createTask(wrong as never);
        } catch (e) {
          out.push(e);
        }
      }
      yield* sleep(0);
      return out;
    });
    expect(errors[0]).toBeInstanceOf(NotACoroutineError);
    expect((errors[0] as Error).message).toBe(
      "Task needs a coroutine, got a Promise: wrap Promises with `fromPromise(p)` (a Future " +
        "already: await it with `yield* fromPromise(p)`, no Task needed); to run an async " +
        "function's work as a task, write it as a generator function that awaits with " +
        "`yield* fromPromise(p)`",
    );
    expect((errors[1] as Error).message).toBe(
      "Task needs a coroutine, got async function fetchPage: write it as a generator function " +
        "instead (`function* fetchPage(…): Coro<T>`) that awaits each Promise with " +
        "`yield* fromPromise(p)`, then pass `fetchPage(…)`",
    );
  });

  it("the compile-time mistakes, forced through, fail at run time with the same fix", () => {
    const messages = runOnMinimal(function* () {
      const fut = getRunningLoop().createFuture<number>();
      const wrongs: unknown[] = [Promise.resolve(1), sleep(10), fut];
      const out: string[] = [];
      for (const wrong of wrongs) {
        const t = createTask(
          (function* (): Coro<void> {
            yield wrong as never;
          })(),
        );
        try {
          yield* t;
        } catch (e) {
          expect(e).toBeInstanceOf(BadYieldError);
          out.push((e as Error).message);
        }
      }
      fut.cancel();
      return out;
    });
    expect(messages[0]).toMatch(/yielded a Promise: write `yield\* fromPromise\(p\)`/);
    expect(messages[1]).toMatch(/yielded a generator: write `yield\* gen` \(with the star\)/);
    expect(messages[2]).toMatch(/used `yield fut`: write `yield\* fut` \(with the star\)/);
  });
});
