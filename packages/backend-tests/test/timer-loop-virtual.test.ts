// The kit on TimerLoop with a virtual clock: blocking (runSync), exact loop times.
import { TimerLoop } from "@aioloop/timer-loop";
import { defineBackendTests } from "../src/index.js";

defineBackendTests({
  name: "TimerLoop(virtual)",
  make: () => new TimerLoop({ clock: "virtual" }),
  blocking: true,
  virtualTime: true,
});
