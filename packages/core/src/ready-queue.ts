/**
 * The loop's ready queue: a FIFO of Runnables in chunks (16 slots first, doubling to 1024).
 *
 * HOW: a singly linked list of chunks (arrays of 16 slots first, doubling up to CHUNK). Push
 * writes at the tail chunk's next slot and links a fresh chunk when it is full; shift reads at the head chunk's next slot
 * and moves to the next chunk when it is used up, keeping that one as a spare for the tail
 * (so a queue that fills and drains steadily allocates nothing). Shifted slots are cleared so
 * finished work is not retained.
 *
 *   head chunk                  tail chunk
 *   [ . . . a b c d ] ──next──► [ e f g . . . . ]
 *           ▲ headIdx                 ▲ tailIdx
 *
 * WHY: every `callSoon`, task wake-up and bare `yield` goes through here: it is the hottest
 * structure in the loop. A JavaScript array's `shift()` is O(n) past a small size; a ring
 * buffer must copy everything each time it doubles (100k tasks spawned at once copied 200k
 * slots and left arrays too big for the young generation); a node per entry allocates per push.
 */

import type { Runnable } from "./host.js";

/** Slots per chunk at most: 8 KiB of pointers, well inside the young generation. */
const CHUNK = 1024;
/** Slots of a new queue's first chunk: a loop with a few ready entries stays small. */
const FIRST_CHUNK = 16;

interface Chunk<T> {
  readonly items: (T | undefined)[];
  next: Chunk<T> | null;
}

function newChunk<T>(size: number): Chunk<T> {
  return { items: new Array<T | undefined>(size).fill(undefined), next: null };
}

/** A FIFO in chunks (the ready queue's structure, also the timers' queue of fired sleepers). */
export class ChunkQueue<T> {
  // The head and tail chunks' arrays are held directly (one load less per push and shift).
  /** Invariant: slots [headIdx, head.length) of head and on, up to tailIdx of tail, are live. */
  #head: Chunk<T> = newChunk<T>(FIRST_CHUNK);
  #headItems: (T | undefined)[] = this.#head.items;
  #headIdx = 0;
  #tail: Chunk<T> = this.#head;
  #tailItems: (T | undefined)[] = this.#head.items;
  #tailIdx = 0;
  #length = 0;
  /** One drained chunk, kept for the next time the tail needs one. */
  #spare: Chunk<T> | null = null;

  get length(): number {
    return this.#length;
  }

  push(r: T): void {
    const i = this.#tailIdx;
    if (i === this.#tailItems.length) {
      this.#pushNewChunk(r);
      return;
    }
    this.#tailItems[i] = r;
    this.#tailIdx = i + 1;
    this.#length++;
  }

  #pushNewChunk(r: T): void {
    // Chunks double from FIRST_CHUNK up to CHUNK; a kept spare serves when it is big enough.
    const want = Math.min(CHUNK, this.#tailItems.length * 2);
    let c = this.#spare;
    if (c === null || c.items.length < want) c = newChunk<T>(want);
    else this.#spare = null;
    this.#tail.next = c;
    this.#tail = c;
    this.#tailItems = c.items;
    c.items[0] = r;
    this.#tailIdx = 1;
    this.#length++;
  }

  /** Remove and return the oldest entry; the caller checks `length` first. */
  shift(): T {
    let i = this.#headIdx;
    if (i === this.#headItems.length) {
      this.#nextHeadChunk();
      i = 0;
    }
    const items = this.#headItems;
    const r = items[i]!;
    items[i] = undefined;
    if (--this.#length === 0 && items === this.#tailItems) {
      // Empty: start the chunk over, so a steady trickle stays in one chunk.
      this.#headIdx = this.#tailIdx = 0;
    } else this.#headIdx = i + 1;
    return r;
  }

  /** The head chunk is used up (and the queue is not empty, so a next one exists). */
  #nextHeadChunk(): void {
    const c = this.#head;
    const next = c.next!;
    c.next = null;
    this.#spare = c;
    this.#head = next;
    this.#headItems = next.items;
  }

  /** Drop everything (loop close). */
  clear(): void {
    this.#head = this.#tail = newChunk<T>(FIRST_CHUNK);
    this.#headItems = this.#tailItems = this.#head.items;
    this.#headIdx = this.#tailIdx = 0;
    this.#length = 0;
    this.#spare = null;
  }

  /** Oldest first, without removing (for allTasks and debugging). */
  *[Symbol.iterator](): IterableIterator<T> {
    let c: Chunk<T> | null = this.#head;
    let i = this.#headIdx;
    for (let k = 0; k < this.#length; k++) {
      if (i === c!.items.length) {
        c = c!.next;
        i = 0;
      }
      yield c!.items[i++]!;
    }
  }
}

/** The loop's ready queue. */
export class ReadyQueue extends ChunkQueue<Runnable> {}
