/**
 * Every suite, in the order `pnpm bench` runs them (cheap and in-process first, then the ones
 * that start processes or write files). `pnpm bench <area>` picks one by its `area`.
 */

import type { Suite } from "../harness.js";
import { acceptSuite } from "./accept.js";
import { echoSuite } from "./echo.js";
import { filesSuite } from "./files.js";
import { syncSuite } from "./sync.js";
import { tasksSuite } from "./tasks.js";
import { timersSuite } from "./timers.js";

export const SUITES: readonly Suite[] = [
  tasksSuite,
  syncSuite,
  timersSuite,
  echoSuite,
  acceptSuite,
  filesSuite,
];

/** The suites named by `areas` (all when empty); throws naming the known areas otherwise. */
export function selectSuites(areas: readonly string[]): Suite[] {
  if (areas.length === 0) return [...SUITES];
  return areas.map((a) => {
    const s = SUITES.find((x) => x.area === a);
    if (s === undefined) {
      throw new UnknownAreaError(
        `unknown area "${a}": choose from ${SUITES.map((x) => x.area).join(", ")}`,
      );
    }
    return s;
  });
}

/** `pnpm bench <area>` named an area that does not exist. */
export class UnknownAreaError extends Error {}
Object.defineProperty(UnknownAreaError.prototype, "name", { value: "UnknownAreaError" });
