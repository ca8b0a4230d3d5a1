/**
 * The arithmetic of exact identity testing (exact.ts): a prime field F_p with p < 2^31 computed
 * exactly in float64 (16-bit split products, no BigInt), random primes in [2^30, 2^31), symbols as
 * hashes, and the algebra of degree and coefficient-height bounds of rational functions.
 */
import { rationalOf } from '../symbolic/rational';
import { InternalError } from '../symbolic/ir';

export class Field {
  constructor(readonly p: number) {}

  add(a: number, b: number): number {
    const s = a + b;
    return s >= this.p ? s - this.p : s;
  }

  sub(a: number, b: number): number {
    const s = a - b;
    return s < 0 ? s + this.p : s;
  }

  neg(a: number): number {
    return a === 0 ? 0 : this.p - a;
  }

  /** a·b mod p: b split into 16-bit halves keeps every partial product below 2^48. */
  mul(a: number, b: number): number {
    const p = this.p;
    return (((a * (b >>> 16)) % p) * 65536 + a * (b & 0xffff)) % p;
  }

  pow(a: number, e: number): number {
    let r = 1;
    let base = a;
    for (let k = e; k > 0; k = Math.floor(k / 2)) {
      if (k % 2 === 1) r = this.mul(r, base);
      base = this.mul(base, base);
    }
    return r;
  }

  /** a⁻¹ (Fermat); undefined for 0. */
  inv(a: number): number | undefined {
    return a === 0 ? undefined : this.pow(a, this.p - 2);
  }

  /** A float64 as the field element of the rational it stands for (0.1 is 1/10; rational.ts). */
  fromNumber(v: number): number {
    if (!Number.isFinite(v)) throw new InternalError(`the constant ${v} has no exact value`);
    const { num, den } = rationalOf(v);
    const P = BigInt(this.p);
    const mod = (x: bigint): number => Number(((x % P) + P) % P);
    return den === 1n ? mod(num) : this.mul(mod(num), this.inv(mod(den))!);
  }

  fromInteger(v: number): number {
    const r = v % this.p;
    return r < 0 ? r + this.p : r;
  }
}

/** Deterministic Miller–Rabin: bases 2, 3, 5, 7 decide every n < 3,215,031,751. */
function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (const q of [2, 3, 5, 7]) if (n % q === 0) return n === q;
  const F = new Field(n);
  let d = n - 1;
  let s = 0;
  while (d % 2 === 0) {
    d /= 2;
    s++;
  }
  for (const a of [2, 3, 5, 7]) {
    let x = F.pow(a, d);
    if (x === 1 || x === n - 1) continue;
    let composite = true;
    for (let r = 1; r < s && composite; r++) {
      x = F.mul(x, x);
      if (x === n - 1) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

export const PRIME_LOW = 2 ** 30;
/** π(2^31) − π(2^30): the primes a trial draws from. */
export const PRIMES_IN_RANGE = 50_697_537;

// ---- randomness: symbols as hashes of (trial, symbol, entry) -----------------------------------

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h >>> 0);
}

/** A uniform element of [0, p) from a 32-bit key and an entry index (rejection keeps it uniform). */
export function uniformBelow(p: number, key: number, entry: number): number {
  for (let k = 0; ; k++) {
    const x = fmix((key ^ fmix(entry + Math.imul(k + 1, 0x9e3779b9))) >>> 0) & 0x7fffffff;
    if (x < p) return x;
  }
}

/** A random prime in [2^30, 2^31). */
export function randomPrime(seed: number): number {
  for (let k = 0; ; k++) {
    const n = (PRIME_LOW + (fmix((seed ^ Math.imul(k + 1, 0x2545f491)) >>> 0) & (PRIME_LOW - 1))) | 1;
    if (isPrime(n)) return n;
  }
}

// ---- degree and height bounds of rational functions ---------------------------------------------

/**
 * Bounds on a polynomial with decimal coefficients: total degree in the random symbols, degree in
 * non-integer constants, and log2 of the ℓ1 norm of its coefficients.
 */
export interface Poly {
  deg: number;
  cdeg: number;
  h: number;
}

/** A factor of a common denominator: a polynomial (its bounds), its multiplicity, the indices it varies with. */
interface Atom extends Poly {
  count: number;
  free: ReadonlySet<string>;
}

