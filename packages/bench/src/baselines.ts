/**
 * The Promise-based equivalents a user would write without aioloop: a FIFO mutex and a bounded
 * FIFO queue. They are the "native" side of the sync suite's lock and queue scenarios.
 *
 * HOW: both park waiters as Promise resolvers in arrays and hand over directly on release/put:
 *
 *   PromiseMutex   acquire ─ free? ─► take it ─────────────────────────► resolved Promise
 *                          └ held ─► resolver queued ◄── release() shifts one and calls it
 *   PromiseQueue   get ─ items? ─► shift ─► wake one putter
 *                      └ empty ─► wait for a put ◄── put() pushes and wakes one getter
 *
 * WHY written the plain way (arrays with shift, async functions, one Promise per wait): this is
 * what most code bases have, so the ratio answers "is aioloop's Lock/Queue slower than what I
 * would write myself?". Costs: acquire/get without waiting allocate nothing beyond the Promise
 * an async function returns; `shift()` is O(n) in principle but V8 keeps it cheap for queues
 * this short.
 */

/** A FIFO mutex over Promises: release() hands the lock straight to the next waiter. */
export class PromiseMutex {
  /** Invariant: true while someone holds the lock (a woken waiter holds it from the hand-off). */
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#locked = false;
  }
}

/** A FIFO queue over Promises; `maxsize` 0 means unbounded, as in asyncio. */
export class PromiseQueue<T> {
  readonly #items: T[] = [];
  readonly #getters: (() => void)[] = [];
  readonly #putters: (() => void)[] = [];
  readonly maxsize: number;

  constructor(maxsize = 0) {
    this.maxsize = maxsize;
  }

  async put(item: T): Promise<void> {
    while (this.maxsize > 0 && this.#items.length >= this.maxsize) {
      await new Promise<void>((resolve) => this.#putters.push(resolve));
    }
    this.#items.push(item);
    this.#getters.shift()?.();
  }

  async get(): Promise<T> {
    while (this.#items.length === 0) {
      await new Promise<void>((resolve) => this.#getters.push(resolve));
    }
    const item = this.#items.shift() as T;
    this.#putters.shift()?.();
    return item;
  }
}
