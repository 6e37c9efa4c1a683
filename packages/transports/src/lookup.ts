/**
 * `getaddrinfo` for any socket loop (asyncio's `loop.getaddrinfo`): Node's dns.lookup, i.e.
 * getaddrinfo(3) on libuv's thread pool, awaited as a Promise on the loop, its failures as
 * core's named OSErrors (GaiError). SelectorLoop and EpollLoop both answer with this.
 */

import { lookup } from "node:dns/promises";
import { type Coro, type EventLoop, coro, fromPromise } from "@aioloop/core";
import type { SocketAddress } from "./address.js";
import { toOSError } from "./errors.js";

/**
 * A resolved address, as `getaddrinfo` returns them (asyncio's `(family, type, proto,
 * canonname, sockaddr)` tuples, reduced to what Node reports): `host` is the numeric IP,
 * `port` the port that was asked for.
 */
export interface AddrInfo extends SocketAddress {
  /** 4 or 6. */
  familyNumber: 4 | 6;
}

/** Options of `getaddrinfo`. */
export interface GetaddrinfoOptions {
  /** 0 (default: both), 4 or 6. */
  family?: 0 | 4 | 6;
}

/**
 * Resolve `host` to addresses on `loop`. Throws GaiError when the name does not resolve,
 * TypeError for a host that is not a string, RangeError when `port` is not a non-negative
 * integer.
 */
export const resolveAddresses = coro(function* resolveAddresses(
  loop: EventLoop,
  host: string,
  port: number,
  opts: GetaddrinfoOptions = {},
): Coro<AddrInfo[]> {
  if (typeof host !== "string") throw new TypeError("getaddrinfo needs a host name string");
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0) {
    throw new RangeError(
      `getaddrinfo port: the size must be a non-negative integer, got ${String(port)}`,
    );
  }
  let found: { address: string; family: number }[];
  try {
    found = yield* fromPromise(lookup(host, { all: true, family: opts.family ?? 0 }), loop);
  } catch (e) {
    throw toOSError(e, `getaddrinfo(${JSON.stringify(host)})`);
  }
  return found.map((a) => ({
    host: a.address,
    port,
    family: a.family === 6 ? "IPv6" : "IPv4",
    familyNumber: a.family === 6 ? 6 : 4,
  }));
});
