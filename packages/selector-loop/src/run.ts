/**
 * `run`: asyncio.run for the I/O loop. Creates a SelectorLoop, runs `main` cooperating with
 * Node's event loop, cancels the tasks it left behind (letting their cleanup run) and closes
 * the loop, which closes every socket, server and child process it still holds.
 *
 * There is no `runSync` here: socket events reach JavaScript only when the thread returns to
 * Node, which a synchronous run never does (SelectorLoop.runSync explains this if called).
 */

import type { Coro } from "@aioloop/core";
import { run as runOnLoop } from "@aioloop/timer-loop";
import { SelectorLoop } from "./selector-loop.js";

/** Options for `run`. */
export interface RunOptions {
  /** Debug mode (slow-callback reports). */
  debug?: boolean;
  /** The loop to use instead of a new SelectorLoop (it is closed at the end). */
  loop?: SelectorLoop;
}

/**
 * Run `main` on a new SelectorLoop; resolves to its result. Ctrl-C cancels `main` and rejects
 * with KeyboardInterrupt after cleanup, as timer-loop's `run` does.
 * @example
 * import { run, openConnection } from "@aioloop/selector-loop";
 * await run(function* () {
 *   const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port: 8888 });
 *   writer.write("ping\n");
 *   console.log(new TextDecoder().decode(yield* reader.readline()));
 *   writer.close();
 *   yield* writer.waitClosed();
 * });
 */
export function run<T>(main: Coro<T> | (() => Coro<T>), opts: RunOptions = {}): Promise<T> {
  const loop = opts.loop ?? new SelectorLoop(opts.debug === true ? { debug: true } : {});
  return runOnLoop(main, { loop });
}
