/** Quick fixes as one-liners: a file, the error's text, the fix's title → the fixed line; the fix leaves no error there. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeActions } from './actions';
import { analyzeDocument } from './document';
import { applyEdits } from './rename';

const HEAD = 'dim n = 6, d = 4\ngiven A : R^{n x d}\ngiven M : R^{n x n}\ngiven c : R\ngiven y : R^n\nvar x : R^d\n';

function expectFix(line: string, title: string, fixed: string): void {
  const text = `${HEAD}${line}\nloss L = ||x||_2^2\n`;
  const doc = analyzeDocument(text);
  const d = doc.analysis.diagnostics[0];
  assert.ok(d, `no diagnostic for ${line}`);
  const fixes = codeActions(doc, d.span);
  const fix = fixes.find((f) => f.title === title);
  assert.ok(fix, `${line}: no fix '${title}' among ${JSON.stringify(fixes.map((f) => f.title))}`);
  const after = applyEdits(text, fix.edits);
  assert.equal(after.split('\n')[HEAD.split('\n').length - 1], fixed);
  assert.deepEqual(
    analyzeDocument(after).analysis.diagnostics.map((x) => x.message),
    [],
  );
}

test('quick fixes of the common diagnostics', () => {
  expectFix('let u = A x + c', 'Add to every entry: c 1_n', 'let u = A x + c 1_n');
  expectFix('let u = 2 c - A x', 'Add to every entry: (2 c) 1_n', 'let u = (2 c) 1_n - A x');
  expectFix('let u = M + c', 'Add to every entry: c 1_n 1_n^T', 'let u = M + c 1_n 1_n^T');
  expectFix('let u = y y', 'Inner product: <y, y>', 'let u = <y, y>');
  expectFix('let u = y y', 'Elementwise product: y ∘ y', 'let u = y ∘ y');
  expectFix('let u = y y', 'Outer product: y y^T', 'let u = y y^T');
  expectFix('let u = A y', 'Add the missing transpose: A^T y', 'let u = A^T y');
  expectFix('let u = x^2', 'Elementwise square: x ∘ x', 'let u = x ∘ x');
  expectFix('let u = x^2', 'Squared norm: ||x||_2^2', 'let u = ||x||_2^2');
  expectFix('let u = y / y', 'Divide elementwise: ./', 'let u = y ./ y');
  expectFix('let u = c ∘ y', 'Scale instead: juxtaposition', 'let u = c y');
  // ‖·‖₂ of a matrix is its spectral norm, which has no derivative: differentiated, it suggests ‖·‖_F.
  expectFix('let u = ||x x^T||_2\nclaim grad u = x', 'Use the Frobenius norm ||·||_F', 'let u = ||x x^T||_F');
  expectFix('let u = Y', "Change to 'y'", 'let u = y');
  expectFix('claim <x, x> > 3', "Write '>='", 'claim <x, x> >= 3');
});

test('every fix offered removes its error', () => {
  for (const line of ['let u = A y x', 'let u = x + y', 'let u = A + M', 'let u = y ∘ c ∘ A', 'let u = x^3 + c', 'let u = M x']) {
    const text = `${HEAD}${line}\nloss L = ||x||_2^2\n`;
    const doc = analyzeDocument(text);
    const lineNo = HEAD.split('\n').length - 1;
    const errorsOnLine = (t: string): number =>
      analyzeDocument(t).analysis.diagnostics.filter((d) => t.slice(0, d.span.start).split('\n').length - 1 === lineNo).length;
    for (const d of doc.analysis.diagnostics)
      for (const fix of codeActions(doc, d.span))
        assert.ok(errorsOnLine(applyEdits(text, fix.edits)) < errorsOnLine(text), `${line}: '${fix.title}' leaves the error`);
  }
});
