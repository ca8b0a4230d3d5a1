/** Every shipped example derives, and its symbolic gradient/Hessian match finite differences. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from './cli';
import { checkAgainstFd } from './helpers';

const examples = readdirSync('examples').filter((f) => f.endsWith('.loss'));

test('there are examples to check', () => {
  assert.ok(examples.length >= 6, `only ${examples.length} examples`);
});

for (const file of examples) {
  test(`${file}: symbolic derivatives match finite differences to 1e-8`, () => {
    const text = readFileSync(join('examples', file), 'utf8');
    for (const seed of [1, 2, 3]) checkAgainstFd(text, seed, 1e-8);
  });
}

test('derive prints a matrix-form gradient and Hessian for softmax regression', async () => {
  const r = await capture(['derive', 'examples/softmax_regression.loss']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /grad_x L = A\^T \(/);
  // The symmetric form Aᵀ B A, its curvature B named, the softmax Jacobian J_f named too.
  assert.match(r.out, /hess_\{x,x\} L = A\^T B A\n/);
  assert.match(r.out, /J_f = diag\(f\) - f f\^T\n +B = diag\(w \.\* w\) \+ .* J_f\n/);
  assert.match(r.out, /f = softmax\(A x\)/);
  const json = JSON.parse((await capture(['derive', 'examples/softmax_regression.loss', '--json'])).out);
  assert.deepEqual(
    Object.keys(json)
      .filter((k) => ['loss', 'grad', 'hess', 'definitions'].includes(k))
      .sort(),
    ['definitions', 'grad', 'hess', 'loss'],
  );
  assert.match(json.grad[0].latex, /A\^\{\\top\}/);
});

test('eval returns loss, stacked gradient and Hessian at concrete data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-'));
  const src = join(dir, 'q.loss');
  writeFileSync(src, 'dim d = 2\ngiven A : R^{2 x 2}\nvar x : R^d\nloss L = 0.5 ||A x||_2^2\n');
  writeFileSync(
    join(dir, 'data.json'),
    JSON.stringify({
      A: [
        [1, 2],
        [3, 4],
      ],
    }),
  );
  writeFileSync(join(dir, 'at.json'), JSON.stringify({ x: [1, -1] }));
  const r = await capture(['eval', src, '--data', join(dir, 'data.json'), '--at', join(dir, 'at.json'), '--json']);
  assert.equal(r.code, 0, r.err);
  const v = JSON.parse(r.out);
  // A x = (-1, -1): L = 1, ∇ = Aᵀ A x = (-4, -6), ∇² = Aᵀ A = [[10, 14], [14, 20]].
  assert.equal(v.loss, 1);
  assert.deepEqual(v.grad, [-4, -6]);
  assert.deepEqual(v.hess, [
    [10, 14],
    [14, 20],
  ]);
});

test('eval of a matrix variable flattens column-major', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-'));
  const src = join(dir, 'm.loss');
  writeFileSync(src, 'var X : R^{2 x 2}\ngiven c : R^{2 x 2}\nloss L = <c, X>\n');
  writeFileSync(
    join(dir, 'data.json'),
    JSON.stringify({
      c: [
        [1, 2],
        [3, 4],
      ],
    }),
  );
  writeFileSync(
    join(dir, 'at.json'),
    JSON.stringify({
      X: [
        [0, 0],
        [0, 0],
      ],
    }),
  );
  const v = JSON.parse((await capture(['eval', src, '--data', join(dir, 'data.json'), '--at', join(dir, 'at.json'), '--json'])).out);
  assert.deepEqual(v.grad, [1, 3, 2, 4]);
});

test('input errors exit 2 with diagnostics on stderr, never a stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-'));
  const src = join(dir, 'bad.loss');
  writeFileSync(src, 'dim n = 6, d = 4\ngiven A : R^{n x d}\nvar x : R^n\nloss L = ||A x||_2^2\n');
  const r = await capture(['derive', src]);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.loss:4:12: error\[shape-mismatch\]: A x: A is R\^\{n x d\} but x is R\^n/);
  assert.doesNotMatch(r.err, /at .*\.ts:/);
  assert.equal((await capture(['derive', join(dir, 'missing.loss')])).code, 2);
  assert.equal((await capture(['frobnicate'])).code, 2);
});

test('derive --of f prints the derivatives of a definition: grad and hess of a scalar, jac of a vector', async () => {
  const r = await capture(['derive', 'examples/gmm_covariances.loss', '--of', 'gamma']);
  assert.equal(r.code, 0, r.err);
  // The index-dependent x − M[:, i] stays inside its sum; the limit prints as the dim k.
  assert.match(
    r.out,
    /^jac_x gamma = -J_gamma \(sum_\{i=1\}\^\{k\} I_k\[:, i\] \(x - M\[:, i\]\)\^T Sigma\[i\]\^\{-1\}\)\n[^]*J_gamma = diag\(gamma\) - gamma gamma\^T/m,
  );
  const lev = await capture(['derive', 'examples/leverage_score.loss', '--of', 'L', '--json']);
  const json = JSON.parse(lev.out) as {
    first: { kind: string; ascii: string }[];
    hess: { ascii: string }[];
    definitions: { name: string; ascii: string }[];
  };
  assert.equal(json.first[0]!.kind, 'grad');
  // The paper form Aᵀ(Σ − P∘P)A, its curvature named B.
  assert.equal(json.hess[0]!.ascii, 'A^T B A');
  assert.equal(json.definitions.find((d) => d.name === 'B')?.ascii, '-diag(s) (t1 .* t1) diag(s) + diag(diag(t1) .* s)');
  assert.equal((await capture(['derive', 'examples/gmm_covariances.loss', '--of', 'nothing'])).code, 2);
});
