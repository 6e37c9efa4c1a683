/**
 * The socket loops every transport, stream and accept test runs on: one matrix, the same tests.
 * SelectorLoop always; EpollLoop (@aioloop/epoll-loop) where its native addon is built (Linux).
 * Each case says how to do the few things that differ between Node sockets and file
 * descriptors: reset a connection, count the bytes received but not read, tell a closed socket.
 */
import net from "node:net";
import type { Coro, EventLoop } from "@aioloop/core";
import {
  type EpollLoop,
  FdSocket,
  epollAvailable,
  getEpollLoop,
  run as runEpoll,
} from "@aioloop/epoll-loop";
import type { Address, Transport } from "@aioloop/transports";
import { run as runSelector } from "../../src/run.js";
import { getSelectorLoop } from "../../src/selector-loop.js";
import { closeServer, listen } from "./net.js";

/** A resolved address, as both loops' getaddrinfo return them. */
interface Resolved {
  host: string;
  port: number;
  family: string;
  familyNumber: 4 | 6;
}

/**
 * asyncio's socket-level API as both loops have it (on net.Sockets for SelectorLoop, on file
 * descriptors for EpollLoop): what the socket tests call, whatever the socket is.
 */
export interface RawSocketLoop extends EventLoop {
  addReader(sock: unknown, cb: (...args: any[]) => void, ...args: any[]): void;
  removeReader(sock: unknown): boolean;
  addWriter(sock: unknown, cb: (...args: any[]) => void, ...args: any[]): void;
  removeWriter(sock: unknown): boolean;
  sockRecv(sock: unknown, n: number): Coro<Uint8Array>;
  sockRecvInto(sock: unknown, buf: Uint8Array): Coro<number>;
  sockSendall(sock: unknown, data: Uint8Array | string): Coro<void>;
  sockConnect(sock: unknown, address: Address): Coro<void>;
  getaddrinfo(host: string, port: number, opts?: { family?: 0 | 4 | 6 }): Coro<Resolved[]>;
}

/** A connected pair made through the loop's sockConnect/sockAccept, and its teardown. */
export interface RawPair {
  client: unknown;
  conn: unknown;
  teardown(): Coro<void>;
}

/** The raw sockets of one loop kind, and what the tests do to them directly. */
export interface RawSockets {
  /** The running loop's socket-level API. */
  loop(): RawSocketLoop;
  /** A connected pair on loopback. */
  pair(): Coro<RawPair>;
  /** A new unconnected socket for sockConnect. */
  fresh(): unknown;
  /** Close a socket made by `fresh`. */
  close(sock: unknown): void;
  /** Send a few bytes now (they fit in the kernel's buffer). */
  write(sock: unknown, data: string): void;
  /** The bytes that are there now, or null (what a reader callback reads). */
  readNow(sock: unknown): Uint8Array | null;
  /** Bytes received and not yet read. */
  unread(sock: unknown): number;
  /** Shut the write side down (the peer sees EOF). */
  shutdownWrite(sock: unknown): void;
  /** Reset the connection (RST) and close the socket. */
  reset(sock: unknown): void;
}

const nodeSockets: RawSockets = {
  loop: () => getSelectorLoop("test"),
  *pair() {
    const loop = getSelectorLoop("test");
    const [server, port] = yield* listen();
    const client = new net.Socket({ allowHalfOpen: true });
    yield* loop.sockConnect(client, { host: "127.0.0.1", port });
    const [conn] = yield* loop.sockAccept(server);
    return {
      client,
      conn,
      *teardown() {
        client.destroy();
        conn.destroy();
        yield* closeServer(server);
      },
    };
  },
  fresh: () => new net.Socket(),
  close: (s) => (s as net.Socket).destroy(),
  write: (s, data) => void (s as net.Socket).write(data),
  readNow: (s) => (s as net.Socket).read() as Uint8Array | null,
  unread: (s) => {
    (s as net.Socket).read(0); // let Node take what the kernel has
    return (s as net.Socket).readableLength;
  },
  shutdownWrite: (s) => void (s as net.Socket).end(),
  reset: (s) => void (s as net.Socket).resetAndDestroy(),
};

