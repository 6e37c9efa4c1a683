/**
 * Addresses: `{ host, port }` for TCP and `{ path }` for Unix sockets, the shapes every
 * connect/listen call here takes and every `address()` / `getExtraInfo("peername")` returns.
 *
 * WHY objects and not asyncio's tuples: `(host, port)` is a tuple in Python because sockets
 * take tuples; Node takes `{ host, port }` / `{ path }`, so the address a server reports can be
 * handed to `openConnection` as it is.
 */

import type { AddressInfo, Server, Socket } from "node:net";

/**
 * A TCP address: host name or IP, and port (0 when listening: pick a free one). Python's
 * `(host, port)` tuple, as `asyncio.open_connection(host, port)` and `loop.create_server`
 * take it.
 * @example
 * const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 */
export interface TcpAddress {
  /**
   * Host name or IP address ("example.com", "127.0.0.1", "::1"). Connecting resolves a name
   * with getaddrinfo (GaiError when it does not resolve); listening on "" means every
   * interface. In a reported address (`server.address()`, `getaddrinfo`, "peername") it is
   * the numeric IP.
   */
  host: string;
  /**
   * TCP port, an integer 0-65535 (anything else is a TypeError naming the call). 0 when
   * listening picks a free port: read it back with `server.address()`.
   */
  port: number;
}

/**
 * A Unix domain socket (or Windows named pipe) path, as asyncio's `open_unix_connection(path)`
 * and `start_unix_server(path=...)` take it.
 */
export interface UnixAddress {
  /**
   * File system path of the socket ("/tmp/app.sock"), or a named pipe on Windows
   * (`\\.\pipe\app`). Must not be empty. Listening on a path that exists already
   * throws AddressInUseError.
   */
  path: string;
}

/** Where to connect or listen. */
export type Address = TcpAddress | UnixAddress;

/** A resolved socket address, as reported for a connected or listening socket. */
export interface SocketAddress extends TcpAddress {
  /** "IPv4" or "IPv6". */
  family: string;
}

/** Highest TCP port number. */
const MAX_PORT = 65535;

/** True for `{ path }`. */
export function isUnixAddress(a: Address): a is UnixAddress {
  return typeof (a as UnixAddress).path === "string";
}

/** Throw a TypeError naming `where` unless `a` is `{ host, port }` or `{ path }`. */
export function checkAddress(a: unknown, where: string): asserts a is Address {
  if (typeof a === "object" && a !== null) {
    const u = a as Partial<UnixAddress & TcpAddress>;
    if (typeof u.path === "string" && u.path.length > 0) return;
    if (
      typeof u.host === "string" &&
      typeof u.port === "number" &&
      Number.isInteger(u.port) &&
      u.port >= 0 &&
      u.port <= MAX_PORT
    ) {
      return;
    }
  }
  throw new TypeError(
    `${where} needs an address { host, port } (port an integer 0-${MAX_PORT}) or { path }, got ${JSON.stringify(a)}`,
  );
}

/** A short description for messages: "127.0.0.1:8080" or the path. */
export function describeAddress(a: Address): string {
  return isUnixAddress(a) ? a.path : `${a.host}:${a.port}`;
}

/** The peer's address of a connected socket, or null (pipes, closed sockets). */
export function peerAddress(sock: Socket): SocketAddress | null {
  const host = sock.remoteAddress;
  const port = sock.remotePort;
  if (host === undefined || port === undefined) return null;
  return { host, port, family: sock.remoteFamily ?? "" };
}

/** The local address of a socket, or null (pipes, closed sockets). */
export function localAddress(sock: Socket): SocketAddress | null {
  const host = sock.localAddress;
  const port = sock.localPort;
  if (host === undefined || port === undefined) return null;
  return { host, port, family: sock.localFamily ?? "" };
}

/** The address a listening server is bound to, in the shape `openConnection` takes. */
export function serverAddress(server: Server): Address | null {
  const a = server.address();
  if (a === null) return null;
  if (typeof a === "string") return { path: a };
  const info = a as AddressInfo;
  return { host: info.address, port: info.port };
}
