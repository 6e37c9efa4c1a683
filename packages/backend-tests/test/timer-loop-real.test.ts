// The kit on TimerLoop with a real clock: blocking (runSync waits with Atomics.wait).
import { TimerLoop } from "@aioloop/timer-loop";
import { defineBackendTests } from "../src/index.js";

defineBackendTests({
  name: "TimerLoop(real)",
  make: () => new TimerLoop({ clock: "real" }),
  blocking: true,
  virtualTime: false,
});
