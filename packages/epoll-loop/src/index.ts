/**
 * @aioloop/epoll-loop: asyncio's event loop over epoll, for Linux. A small Node-API addon
 * (epoll, an eventfd, non-blocking sockets), asyncio's fd-level API (`addReader`, `sockRecv`,
 * `sockSendall`, `sockAccept`, `sockConnect`...), and the transports, protocols, streams and
 * servers of @aioloop/transports (re-exported here), without Node's socket layer in between.
 * Where the addon is missing, `new EpollLoop()` throws EpollUnavailableError: use SelectorLoop
 * from @aioloop/selector-loop there.
 *
 * @packageDocumentation
 */

export {
  EpollBackend,
  type FdRegistration,
  MAX_EVENTS_PER_WAIT,
  RECV_SIZE,
  RECV_SLAB_SIZE,
} from "./epoll-backend.js";
export type { AddrInfo, GetaddrinfoOptions } from "@aioloop/transports";
export {
  EpollLoop,
  type EpollLoopOptions,
  type FdLike,
  getEpollLoop,
} from "./epoll-loop.js";
export {
  type FdFamily,
  FdListener,
  FdSocket,
  FdSocketOps,
  type UnixSocketAddress,
} from "./fd-socket.js";
export { EpollUnavailableError, epollAvailable } from "./native.js";
export { type RunOptions, run, runSync } from "./run.js";
export {
  type Address,
  AddressInUseError,
  BaseProtocol,
  BrokenPipeError,
  type BufferedProtocolLike,
  type ClientConnectedCallback,
  ConnectionRefusedError,
  ConnectionResetError,
  Protocol,
  type ProtocolFactory,
  type ProtocolLike,
  Server,
  type ServerOptions,
  type SocketAddress,
  StreamReader,
  StreamReaderProtocol,
  StreamWriter,
  type Transport,
  createConnection,
  createServer,
  createUnixConnection,
  createUnixServer,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
} from "@aioloop/transports";
