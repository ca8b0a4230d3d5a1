/** Shared test helpers: analyse a source, sample inputs deterministically, compare with finite differences. */
import assert from 'node:assert/strict';
import { DerivativePlan } from '../src/numeric/point';
import { compile } from '../src/numeric/evaluate';
import { topoOrder } from '../src/symbolic/ir';
import { ALMOST_EVERYWHERE } from '../src/symbolic/ops';
import { fdJacobian, relativeError } from './fd';
import { analyze } from '../src/symbolic/analyze';

/** mulberry32: a small deterministic generator so every test run sees the same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function analyzeOk(text: string) {
  const a = analyze(text);
  assert.deepEqual(
    a.diagnostics.map((d) => `${d.code}: ${d.message}`),
    [],
    'expected no diagnostics',
  );
  assert.ok(a.lowered && a.derivatives);
  return { ...a, lowered: a.lowered, derivatives: a.derivatives };
}

/**
 * Each square member (stacked by rows) made symmetric, (G + Gᵀ)/2, or well-conditioned PSD,
 * G Gᵀ/n + I/2: data declared `sym` / `psd` must be so for its derivatives to be those derived.
 */
function structured(x: Float64Array, rows: number, n: number, kind: 'sym' | 'psd'): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < rows / n; b++) {
    const at = (i: number, j: number): number => x[b * n + i + j * rows]!;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let v = (at(i, j) + at(j, i)) / 2;
        if (kind === 'psd') {
          v = i === j ? 0.5 : 0;
          for (let k = 0; k < n; k++) v += (at(i, k) * at(j, k)) / n;
        }
        out[b * n + i + j * rows] = v;
      }
  }
  return out;
}

/**
 * Symbolic gradient vs FD of the loss and symbolic Hessian vs FD of the symbolic gradient, at a
 * point drawn from `draw`. Returns both relative errors; throws with the compared values if either
 * exceeds tol or is not finite.
 */
export function checkAgainstFd(text: string, seed: number, tol: number, scale = 0.5): { gradErr: number; hessErr: number } {
  const a = analyzeOk(text);
  const plan = new DerivativePlan(a.lowered, a.derivatives);
  // relu/abs are differentiable only away from their kinks: redraw until every argument is clear.
  const kinkArgs = topoOrder([a.lowered.loss, ...a.derivatives.grads]).flatMap((n) =>
    n.kind === 'fn' && ALMOST_EVERYWHERE.has(n.fn) ? [n.args[0]!] : [],
  );
  const kinkPlan = compile(kinkArgs);
  let inputs = new Map<string, Float64Array>();
  for (let attempt = 0; attempt < 100; attempt++) {
    const next = rng(seed + 7919 * attempt);
    inputs = new Map();
    for (const d of [...a.program.givens, ...a.program.vars]) {
      const size = d.shape.rows.value * d.shape.cols.value;
      const x = Float64Array.from(
        { length: size },
        () => (2 * next() - 1) * scale + (d.constraints.some((c) => c.kind === 'lower') ? 1.5 : 0),
      );
      const structure = d.constraints.some((c) => c.kind === 'psd')
        ? 'psd'
        : d.constraints.some((c) => c.kind === 'sym')
          ? 'sym'
          : undefined;
      inputs.set(d.name, structure ? structured(x, d.shape.rows.value, d.shape.cols.value, structure) : x);
    }
    if (kinkPlan.run(inputs).every((v) => v.every((z) => Math.abs(z) > 1e-2))) break;
  }
  const at = plan.evaluate(inputs);
  const varNames = a.program.vars.map((v) => v.name);
  const sizes = plan.sizes;
  const withX = (x: Float64Array): Map<string, Float64Array> => {
    const m = new Map(inputs);
    let off = 0;
    varNames.forEach((name, i) => {
      m.set(name, x.slice(off, off + sizes[i]!));
      off += sizes[i]!;
    });
    return m;
  };
  const x0 = new Float64Array(plan.dimension);
  let off = 0;
  varNames.forEach((name, i) => {
    x0.set(inputs.get(name)!, off);
    off += sizes[i]!;
  });
  const fdGrad = fdJacobian((x) => Float64Array.of(plan.evaluate(withX(x)).loss), x0).value;
  // Column-major Jacobian of the gradient; the Hessian is row-major, so transpose to compare.
  const n = x0.length;
  const fdCols = fdJacobian((x) => plan.evaluate(withX(x)).grad, x0).value;
  const fdHess = Float64Array.from({ length: n * n }, (_, k) => fdCols[Math.floor(k / n) + (k % n) * n]!);
  // FD noise is ~1e-14 absolute; a floor keeps an exactly-zero Hessian from reading as 100% error.
  const gradErr = relativeError(at.grad, fdGrad, 1e-4);
  const hessErr = relativeError(at.hess, fdHess, 1e-4);
  const show = (v: ArrayLike<number>): string =>
    Array.from(v)
      .slice(0, 8)
      .map((x) => x.toPrecision(10))
      .join(', ');
  assert.ok(
    gradErr < tol,
    `gradient: symbolic [${show(at.grad)}] vs FD [${show(fdGrad)}], relative error ${gradErr} (tol ${tol}, seed ${seed})\n${text}`,
  );
  assert.ok(
    hessErr < tol,
    `Hessian: symbolic [${show(at.hess)}] vs FD [${show(fdHess)}], relative error ${hessErr} (tol ${tol}, seed ${seed})\n${text}`,
  );
  return { gradErr, hessErr };
}
