/**
 * The socket workloads: `echo-server`, `echo-client` and `chat`, wrapping the examples that
 * @aioloop/selector-loop publishes under its "./examples" subpath.
 *
 * HOW: the examples are loaded with a dynamic import, so the demo builds and lists these
 * programs even against a selector-loop that does not ship them yet; running one then prints
 * what is missing instead of failing.
 */
import { type Coro, fromPromise } from "@aioloop/core";
import type { DemoProgram } from "../program.js";

/** Where selector-loop publishes its example servers and clients. */
const EXAMPLES = "@aioloop/selector-loop/examples";

/** Import the examples module, or say why it is not there and give null. */
function* loadExamples(
  out: (s: string) => void,
  program: string,
): Coro<Record<string, unknown> | null> {
  const specifier: string = EXAMPLES; // not a literal: the build must not depend on it
  try {
    return (yield* fromPromise(import(specifier))) as Record<string, unknown>;
  } catch (e) {
    out(
      `${program}: this build of @aioloop/selector-loop has no "${EXAMPLES}" yet (${(e as Error).message.split("\n")[0]}).\n` +
        "Rebuild once selector-loop ships its examples: npx -y pnpm@10 build\n",
    );
    return null;
  }
}

function pending(name: string, description: string): DemoProgram {
  return {
    name,
    description,
    mode: "host",
    source: "real workload: @aioloop/selector-loop examples",
    *main({ out }) {
      yield* loadExamples(out, name);
    },
  };
}

export const echoServer = pending(
  "echo-server",
  "TCP echo server from selector-loop's examples (--port N, --mode streams|protocol)",
);
export const echoClient = pending(
  "echo-client",
  "echo load: N connections sending 1/10/100 KiB messages; prints req/s and MiB/s",
);
export const chat = pending(
  "chat",
  "a line-based chat server from selector-loop's examples (--port N)",
);
