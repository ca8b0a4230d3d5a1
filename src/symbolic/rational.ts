/**
 * Numbers as the rationals they are written as: 0.1 is 1/10 and 1/3 is 1/3, not the float64s
 * nearest them. A float64 stands for its simplest rational: a fraction p/q with q ≤ 1024 that rounds
 * to it (how the printers write it, syntax.ts), or else its shortest decimal. Constant folding is
 * done in this arithmetic (0.1 · 0.1 folds to 0.01, not 0.010000000000000002), and only where the
 * result again stands for itself; otherwise the operation is kept. Folding then never depends on
 * the order it happens in, so a derivative and its printed form, folded in different orders, are the
 * same rational function (the exact identity test reads constants as these rationals).
 */

/** num/den in lowest terms, den > 0. */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** Largest denominator of a number printed as a fraction (syntax.ts prints p/q for these). */
export const MAX_FRACTION_DENOMINATOR = 1024;

/** p/q with the smallest q ≤ MAX_FRACTION_DENOMINATOR whose float64 quotient is v, if any. */
export function smallFraction(v: number): { p: number; q: number } | undefined {
  for (let q = 1; q <= MAX_FRACTION_DENOMINATOR; q++) {
    const p = Math.round(v * q);
    if (p / q === v && Math.abs(p) < 2 ** 31) return { p, q };
  }
  return undefined;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  [a, b] = [abs(a), abs(b)];
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduced(num: bigint, den: bigint): Rational {
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

const memo = new Map<number, Rational>();

/** The rational a finite float64 stands for. */
export function rationalOf(v: number): Rational {
  const known = memo.get(v);
  if (known) return known;
  if (!Number.isFinite(v)) throw new RangeError(`${v} has no rational value`);
  let r: Rational;
  const f = Number.isInteger(v) ? undefined : smallFraction(v);
  if (f) r = reduced(BigInt(f.p), BigInt(f.q));
  else {
    const [, sign, whole, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(v))!;
    const k = fraction.length - Number(exponent);
    const m = BigInt(`${sign}${whole}${fraction}`);
    r = k <= 0 ? { num: m * 10n ** BigInt(-k), den: 1n } : reduced(m, 10n ** BigInt(k));
  }
  if (memo.size > 10_000) memo.clear();
  memo.set(v, r);
  return r;
}

/** The float64 that stands for exactly r, if there is one. */
function fromRational(r: Rational): number | undefined {
  const v = Number(r.num) / Number(r.den);
  if (!Number.isFinite(v)) return undefined;
  const back = rationalOf(v);
  return back.num === r.num && back.den === r.den ? v : undefined;
}

const small = (v: number): boolean => Number.isSafeInteger(v) && Math.abs(v) < 2 ** 26;

/** a + b, when a float64 stands for the exact sum. */
export function rationalSum(a: number, b: number): number | undefined {
  if (small(a) && small(b)) return a + b;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  const [x, y] = [rationalOf(a), rationalOf(b)];
  return fromRational(reduced(x.num * y.den + y.num * x.den, x.den * y.den));
}

/** a · b, when a float64 stands for the exact product. */
export function rationalProduct(a: number, b: number): number | undefined {
  if (small(a) && small(b)) return a * b;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  const [x, y] = [rationalOf(a), rationalOf(b)];
  return fromRational(reduced(x.num * y.num, x.den * y.den));
}

/** b^e for a whole e, when a float64 stands for the exact power. */
export function rationalPower(b: number, e: number): number | undefined {
  if (!Number.isInteger(e) || !Number.isFinite(b) || (b === 0 && e < 0) || Math.abs(e) > 1024) return undefined;
  const x = rationalOf(b);
  const k = BigInt(Math.abs(e));
  const [num, den] = e >= 0 ? [x.num ** k, x.den ** k] : [x.den ** k, x.num ** k];
  return fromRational(reduced(num, den));
}
