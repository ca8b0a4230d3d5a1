/**
 * bench/reference_jax.py replays `derivlens check` op logs with hand-written JAX and fails loudly on
 * an op or quantity it does not know. This records the 64×16 bench check and asks the reference
 * whether it understands every op, so a driver change that adds an op type fails here, not in the
 * middle of `npm run bench`. Skipped when python3 has no JAX.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { softmaxLoss } from '../bench/softmax';

const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';
const hasJax = spawnSync(PYTHON, ['-c', 'import jax'], { encoding: 'utf8' }).status === 0;

function understands(log: string): { status: number | null; out: string } {
  const r = spawnSync(PYTHON, [resolve('bench/reference_jax.py'), log, '--check-only'], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('the JAX reference understands every op of the 64×16 bench check', { skip: !hasJax && 'python3 has no jax' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-bench-ref-'));
  try {
    const file = join(dir, 'softmax.loss');
    const log = join(dir, 'ops.jsonl');
    writeFileSync(file, softmaxLoss(64, 16));
    const r = spawnSync(process.execPath, [resolve('bin/derivlens.js'), 'check', file, '--seed', '1', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, DERIVLENS_RECORD: log },
    });
    assert.ok(r.status === 0 || r.status === 1, `derivlens check exited ${r.status}: ${r.stderr}`);
    const ops = new Set(
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { op: string }).op),
    );
    for (const op of ['sample', 'evaluate', 'quad', 'eigen', 'move']) assert.ok(ops.has(op), `the log has no ${op} op`);
    const ok = understands(log);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /"understood": true/);

    // An op it does not know must fail the reference, not be skipped.
    appendFileSync(log, `${JSON.stringify({ op: 'frobnicate', args: {}, answer: {} })}\n`);
    const bad = understands(log);
    assert.equal(bad.status, 2, bad.out);
    assert.match(bad.out, /does not understand the log: op \d+: frobnicate/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
