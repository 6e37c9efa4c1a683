/**
 * The socket loops every transport, stream and accept test runs on: one matrix, the same tests.
 * SelectorLoop always; EpollLoop (@aioloop/epoll-loop) where its native addon is built (Linux).
 * Each case says how to do the few things that differ between Node sockets and file
 * descriptors: reset a connection, count the bytes received but not read, tell a closed socket.
 */
import net from "node:net";
import type { Coro, EventLoop } from "@aioloop/core";
import { type EpollLoop, FdSocket, epollAvailable, run as runEpoll } from "@aioloop/epoll-loop";
import type { Transport } from "@aioloop/transports";
import { run as runSelector } from "../../src/run.js";

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
