// The page's program (bundled by esbuild into page.js): runs the portable scenarios on the
// page's main thread, or (?where=worker) starts worker.js and relays its lines. Every line
// goes to console.log, where the runner (playwright) reads it.
//   /index.html?where=page|worker&only=id,id,...

import { runScenarios } from "../scenarios/harness.mjs";
import { scenarios } from "../scenarios/portable.mjs";

const params = new URLSearchParams(location.search);
const ids = (params.get("only") ?? "").split(",").filter(Boolean);
const log = (line) => console.log(line);

if (params.get("where") === "worker") {
  const worker = new Worker("./worker.js");
  worker.onmessage = (e) => log(e.data);
  worker.onerror = (e) => log(`worker error: ${e.message}`);
  worker.postMessage({ ids });
} else {
  runScenarios(scenarios, ids, log);
}
