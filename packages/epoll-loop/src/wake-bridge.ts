/**
 * WakeBridge: lets other threads' wakeups reach a thread blocked in epoll_wait.
 *
 * WHY: worker threads (the files package's pool, anything that completes a job for the loop)
 * wake a loop the seam's way: store WAKE_SET in `loop.wakeWord` and `Atomics.notify` it. A
 * thread in epoll_wait does not see that (V8's Atomics.wait queue is not a kernel futex), so
 * while a blocking run (runSync) waits on sockets AND such outside work is in flight, a small
 * helper thread waits on the wake word in its place and writes the loop's eventfd, which is in
 * the epoll set:
 *
 *   worker: store WAKE_SET, notify ─► bridge: Atomics.wait ends ─► eventfdWrite(efd)
 *        ─► epoll_wait returns ─► loop: store WAKE_IDLE, notify ─► bridge waits again
 *
 * Started lazily (the first blocking wait that needs it), one per loop, unref'd (it never keeps
 * the process alive), stopped by `close()`. Callbacks of the loop's own thread never need it:
 * `wakeup()` from this thread only makes the next wait not block.
 */

import { Worker } from "node:worker_threads";
import { WAKE_INDEX } from "@aioloop/core";

/** The helper thread's program (CommonJS, evaluated): wait, ring the eventfd, wait again. */
const BRIDGE_SOURCE = `
const { workerData } = require("node:worker_threads");
const { word, stop, efd, addonPath, index } = workerData;
const addon = require(addonPath);
for (;;) {
  Atomics.wait(word, index, 0);
  if (Atomics.load(stop, 0) !== 0) break;
  if (Atomics.load(word, index) !== 0) {
    addon.eventfdWrite(efd);
    Atomics.wait(word, index, Atomics.load(word, index));
  }
  if (Atomics.load(stop, 0) !== 0) break;
}
`;

/** The helper thread of one loop (see the module comment). */
export class WakeBridge {
  readonly #word: Int32Array;
  readonly #stop = new Int32Array(new SharedArrayBuffer(4));
  #worker: Worker | null;

  constructor(word: Int32Array, efd: number, addonPath: string) {
    this.#word = word;
    this.#worker = new Worker(BRIDGE_SOURCE, {
      eval: true,
      workerData: { word, stop: this.#stop, efd, addonPath, index: WAKE_INDEX },
    });
    this.#worker.unref();
  }

  /** The loop saw the wakeup and reset the word: let the bridge wait for the next one. */
  rearm(): void {
    Atomics.notify(this.#word, WAKE_INDEX);
  }

  /** Stop the helper thread (idempotent). */
  close(): void {
    const w = this.#worker;
    if (w === null) return;
    this.#worker = null;
    Atomics.store(this.#stop, 0, 1);
    Atomics.notify(this.#word, WAKE_INDEX);
    void w.terminate();
  }
}
