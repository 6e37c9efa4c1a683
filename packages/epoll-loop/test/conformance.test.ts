// The conformance kit on EpollLoop, as a backend author outside core's packages runs it: both run
// modes (runSync blocks in epoll_wait; host-driven runs park in Node's loop), real clock.
import { defineBackendTests } from "@aioloop/backend-tests";
import { EpollLoop } from "../src/epoll-loop.js";
import { epollAvailable } from "../src/native.js";

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
