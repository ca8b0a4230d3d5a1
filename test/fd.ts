/**
 * Central finite differences with one Richardson step: D(h) = (f(x+h) − f(x−h)) / 2h has error
 * c·h² + O(h⁴), so (4 D(h/2) − D(h)) / 3 cancels the h² term. The step scales with |x| so it stays
 * sound for large coordinates, and ‖D(h/2) − D(h)‖ is returned as an estimate of the error (it
 * bounds the extrapolated value's error from above for smooth f).
 */

/** (f(x + h e_j) − f(x − h e_j)) / 2h: one column of the Jacobian by a plain central difference. */
export function centralColumn(f: (x: Float64Array) => Float64Array, x: Float64Array, j: number, h: number): Float64Array {
  const xp = Float64Array.from(x);
  const xm = Float64Array.from(x);
  xp[j]! += h;
  xm[j]! -= h;
  const fp = f(xp);
  const fm = f(xm);
  return fp.map((v, k) => (v - fm[k]!) / (2 * h));
}

/** Jacobian of f at x, column-major m×n, with its estimated error (Frobenius norm). */
export function fdJacobian(
  f: (x: Float64Array) => Float64Array,
  x: Float64Array,
  h0 = 1e-3,
): { value: Float64Array; error: number; m: number } {
  const n = x.length;
  let m = 0;
  let value = new Float64Array(0);
  let err2 = 0;
  for (let j = 0; j < n; j++) {
    const h = h0 * Math.max(1, Math.abs(x[j]!));
    const coarse = centralColumn(f, x, j, h);
    const fine = centralColumn(f, x, j, h / 2);
    if (j === 0) {
      m = coarse.length;
      value = new Float64Array(m * n);
    }
    for (let i = 0; i < m; i++) {
      value[i + j * m] = (4 * fine[i]! - coarse[i]!) / 3;
      err2 += (fine[i]! - coarse[i]!) ** 2;
    }
  }
  return { value, error: Math.sqrt(err2), m };
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
