// The kit on EpollLoop (@aioloop/epoll-loop), a backend written outside core's packages on the
// public seam alone: both run modes (runSync blocks in epoll_wait; host-driven runs park in
// Node's loop), real clock. Skipped where its native addon is not built (not Linux).
import { EpollLoop, epollAvailable } from "@aioloop/epoll-loop";
import { defineBackendTests } from "../src/index.js";

if (epollAvailable()) {
  defineBackendTests({
    name: "EpollLoop(runSync)",
    make: () => new EpollLoop(),
    blocking: true,
    virtualTime: false,
  });
  defineBackendTests({
    name: "EpollLoop(host)",
    make: () => new EpollLoop(),
    blocking: false,
    virtualTime: false,
  });
}
