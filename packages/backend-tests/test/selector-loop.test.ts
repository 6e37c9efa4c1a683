// The kit on SelectorLoop: host-driven only (runSync is refused), real clock, socket readiness.
import { SelectorLoop } from "@aioloop/selector-loop";
import { defineBackendTests } from "../src/index.js";

defineBackendTests({
  name: "SelectorLoop",
  make: () => new SelectorLoop(),
  blocking: false,
  virtualTime: false,
});
