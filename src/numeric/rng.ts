/**
 * Counter-based random numbers: value k of stream s under seed is a pure function of (seed, s, k),
 * built only from 32-bit multiply/xor/shift, so another worker (Python, GPU) can reproduce the exact
 * same samples for the same --seed.
 */

/** A 32-bit avalanche mix (the "lowbias32" finaliser), as an unsigned 32-bit integer. */
export function mix32(x: number): number {
  return mixBits(x) >>> 0;
}

/**
 * mix32's bits as a signed 32-bit integer: staying in int32 (no `>>> 0` between steps) keeps the
 * values small integers in optimised code, which makes every draw cheaper.
 */
function mixBits(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return x ^ (x >>> 16);
}

/** Key of a stream: streams are numbered by what they sample (claim, sample index, declaration). */
export function streamKey(seed: number, ...ids: number[]): number {
  let k = mix32(seed >>> 0);
  for (const id of ids) k = mix32((k ^ mix32(id >>> 0)) >>> 0);
  return k;
}

export class Stream {
  private counter = 0;

  constructor(private readonly key: number) {}

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const c = this.counter;
    this.counter += 2;
    const hi = mixBits(this.key ^ mixBits(c));
    const lo = mixBits(this.key ^ mixBits(c + 1));
    return ((hi >>> 5) * 67108864 + (lo >>> 6)) / 9007199254740992;
  }

  /** Standard normal by Box–Muller (the cosine branch only, so every draw uses two uniforms). */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** 32 random bits. */
  bits(): number {
    const c = this.counter++;
    return mixBits(this.key ^ mixBits(c)) >>> 0;
  }

  /** Exponential(1). */
  exponential(): number {
    return -Math.log(1 - this.uniform());
  }
}