const fdSockets: RawSockets = {
  loop: () => getEpollLoop("test"),
  *pair() {
    const loop = getEpollLoop("test");
    const server = loop.socket(4);
    server.bind({ host: "127.0.0.1", port: 0 });
    server.listen(16);
    const client = loop.socket(4);
    const a = server.getsockname();
    if (a === null || !("port" in a)) throw new Error("no port");
    yield* loop.sockConnect(client, { host: "127.0.0.1", port: a.port });
    const [conn] = yield* loop.sockAccept(server);
    return {
      client,
      conn,
      *teardown() {
        for (const s of [client, conn, server]) s.close();
      },
    };
  },
  fresh: () => getEpollLoop("test").socket(4),
  close: (s) => (s as FdSocket).close(),
  write: (s, data) => void (s as FdSocket).send(data),
  readNow: (s) => {
    try {
      return (s as FdSocket).recv(65536);
    } catch {
      return null;
    }
  },
  unread: (s) => (s as FdSocket).bytesToRead(),
  shutdownWrite: (s) => (s as FdSocket).shutdown(1),
  reset: (s) => {
    (s as FdSocket).resetOnClose();
    (s as FdSocket).close();
  },
};

/** A loop under test, and the socket-level helpers that differ between loops. */
export interface SocketLoopCase {
  /** For test names. */
  name: string;
  /** asyncio.run on a new loop of this kind. */
  run<T>(main: () => Coro<T>): Promise<T>;
  /** What `getExtraInfo("socket")` is an instance of. */
  socketClass: abstract new (
    ...args: never[]
  ) => unknown;
  /** Reset the connection of `t` (RST to the peer), as Node's `resetAndDestroy()`. */
  reset(t: Transport): void;
  /** Bytes received on `t`'s socket and not yet handed to the transport. */
  unread(t: Transport): number;
  /**
   * The system call an error names: Node's libuv says "read" and "listen" where EpollLoop
   * names the real calls, recv(2) and bind(2).
   */
  syscall: { read: string; listen: string };
  /** asyncio's socket-level API on this loop's raw sockets. */
  raw: RawSockets;
  /** Whether the socket of a transport is closed. */
  socketClosed(sock: unknown): boolean;
  /** The loop's readiness API on a transport's socket (addReader...), for the in-use checks. */
  readiness(loop: EventLoop): {
    addReader(sock: unknown, cb: () => void): void;
    removeReader(sock: unknown): boolean;
    addWriter(sock: unknown, cb: () => void): void;
  };
}

const selector: SocketLoopCase = {
  name: "SelectorLoop",
  run: (main) => runSelector(main),
  socketClass: net.Socket,
  syscall: { read: "read", listen: "listen" },
  raw: nodeSockets,
  reset: (t) => (t.getExtraInfo("socket") as net.Socket).resetAndDestroy(),
  unread: (t) => (t.getExtraInfo("socket") as net.Socket).readableLength,
  socketClosed: (s) => (s as net.Socket).destroyed,
  readiness: (loop) => loop as never,
};

const epoll: SocketLoopCase = {
  name: "EpollLoop",
  run: (main) => runEpoll(main),
  socketClass: FdSocket,
  syscall: { read: "recv", listen: "bind" },
  raw: fdSockets,
  reset: (t) => {
    (t.getExtraInfo("socket") as FdSocket).resetOnClose();
    t.abort();
  },
  unread: (t) => (t.getExtraInfo("socket") as FdSocket).bytesToRead(),
  socketClosed: (s) => (s as FdSocket).fileno() === -1,
  readiness: (loop) => loop as EpollLoop as never,
};

/** The matrix: SelectorLoop, and EpollLoop where it can run. */
export const SOCKET_LOOPS: SocketLoopCase[] = epollAvailable() ? [selector, epoll] : [selector];
