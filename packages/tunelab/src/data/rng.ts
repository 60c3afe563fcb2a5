// A small seeded PRNG (xoshiro128**, seeded through a 32-bit mix of seed and stream) so that data order depends on
// (seed, epoch) alone: the same on every machine, Node version and rank.

export class Rng {
  private readonly state = new Uint32Array(4);

  /** `stream` separates independent sequences of one seed (the epoch, for data order). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(stream)) {
      throw new RangeError(`seed and stream must be safe integers (got ${seed}, ${stream})`);
    }
    let h = mix32(0x243f6a88 ^ (seed >>> 0));
    h = mix32(h ^ (Math.floor(seed / 2 ** 32) >>> 0));
    h = mix32(h ^ (stream >>> 0));
    h = mix32(h ^ (Math.floor(stream / 2 ** 32) >>> 0));
    for (let i = 0; i < 4; i++) {
      h = (h + 0x9e3779b9) >>> 0;
      this.state[i] = mix32(h);
    }
    if (this.state.every((word) => word === 0)) this.state[0] = 1;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform integer in [0, n), without modulo bias; n in [1, 2^32]. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`below(n) needs an integer n in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
