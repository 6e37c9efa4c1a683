/**
 * The native addon (native/epoll.c, built by node-gyp at install) and what a missing one means.
 *
 * HOW: loaded once per process with `createRequire` from build/Release/epoll.node. Where it is
 * not there (not Linux, no compiler at install) `loadAddon()` throws EpollUnavailableError
 * saying to use SelectorLoop; nothing else in aioloop needs it. Hot-path calls return -errno;
 * `errnoError` turns one into core's named OSError (ConnectionResetError, AddressInUseError...)
 * with Node's `code` and the failing `syscall`.
 */

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { namedError } from "@aioloop/core";
import { toOSError } from "@aioloop/transports";

/** The addon's functions (see native/epoll.c for each one's contract). */
export interface EpollAddon {
  epollCreate(): number;
  epollCtl(epfd: number, op: number, fd: number, events: number): number;
  setEventBuffer(buf: Int32Array): void;
  epollWait(epfd: number, max: number, timeoutMs: number): number;
  eventfdCreate(): number;
  eventfdWrite(fd: number): number;
  eventfdRead(fd: number): number;
  pollStart(fd: number, cb: (events: number) => void): number;
  pollStop(): void;
  pollRef(on: boolean): void;
  socket(family: number): number;
  familyOf(host: string): number;
  setReuseAddr(fd: number): number;
  setNoDelay(fd: number, on: boolean): number;
  setV6Only(fd: number): number;
  bind(fd: number, host: string, port: number): number;
  bindUnix(fd: number, path: string): number;
  listen(fd: number, backlog: number): number;
  accept(fd: number): number;
  connect(fd: number, host: string, port: number): number;
  connectUnix(fd: number, path: string): number;
  recv(fd: number, buf: Uint8Array, offset: number, length: number): number;
  send(fd: number, buf: Uint8Array, offset: number, length: number): number;
  sendv(fd: number, chunks: readonly Uint8Array[], count: number, firstOffset: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  soError(fd: number): number;
  getsockname(fd: number): [string, number, number] | number;
  getpeername(fd: number): [string, number, number] | number;
  somaxconn(): number;
  noFileLimit(): [number, number] | number;
  resetOnClose(fd: number): number;
  inq(fd: number): number;
}

/**
 * The EpollLoop cannot run here: the native addon is missing (not Linux, or it could not be
 * built at install). The message says why and to use SelectorLoop from @aioloop/selector-loop.
 */
export class EpollUnavailableError extends Error {}
namedError(EpollUnavailableError, "EpollUnavailableError");

const ADDON_PATH = new URL("../build/Release/epoll.node", import.meta.url);

let addon: EpollAddon | null = null;
let failure: string | null = null;

function tryLoad(): void {
  if (addon !== null || failure !== null) return;
  if (process.platform !== "linux") {
    failure = `epoll is Linux's, and this is ${process.platform}`;
    return;
  }
  const path = ADDON_PATH.pathname;
  if (!existsSync(path)) {
    failure =
      "its native addon was not built at install (no C compiler or Node headers?); rebuild it with `node scripts/build-addon.mjs` in @aioloop/epoll-loop";
    return;
  }
  try {
    addon = createRequire(import.meta.url)(path) as EpollAddon;
  } catch (e) {
    failure = `its native addon failed to load (${(e as Error).message})`;
  }
}

/** Whether EpollLoop can run in this process (Linux, and the addon was built). */
export function epollAvailable(): boolean {
  tryLoad();
  return addon !== null;
}

/** The addon; throws EpollUnavailableError (saying to use SelectorLoop) when it is missing. */
export function loadAddon(): EpollAddon {
  tryLoad();
  if (addon === null) {
    throw new EpollUnavailableError(
      `EpollLoop is not available: ${failure}. Use SelectorLoop from @aioloop/selector-loop instead (the same API over Node's sockets, on every platform).`,
    );
  }
  return addon;
}

/** Linux epoll constants (sys/epoll.h), and shutdown's SHUT_WR. */
export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const SHUT_WR = 1;

const errnos = constants.errno as Record<string, number>;
/** errno → name ("ECONNRESET"), from Node's own table. */
const ERRNO_NAMES: string[] = [];
for (const [name, n] of Object.entries(errnos))
  if (ERRNO_NAMES[n] === undefined) ERRNO_NAMES[n] = name;

/** The errno of a name (EAGAIN → 11). */
export const E = {
  AGAIN: errnos.EAGAIN!,
  INPROGRESS: errnos.EINPROGRESS!,
  INTR: errnos.EINTR!,
  NOTCONN: errnos.ENOTCONN!,
  OPNOTSUPP: errnos.EOPNOTSUPP!,
};

/** The errno's name, e.g. "ECONNRESET" (or "E<n>" for one Node does not name). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/**
 * Core's named OSError for a failed system call: `errno` positive (as SO_ERROR gives it) or
 * negative (as the addon returns it); `what` prefixes the message.
 */
export function errnoError(errno: number, syscall: string, what?: string): Error {
  const n = Math.abs(errno);
  const code = errnoName(n);
  const raw = Object.assign(new Error(`${syscall} ${code}`), { code, errno: -n, syscall });
  return toOSError(raw, what) as Error;
}
