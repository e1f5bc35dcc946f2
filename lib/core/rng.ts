/**
 * The one seeded random generator of the project. Nothing in `lib/` uses JavaScript's unseeded generator:
 * every sampler, initialiser and shuffler takes an `Rng`, so a run repeats from its seed.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna 2018), 128-bit state, period 2^128 - 1,
 * state seeded by SplitMix32 so that nearby seeds give unrelated streams.
 * `fork(label)` derives an independent child stream from the parent's seed and a label,
 * so adding a new consumer of randomness does not shift the streams of the others.
 */

/** A serialisable snapshot of a generator, for checkpoints and resumable writers. */
export interface RngState {
  seed: number;
  s: [number, number, number, number];
  /** Cached second Box-Muller sample, or null. */
  spare: number | null;
}

function splitmix32(x: number): () => number {
  let a = x >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a hash of a string to 32 bits (labels of forked streams). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 2 ** 32 - 1;

/** Throws unless `seed` is an integer from 0 to 2^32 - 1 (the error says what was given). */
export function checkSeed(seed: unknown): number {
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    const shown = typeof seed === "number" ? String(seed) : `${typeof seed} ${JSON.stringify(seed)}`;
    throw new Error(`Rng: seed must be an integer from 0 to 4294967295 (2^32 - 1), got ${shown}`);
  }
  return seed;
}

export class Rng {
  readonly seed: number;
  private s: [number, number, number, number];
  private spare: number | null = null;

  /**
   * @param seed an integer from 0 to 2^32 - 1. Anything else is an error: reducing it to 32 bits
   * would give another seed's stream while the manifest records the requested seed.
   */
  constructor(seed: number) {
    checkSeed(seed);
    this.seed = seed;
    const sm = splitmix32(this.seed);
    this.s = [sm(), sm(), sm(), sm()];
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Restores a generator from `state()`: the stream continues exactly where it was. */
  static fromState(state: RngState): Rng {
    const r = new Rng(state.seed);
    r.s = [state.s[0] >>> 0, state.s[1] >>> 0, state.s[2] >>> 0, state.s[3] >>> 0];
    r.spare = state.spare;
    return r;
  }

  state(): RngState {
    return { seed: this.seed, s: [...this.s] as [number, number, number, number], spare: this.spare };
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [lo, hi) (hi exclusive); unbiased. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) {
      throw new Error(`Rng.int: need integers lo < hi, got [${lo}, ${hi})`);
    }
    const n = hi - lo;
    if (n > 2 ** 32) return lo + Math.floor(this.uniform() * n);
    const limit = Math.floor(2 ** 32 / n) * n;
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % n);
  }

  /** Standard normal sample (Box-Muller, polar form). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + std * v;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return mean + std * u * m;
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.uniform() < p;
  }

  /** A uniformly chosen element; throws on an empty array. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.choice: empty array");
    return items[this.int(0, items.length)];
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  /** Fills a new Float32Array with N(mean, std^2) samples (weight initialisers). */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Fills a new Float32Array with U[lo, hi) samples. */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.range(lo, hi);
    return out;
  }

  /**
   * An independent child stream named by `label`. Depends only on this generator's seed and
   * the label, not on how many numbers were drawn, so consumers do not disturb each other.
   */
  fork(label: string | number): Rng {
    const h = hashString(`${this.seed}:${label}`);
    return new Rng((h ^ Math.imul(this.seed, 0x9e3779b1)) >>> 0);
  }
}

/** Shorthand for `new Rng(seed)`. */
export function makeRng(seed: number): Rng {
  return new Rng(seed);
}
