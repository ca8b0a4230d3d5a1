/** Scaling sweeps: grid reruns, fitted exponents, loose vs violated, report plots. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fitExponents, parseSweep } from '../src/app/sweep';
import { capture } from './cli';

test('fitExponents recovers the exponents of a power law', () => {
  const rows = [];
  for (const n of [8, 16, 32, 64]) for (const R of [0.5, 1, 2]) rows.push({ at: { n, R }, y: 3 * n ** 1.5 * R ** 2 });
  const e = fitExponents(['n', 'R'], rows)!;
  assert.ok(Math.abs(e['n']! - 1.5) < 1e-12 && Math.abs(e['R']! - 2) < 1e-12, JSON.stringify(e));
  assert.equal(fitExponents(['n'], [{ at: { n: 1 }, y: 1 }]), undefined, 'one point fits nothing');
});

test('--sweep parses the language syntax and rejects the rest with a message', () => {
  assert.deepEqual(parseSweep('n in [8, 16], R in [0.5, 1]'), {
    names: ['n', 'R'],
    values: [
      [8, 16],
      [0.5, 1],
    ],
  });
  assert.throws(() => parseSweep('n = 8'), /--sweep/);
});

test('a sweep reports observed vs claimed per grid point, growth exponents, and which claims break', async () => {
  mkdirSync('test-output', { recursive: true });
  const html = resolve('test-output/sweep.html');
  const r = await capture(['check', 'examples/softmax_sweep.loss', '--seed', '1', '--budget', 'quick', '--json', '--html', html]);
  assert.equal(r.code, 1, r.err);
  const sweep = (
    JSON.parse(r.out) as {
      sweep: {
        claims: { line: number; points: unknown[]; violatedAt: number; observedExponents?: Record<string, number>; conclusion: string }[];
      };
    }
  ).sweep;
  const byLine = new Map(sweep.claims.map((c) => [c.line, c]));
  for (const line of [12, 13, 14]) assert.equal(byLine.get(line)?.points.length, 12, `line ${line}: a value at each of 4 × 3 grid points`);
  assert.equal(byLine.get(12)!.violatedAt, 0, byLine.get(12)!.conclusion);
  assert.ok(byLine.get(13)!.violatedAt > 0, byLine.get(13)!.conclusion);
  assert.equal(byLine.get(14)!.violatedAt, 0, byLine.get(14)!.conclusion);
  const rExp = byLine.get(12)!.observedExponents!['R']!;
  assert.ok(Math.abs(rExp - 2) < 0.3, `the Lipschitz constant grows like R^2; fitted R^${rExp}`);
  const text = readFileSync(html, 'utf8');
  assert.match(text, /Sweep of examples\/softmax_sweep\.loss/);
  assert.ok((text.match(/Lipschitz ratio vs (n|R)/g) ?? []).length >= 4);
});

test('a sweep over a name that is not a dim or const is an input error', async () => {
  const r = await capture(['check', 'examples/softmax_sweep.loss', '--sweep', 'q in [1, 2]', '--budget', 'quick']);
  assert.equal(r.code, 2);
  assert.match(r.err, /q/);
});
