/** Helpers of epoll-loop's tests: loopback listeners on raw fds, and the process's open fds. */
import { readdirSync } from "node:fs";
import type { Address } from "@aioloop/transports";
import type { EpollLoop, FdSocket } from "../src/index.js";

export const HOST = "127.0.0.1";

/** How many file descriptors this process has open (the entries of /proc/self/fd). */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** A listening loopback socket on a free port, and the port. */
export function listener(loop: EpollLoop, backlog = 128): [FdSocket, number] {
  const sock = loop.socket(4);
  sock.bind({ host: HOST, port: 0 });
  sock.listen(backlog);
  const a = sock.getsockname();
  if (a === null || !("port" in a)) throw new Error("not a TCP socket");
  return [sock, a.port];
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The TCP port a server listens on. */
export function portOf(server: { address(): Address | null }): number {
  const a = server.address();
  if (a === null || !("port" in a)) throw new Error("not a TCP server");
  return a.port;
}
