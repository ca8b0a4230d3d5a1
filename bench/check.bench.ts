/**
 * Wall time of `derivlens check` (CLI + worker process, default budget) on softmax regression at
 * two sizes, against the same checks written directly in JAX on the CPU (bench/reference_jax.py),
 * measured in the same run. Needs `pip install jax`; without it the JAX column says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SIZES: [number, number][] = [
  [64, 16],
  [256, 64],
];

function lossFile(n: number, d: number): string {
  return `dim n = ${n}, d = ${d}
const R = 2
given A : R^{n x d} with ||A||_2 <= R
given b : R^n       with b >= 0, sum(b) = 1
given w : R^n       with w >= 2, w <= 3
var   x : R^d       with ||x||_2 <= R
let f = softmax(A x)
loss L = 0.5 ||f - b||_2^2 + 0.5 ||diag(w) A x||_2^2
claim grad L = A^T (f ∘ (f - b) - <f, f - b> f) + A^T diag(w)^2 A x
claim hess L psd
claim lipschitz(grad L) <= 12 R^2
`;
}

const dir = mkdtempSync(join(tmpdir(), 'derivlens-bench-'));
console.log('softmax regression, default budget (32 points, 4×25 search steps, 64 pairs), seed 1');
console.log('size          derivlens s   jax first s   jax warm s   derivlens/jax-first   derivlens/jax-warm');
for (const [n, d] of SIZES) {
  const file = join(dir, `softmax_${n}_${d}.loss`);
  writeFileSync(file, lossFile(n, d));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [resolve('bin/derivlens.js'), 'check', file, '--budget', 'default', '--seed', '1', '--json'], {
    encoding: 'utf8',
  });
  const ours = (performance.now() - t0) / 1000;
  const verdicts =
    r.status === 0 || r.status === 1
      ? (JSON.parse(r.stdout) as { claims: { verdict: string }[] }).claims.map((c) => c.verdict).join('/')
      : `exit ${r.status}: ${r.stderr}`;
  const jax = spawnSync('python3', [resolve('bench/reference_jax.py'), '--n', String(n), '--d', String(d)], { encoding: 'utf8' });
  let cols = '   (jax unavailable: pip install jax)';
  if (jax.status === 0) {
    const j = JSON.parse(jax.stdout) as { first_s: number; warm_s: number };
    cols = `${j.first_s.toFixed(2).padStart(12)} ${j.warm_s.toFixed(2).padStart(12)} ${(ours / j.first_s).toFixed(2).padStart(18)}× ${(ours / j.warm_s).toFixed(2).padStart(18)}×`;
  }
  console.log(`n=${n}, d=${d}`.padEnd(14) + ours.toFixed(2).padStart(10) + cols + `   [${verdicts}]`);
}
