/**
 * Python's `random` module, the part the seed programs use: `random.seed(444)` then
 * `random.randint(0, 10)`. With it the ports print exactly the numbers the Python originals print.
 *
 * HOW: CPython's generator is MT19937 (Matsumoto and Nishimura's Mersenne Twister, 624 words of
 * state). This is a fresh implementation from the published algorithm, following CPython's
 * documented seeding and sampling rules:
 *
 *   seed(n: int)      key = |n| split into 32-bit words, least significant first ([0] for 0)
 *                     → init_genrand(19650218) then init_by_array(key)
 *   getrandbits(k)    k ≤ 32: next32() >> (32 - k); k > 32: ceil(k/32) words, least
 *                     significant word first, the last one shifted down to the bits left
 *   _randbelow(n)     k = n.bit_length(); r = getrandbits(k) until r < n
 *   randrange(a, b)   a + _randbelow(b - a);   randint(a, b) = randrange(a, b + 1)
 *   random()          (next32() >> 5) * 2^26 + (next32() >> 6), over 2^53
 *
 *   state: Uint32Array(624) ──twist() every 624 draws──► tempered output words
 *
 * WHY a port and not Math.random: the seed programs' output (who sleeps how long, which item a
 * consumer gets) is part of what the demo shows, and tests compare it to what python3 printed.
 * Cost: one array read and four shifts per 32-bit word; a twist (624 words) every 624 draws.
 */

/** Words of MT19937 state. */
const N = 624;
/** The twist's middle offset. */
const M = 397;
/** The twist matrix's last row. */
const MATRIX_A = 0x9908b0df;
/** The most significant bit of a word. */
const UPPER_MASK = 0x80000000;
/** The 31 low bits of a word. */
const LOWER_MASK = 0x7fffffff;
/** init_by_array starts from init_genrand with this seed (the reference code's constant). */
const ARRAY_INIT_SEED = 19650218;
/** Two to the 26th and 53rd: random() builds a 53-bit fraction from two draws. */
const TWO_26 = 67108864;
const TWO_53 = 9007199254740992;

/** A bad argument to a PyRandom method, worded as Python's ValueError. */
export class PyRandomValueError extends Error {}
Object.defineProperty(PyRandomValueError.prototype, "name", { value: "ValueError" });

/**
 * A Mersenne Twister with Python's `random.Random` seeding and sampling.
 * @example
 * const rng = new PyRandom(444);
 * rng.randint(0, 10); // 4, as Python's random.seed(444); random.randint(0, 10)
 */
export class PyRandom {
  // Invariant: mt holds 624 words; index is in [0, 624]; 624 means "twist before the next draw".
  readonly #mt = new Uint32Array(N);
  #index = N;
  #draws = 0;

  /** Seeded as Python's `random.Random(seed)`; no seed: 128 bits from the OS, as Python does. */
  constructor(seed?: number | bigint) {
    this.seed(seed);
  }

  /** `random.seed(n)` for an integer `n` (negative: its absolute value, as Python). */
  seed(seed?: number | bigint): void {
    let n: bigint;
    if (seed === undefined) {
      const words = new Uint32Array(4);
      crypto.getRandomValues(words);
      n = words.reduce((acc, w, i) => acc | (BigInt(w) << BigInt(32 * i)), 0n);
    } else if (typeof seed === "bigint") {
      n = seed;
    } else {
      if (!Number.isSafeInteger(seed)) {
        throw new TypeError(
          `PyRandom.seed(${seed}): pass an integer (a bigint for ones beyond 2^53), as Python's random.seed(int)`,
        );
      }
      n = BigInt(seed);
    }
    if (n < 0n) n = -n;
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.#initByArray(key);
    this.#draws = 0;
  }

  /** `random.getrandbits(k)`: an integer of `k` random bits (a bigint when k > 53). */
  getrandbits(k: number): number | bigint {
    if (!Number.isInteger(k) || k < 0) {
      throw new PyRandomValueError(`getrandbits(${k}): number of bits must be non-negative`);
    }
    if (k === 0) return 0;
    if (k <= 32) return this.#next32() >>> (32 - k);
    let out = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32) {
      let w = this.#next32();
      if (left < 32) w >>>= 32 - left;
      out |= BigInt(w) << shift;
      shift += 32n;
    }
    return k <= 53 ? Number(out) : out;
  }

  /** `random.randrange(start, stop)`: an integer in [start, stop). */
  randrange(start: number, stop: number): number {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop)) {
      throw new TypeError(`randrange(${start}, ${stop}): pass safe integers`);
    }
    const width = stop - start;
    if (width <= 0) {
      throw new PyRandomValueError(`empty range in randrange(${start}, ${stop})`);
    }
    return start + this.#randbelow(width);
  }

  /** `random.randint(a, b)`: an integer in [a, b], both ends included. */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }

  /** `random.random()`: a float in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.#next32() >>> 5;
    const b = this.#next32() >>> 6;
    return (a * TWO_26 + b) / TWO_53;
  }

  /** How many 32-bit words were drawn since seeding. */
  statistics(): { draws: number } {
    return { draws: this.#draws };
  }

  /** Python's _randbelow_with_getrandbits: rejection sampling on bit_length(n) bits. */
  #randbelow(n: number): number {
    const k = bitLength(n);
    let r = Number(this.getrandbits(k));
    while (r >= n) r = Number(this.getrandbits(k));
    return r;
  }

  #initGenrand(s: number): void {
    const mt = this.#mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#index = N;
  }

  #initByArray(key: number[]): void {
    this.#initGenrand(ARRAY_INIT_SEED);
    const mt = this.#mt;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = UPPER_MASK; // a non-zero initial state is assured
  }

  #twist(): void {
    const mt = this.#mt;
    for (let kk = 0; kk < N; kk++) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[(kk + 1) % N]! & LOWER_MASK);
      mt[kk] = mt[(kk + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.#index = 0;
  }

  #next32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#mt[this.#index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    this.#draws++;
    return y >>> 0;
  }
}

/** Python's int.bit_length() for a positive safe integer. */
function bitLength(n: number): number {
  return n < 2 ** 31 ? 32 - Math.clz32(n) : n.toString(2).length;
}
