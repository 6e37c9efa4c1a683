// The Worker's program (bundled by esbuild into worker.js, a classic worker): runs the
// portable scenarios it is sent off the main thread, posting each line back to the page.

import { runScenarios } from "../scenarios/harness.mjs";
import { scenarios } from "../scenarios/portable.mjs";

self.onmessage = (e) => {
  runScenarios(scenarios, e.data.ids, (line) => self.postMessage(line));
};
