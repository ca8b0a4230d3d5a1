/**
 * The large case: softmax regression with n=4096, d=256 and fixed data, `hess L psd` and
 * `lipschitz(grad L) <= 12 R^2` at a budget of N sample points (N=4096 on a GPU; 256 on a
 * CPU-only machine unless DERIVLENS_BENCH_POINTS says otherwise), run by the Python worker, against
 * bench/reference_large.py doing the same work by hand (JAX, and PyTorch when importable) in the
 * same run. Prints both times, their ratio, and the f64 FLOP/s of Hessian formation next to a
 * same-run GEMM rate (the machine's practical f64 peak).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dataFor } from '../src/app/load';
import { connectWorker } from '../src/numeric/backends';
import { buildCheckParams } from '../src/numeric/request';
import { planClaims } from '../src/symbolic/claims';
import { analyze } from '../src/symbolic/analyze';

const N = 4096;
const D = 256;
const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';
const SOURCE = `dim n = ${N}, d = ${D}
const R = 2
given A : R^{n x d}
given b : R^n
given w : R^n
var   x : R^d       with ||x||_2 <= R
let f = softmax(A x)
loss L = 0.5 ||f - b||_2^2 + 0.5 ||diag(w) A x||_2^2
claim hess L psd
claim lipschitz(grad L) <= 12 R^2
`;

const gflops = (f: number, s: number): string => `${(f / s / 1e9).toFixed(1)} GFLOP/s`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-large-'));
  const dataPath = join(dir, 'data.json');
  const written = spawnSync(PYTHON, [resolve('bench/reference_large.py'), '--n', String(N), '--d', String(D), '--write-data', dataPath], {
    encoding: 'utf8',
  });
  if (written.status !== 0) throw new Error(`reference_large.py --write-data failed: ${written.stderr}`);
  const worker = await connectWorker(
    'python',
    {
      node: { command: process.execPath, args: [resolve('dist/worker.js')] },
      pythonEvaluator: resolve('python/evaluator.py'),
      python: PYTHON,
    },
    undefined,
    600_000,
  );
  if (worker.fallback) throw new Error(worker.fallback);
  const points = Number(process.env['DERIVLENS_BENCH_POINTS'] ?? (worker.info.gpu ? 4096 : 256));
  const a = analyze(SOURCE);
  if (!a.program || !a.lowered || !a.derivatives) throw new Error('the benchmark source does not analyse');
  const fixed = dataFor(a.program, JSON.parse(readFileSync(dataPath, 'utf8')) as Record<string, unknown>, dataPath, 'none');
  const params = buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), {
    seed: 1,
    budget: points,
    fixed,
  });
  params.memoryLimitBytes = 64 * 2 ** 30;
  console.log(
    `large case: softmax regression n=${N}, d=${D}, fixed data, ${points} sample points (16 × 25 search steps, ${2 * points} Lipschitz pairs), seed 1`,
  );
  console.log(`derivlens worker: ${worker.info.backend} on ${worker.info.device}`);
  const t0 = performance.now();
  const result = await worker.client.check(params);
  const ours = (performance.now() - t0) / 1000;
  await worker.client.stop();
  const formation = result.stats?.['matrix formation'];
  const hessians = formation?.points ?? 0;
  const nominal = 2 * N * D * D;
  console.log(`  derivlens      ${ours.toFixed(2)} s   [${result.claims.map((c) => c.verdict).join('/')}]`);
  if (formation)
    console.log(
      `    Hessian formation: ${hessians} Hessians in ${formation.seconds.toFixed(2)} s = ` +
        `${gflops(hessians * nominal, formation.seconds)} nominal ` +
        `(2·n·d² each; the plan does ${(formation.flops / hessians / nominal).toFixed(2)}× that)`,
    );
  for (const framework of ['jax', 'torch']) {
    const r = spawnSync(
      PYTHON,
      [resolve('bench/reference_large.py'), '--n', String(N), '--d', String(D), '--points', String(points), '--framework', framework],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) {
      console.log(`  ${framework.padEnd(14)} unavailable (${r.stderr.trim().split('\n').slice(-1)[0]})`);
      continue;
    }
    const ref = JSON.parse(r.stdout) as {
      framework: string;
      device: string;
      first_s: number;
      total_s: number;
      hessian_s: number;
      gemm_flops: number;
      hessian_flops: number;
    };
    console.log(
      `  ${ref.framework.padEnd(14)} ${ref.total_s.toFixed(2)} s warm, ${ref.first_s.toFixed(2)} s first run (with compilation) ` +
        `on ${ref.device}; derivlens/${framework} = ${(ours / ref.total_s).toFixed(2)}× warm, ${(ours / ref.first_s).toFixed(2)}× first`,
    );
    console.log(`    Hessian formation: ${gflops(ref.hessian_flops, ref.hessian_s)}; same-run f64 GEMM ${gflops(ref.gemm_flops, 1)}`);
    if (formation)
      console.log(
        `    derivlens Hessian formation reaches ${((100 * hessians * nominal) / formation.seconds / ref.gemm_flops).toFixed(0)}% ` +
          `of that GEMM rate (reference: ${((100 * ref.hessian_flops) / ref.hessian_s / ref.gemm_flops).toFixed(0)}%)`,
      );
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
