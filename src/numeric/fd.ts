/**
 * Central finite differences with one Richardson step: D(h) = (f(x+h) − f(x−h)) / 2h has error
 * c·h² + O(h⁴), so (4 D(h/2) − D(h)) / 3 cancels the h² term. The step scales with |x| so it stays
 * sound for large coordinates.
 */

/** Derivative of a vector-valued f along coordinate i; returns one Jacobian column. */
export function centralDifference(f: (x: Float64Array) => Float64Array, x: Float64Array, i: number, h0 = 1e-3): Float64Array {
  const h = h0 * Math.max(1, Math.abs(x[i]!));
  const d = (step: number): Float64Array => {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[i]! += step;
    xm[i]! -= step;
    const fp = f(xp);
    const fm = f(xm);
    return fp.map((v, k) => (v - fm[k]!) / (2 * step));
  };
  const coarse = d(h);
  const fine = d(h / 2);
  return fine.map((v, k) => (4 * v - coarse[k]!) / 3);
}

/** Full Jacobian (row-major, m×n) of f at x by Richardson-extrapolated central differences. */
export function jacobianFd(f: (x: Float64Array) => Float64Array, x: Float64Array): { m: number; n: number; data: Float64Array } {
  const n = x.length;
  const cols = Array.from({ length: n }, (_, i) => centralDifference(f, x, i));
  const m = cols[0]?.length ?? 0;
  const data = new Float64Array(m * n);
  cols.forEach((c, j) => c.forEach((v, i) => (data[i * n + j] = v)));
  return { m, n, data };
}

/** ‖a − b‖ / max(‖b‖, floor); NaN anywhere gives NaN (never agreement). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    ref += b[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(ref), floor);
}
