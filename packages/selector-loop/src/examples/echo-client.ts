/**
 * A vmbench-style echo client: N connections, each with one message in flight (send, wait for
 * the whole echo, repeat), reporting requests per second and MiB per second. vmbench ran it
 * with 1 KiB, 10 KiB and 100 KiB messages against echo servers of every kind.
 *
 *   connection 1: write(msg) ─► readexactly(size) ─► write(msg) ─► ...
 *   connection N:   "                                                    (all on one loop)
 */

import { type Coro, gather } from "@aioloop/core";
import type { TcpAddress } from "@aioloop/transports";
import { getSelectorLoop } from "../selector-loop.js";
import { openConnection } from "@aioloop/transports";

/** vmbench's message sizes. */
export const VMBENCH_SIZES = [1024, 10 * 1024, 100 * 1024] as const;

const MIB = 1024 * 1024;

/** Options of echoClient. */
export interface EchoClientOptions extends TcpAddress {
  /** Concurrent connections (default 10). */
  connections?: number;
  /** Bytes per message (default 1 KiB). */
  messageSize?: number;
  /** Stop after this many requests in total ... */
  requests?: number;
  /** ... or after this many milliseconds (default 1000 when requests is not given). */
  duration?: number;
}

/** What echoClient measured. */
export interface EchoClientReport {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Message bytes per second, one direction. */
  mibPerSecond: number;
  connections: number;
  messageSize: number;
}

/**
 * Drive an echo server and measure it.
 * @example
 * const r = yield* echoClient({ host: "127.0.0.1", port, messageSize: 10 * 1024 });
 * console.log(`${r.requestsPerSecond.toFixed(0)} req/s, ${r.mibPerSecond.toFixed(1)} MiB/s`);
 */
export function* echoClient(opts: EchoClientOptions): Coro<EchoClientReport> {
  const loop = getSelectorLoop("echoClient");
  const connections = opts.connections ?? 10;
  const size = opts.messageSize ?? 1024;
  const limit = opts.requests ?? Number.POSITIVE_INFINITY;
  const deadline =
    opts.requests === undefined ? loop.time() + (opts.duration ?? 1000) : Number.POSITIVE_INFINITY;
  const message = new Uint8Array(size).fill(0x61);
  let issued = 0;
  let done = 0;
  const start = loop.time();
  function* worker(): Coro<void> {
    const [reader, writer] = yield* openConnection({ host: opts.host, port: opts.port });
    try {
      while (issued < limit && loop.time() < deadline) {
        issued++;
        writer.write(message);
        yield* reader.readexactly(size);
        done++;
      }
    } finally {
      writer.close();
    }
  }
  yield* gather(Array.from({ length: connections }, worker));
  const seconds = (loop.time() - start) / 1000;
  return {
    requests: done,
    seconds,
    requestsPerSecond: done / seconds,
    mibPerSecond: (done * size) / MIB / seconds,
    connections,
    messageSize: size,
  };
}
