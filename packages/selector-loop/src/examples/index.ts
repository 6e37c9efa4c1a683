/**
 * @aioloop/selector-loop/examples: the demo programs (an echo server in streams and protocol
 * style, a vmbench-style echo client, a multi-client chat server), importable by the demo app
 * and the benchmarks.
 *
 * @packageDocumentation
 */

export { type Chat, type ChatServerOptions, chatServer } from "./chat-server.js";
export {
  type EchoClientOptions,
  type EchoClientReport,
  VMBENCH_SIZES,
  echoClient,
} from "./echo-client.js";
export {
  EchoProtocol,
  type EchoMode,
  type EchoServerOptions,
  echoServer,
  echoStream,
} from "./echo-server.js";
