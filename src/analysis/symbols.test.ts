/** Symbols and their occurrences: juxtaposed names, locals, derivative subscripts, LaTeX-font names. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDocument } from './document';
import { renameTarget, rename, applyEdits, RenameError } from './rename';
import { occurrencesOf } from './symbols';

const TEXT = `dim n = 3
given \\mathsf{A} : R^{n x n}
var x : R^n
var y : R^n
def phi(t) = log(1 + exp(t))
loss L = sum_{j=1}^{n} phi(Ax)[j] + <y, y>
claim grad_x L = A^T (sigmoid(A x))
claim hess_{x,y} L = 0_{n,n}
`;

function occurrences(name: string): string[] {
  const doc = analyzeDocument(TEXT);
  const symbol = doc.symbols.symbols.find((s) => s.name === name)!;
  return occurrencesOf(doc.symbols, symbol).map(
    (o) => `${TEXT.slice(o.span.start, o.span.end)}@${o.span.start}${o.declaration ? '*' : ''}`,
  );
}

test('occurrences of declarations, inside juxtaposed names and derivative subscripts', () => {
  assert.deepEqual(occurrences('A'), [
    `A@${TEXT.indexOf('{A}') + 1}*`,
    `A@${TEXT.indexOf('Ax')}`,
    `A@${TEXT.indexOf('A^T')}`,
    `A@${TEXT.indexOf('A x')}`,
  ]);
  assert.deepEqual(occurrences('x'), [
    `x@${TEXT.indexOf('var x') + 4}*`,
    `x@${TEXT.indexOf('Ax') + 1}`,
    `x@${TEXT.indexOf('grad_x') + 5}`,
    `x@${TEXT.indexOf('A x') + 2}`,
    `x@${TEXT.indexOf('{x,y}') + 1}`,
  ]);
  assert.deepEqual(occurrences('phi'), [`phi@${TEXT.indexOf('phi')}*`, `phi@${TEXT.indexOf('phi(Ax)')}`]);
  assert.deepEqual(occurrences('t'), [`t@${TEXT.indexOf('(t)') + 1}*`, `t@${TEXT.indexOf('exp(t)') + 4}`]);
  assert.deepEqual(occurrences('j'), [`j@${TEXT.indexOf('{j=1}') + 1}*`, `j@${TEXT.indexOf('[j]') + 1}`]);
  assert.equal(occurrences('n').length, 8);
});

test('rename: every occurrence, also inside Ax; refused when the result would read differently', () => {
  const doc = analyzeDocument(TEXT);
  const at = TEXT.indexOf('A^T');
  assert.equal(renameTarget(doc, at)?.symbol.name, 'A');
  const renamed = applyEdits(TEXT, rename(doc, at, 'W'));
  assert.match(renamed, /given \\mathsf\{W\}/);
  assert.match(renamed, /phi\(Wx\)/);
  assert.deepEqual(analyzeDocument(renamed).analysis.diagnostics, []);
  // Renaming z to Ay would make the product Ay read as the one name Ay.
  const withAy = `dim n = 2\ngiven A : R^{n x n}\nvar y : R^n\nvar z : R^n\nloss L = ||Ay||_2^2 + ||z||_2^2\n`;
  const d2 = analyzeDocument(withAy);
  assert.throws(() => rename(d2, withAy.indexOf('var z') + 4, 'Ay'), RenameError);
  assert.throws(() => rename(d2, withAy.indexOf('var z') + 4, 'exp'), /meaning of its own/);
  assert.throws(() => rename(d2, withAy.indexOf('var z') + 4, '2z'), /not a name/);
});
