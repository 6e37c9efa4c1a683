/**
 * Deque: a growable ring buffer, the storage under every waiter list and FIFO queue in core.
 *
 * HOW: a power-of-two array with a head index and a length. `push`, `shift` and `pop` are O(1)
 * with no allocation once grown; `removeIf` compacts in place in O(n). Vacated slots are set to
 * `undefined` so a finished waiter or a taken item is not kept alive by the buffer.
 *
 *     head              head+length
 *      ▼                    ▼
 *   [ . . a b c d e . . . . ]   capacity 2^k, indices masked with capacity-1
 *
 * WHY not a plain array: `Array.prototype.shift()` is O(n) for large arrays (V8 only trims small
 * ones in place), which turns a queue with 100k waiters into O(n²). WHY not a linked list: a node
 * per entry costs ~40 bytes and an allocation per push.
 *
 * The buffer starts empty (no allocation until the first push): most locks and events never have
 * a waiter, and each one owns a deque.
 */

/** The capacity of the first allocation; grows by doubling. A power of two. */
const FIRST_CAPACITY = 8;

/** A FIFO/LIFO double-ended queue over a ring buffer. */
export class Deque<T> {
  /** Invariant: length is 0 or a power of two; slots outside [head, head+size) are undefined. */
  #items: (T | undefined)[] = [];
  /** Invariant: #items.length - 1 once allocated, 0 before. */
  #mask = 0;
  #head = 0;
  /** Invariant: 0 <= #size <= #items.length. */
  #size = 0;

  /** How many entries are queued. */
  get length(): number {
    return this.#size;
  }

  /** Append at the tail. */
  push(x: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = x;
    this.#size++;
  }

  /** Remove and return the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const i = this.#head;
    const x = this.#items[i];
    this.#items[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return x;
  }

  /** Remove and return the tail, or undefined when empty. */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    this.#size--;
    const i = (this.#head + this.#size) & this.#mask;
    const x = this.#items[i];
    this.#items[i] = undefined;
    return x;
  }

  /** The head without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** The entry `k` places from the head (0 is the head); undefined when out of range. */
  at(k: number): T | undefined {
    return k >= 0 && k < this.#size ? this.#items[(this.#head + k) & this.#mask] : undefined;
  }

  /** Remove every entry for which `drop` is true, keeping the order of the rest; returns how many. */
  removeIf(drop: (x: T) => boolean): number {
    const items = this.#items;
    const mask = this.#mask;
    const head = this.#head;
    const size = this.#size;
    let kept = 0;
    for (let k = 0; k < size; k++) {
      const x = items[(head + k) & mask] as T;
      if (!drop(x)) items[(head + kept++) & mask] = x;
    }
    for (let k = kept; k < size; k++) items[(head + k) & mask] = undefined;
    this.#size = kept;
    return size - kept;
  }

  /** Drop every entry and the buffer. */
  clear(): void {
    this.#items = [];
    this.#mask = 0;
    this.#head = 0;
    this.#size = 0;
  }

  /** Head to tail, without removing. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let k = 0; k < this.#size; k++) yield this.#items[(this.#head + k) & this.#mask] as T;
  }

  #grow(): void {
    const old = this.#items;
    const cap = old.length === 0 ? FIRST_CAPACITY : old.length * 2;
    const next: (T | undefined)[] = new Array(cap);
    for (let k = 0; k < this.#size; k++) next[k] = old[(this.#head + k) & this.#mask];
    this.#items = next;
    this.#mask = cap - 1;
    this.#head = 0;
  }
}
