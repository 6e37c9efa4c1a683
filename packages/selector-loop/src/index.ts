/**
 * @aioloop/selector-loop: asyncio's I/O event loop for Node. Readiness over Node sockets,
 * transports and protocols, streams, servers, signals and subprocesses.
 *
 * @packageDocumentation
 */

export type {
  Address,
  SocketAddress,
  TcpAddress,
  UnixAddress,
} from "./address.js";
export {
  createConnection,
  createServer,
  createUnixConnection,
  createUnixServer,
} from "./connection.js";
export { EMPTY_BYTES, concatBytes, toBytes } from "./bytes.js";
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
  NotSelectorLoopError,
  OSError,
  type OSErrorFields,
  PermissionError,
  ProcessLookupError,
  SelectorKeyError,
  SocketInUseError,
  TransportClosedError,
  toOSError,
} from "./errors.js";
export { IOHandle } from "./io-handle.js";
export {
  BaseProtocol,
  type BaseProtocolLike,
  Protocol,
  type ProtocolFactory,
  type ProtocolLike,
} from "./protocols.js";
export { type RunOptions, run } from "./run.js";
export { type Closeable, type IOCallbacks, SelectorBackend } from "./selector-backend.js";
export {
  type AddrInfo,
  type GetaddrinfoOptions,
  SelectorLoop,
  type SelectorLoopOptions,
  getSelectorLoop,
} from "./selector-loop.js";
export {
  EVENT_READ,
  EVENT_WRITE,
  NodeSocketSelector,
  type Selectable,
  type SelectorEvent,
  SelectorKey,
  acceptNowait,
  eofReceived,
  watch,
} from "./selector.js";
export { Server, type ServerOptions } from "./server.js";
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
  DEVNULL,
  PIPE,
  Process,
  STDOUT,
  type StdioSpec,
  type SubprocessOptions,
  createSubprocessExec,
  createSubprocessShell,
} from "./subprocess.js";
export {
  type BufferedProtocolLike,
  DEFAULT_HIGH_WATER,
  DEFAULT_LOW_WATER,
  type ExtraInfo,
  LOG_THRESHOLD_FOR_CONNLOST_WRITES,
  SOCKET_READ_HIGH_WATER,
  SocketTransport,
  type Transport,
} from "./transport.js";
