/** Loopback helpers for the tests: every server listens on 127.0.0.1, port 0. */
import net from "node:net";
import { type Coro, fromPromise, sleep } from "@aioloop/core";
import type { Address } from "@aioloop/transports";
import { watch } from "../../src/selector.js";

export const HOST = "127.0.0.1";

/** A plain Node server on a free loopback port (paused sockets), and its port. */
export function* listen(
  opts: net.ServerOpts = { pauseOnConnect: true, allowHalfOpen: true },
): Coro<[net.Server, number]> {
  const server = net.createServer(opts);
  watch(server); // queue accepted connections from the start (sockAccept takes them)
  yield* fromPromise(
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, HOST, () => resolve());
    }),
  );
  return [server, (server.address() as net.AddressInfo).port];
}

/** Close a Node server and wait for it. */
export function* closeServer(server: net.Server): Coro<void> {
  if (!server.listening) return;
  yield* fromPromise(new Promise<void>((resolve) => server.close(() => resolve())));
}

/** Poll until `pred()` holds (for state that Node updates between turns). */
export function* until(pred: () => boolean, what = "condition", maxTurns = 2000): Coro<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (pred()) return;
    yield* sleep(1);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** `n` bytes of a repeating pattern, so corrupted or reordered data is detected. */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** The TCP port a server listens on. */
export function portOf(server: { address(): Address | null }): number {
  const a = server.address();
  if (a === null || !("port" in a)) throw new Error("not a TCP server");
  return a.port;
}
