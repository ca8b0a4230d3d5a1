/** The formatter: one-line cases (input → output), and on every example: idempotent, same tokens, same checked program. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lex } from '../language/lexer';
import { typecheckSource } from '../language/typecheck';
import { FUNCTIONS } from '../symbolic/ops';
import { formatDocument } from './format';

function expectFormatted(input: string, expected: string): void {
  assert.equal(formatDocument(input), expected, `formatting ${JSON.stringify(input)}`);
  assert.equal(formatDocument(expected), expected, `formatting is idempotent on ${JSON.stringify(expected)}`);
}

test('canonical spacing: operators, commas, brackets, norms, inner products, signs', () => {
  expectFormatted('dim n=3,d = 2\n', 'dim n = 3, d = 2\n');
  expectFormatted('loss L = 0.5||f - b||_2^2+<f,1_n>\n', 'loss L = 0.5||f - b||_2^2 + <f, 1_n>\n');
  expectFormatted('let z = exp( A x )\n', 'let z = exp(A x)\n');
  expectFormatted('let g = -x + 2*y ./ z\n', 'let g = -x + 2 * y ./ z\n');
  expectFormatted("claim x'  x<=3\n", "claim x' x <= 3\n");
  expectFormatted('let p = x^{-1}  ∘ y\n', 'let p = x^{-1} ∘ y\n');
  expectFormatted('given w : R^n with w>=-1 ,w <= 1\n', 'given w : R^n with w >= -1, w <= 1\n');
  expectFormatted('claim hess L >= 0.5  I_d\n', 'claim hess L >= 0.5 I_d\n');
});

test('what the parser reads from spacing, and the notation, stay as written', () => {
  // `x _i` is not `x_i`, `A '` is not `A'`, `X [i]` is not `X[i]`.
  expectFormatted("let y = x _i + A ' + X [1]\n", "let y = x _i + A ' + X [1]\n");
  expectFormatted(
    'loss L = \\frac{1}{2}\\| \\langle \\exp(Ax), {\\bf 1}_n \\rangle \\|_2^2\n',
    'loss L = \\frac{1}{2}\\| \\langle \\exp(Ax), {\\bf 1}_n \\rangle \\|_2^2\n',
  );
  expectFormatted('loss L = sum_{j = 1}^{n} x[j]\n', 'loss L = sum_{j = 1}^{n} x[j]\n');
  expectFormatted('loss L = ‖x‖₂² + ⟨x,x⟩\n', 'loss L = ‖x‖₂² + ⟨x, x⟩\n');
});

test('declarations aligned in columns, trailing comments kept aligned, one blank line, one final newline', () => {
  expectFormatted(
    '\n\ngiven A : R^{n x d} with ||A||_2 <= 1 # data\ngiven bias : R^n with bias >= 0\nvar x : R^d\n\n\n\nloss L = ||x||_2^2   \n',
    'given A    : R^{n x d} with ||A||_2 <= 1  # data\ngiven bias : R^n       with bias >= 0\nvar   x    : R^d\n\nloss L = ||x||_2^2\n',
  );
  // An author's wider `with` column and aligned comments are kept.
  expectFormatted(
    'given A : R^{n x d}   with ||A||_2 <= 1   # a\ngiven b : R^n with b >= 0      # b\n',
    'given A : R^{n x d}   with ||A||_2 <= 1   # a\ngiven b : R^n         with b >= 0  # b\n',
  );
  expectFormatted('claim a = b   # one\nclaim c = d   # two\n', 'claim a = b   # one\nclaim c = d   # two\n');
  expectFormatted('', '');
  expectFormatted('# only a comment', '# only a comment\n');
  assert.equal(formatDocument('dim n = 3\r\nvar x : R^n\r\n'), 'dim n = 3\r\nvar   x : R^n\r\n'.replace('var   x', 'var x'));
});

test('every example: formatting is idempotent, keeps every token, and keeps the checked program', () => {
  for (const name of readdirSync('examples').filter((f) => f.endsWith('.loss'))) {
    const text = readFileSync(join('examples', name), 'utf8');
    const formatted = formatDocument(text);
    assert.equal(formatDocument(formatted), formatted, `${name}: idempotent`);
    const tokens = (t: string): string[] => lex(t, []).map((k) => `${k.kind}:${k.text}`);
    assert.deepEqual(tokens(formatted), tokens(text), `${name}: same tokens`);
    const program = (t: string): string => {
      const { program, diagnostics } = typecheckSource(t, FUNCTIONS);
      assert.deepEqual(diagnostics, [], name);
      return JSON.stringify(program, (k, v) =>
        k === 'span' ? undefined : k === 'text' ? String(v).replace(/\s+/g, ' ') : v instanceof Map ? [...v] : v,
      );
    };
    assert.equal(program(formatted), program(text), `${name}: same checked program`);
  }
});

test('the shipped examples are formatted', () => {
  for (const name of readdirSync('examples').filter((f) => f.endsWith('.loss'))) {
    const text = readFileSync(join('examples', name), 'utf8');
    assert.equal(formatDocument(text), text, `${name} changes when formatted`);
  }
});
