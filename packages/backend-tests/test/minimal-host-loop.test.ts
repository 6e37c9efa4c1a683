// The kit on its own minimal backend: host-driven only, virtual clock, @aioloop/core alone.
import { defineBackendTests, MinimalHostLoop } from "../src/index.js";

defineBackendTests({
  name: "MinimalHostLoop",
  make: () => new MinimalHostLoop(),
  blocking: false,
  virtualTime: true,
});
