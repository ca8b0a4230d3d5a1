/**
 * `derivlens check` end to end through the real worker process: every example's claims get the
 * verdict their TRUE/FALSE comment says; numeric faults are inconclusive; runs are reproducible.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from './cli';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'derivlens-check-'));

function write(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

interface JsonClaim {
  line: number;
  text: string;
  kind: string;
  verdict: string;
  summary: string;
  evidence: Record<string, number | string>;
  counterexample?: { point: Record<string, unknown>; values: Record<string, unknown> };
}

const examples = readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort();

for (const file of examples) {
  const path = join('examples', file);
  const lines = readFileSync(path, 'utf8').split('\n');
  const expected = new Map<number, 'TRUE' | 'FALSE'>();
  lines.forEach((l, i) => {
    const m = /^\s*claim\b.*#\s*(TRUE|FALSE)\b/.exec(l);
    if (m) expected.set(i + 1, m[1] as 'TRUE' | 'FALSE');
  });
  if (expected.size === 0) continue;
  test(`${file}: every marked claim gets its verdict at seeds 1–5`, { timeout: 300_000 }, async () => {
    const wrong: string[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = await capture(['check', path, '--json', '--seed', String(seed)]);
      assert.ok(r.code === 0 || r.code === 1, r.err);
      const claims = (JSON.parse(r.out) as { claims: JsonClaim[] }).claims;
      for (const [line, truth] of expected) {
        // A chain `a = b <= c` is one claim per link, all on its line: a TRUE chain holds link by
        // link, a FALSE one has a refuted link (its first broken step).
        const links = claims.filter((x) => x.line === line);
        const show = links.map((c) => `${c.text}: ${c.verdict} (${c.summary})`).join('; ');
        if (links.length === 0) wrong.push(`seed ${seed} ${file}:${line}: no result`);
        else if (truth === 'TRUE' && !links.every((c) => ['holds', 'proved'].includes(c.verdict)))
          wrong.push(`seed ${seed} ${file}:${line}: expected holds/proved, got ${show}`);
        else if (truth === 'FALSE' && !links.some((c) => c.verdict === 'refuted'))
          wrong.push(`seed ${seed} ${file}:${line}: expected a refuted link, got ${show}`);
        for (const c of links)
          if (c.verdict === 'refuted' && !c.counterexample)
            wrong.push(`seed ${seed} ${file}:${line}: a refutation without a counterexample`);
      }
      if (wrong.length === 0) assert.equal(r.code, [...expected.values()].includes('FALSE') ? 1 : 0);
    }
    assert.deepEqual(wrong, []);
  });
}

test('the same seed reproduces the same verdicts, numbers and counterexamples', async () => {
  const a = await capture(['check', 'examples/softmax_unregularized.loss', '--json', '--seed', '5', '--budget', 'quick']);
  const b = await capture(['check', 'examples/softmax_unregularized.loss', '--json', '--seed', '5', '--budget', 'quick']);
  assert.equal(a.out, b.out);
  const c = await capture(['check', 'examples/softmax_unregularized.loss', '--json', '--seed', '6', '--budget', 'quick']);
  assert.notEqual(a.out, c.out);
});

test('a refuted gradient claim reports point, both values and relative error, and eval reproduces it', async () => {
  const dir = tmp();
  const src = write(
    dir,
    'g.loss',
    'dim n = 5, d = 3\ngiven A : R^{n x d} with ||A||_2 <= 1\nvar x : R^d with ||x||_2 <= 1\nloss L = sum(exp(A x))\nclaim grad L = A exp(A x)\n',
  );
  const r = await capture(['check', src, '--json', '--seed', '3']);
  assert.notEqual(r.code, 1, 'a shape-mismatched claim is an input error, not a refutation');
  assert.equal(r.code, 2);
  assert.match(r.err, /g\.loss:5:16: error\[shape-mismatch\]: A exp\(A x\): A is R\^\{n x d\} but exp\(A x\) is R\^n/);
  const ok = write(
    dir,
    'h.loss',
    'dim n = 5, d = 3\ngiven A : R^{n x d} with ||A||_2 <= 1\nvar x : R^d with ||x||_2 <= 1\nloss L = sum(exp(A x))\nclaim grad L = 2 A^T exp(A x)\n',
  );
  const r2 = await capture(['check', ok, '--json', '--seed', '3']);
  assert.equal(r2.code, 1, r2.err);
  const claim = (JSON.parse(r2.out) as { claims: JsonClaim[] }).claims[0]!;
  assert.equal(claim.verdict, 'refuted');
  assert.equal(claim.kind, 'gradient');
  const ce = claim.counterexample!;
  assert.ok(
    Math.abs(Number(ce.values['relativeError']) - 0.5) < 1e-12,
    `2∇ vs ∇ differ by exactly 1/2 relatively, got ${ce.values['relativeError']}`,
  );
  const at = write(dir, 'ce.json', JSON.stringify(ce.point));
  const ev = await capture(['eval', ok, '--at', at, '--json']);
  assert.equal(ev.code, 0, ev.err);
  assert.deepEqual((JSON.parse(ev.out) as { grad: number[] }).grad, ce.values['lhs']);
});

test('NaN and overflow make a claim inconclusive, never holds', async () => {
  const dir = tmp();
  const src = write(
    dir,
    'nan.loss',
    'dim d = 3\nvar x : R^d\nloss L = sum(log(x))\nclaim grad L = exp(-log(x))\nclaim hess L nsd\nclaim lipschitz(grad L) <= 1\nclaim exp(1000 <x, x>) <= 2\n',
  );
  const r = await capture(['check', src, '--json', '--seed', '1', '--budget', 'quick']);
  const claims = (JSON.parse(r.out) as { claims: JsonClaim[] }).claims;
  for (const c of claims) {
    assert.equal(c.verdict, 'inconclusive', `${c.text}: ${c.verdict} (${c.summary})`);
    assert.match(c.summary, /NaN|Inf/);
  }
  assert.match(claims[0]!.summary, /sample \d+/, 'says where the NaN appeared');
});

test('a sample where the loss is NaN is unusable, counted and named; the other samples decide', async () => {
  const r = await capture(['check', 'test/adversarial/partly_nan.loss', '--json', '--seed', '3']);
  const [holds, refuted] = (JSON.parse(r.out) as { claims: JsonClaim[] }).claims;
  assert.equal(holds!.verdict, 'holds', holds!.summary);
  assert.match(holds!.summary, /\d+ of 32 samples unusable \(first: NaN in the loss at sample \d+\)/);
  assert.ok(Number(holds!.evidence['unusable']) > 0 && Number(holds!.evidence['points']) > 0);
  assert.equal(refuted!.verdict, 'refuted', refuted!.summary);
});

test('identity claims say how strong they are: proved with method and error probability, holds with bound and seed', async () => {
  const r = await capture(['check', 'examples/exp_two_layer.loss', 'examples/exp_regression.loss', '--json', '--seed', '4']);
  const [twoLayer, exp] = JSON.parse(r.out) as { claims: JsonClaim[] }[];
  // The Hessian claim (the gradient claim is the derivative's own canonical form, proved with probability 0).
  const proved = exp!.claims[1]!;
  assert.equal(proved.verdict, 'proved');
  assert.match(proved.summary, /error probability ≤ \d\.\de-\d+/);
  assert.ok(Number(proved.evidence['errorProbability']) <= 1e-20);
  assert.match(String(proved.evidence['method']), /identity testing/);
  const holds = twoLayer!.claims[0]!;
  assert.equal(holds.verdict, 'holds');
  assert.match(holds.summary, /within the rounding-error bound .*seed 4/);
  for (const key of ['points', 'roundingBound', 'gapToBound', 'seed']) assert.equal(typeof holds.evidence[key], 'number', key);
  assert.ok(Number(holds.evidence['gapToBound']) <= 2);
});

test('--data fixes givens; unknown names in it are input errors', async () => {
  const dir = tmp();
  const src = write(
    dir,
    'q.loss',
    'dim d = 2\ngiven A : R^{d x d}\nvar x : R^d with ||x||_2 <= 1\nloss L = 0.5 ||A x||_2^2\nclaim hess L >= I_d\n',
  );
  const good = write(
    dir,
    'good.json',
    JSON.stringify({
      A: [
        [2, 0],
        [0, 3],
      ],
    }),
  );
  const r = await capture(['check', src, '--json', '--seed', '1', '--data', good]);
  assert.equal(r.code, 0, r.err);
  const bad = write(
    dir,
    'bad.json',
    JSON.stringify({
      A: [
        [0.5, 0],
        [0, 3],
      ],
    }),
  );
  const r2 = await capture(['check', src, '--json', '--seed', '1', '--data', bad]);
  assert.equal(r2.code, 1);
  const claim = (JSON.parse(r2.out) as { claims: JsonClaim[] }).claims[0]!;
  assert.ok(
    Math.abs(Number(claim.evidence['minEigenvalue']) - (0.25 - 1)) < 1e-12,
    `λ_min(AᵀA − I) = −0.75, got ${claim.evidence['minEigenvalue']}`,
  );
  const wrong = write(dir, 'wrong.json', JSON.stringify({ B: 1 }));
  assert.equal((await capture(['check', src, '--data', wrong])).code, 2);
});

test('budget trades points for time', async () => {
  const quick = await capture(['check', 'examples/exp_regression.loss', '--json', '--seed', '2', '--budget', 'quick']);
  const many = await capture(['check', 'examples/exp_regression.loss', '--json', '--seed', '2', '--budget', '50']);
  // The PSD claim samples the budget's points (the identity claims are proved exactly).
  const pts = (o: string): number => Number((JSON.parse(o) as { claims: JsonClaim[] }).claims[3]!.evidence['points']);
  assert.equal(pts(quick.out), 8);
  assert.equal(pts(many.out), 50);
  assert.equal((await capture(['check', 'examples/exp_regression.loss', '--budget', 'lots'])).code, 2);
});

test('an ill-typed claim is an error on that claim; every other claim is still checked and the exit code is 2', async () => {
  const dir = tmp();
  const src = write(
    dir,
    'claims.loss',
    'dim n = 4, d = 3\ngiven A : R^{n x d} with ||A||_2 <= 1\nvar x : R^d with ||x||_2 <= 1\nloss L = 0.5 ||A x||_2^2\n' +
      'claim grad L = A x\nclaim grad L = A^T A x\nclaim grad L = 2 A^T A x\nclaim lambda_max(A^T A) = ||A||_2^2 <= 1 = sum(x)\n',
  );
  const r = await capture(['check', src, '--json', '--seed', '2']);
  assert.equal(r.code, 2, 'input errors win over refutations');
  assert.match(r.err, /claims\.loss:5:7: error\[shape-mismatch\]: the two sides differ: grad L is R\^d but A x is R\^n/);
  assert.match(r.err, /1 error \(in claims, which are left out; the rest of the file is used\)/);
  const claims = (JSON.parse(r.out) as { claims: JsonClaim[] }).claims;
  assert.deepEqual(
    claims.map((c) => [c.line, c.text, c.verdict]),
    [
      [6, 'grad L = A^T A x', 'proved'],
      [7, 'grad L = 2 A^T A x', 'refuted'],
      [8, 'lambda_max(A^T A) = ||A||_2^2', 'holds'],
      [8, '||A||_2^2 <= 1', 'holds'],
      [8, '1 = sum(x)', 'refuted'],
    ],
  );
});

test('an nsd claim about data is refuted with λ_max of the counterexample as it is stored (the check does not negate the data)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-nsd-'));
  const path = join(dir, 'nsd.loss');
  writeFileSync(path, 'dim d = 2\ngiven P : R^{d x d} with P sym\nvar x : R^d\nloss L = <x, P x>\nclaim P nsd\n');
  const r = await capture(['check', path, '--json', '--seed', '3']);
  const c = (JSON.parse(r.out) as { claims: JsonClaim[] }).claims[0]!;
  assert.equal(c.verdict, 'refuted', c.summary);
  const m = /nsd fails: λ_max = ([0-9.e+-]+) at the counterexample/.exec(c.summary);
  assert.ok(m, c.summary);
  const [[a, b], [, d]] = c.counterexample!.point['P'] as [[number, number], [number, number]];
  const largest = (a + d) / 2 + Math.sqrt(((a - d) / 2) ** 2 + b * b);
  assert.ok(Math.abs(largest - Number(m[1])) <= 1e-5 * Math.abs(largest), `λ_max of the reported P is ${largest}, summary says ${m[1]}`);
});
