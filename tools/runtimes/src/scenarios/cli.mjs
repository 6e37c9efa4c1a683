// The scenario program under Node, Bun and Deno:
//   node|bun|deno run -A  src/scenarios/cli.mjs [--only id,id,...]
// Prints one `@@runtimes {json}` line per event (see harness.mjs), then exits.

import { SCENARIOS } from "../catalog.mjs";
import { describeError, runScenarios } from "./harness.mjs";

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const at = args.indexOf("--only");
const ids = at >= 0 ? args[at + 1].split(",").filter(Boolean) : SCENARIOS.map((s) => s.id);

/** The scenarios of the modules `ids` need; a module that fails to load fails its scenarios. */
async function load(ids) {
  const impls = {};
  const files = new Set(ids.map((id) => SCENARIOS.find((s) => s.id === id)?.file));
  for (const file of files) {
    if (file === undefined) continue;
    try {
      const mod =
        file === "portable" ? await import("./portable.mjs") : await import("./node-compat.mjs");
      Object.assign(impls, mod.scenarios);
    } catch (e) {
      const error = `loading ${file}.mjs: ${describeError(e)}`;
      for (const s of SCENARIOS) {
        if (s.file === file)
          impls[s.id] = () => {
            throw new Error(error);
          };
      }
    }
  }
  return impls;
}

await runScenarios(await load(ids), ids, (line) => console.log(line));
// Exit at once: a worker pool or a socket left behind must not keep the runner waiting.
if (globalThis.Deno) globalThis.Deno.exit(0);
else globalThis.process.exit(0);
