/** Helpers of epoll-loop's tests: loopback listeners on raw fds, and the process's open fds. */
import { readdirSync } from "node:fs";
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
  const a = sock.getsockname() as { port: number };
  return [sock, a.port];
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
