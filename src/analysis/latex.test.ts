/** The completion tables match the language: every LaTeX command lexes as documented, and built-ins are the parser's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lex } from '../language/lexer';
import { typecheckSource } from '../language/typecheck';
import { FUNCTIONS } from '../symbolic/ops';
import { BUILTINS } from './builtins';
import { LATEX_COMMANDS } from './latex';

/** A statement using the command, and the same with its glyph typed instead (for glyphs the language accepts). */
const USES: Record<string, [string, string]> = {
  langle: ['claim \\langle x, x \\rangle <= 1', 'claim ⟨x, x⟩ <= 1'],
  rangle: ['claim \\langle x, x \\rangle <= 1', 'claim ⟨x, x⟩ <= 1'],
  '|': ['claim \\| x \\|_2 <= 1', 'claim ‖x‖_2 <= 1'],
  Vert: ['claim \\Vert x \\Vert_2 <= 1', 'claim ‖x‖_2 <= 1'],
  lVert: ['claim \\lVert x \\rVert_2 <= 1', 'claim ‖x‖_2 <= 1'],
  rVert: ['claim \\lVert x \\rVert_2 <= 1', 'claim ‖x‖_2 <= 1'],
  circ: ['claim x \\circ x = x ∘ x', 'claim x ∘ x = x ∘ x'],
  odot: ['claim x \\odot x = x ∘ x', 'claim x ⊙ x = x ∘ x'],
  otimes: ['claim x \\otimes x = kron(x, x)', 'claim x ⊗ x = kron(x, x)'],
  cdot: ['claim 2 \\cdot x = 2 x', 'claim 2 · x = 2 x'],
  times: ['claim 2 \\times x = 2 x', 'claim 2 × x = 2 x'],
  le: ['claim <x, x> \\le 1', 'claim <x, x> ≤ 1'],
  leq: ['claim <x, x> \\leq 1', 'claim <x, x> ≤ 1'],
  ge: ['claim <x, x> \\ge 0', 'claim <x, x> ≥ 0'],
  geq: ['claim <x, x> \\geq 0', 'claim <x, x> ≥ 0'],
  preceq: ['claim hess L \\preceq 3 I', 'claim hess L ⪯ 3 I'],
  succeq: ['claim hess L \\succeq 0 I', 'claim hess L ⪰ 0 I'],
  top: ['claim x^\\top x >= 0', 'claim x⊤ x >= 0'],
  nabla: ['claim \\nabla L = 2 x', 'claim ∇L = 2 x'],
  mathbb: ['given b : \\mathbb{R}^n', 'given b : ℝ^n'],
  infty: ['claim ||x||_\\infty <= 5', 'claim ||x||_∞ <= 5'],
  lambda: ['const \\lambda = 2', 'const λ = 2'],
  sigma: ['const \\sigma = 2', 'const σ = 2'],
  Sigma: ['const \\Sigma = 2', 'const Σ = 2'],
  mu: ['const \\mu = 2', 'const μ = 2'],
};

const program = (line: string): string => {
  const { program, diagnostics } = typecheckSource(`dim n = 3\nvar x : R^n\nloss L = ||x||_2^2\n${line}\n`, FUNCTIONS);
  assert.deepEqual(diagnostics, [], line);
  return JSON.stringify(program, (k, v) => (k === 'span' || k === 'text' ? undefined : v instanceof Map ? [...v] : v));
};

test('a command whose glyph is accepted means the same as the glyph; the others are commands the lexer knows', () => {
  for (const c of LATEX_COMMANDS) {
    if (c.unicode) {
      const use = USES[c.command];
      assert.ok(use, `\\${c.command}: add a usage example`);
      assert.equal(program(use[1]), program(use[0]), `\\${c.command} vs ${c.glyph}`);
    } else if (c.glyph) {
      const diagnostics: Parameters<typeof lex>[1] = [];
      lex(c.glyph, diagnostics);
      assert.ok(diagnostics.length > 0, `${c.glyph} is accepted: mark \\${c.command} unicode: true`);
    }
    const diagnostics: Parameters<typeof lex>[1] = [];
    lex(`\\${c.command}`, diagnostics);
    assert.deepEqual(diagnostics, [], `\\${c.command} lexes`);
  }
});

test('the built-in functions offered are exactly the parser’s', () => {
  assert.deepEqual(BUILTINS.map((b) => b.name).sort(), [...FUNCTIONS.keys(), 'lipschitz'].sort());
  for (const b of BUILTINS) if (b.name !== 'lipschitz') assert.equal(b.params.length, FUNCTIONS.get(b.name)!.arity, b.name);
});
