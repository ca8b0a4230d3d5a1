/**
 * The Python worker (python/worker.py): the same protocol, the same samples for the same seed,
 * the same verdicts and numbers as the CPU worker (NumPy and JAX backends), and the same fault
 * behaviour (cancel, kill, refusal, fallback when Python cannot start).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { WorkerClient, WorkerDied } from '../src/numeric/client';
import { compareResults } from '../src/numeric/parity';
import type { Budget, CheckParams } from '../src/numeric/protocol';
import { buildCheckParams } from '../src/numeric/request';
import { Stream, streamKey } from '../src/numeric/rng';
import { planClaims } from '../src/symbolic/claims';
import { capture } from './cli';
import { analyzeOk } from './helpers';

const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';
const CPU = { command: process.execPath, args: [resolve('dist/worker.js')] };
const python = (backend: string) => ({
  command: PYTHON,
  args: [resolve('python/worker.py')],
  env: { ...process.env, DERIVLENS_PY_BACKEND: backend },
});
const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort();
const PARITY_RTOL = 1e-10;

function params(file: string, budget: Budget = 'quick', seed = 1): CheckParams {
  const a = analyzeOk(readFileSync(file, 'utf8'));
  return buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), { seed, budget });
}

test('the Python RNG draws bit-identical uniforms, bits and normals', () => {
  const keys = [[1, 2, 3], [0], [7, 0, 5, 2], [4294967295, 1]];
  const script = `
import sys, json; sys.path.insert(0, ${JSON.stringify(resolve('python'))})
from derivlens.rng import Stream, stream_key
out = []
for ids in ${JSON.stringify(keys)}:
    s = Stream(stream_key(*ids))
    out.append([s.uniforms(5).tolist(), s.bits(3).tolist(), s.normals(4).tolist()])
print(json.dumps(out))`;
  const py = JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' })) as [number[], number[], number[]][];
  keys.forEach((ids, k) => {
    const s = new Stream(streamKey(ids[0]!, ...ids.slice(1)));
    const ts = [
      Array.from({ length: 5 }, () => s.uniform()),
      Array.from({ length: 3 }, () => s.bits()),
      Array.from({ length: 4 }, () => s.normal()),
    ];
    assert.deepEqual(py[k]![0], ts[0], `uniforms of stream ${ids}`);
    assert.deepEqual(py[k]![1], ts[1], `bits of stream ${ids}`);
    py[k]![2].forEach((v, i) =>
      assert.ok(Math.abs(v - ts[2]![i]!) <= 1e-15 * Math.max(1, Math.abs(v)), `normal ${i} of stream ${ids}: ${v} vs ${ts[2]![i]}`),
    );
  });
});

async function parity(backend: string, budget: Budget, files: readonly string[]): Promise<void> {
  const cpu = new WorkerClient(CPU);
  const py = new WorkerClient(python(backend), undefined, 300_000);
  const info = await py.start();
  assert.equal(info.backend, `python-${backend}`);
  const failures: string[] = [];
  try {
    for (const f of files) {
      const p = params(`examples/${f}`, budget);
      const [a, b] = [await cpu.check(p), await py.check(p)];
      assert.equal(b.backend, `python-${backend}`);
      const diffs = compareResults(a, b, PARITY_RTOL);
      if (diffs.length) failures.push(`${f} (${budget}):\n  ${diffs.slice(0, 10).join('\n  ')}`);
    }
  } finally {
    await cpu.stop();
    await py.stop();
  }
  assert.deepEqual(failures, [], `CPU worker vs python-${backend} differ`);
}

test('parity: every example gives the same verdicts and numbers on the CPU and NumPy workers', { timeout: 300_000 }, () =>
  parity('numpy', 'quick', EXAMPLES),
);

test('parity at the default budget (longer searches) on the CPU and NumPy workers', { timeout: 300_000 }, () =>
  parity('numpy', 'default', ['softmax_regression.loss', 'cosh_regression.loss', 'gmm_score.loss', 'relu_regression.loss']),
);

test('parity: every example gives the same verdicts and numbers on the CPU and JAX (x64) workers', { timeout: 600_000 }, () =>
  parity('jax', 'quick', EXAMPLES),
);

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test(
  'parity: every example gives the same verdicts and numbers on the CPU and PyTorch (CPU, float64) workers',
  { timeout: 300_000, skip: hasTorch ? false : 'PyTorch is not importable (.ci/run installs it from the local wheel index when it can)' },
  () => parity('torch', 'quick', EXAMPLES),
);

test('Python worker: cancel returns control within 200 ms', async () => {
  const client = new WorkerClient(python('numpy'));
  await client.start();
  const abort = new AbortController();
  const pending = client.check(params('examples/softmax_regression.loss', 'thorough'), abort.signal);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  abort.abort();
  await assert.rejects(pending, /cancel/i);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 200, `cancel took ${elapsed} ms`);
  // The worker is still usable afterwards.
  const again = await client.check(params('examples/exp_regression.loss'));
  assert.equal(again.claims.length, 4);
  await client.stop();
});

test('Python worker: killed mid-check fails the request with WorkerDied and restarts on the next', async () => {
  const client = new WorkerClient(python('numpy'));
  await client.start();
  const pid = client.pid!;
  const pending = client.check(params('examples/softmax_regression.loss', 'thorough'));
  setTimeout(() => process.kill(pid, 'SIGKILL'), 300);
  await assert.rejects(pending, (e: unknown) => e instanceof WorkerDied && /SIGKILL/.test((e as Error).message));
  const again = await client.check(params('examples/exp_regression.loss'));
  assert.notEqual(client.pid, pid);
  assert.equal(again.backend, 'python-numpy');
  await client.stop();
});

test('Python worker: refuses a check over the memory limit with the estimate, like the CPU worker', async () => {
  const p = { ...params('examples/exp_regression.loss'), memoryLimitBytes: 1024 };
  const messages: string[] = [];
  for (const w of [CPU, python('numpy')]) {
    const client = new WorkerClient(w);
    await assert.rejects(client.check(p), (e: unknown) => {
      messages.push((e as Error).message);
      return /needs about .* over the limit of 1 KiB/.test((e as Error).message);
    });
    await client.stop();
  }
  assert.equal(messages[0], messages[1]);
});

test('CLI --backend python names the backend in the summary; a missing interpreter falls back with one message', async () => {
  const saved = process.env['DERIVLENS_PYTHON'];
  try {
    process.env['DERIVLENS_PYTHON'] = PYTHON;
    const ok = await capture(['check', 'examples/exp_regression.loss', '--backend', 'python', '--seed', '1', '--budget', 'quick']);
    assert.match(ok.out, /python-(torch|jax|numpy) on /);
    const cpu = await capture(['check', 'examples/exp_regression.loss', '--seed', '1', '--budget', 'quick']);
    assert.equal(ok.code, cpu.code);
    process.env['DERIVLENS_PYTHON'] = resolve('no-such-python');
    const fallback = await capture(['check', 'examples/exp_regression.loss', '--backend', 'python', '--seed', '1', '--budget', 'quick']);
    assert.equal(fallback.err.match(/Python worker unavailable/g)?.length, 1, fallback.err);
    assert.match(fallback.err, /no-such-python/);
    assert.match(fallback.err, /using the CPU worker/);
    assert.match(fallback.out, /cpu-node on /);
    assert.equal(fallback.code, cpu.code);
    assert.equal(fallback.out.replace(/\(seed.*\)/g, ''), cpu.out.replace(/\(seed.*\)/g, ''));
  } finally {
    if (saved === undefined) delete process.env['DERIVLENS_PYTHON'];
    else process.env['DERIVLENS_PYTHON'] = saved;
  }
});

test('Lanczos (large d, no Hessian formed) finds the same λ_min as the dense eigensolve', { timeout: 120_000 }, async () => {
  const source = `dim n = 48, d = 40
given A : R^{n x d} with ||A||_2 <= 2
given b : R^n       with b >= 0, sum(b) = 1
var   x : R^d       with ||x||_2 <= 2
loss L = 0.5 ||softmax(A x) - b||_2^2 + 0.01 ||x||_2^2
claim hess L psd
claim hess L pd
`;
  const a = analyzeOk(source);
  const p = buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), {
    seed: 4,
    budget: 'quick',
  });
  const dense = new WorkerClient(python('numpy'));
  const lanczos = new WorkerClient({
    ...python('numpy'),
    env: { ...process.env, DERIVLENS_PY_BACKEND: 'numpy', DERIVLENS_LANCZOS_MIN_DIM: '10' },
  });
  const [r1, r2] = [await dense.check(p), await lanczos.check(p)];
  await dense.stop();
  await lanczos.stop();
  r1.claims.forEach((c, i) => {
    const l = r2.claims[i]!;
    assert.equal(l.verdict, c.verdict, `claim ${i}: ${c.summary} vs ${l.summary}`);
    const [x, y] = [Number(c.evidence['minEigenvalue']), Number(l.evidence['minEigenvalue'])];
    // Both are known to rounding of ‖H‖ (the dense tolerance is 1e-9·max|H_ij|·d).
    assert.ok(Math.abs(x - y) <= Number(c.evidence['tolerance']), `claim ${i}: λ_min dense ${x} vs Lanczos ${y}`);
  });
  assert.equal(r1.stats?.['matrix formation']?.points !== undefined, true, 'the dense run forms Hessians');
  assert.equal(r2.stats?.['matrix formation'], undefined, 'the Lanczos run forms none');
});

test('Python worker: a wall-time limit makes claims inconclusive with the evidence so far', async () => {
  const client = new WorkerClient(python('numpy'));
  const r = await client.check({ ...params('examples/softmax_regression.loss', 'thorough'), timeLimitMs: 1 });
  await client.stop();
  const cut = r.claims.filter((c) => c.verdict === 'inconclusive' && c.evidence['reason'] === 'time budget');
  assert.ok(cut.length >= 1, r.claims.map((c) => `${c.verdict}: ${c.summary}`).join('\n'));
  assert.ok(r.claims.every((c) => c.verdict !== 'holds' || c.evidence['reason'] === undefined));
});

test('recorded requests (DERIVLENS_RECORD) replay in the Python worker without Node, with the same verdicts', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'derivlens-record-')), 'requests.jsonl');
  process.env['DERIVLENS_RECORD'] = file;
  let cli;
  try {
    cli = await capture(['check', 'examples/exp_regression.loss', 'examples/gmm_score.loss', '--seed', '1', '--budget', 'quick', '--json']);
  } finally {
    delete process.env['DERIVLENS_RECORD'];
  }
  const cpu = (JSON.parse(cli.out) as { claims: { verdict: string }[] }[]).map((o) => o.claims.map((c) => c.verdict));
  const lines = execFileSync(PYTHON, [resolve('python/replay.py'), file, '--backend', 'numpy', '--repeat', '1'], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const replayed = lines.map((l) => (JSON.parse(l) as { verdicts: string[] }).verdicts);
  assert.deepEqual(replayed, cpu);
});

test('a broken PyTorch (import fails with a runtime error) gives one message and the CPU worker', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const fake = mkdtempSync(join(tmpdir(), 'derivlens-broken-torch-'));
  mkdirSync(join(fake, 'torch'));
  writeFileSync(join(fake, 'torch', '__init__.py'), 'raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")\n');
  const saved = { path: process.env['PYTHONPATH'], backend: process.env['DERIVLENS_PY_BACKEND'] };
  process.env['PYTHONPATH'] = fake;
  process.env['DERIVLENS_PY_BACKEND'] = 'torch';
  try {
    const r = await capture(['check', 'examples/exp_regression.loss', '--backend', 'python', '--seed', '1', '--budget', 'quick']);
    assert.equal(r.err.match(/Python worker unavailable/g)?.length, 1, r.err);
    assert.match(r.err, /RuntimeError: CUDA driver version is insufficient/);
    assert.match(r.out, /cpu-node on /);
    assert.equal(r.code, 1);
  } finally {
    for (const [k, v] of [
      ['PYTHONPATH', saved.path],
      ['DERIVLENS_PY_BACKEND', saved.backend],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
