/** Resource limits and hangs: refused before allocating, cut off with partial evidence, hangs detected. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerClient, WorkerDied } from '../src/numeric/client';
import { capture } from './cli';

test('a check whose Hessian would not fit is refused with an estimate, before any worker allocates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-limits-'));
  const src = join(dir, 'big.loss');
  writeFileSync(src, 'dim n = 200000\nvar x : R^n\nloss L = ||x||_2^2\nclaim hess L psd\n');
  const t0 = Date.now();
  const r = await capture(['check', src, '--seed', '1']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /needs about [0-9.]+ GiB .*--memory-limit/);
  assert.ok(Date.now() - t0 < 5000);
  const small = await capture(['check', 'examples/exp_regression.loss', '--budget', 'quick', '--memory-limit', '0.000001']);
  assert.equal(small.code, 2);
});

test('a wall-time limit makes a claim inconclusive with the evidence gathered so far', async () => {
  const r = await capture([
    'check',
    'examples/softmax_regression.loss',
    '--budget',
    'thorough',
    '--time-limit',
    '0.01',
    '--seed',
    '1',
    '--json',
  ]);
  const claims = (JSON.parse(r.out) as { claims: { verdict: string; evidence: Record<string, unknown> }[] }).claims;
  const cut = claims.filter((c) => c.evidence['reason'] === 'time budget');
  assert.ok(cut.length > 0, 'some claim was cut off');
  for (const c of cut) assert.equal(c.verdict, 'inconclusive');
});

test('a worker that stops answering is detected, stopped and reported', async () => {
  const hang = `const rpc = require(${JSON.stringify(require.resolve('vscode-jsonrpc/node'))});
const c = rpc.createMessageConnection(new rpc.StreamMessageReader(process.stdin), new rpc.StreamMessageWriter(process.stdout));
c.onRequest('derivlens/initialize', () => ({ protocolVersion: 1, backend: 'hang', device: 'none' }));
c.onRequest('derivlens/check', () => new Promise(() => {}));
c.listen();`;
  const client = new WorkerClient({ command: process.execPath, args: ['-e', hang] }, () => {}, 500);
  await client.start();
  const t0 = Date.now();
  await assert.rejects(
    client.check({ ir: { nodes: [] }, loss: 0, grads: [], hess: [], claims: [], sampling: [], seed: 1, budget: 'quick', hvp: [] }),
    (e: unknown) => e instanceof WorkerDied && /stopped responding/.test((e as Error).message),
  );
  assert.ok(Date.now() - t0 < 3000);
});
