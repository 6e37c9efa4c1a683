/**
 * `run` and `runSync`: asyncio.run on an EpollLoop. Create the loop, run `main`, cancel the
 * tasks it left behind (letting their cleanup run), close the loop, which closes every socket
 * and server it still holds.
 */

import type { Coro } from "@aioloop/core";
import { run as runOnLoop, runSync as runSyncOnLoop } from "@aioloop/timer-loop";
import { EpollLoop } from "./epoll-loop.js";

/** Options for `run` and `runSync`. */
export interface RunOptions {
  /** Debug mode (slow-callback reports). */
  debug?: boolean;
  /** The loop to use instead of a new EpollLoop (it is closed at the end). */
  loop?: EpollLoop;
}

function loopOf(opts: RunOptions): EpollLoop {
  return opts.loop ?? new EpollLoop(opts.debug === true ? { debug: true } : {});
}

/**
 * Run `main` on a new EpollLoop beside Node's event loop; resolves to its result. Throws
 * EpollUnavailableError where the native addon is missing (use SelectorLoop's run there).
 * @example
 * import { openConnection } from "@aioloop/transports";
 * import { run } from "@aioloop/epoll-loop";
 * await run(function* () {
 *   const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 *   writer.write("ping\n");
 *   console.log(new TextDecoder().decode(yield* reader.readline()));
 *   writer.close();
 * });
 */
export function run<T>(main: Coro<T> | (() => Coro<T>), opts: RunOptions = {}): Promise<T> {
  return runOnLoop(main, { loop: loopOf(opts) });
}

/**
 * Run `main` on a new EpollLoop holding the thread: the loop blocks in epoll_wait between
 * events (no Node I/O or Promises run meanwhile); returns its result.
 * @example
 * import { runSync } from "@aioloop/epoll-loop";
 * const n = runSync(function* () { return 42; });
 */
export function runSync<T>(main: Coro<T> | (() => Coro<T>), opts: RunOptions = {}): T {
  return runSyncOnLoop(main, { loop: loopOf(opts) });
}
