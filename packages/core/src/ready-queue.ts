/**
 * The loop's ready queue: a growable ring buffer of Runnables.
 *
 * HOW: a power-of-two array with head and length; push and shift are O(1) with no allocation
 * once grown (a JavaScript array's `shift()` is O(n) past a small size, and a linked list
 * allocates a node per entry). Shifted slots are cleared so finished work is not retained.
 *
 *     head            head+length
 *      ▼                  ▼
 *   [ . . a b c d e . . . ]   capacity 2^k, indices masked with capacity-1
 *
 * WHY: every `callSoon`, task wake-up and bare `yield` goes through here: it is the hottest
 * structure in the loop.
 */

import type { Runnable } from "./host.js";

/** Start small: most loops have a handful of ready entries per iteration. */
const INITIAL_CAPACITY = 16;

export class ReadyQueue {
  /** Invariant: capacity is a power of two; slots outside [head, head+length) are undefined. */
  #items: (Runnable | undefined)[] = new Array(INITIAL_CAPACITY);
  #mask = INITIAL_CAPACITY - 1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(r: Runnable): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = r;
    this.#length++;
  }

  /** Remove and return the oldest entry; the caller checks `length` first. */
  shift(): Runnable {
    const i = this.#head;
    const r = this.#items[i]!;
    this.#items[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    this.#length--;
    return r;
  }

  /** Drop everything (loop close). */
  clear(): void {
    this.#items = new Array(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
    this.#head = 0;
    this.#length = 0;
  }

  /** Oldest first, without removing (for allTasks and debugging). */
  *[Symbol.iterator](): IterableIterator<Runnable> {
    for (let k = 0; k < this.#length; k++) yield this.#items[(this.#head + k) & this.#mask]!;
  }

  #grow(): void {
    const old = this.#items;
    const cap = old.length;
    const next: (Runnable | undefined)[] = new Array(cap * 2);
    for (let k = 0; k < this.#length; k++) next[k] = old[(this.#head + k) & this.#mask];
    this.#items = next;
    this.#mask = cap * 2 - 1;
    this.#head = 0;
  }
}