/** Every entry of a node is num_i / Π atoms^count, one denominator shared by the entries. */
export interface Rat {
  num: Poly;
  den: ReadonlyMap<string, Atom>;
}

export const ONE_POLY: Poly = { deg: 0, cdeg: 0, h: 0 };
export const SYMBOL: Poly = { deg: 1, cdeg: 0, h: 0 };

export const pmul = (a: Poly, b: Poly): Poly => ({ deg: a.deg + b.deg, cdeg: a.cdeg + b.cdeg, h: a.h + b.h });
export const padd = (a: Poly, b: Poly): Poly => ({
  deg: Math.max(a.deg, b.deg),
  cdeg: Math.max(a.cdeg, b.cdeg),
  h: Math.max(a.h, b.h) + 1,
});
export const ppow = (a: Poly, k: number): Poly => (k === 0 ? ONE_POLY : { deg: a.deg * k, cdeg: a.cdeg * k, h: a.h * k });
/** A sum of k polynomials bounded by a. */
export const psum = (a: Poly, k: number): Poly => (k <= 1 ? a : { ...a, h: a.h + Math.log2(k) });

function denPoly(den: ReadonlyMap<string, Atom>, keep: (a: Atom) => boolean = () => true): Poly {
  let out = ONE_POLY;
  for (const a of den.values()) if (keep(a)) out = pmul(out, ppow(a, a.count));
  return out;
}

export const poly = (p: Poly): Rat => ({ num: p, den: new Map() });

export function ratAdd(x: Rat, y: Rat): Rat {
  const lcm = new Map(x.den);
  for (const [k, a] of y.den) if ((lcm.get(k)?.count ?? 0) < a.count) lcm.set(k, a);
  const missing = (d: ReadonlyMap<string, Atom>): Poly => {
    let out = ONE_POLY;
    for (const [k, a] of lcm) out = pmul(out, ppow(a, a.count - (d.get(k)?.count ?? 0)));
    return out;
  };
  return { num: padd(pmul(x.num, missing(x.den)), pmul(y.num, missing(y.den))), den: lcm };
}

export function ratMul(x: Rat, y: Rat): Rat {
  const den = new Map(x.den);
  for (const [k, a] of y.den) den.set(k, { ...a, count: a.count + (den.get(k)?.count ?? 0) });
  return { num: pmul(x.num, y.num), den };
}

export const ratSum = (x: Rat, k: number): Rat => ({ num: psum(x.num, k), den: x.den });

export function ratPow(x: Rat, k: number): Rat {
  const den = new Map<string, Atom>();
  for (const [key, a] of x.den) den.set(key, { ...a, count: a.count * k });
  return { num: ppow(x.num, k), den };
}

/**
 * Entrywise p_i/q_i with q_i bounded by q, for a node of `entries` entries sharing one denominator:
 * the product of every q_i becomes one atom, and each numerator picks up the other q's.
 */
export function entrywise(p: Poly, q: Poly, entries: number, key: string, free: ReadonlySet<string>, count = 1): Rat {
  const atom: Atom = { ...ppow(q, entries), count, free };
  return { num: pmul(p, ppow(q, count * entries - count)), den: new Map([[key, atom]]) };
}

/** 1/x entrywise: 1/(N_i/D) = D/N_i, raised to `power`. */
export function ratInverse(x: Rat, entries: number, key: string, free: ReadonlySet<string>, power = 1): Rat {
  return entrywise(ppow(denPoly(x.den), power), x.num, entries, key, free, power);
}

/** Σ over an index: factors that vary with it are distinct per value, so they multiply. */
export function ratIndexSum(x: Rat, index: string, count: number, range: string): Rat {
  const varies = (a: Atom): boolean => a.free.has(index);
  const dep = denPoly(x.den, varies);
  const den = new Map<string, Atom>();
  for (const [k, a] of x.den) {
    if (!varies(a)) den.set(k, a);
    else den.set(`${k}Σ${range}`, { ...a, count: a.count * count, free: new Set([...a.free].filter((i) => i !== index)) });
  }
  return { num: psum(pmul(x.num, ppow(dep, count - 1)), count), den };
}

export function constantPoly(v: number): Poly {
  if (v === 0) return { deg: 0, cdeg: 0, h: -Infinity };
  return { deg: 0, cdeg: Number.isInteger(v) ? 0 : 1, h: Math.log2(Math.abs(v)) };
}
