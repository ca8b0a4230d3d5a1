/** The worker process: crashes are reported and recovered from, cancellation is prompt. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { WorkerClient, WorkerDied } from '../src/numeric/client';
import type { CheckParams } from '../src/numeric/protocol';
import { buildCheckParams } from '../src/numeric/request';
import { planClaims } from '../src/symbolic/claims';
import { analyzeOk } from './helpers';

const WORKER = { command: process.execPath, args: [resolve('dist/worker.js')] };

function params(file: string, budget: CheckParams['budget'] = 'quick'): CheckParams {
  const a = analyzeOk(readFileSync(file, 'utf8'));
  return buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), { seed: 1, budget });
}

test('initialize reports backend and device', async () => {
  const client = new WorkerClient(WORKER);
  const info = await client.start();
  assert.equal(info.backend, 'cpu-node');
  assert.match(info.device, /CPU/);
  await client.stop();
});

test('a worker killed mid-check fails the request with WorkerDied; the next request restarts it', async () => {
  const client = new WorkerClient(WORKER);
  await client.start();
  const pid = client.pid!;
  const pending = client.check(params('examples/softmax_regression.loss', 'thorough'));
  setTimeout(() => process.kill(pid, 'SIGKILL'), 100);
  await assert.rejects(pending, (e: unknown) => e instanceof WorkerDied && /SIGKILL/.test((e as Error).message));
  const again = await client.check(params('examples/exp_regression.loss'));
  assert.notEqual(client.pid, pid);
  assert.ok(again.claims.length > 0);
  await client.stop();
});

test('a worker that cannot start is reported, not waited for', async () => {
  const client = new WorkerClient({ command: process.execPath, args: ['-e', 'process.exit(7)'] });
  await assert.rejects(client.start(), (e: unknown) => e instanceof WorkerDied && /code 7/.test((e as Error).message));
});

test('a worker that writes garbage is reported as dead, not trusted', async () => {
  const client = new WorkerClient({
    command: process.execPath,
    args: ['-e', 'process.stdout.write("Content-Length: 5\\r\\n\\r\\nhello"); setTimeout(() => process.exit(0), 50)'],
  });
  await assert.rejects(client.start());
});

test('cancel returns control within 200 ms', async () => {
  const client = new WorkerClient(WORKER);
  await client.start();
  const abort = new AbortController();
  const pending = client.check(params('examples/softmax_regression.loss', 'thorough'), abort.signal);
  await new Promise((r) => setTimeout(r, 150));
  const t0 = Date.now();
  abort.abort();
  await assert.rejects(pending, /cancel/i);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 200, `cancel took ${elapsed} ms`);
  await client.stop();
});
