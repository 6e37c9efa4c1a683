/**
 * @aioloop/transports: asyncio's transports and protocols, streams (`openConnection` /
 * `startServer`) and servers, written once over a small socket-operations interface
 * (`SocketOps`, `ListenerOps`) that each I/O loop implements: SelectorLoop
 * (@aioloop/selector-loop, Node sockets) and EpollLoop (@aioloop/epoll-loop, file descriptors
 * over epoll). Applications import these names from their loop's package, which re-exports
 * them; a loop author implements the interfaces of socket-ops.ts.
 *
 * @packageDocumentation
 */

export {
  type Address,
  type SocketAddress,
  type TcpAddress,
  type UnixAddress,
  checkAddress,
  describeAddress,
  isUnixAddress,
  localAddress,
  peerAddress,
  serverAddress,
} from "./address.js";
export { EMPTY_BYTES, concatBytes, toBytes } from "./bytes.js";
export { ChunkBuffer } from "./chunk-buffer.js";
export {
  createConnection,
  createServer,
  createUnixConnection,
  createUnixServer,
  normalAddress,
} from "./connection.js";
export {
  AddressInUseError,
  BlockingIOError,
  BrokenPipeError,
  ConcurrentReadError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  GaiError,
  LineTooLongError,
  type NodeSystemError,
  NotSelectorLoopError,
  OSError,
  type OSErrorFields,
  PermissionError,
  ProcessLookupError,
  SelectorKeyError,
  SocketInUseError,
  TransportClosedError,
  connectionLost,
  toOSError,
} from "./errors.js";
export { IOHandle } from "./io-handle.js";
export { type AddrInfo, type GetaddrinfoOptions, resolveAddresses } from "./lookup.js";
export {
  BaseProtocol,
  type BaseProtocolLike,
  Protocol,
  type ProtocolFactory,
  type ProtocolLike,
} from "./protocols.js";
export {
  ACCEPT_BATCH,
  DEFAULT_BACKLOG,
  type ListenAddress,
  Server,
  type ServerOptions,
  listenBacklog,
  serverArgs,
} from "./server.js";
export type {
  Closeable,
  ListenerOps,
  SocketHooks,
  SocketOps,
  TransportHost,
} from "./socket-ops.js";
export { type SocketLoop, connectVia, getSocketLoop, isSocketLoop } from "./socket-loop.js";
export {
  DEFAULT_LIMIT,
  type ReadPausable,
  type Separator,
  StreamReader,
  type StreamReaderOptions,
} from "./stream-reader.js";
export { type ClientConnectedCallback, StreamReaderProtocol } from "./stream-protocol.js";
export { StreamWriter } from "./stream-writer.js";
export {
  type OpenConnectionOptions,
  type StartServerOptions,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
} from "./streams.js";
export {
  type BufferedProtocolLike,
  DEFAULT_HIGH_WATER,
  DEFAULT_LOW_WATER,
  type ExtraInfo,
  LOG_THRESHOLD_FOR_CONNLOST_WRITES,
  SOCKET_READ_HIGH_WATER,
  SocketTransport,
  type Transport,
  type TransportOptions,
  type TransportOwner,
} from "./transport.js";
