/** Which claims can be checked when the file has errors, and what a verdict's fingerprint depends on. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyzeDocument } from './document';

const TEXT = readFileSync('examples/softmax_mistakes.loss', 'utf8');

test('errors in other claims, lets or defs leave the rest checkable; errors in declarations or the loss block every check', () => {
  const otherClaim = analyzeDocument(TEXT.replace('claim hess L = A^T', 'claim hess L = Q A^T'));
  assert.ok(otherClaim.checkable);
  assert.equal(otherClaim.claims.filter((c) => c.typed).length, 6);
  const unusedLet = analyzeDocument(TEXT.replace('let f = softmax(A x)', 'let f = softmax(A x)\nlet g = A + x'));
  assert.ok(unusedLet.checkable);
  for (const [what, broken] of [
    ['a constraint', TEXT.replace('w <= 2', 'w <= Z')],
    ['the loss', TEXT.replace('0.5 ||f - b||_2^2', '0.5 ||f - Z||_2^2')],
    ['a dim', TEXT.replace('dim d = 6', 'dim d = -6')],
  ] as const) {
    const doc = analyzeDocument(broken);
    assert.equal(doc.checkable, undefined, what);
    assert.match(doc.blocked!.message, /^fix the error on line \d+ first|no loss/, what);
  }
});

test('a fingerprint ignores comments, spacing, other claims and unused lets; it follows declarations, the loss and used lets', () => {
  const fingerprints = (text: string): string[] => analyzeDocument(text).claims.map((c) => c.fingerprint);
  const base = fingerprints(TEXT);
  assert.deepEqual(fingerprints(TEXT.replace('# TRUE', '# TRUE, as in the paper').replace('A x)', 'A  x)')), base);
  const otherEdited = fingerprints(TEXT.replace('2 A^T diag(w)^2', '3 A^T diag(w)^2'));
  assert.deepEqual(
    otherEdited.map((f, i) => f === base[i]),
    [true, true, true, true, false, true, true],
  );
  assert.deepEqual(fingerprints(TEXT.replace('let f = softmax(A x)', 'let f = softmax(A x)\nlet g = A + x')), base);
  for (const changed of [
    TEXT.replace('w <= 2', 'w <= 3'),
    TEXT.replace('0.5 ||diag', '0.25 ||diag'),
    TEXT.replace('softmax(A x)', 'softmax(2 A x)'),
  ])
    assert.ok(
      fingerprints(changed).every((f, i) => f !== base[i]),
      changed,
    );
});
