/**
 * Printed derivatives are correct by construction: `derive --claims` output, appended to the file,
 * is proved claim by claim — exactly (one canonical form, or the exact identity test), never merely
 * "holds". On every example through the CLI (derive --claims, then check), and in-process on 300
 * random property-test losses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { capture } from './cli';
import { HEADER, scalar } from './lossgen';
import { roundTrip } from './roundtrip';

const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort();

test('derive --claims, appended to every example, is proved by check (CLI)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-printed-'));
  try {
    const files: { path: string; first: number; claims: number }[] = [];
    for (const f of EXAMPLES) {
      const text = readFileSync(join('examples', f), 'utf8');
      const derived = await capture(['derive', join('examples', f), '--claims']);
      assert.equal(derived.code, 0, `${f}: derive --claims failed: ${derived.err}`);
      const path = join(dir, f);
      writeFileSync(path, `${text}\n${derived.out}`);
      const first = text.split('\n').length + 1;
      files.push({ path, first, claims: derived.out.split('\n').filter((l) => l.startsWith('claim ')).length });
    }
    const r = await capture(['check', ...files.map((f) => f.path), '--json', '--seed', '7', '--budget', 'quick']);
    assert.ok(r.code === 0 || r.code === 1, `check failed (${r.code}): ${r.err}`);
    const outcomes = JSON.parse(r.out) as { file: string; claims: { line: number; text: string; verdict: string; summary: string }[] }[];
    for (const f of files) {
      const o = outcomes.find((x) => x.file === f.path)!;
      const appended = o.claims.filter((c) => c.line >= f.first);
      assert.equal(appended.length, f.claims, `${f.path}: ${appended.length} of ${f.claims} appended claims were checked`);
      for (const c of appended) assert.equal(c.verdict, 'proved', `${f.path}:${c.line}: ${c.text}\n  ${c.verdict}: ${c.summary}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('derived claims of every example are proved in-process, in ASCII and in LaTeX', async () => {
  for (const f of EXAMPLES) {
    for (const latex of [false, true]) {
      const r = await roundTrip(readFileSync(join('examples', f), 'utf8'), 1, latex);
      assert.deepEqual(r.failures, [], `${f}${latex ? ' (LaTeX)' : ''}:\n${r.claims.join('\n')}`);
    }
  }
});

test('a file written in LaTeX gets its derived claims in LaTeX, and they are proved', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-latex-'));
  try {
    const text = [
      'dim n = 4, d = 3',
      'given A : \\mathbb{R}^{n \\times d}',
      'given W_0 : \\mathbb{R}^{d \\times d}',
      'var x : \\mathbb{R}^{d}',
      'let s = \\mathrm{ReLU}(A x) \\circ \\exp(A x)',
      'loss L = \\frac{1}{2} \\left\\| s \\right\\|_2^2 + \\frac{1}{2} x^\\top W_0 x',
      '',
    ].join('\n');
    const path = join(dir, 'latex.loss');
    const derived = await capture(['derive', (writeFileSync(path, text), path), '--claims']);
    assert.equal(derived.code, 0, derived.err);
    assert.match(derived.out, /^claim grad L = .*\\/m, derived.out);
    assert.doesNotMatch(derived.out, /<|\.\*|\^T\b/, derived.out);
    writeFileSync(path, `${text}${derived.out}`);
    const r = await capture(['check', path, '--json', '--seed', '3', '--budget', 'quick']);
    const { claims } = JSON.parse(r.out) as { claims: { text: string; verdict: string; summary: string }[] };
    assert.ok(claims.length >= 2);
    for (const c of claims) assert.equal(c.verdict, 'proved', `${c.text}: ${c.summary}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('derived claims of 300 random losses are proved (canonical form or exact identity test)', async () => {
  const losses = fc.sample(scalar(3), { seed: 20261130, numRuns: 300 });
  let proved = 0;
  for (const [k, expr] of losses.entries()) {
    const text = `${HEADER}loss L = ${expr}\n`;
    let failures: string[];
    let claims: string[] = [];
    try {
      const r = await roundTrip(text, k + 1);
      failures = r.failures;
      claims = r.claims;
      if (failures.length === 0) proved += r.byCanonicalForm + r.byExactTest;
    } catch (e) {
      failures = [String(e)];
    }
    assert.deepEqual(failures, [], `random loss ${k}: loss L = ${expr}\n${claims.join('\n')}`);
  }
  assert.equal(proved, 300 * 6, 'every loss has two gradients and four Hessian blocks');
});

test('golden printed forms of the examples (npm run golden:print regenerates them)', async () => {
  for (const f of EXAMPLES) {
    const r = await capture(['derive', join('examples', f)]);
    const golden = readFileSync(join('test', 'golden', 'printed', f.replace(/\.loss$/, '.txt')), 'utf8');
    assert.equal(r.out, golden, `${f}: printed derivatives changed; review them and run npm run golden:print`);
  }
});

test("nested sums print distinct, scoped indices and limits by the dims' names", async () => {
  const r = await capture(['derive', join('examples', 'exp_two_layer.loss')]);
  const grad = r.out.split('\n').find((l) => l.startsWith('grad_W L = '))!;
  assert.match(grad, /^grad_W L = sum_\{k=1\}\^\{N\} \(sum_\{r=1\}\^\{m\} .*\(sum_\{i=1\}\^\{m\} a\[i\]/);
  assert.doesNotMatch(r.out, /sum_\{[a-z0-9]+=1\}\^\{[0-9]+\}/, 'a sum limit printed as a number');
});

test('a refuted matrix-gradient claim prints both sides as matrices of the same shape', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-matrix-'));
  try {
    const path = join(dir, 'm.loss');
    writeFileSync(
      path,
      'dim n = 4, m = 3\ngiven A : R^{n x m}\nvar W : R^{m x n}\nloss L = 0.5 ||W A - I_m||_F^2\nclaim grad L = W A A^T\n',
    );
    const json = await capture(['check', path, '--json', '--seed', '3', '--budget', 'quick']);
    const claim = (JSON.parse(json.out) as { claims: { verdict: string; counterexample: { values: Record<string, unknown> } }[] })
      .claims[0]!;
    assert.equal(claim.verdict, 'refuted');
    const { lhs, rhs, shape } = claim.counterexample.values as { lhs: number[][]; rhs: number[][]; shape: number[] };
    assert.deepEqual(shape, [3, 4]);
    for (const side of [lhs, rhs]) assert.deepEqual([side.length, side[0]!.length], [3, 4], JSON.stringify(side));
    const text = await capture(['check', path, '--seed', '3', '--budget', 'quick']);
    assert.match(text.out, /lhs: \(3×4\)\n( +\[.*\]\n){3} +rhs: \(3×4\)\n( +\[.*\]\n){3}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a let written after the loss may use it, and the derived claims of such a file are proved', async () => {
  const text = 'dim n = 3\ngiven A : R^{n x n}\nvar x : R^n\nloss L = <x, A x>\nlet M = 2 L + <x, x>\nclaim grad M = 2 (A + A^T) x + 2 x\n';
  const r = await roundTrip(text);
  assert.deepEqual(r.failures, [], r.claims.join('\n'));
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-let-'));
  try {
    writeFileSync(join(dir, 'm.loss'), text);
    const check = await capture(['check', join(dir, 'm.loss'), '--json', '--seed', '3', '--budget', 'quick']);
    assert.equal((JSON.parse(check.out) as { claims: { verdict: string }[] }).claims[0]!.verdict, 'proved', check.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paper form: sigmoid, powers of one base, scalar lets by name, dims as products of names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-paper-'));
  const derive = async (text: string): Promise<string> => {
    const path = join(dir, 'p.loss');
    writeFileSync(path, text);
    const r = await capture(['derive', path]);
    assert.equal(r.code, 0, r.err);
    return r.out.split('\nLaTeX:')[0]!;
  };
  try {
    const sigmoid = await derive(
      'dim n = 3\ngiven A : R^{n x n}\ngiven b : R^n\nvar x : R^n\nlet s = 1_n ./ (1_n + exp(-A x))\nloss L = <s, b>\n',
    );
    assert.match(sigmoid, /^ {2}s = sigmoid\(A x\)$/m, sigmoid);
    assert.match(sigmoid, /s \.\* \(1_n - s\)/, sigmoid);
    const powers = await derive(
      'dim n = 3\nconst alpha = 2\ngiven A : R^{n x n}\nvar x : R^n\nlet s = alpha <x, x>\nloss L = s s + alpha alpha <x, A x>\n',
    );
    assert.match(powers, /^loss L = s\^2 \+ alpha\^2 <x, A x>$/m, powers);
    assert.match(powers, /^grad_x L = alpha\^2 \(A \+ A\^T\) x \+ 4 alpha s x$/m, powers);
    // 0.1 · 0.1 folds to 0.01 (the rational written), not to 0.010000000000000002.
    const tenth = await derive('dim n = 3\nvar x : R^n\nloss L = 0.1 (0.1 <x, x>)\n');
    assert.match(tenth, /^grad_x L = 0\.02 x$/m, tenth);
    const kron = await derive('dim n = 2, m = 3\ngiven C : R^{m x m}\nvar X : R^{m x n}\nloss L = tr(kron(X^T X, C))\n');
    assert.doesNotMatch(kron, /_\{?[0-9]+\}?\b(?!\])/, 'a dim printed as a number');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
