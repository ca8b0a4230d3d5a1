/**
 * The Python evaluator (python/evaluator.py) under the one check driver: the same samples for the same
 * seed, the same verdicts, numbers and summaries as the CPU evaluator (NumPy, JAX and PyTorch), the
 * golden vectors replayed without Node (pytest), and the same fault behaviour (cancel, kill, hang,
 * garbage, refusal, fallback when Python cannot start).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { WorkerClient, WorkerDied } from '../src/numeric/client';
import type { Budget, CheckParams, CheckResult } from '../src/numeric/protocol';
import { buildCheckParams } from '../src/numeric/request';
import { Stream, streamKey } from '../src/numeric/rng';
import { planClaims } from '../src/symbolic/claims';
import { capture } from './cli';
import { analyzeOk } from './helpers';
import { compareResults } from './parity';

const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';
const WORKER = resolve('dist/worker.js');
const cpu = (env: NodeJS.ProcessEnv = {}) => ({ command: process.execPath, args: [WORKER], env: { ...process.env, ...env } });
const python = (backend: string, env: NodeJS.ProcessEnv = {}, script = resolve('python/evaluator.py')) => ({
  command: process.execPath,
  args: [WORKER, '--evaluator', 'python', '--python', PYTHON, '--script', script],
  env: { ...process.env, DERIVLENS_PY_BACKEND: backend, ...env },
});
const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort();
const PARITY_RTOL = 1e-10;
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function params(source: string, budget: Budget = 'quick', seed = 1): CheckParams {
  const a = analyzeOk(source);
  return buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), { seed, budget });
}
const example = (file: string, budget: Budget = 'quick') => params(readFileSync(`examples/${file}`, 'utf8'), budget);

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

/** Runs the same requests on the CPU and a Python evaluator; fails listing every difference. */
async function parity(backend: string, requests: [string, CheckParams][], env: NodeJS.ProcessEnv = {}): Promise<CheckResult[]> {
  const a = new WorkerClient(cpu(env));
  const b = new WorkerClient(python(backend, env), undefined, 300_000);
  const info = await b.start();
  assert.equal(info.backend, `python-${backend}`);
  const failures: string[] = [];
  const results: CheckResult[] = [];
  try {
    for (const [name, p] of requests) {
      const [x, y] = [await a.check(p), await b.check(p)];
      assert.equal(y.backend, `python-${backend}`);
      results.push(x, y);
      const diffs = compareResults(x, y, PARITY_RTOL);
      if (diffs.length) failures.push(`${name}:\n  ${diffs.slice(0, 10).join('\n  ')}`);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.deepEqual(failures, [], `CPU vs python-${backend} evaluator differ`);
  return results;
}

const examples = (budget: Budget): [string, CheckParams][] => EXAMPLES.map((f) => [`${f} (${budget})`, example(f, budget)]);

test('parity: every example, quick budget, CPU vs NumPy evaluator: same verdicts, numbers and summaries', { timeout: 300_000 }, () =>
  parity('numpy', examples('quick')).then(() => undefined),
);

test('parity: every example, default budget, CPU vs NumPy evaluator', { timeout: 600_000 }, () =>
  parity('numpy', examples('default')).then(() => undefined),
);

/**
 * JAX compiles every plan for every padded batch size, so its run covers a representative subset:
 * vector and matrix variables, index sums, kinks, data searched as a variable, a user function.
 */
const JAX_EXAMPLES = [
  'attention_regression.loss',
  'gmm_score.loss',
  'relu_regression.loss',
  'softmax_data_perturbed.loss',
  'softmax_regression.loss',
];

test('parity: representative examples, quick budget, CPU vs JAX (x64) evaluator', { timeout: 600_000 }, () =>
  parity(
    'jax',
    JAX_EXAMPLES.map((f) => [`${f} (quick)`, example(f, 'quick')]),
  ).then(() => undefined),
);

test(
  'parity: every example, quick budget, CPU vs PyTorch (CPU, float64) evaluator',
  { timeout: 300_000, skip: hasTorch ? false : 'PyTorch is not importable (.ci/run installs it from the local wheel index when it can)' },
  () => parity('torch', examples('quick')).then(() => undefined),
);

const LANCZOS_SOURCE = `dim n = 48, d = 40
given A : R^{n x d} with ||A||_2 <= 2
given b : R^n       with b >= 0, sum(b) = 1
var   x : R^d       with ||x||_2 <= 2
loss L = 0.5 ||softmax(A x) - b||_2^2 + 0.01 ||x||_2^2
claim hess L psd
claim hess L pd
claim hess L nsd
`;

test(
  'Lanczos (chosen by the driver for large d): CPU and NumPy evaluators agree, and match the dense eigensolve',
  { timeout: 300_000 },
  async () => {
    const p = params(LANCZOS_SOURCE, 'quick', 4);
    const [lanczosCpu] = await parity('numpy', [['lanczos (quick)', p]], { DERIVLENS_LANCZOS_MIN_DIM: '10' });
    assert.ok(
      lanczosCpu!.claims.every((c) => c.evidence['method'] === 'Lanczos'),
      'the driver picked Lanczos',
    );
    const dense = new WorkerClient(cpu());
    const r = await dense.check(p);
    await dense.stop();
    assert.deepEqual(
      r.claims.map((c) => c.verdict),
      lanczosCpu!.claims.map((c) => c.verdict),
    );
    r.claims.forEach((c, i) => {
      const [x, y] = [Number(c.evidence['minEigenvalue']), Number(lanczosCpu!.claims[i]!.evidence['minEigenvalue'])];
      // Both are known to rounding of ‖H‖ (the dense tolerance is 1e-9·max|H_ij|·d).
      assert.ok(Math.abs(x - y) <= Number(c.evidence['tolerance']), `claim ${i}: λ_min dense ${x} vs Lanczos ${y}`);
    });
  },
);

test('golden vectors: python3 -m pytest python/ replays them on every installed backend, without Node', { timeout: 300_000 }, () => {
  const r = spawnSync(PYTHON, ['-m', 'pytest', 'python/', '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `pytest failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /passed/);
});

test('Python evaluator: cancel returns control within 200 ms', async () => {
  const client = new WorkerClient(python('numpy'));
  await client.start();
  const abort = new AbortController();
  const pending = client.check(example('softmax_regression.loss', 'thorough'), abort.signal);
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  abort.abort();
  await assert.rejects(pending, /cancel/i);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 200, `cancel took ${elapsed} ms`);
  // The worker and its evaluator are still usable afterwards.
  const again = await client.check(example('exp_regression.loss'));
  // Four claims; the gradient one is proved by canonical form and never sent.
  assert.equal(again.claims.length, 3);
  await client.stop();
});

test('Python evaluator killed mid-check: the check fails with WorkerDied naming the signal; the next check restarts both', async () => {
  const client = new WorkerClient(python('numpy'));
  const info = await client.start();
  const pid = info.evaluatorPid!;
  assert.ok(pid > 0, 'the worker reports its evaluator');
  const pending = client.check(example('softmax_regression.loss', 'thorough'));
  setTimeout(() => process.kill(pid, 'SIGKILL'), 400);
  await assert.rejects(
    pending,
    (e: unknown) => e instanceof WorkerDied && /Python evaluator was killed by SIGKILL/.test((e as Error).message),
  );
  const again = await client.check(example('exp_regression.loss'));
  assert.equal(again.backend, 'python-numpy');
  assert.notEqual((await client.start()).evaluatorPid, pid);
  await client.stop();
});

test('a killed worker takes its Python evaluator with it (no orphan process)', async () => {
  const client = new WorkerClient(python('numpy'));
  const info = await client.start();
  const pending = client.check(example('softmax_regression.loss', 'thorough'));
  setTimeout(() => process.kill(client.pid!, 'SIGKILL'), 400);
  await assert.rejects(pending, WorkerDied);
  const deadline = Date.now() + 5000;
  const alive = (): boolean => {
    try {
      process.kill(info.evaluatorPid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(), false, `evaluator ${info.evaluatorPid} still running`);
});

/** A fake evaluator: answers initialize like the real one, then behaves as `then` says. */
function fakeEvaluator(then: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-fake-evaluator-'));
  const file = join(dir, 'evaluator.py');
  writeFileSync(
    file,
    `import json, sys, time
def read():
    n = None
    while True:
        line = sys.stdin.buffer.readline().strip()
        if not line: break
        k, _, v = line.decode().partition(':')
        if k.lower() == 'content-length': n = int(v)
    return json.loads(sys.stdin.buffer.read(n))
def send(m):
    b = json.dumps(m).encode()
    sys.stdout.buffer.write(b'Content-Length: %d\\r\\n\\r\\n' % len(b) + b); sys.stdout.buffer.flush()
m = read()
send({'jsonrpc': '2.0', 'id': m['id'], 'result': {'protocolVersion': 2, 'backend': 'python-fake', 'device': 'fake', 'gpu': False}})
m = read()
${then}
`,
  );
  return file;
}

test(
  'a Python evaluator that hangs (silent during an op) is stopped and the check fails, not waited for',
  { timeout: 60_000 },
  async () => {
    const client = new WorkerClient(python('numpy', { DERIVLENS_EVALUATOR_SILENCE_MS: '1500' }, fakeEvaluator('time.sleep(3600)')));
    await client.start();
    const t0 = Date.now();
    await assert.rejects(
      client.check(example('exp_regression.loss')),
      (e: unknown) => e instanceof WorkerDied && /stopped responding/.test((e as Error).message),
    );
    assert.ok(Date.now() - t0 < 10_000);
    await client.stop();
  },
);

test('a Python evaluator that writes garbage is reported, not trusted', async () => {
  const client = new WorkerClient(
    python(
      'numpy',
      {},
      fakeEvaluator("sys.stdout.buffer.write(b'Content-Length: 5\\r\\n\\r\\nhello'); sys.stdout.buffer.flush(); time.sleep(5)"),
    ),
  );
  await client.start();
  await assert.rejects(
    client.check(example('exp_regression.loss')),
    (e: unknown) => e instanceof WorkerDied && /unreadable message/.test((e as Error).message),
  );
  await client.stop();
});

test('the memory refusal is the same with either evaluator', async () => {
  const p = { ...example('exp_regression.loss'), memoryLimitBytes: 1024 };
  const messages: string[] = [];
  for (const w of [cpu(), python('numpy')]) {
    const client = new WorkerClient(w);
    await assert.rejects(client.check(p), (e: unknown) => {
      messages.push((e as Error).message);
      return /needs about .* over the limit of 1 KiB/.test((e as Error).message);
    });
    await client.stop();
  }
  assert.equal(messages[0], messages[1]);
});

test('Python evaluator: a wall-time limit makes claims inconclusive with the evidence so far', async () => {
  const client = new WorkerClient(python('numpy'));
  const r = await client.check({ ...example('softmax_regression.loss', 'thorough'), timeLimitMs: 1 });
  await client.stop();
  const cut = r.claims.filter((c) => c.verdict === 'inconclusive' && c.evidence['reason'] === 'time budget');
  assert.ok(cut.length >= 1, r.claims.map((c) => `${c.verdict}: ${c.summary}`).join('\n'));
});

test('CLI --backend python names the backend in the summary; a missing interpreter falls back with one message', async () => {
  const saved = process.env['DERIVLENS_PYTHON'];
  try {
    process.env['DERIVLENS_PYTHON'] = PYTHON;
    const ok = await capture(['check', 'examples/exp_regression.loss', '--backend', 'python', '--seed', '1', '--budget', 'quick']);
    assert.match(ok.out, /python-(torch|jax|numpy) on /);
    const local = await capture(['check', 'examples/exp_regression.loss', '--seed', '1', '--budget', 'quick']);
    assert.equal(ok.code, local.code);
    process.env['DERIVLENS_PYTHON'] = resolve('no-such-python');
    const fallback = await capture(['check', 'examples/exp_regression.loss', '--backend', 'python', '--seed', '1', '--budget', 'quick']);
    assert.equal(fallback.err.match(/Python evaluator unavailable/g)?.length, 1, fallback.err);
    assert.match(fallback.err, /no-such-python/);
    assert.match(fallback.err, /using the CPU evaluator/);
    assert.match(fallback.out, /cpu-node on /);
    assert.equal(fallback.code, local.code);
    assert.equal(fallback.out.replace(/\(seed.*\)/g, ''), local.out.replace(/\(seed.*\)/g, ''));
  } finally {
    if (saved === undefined) delete process.env['DERIVLENS_PYTHON'];
    else process.env['DERIVLENS_PYTHON'] = saved;
  }
});

test('recorded evaluator ops (DERIVLENS_RECORD) replay in Python without Node, with no difference', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'derivlens-record-')), 'ops.jsonl');
  process.env['DERIVLENS_RECORD'] = file;
  try {
    await capture(['check', 'examples/exp_regression.loss', 'examples/gmm_score.loss', '--seed', '1', '--budget', 'quick']);
  } finally {
    delete process.env['DERIVLENS_RECORD'];
  }
  const lines = execFileSync(PYTHON, [resolve('python/replay.py'), file, '--backend', 'numpy', '--repeat', '1'], {
    encoding: 'utf8',
  }).trim();
  const run = JSON.parse(lines) as { ops: number; differences: number; worst: unknown[] };
  assert.ok(run.ops > 100, `${run.ops} ops recorded`);
  assert.equal(run.differences, 0, JSON.stringify(run.worst));
});

test('a broken PyTorch (import fails with a runtime error) gives one message and the CPU worker', async () => {
  const fake = mkdtempSync(join(tmpdir(), 'derivlens-broken-torch-'));
  mkdirSync(join(fake, 'torch'));
  writeFileSync(join(fake, 'torch', '__init__.py'), 'raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")\n');
  const saved = { path: process.env['PYTHONPATH'], backend: process.env['DERIVLENS_PY_BACKEND'] };
  process.env['PYTHONPATH'] = fake;
  process.env['DERIVLENS_PY_BACKEND'] = 'torch';
  try {
    const r = await capture(['check', 'examples/exp_regression.loss', '--backend', 'python', '--seed', '1', '--budget', 'quick']);
    assert.equal(r.err.match(/Python evaluator unavailable/g)?.length, 1, r.err);
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

test('checks sent together to one Python worker take turns and each gets its own verdicts', { timeout: 120_000 }, async () => {
  const client = new WorkerClient(python('numpy'));
  const [p1, p2] = [example('exp_regression.loss'), example('gmm_score.loss')];
  const together = await Promise.all([client.check(p1), client.check(p2)]);
  const alone = [await client.check(p1), await client.check(p2)];
  await client.stop();
  together.forEach((r, i) => assert.deepEqual(compareResults(r, alone[i]!, PARITY_RTOL), []));
});

test('a var fixed by --data (as at a counterexample) is still moved by finite differences in the Python evaluator', async () => {
  const saved = process.env['DERIVLENS_PYTHON'];
  process.env['DERIVLENS_PYTHON'] = PYTHON;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'derivlens-fixed-var-'));
    const file = join(dir, 'fixed.loss');
    writeFileSync(
      file,
      'dim n = 3, d = 2\ngiven A : R^{n x d}\nvar x : R^d\nloss L = 0.5 ||A x||_2^2 + <1_d, exp(x)>\nclaim grad L = A^T A x\n',
    );
    const data = join(dir, 'point.json');
    writeFileSync(
      data,
      JSON.stringify({
        A: [
          [1, 2],
          [0.5, -1],
          [0, 3],
        ],
        x: [0.25, -0.5],
      }),
    );
    for (const backend of ['cpu', 'python']) {
      const r = await capture(['check', file, '--data', data, '--backend', backend, '--seed', '1', '--json']);
      const claim = (JSON.parse(r.out) as { claims: { verdict: string; summary: string }[] }).claims[0]!;
      assert.equal(claim.verdict, 'refuted', `${backend}: ${claim.summary}`);
    }
  } finally {
    if (saved === undefined) delete process.env['DERIVLENS_PYTHON'];
    else process.env['DERIVLENS_PYTHON'] = saved;
  }
});
