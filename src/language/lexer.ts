/**
 * Tokens for the .loss language: ASCII paper notation, a LaTeX subset and common Unicode math symbols
 * (‖ ⟨ ⟩ ∘ ⊗ ᵀ ⁻¹ ₙ ½ ≤ ≥) all lex to the same small token set, so the parser sees one language.
 */
import type { Diagnostic, Span } from './diagnostics';

export type TokenKind =
  | 'number'
  | 'ident'
  | 'command' // LaTeX command without the backslash, e.g. "frac", "langle", "|"
  | 'op' // punctuation and operators, text is the canonical ASCII spelling
  | 'sup' // Unicode superscript: text is the exponent ("2", "-1", "T")
  | 'sub' // Unicode subscript: text is the subscript ("n")
  | 'newline'
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  span: Span;
  /** Whitespace (or a comment) precedes this token: `x_i` vs `x _i`, `A'` vs `A '`. */
  spaced: boolean;
}

/** Multi-character operators, longest first. */
const OPERATORS = [
  '||',
  '<=',
  '>=',
  '.*',
  './',
  '==',
  '+',
  '-',
  '*',
  '/',
  '^',
  "'",
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '=',
  '<',
  '>',
  '|',
  '_',
  ';',
];

/** Unicode symbols and their canonical token. */
const UNICODE_OPS: Record<string, { kind: TokenKind; text: string }> = {
  '∘': { kind: 'op', text: '∘' },
  '⊙': { kind: 'op', text: '∘' },
  '⊗': { kind: 'op', text: '⊗' },
  '⟨': { kind: 'op', text: '<' },
  '〈': { kind: 'op', text: '<' },
  '⟩': { kind: 'op', text: '>' },
  '〉': { kind: 'op', text: '>' },
  '‖': { kind: 'op', text: '||' },
  '≤': { kind: 'op', text: '<=' },
  '≥': { kind: 'op', text: '>=' },
  '⪯': { kind: 'op', text: '<=' },
  '⪰': { kind: 'op', text: '>=' },
  '·': { kind: 'op', text: '*' },
  '⋅': { kind: 'op', text: '*' },
  '×': { kind: 'op', text: '*' },
  '−': { kind: 'op', text: '-' },
  '∇': { kind: 'ident', text: 'grad' },
  '½': { kind: 'number', text: '0.5' },
  '∞': { kind: 'number', text: 'Infinity' },
  ᵀ: { kind: 'sup', text: 'T' },
  '⊤': { kind: 'sup', text: 'T' },
  '²': { kind: 'sup', text: '2' },
  '³': { kind: 'sup', text: '3' },
  ℝ: { kind: 'ident', text: 'R' },
};

/**
 * Greek letters, lexed as the ASCII name of the letter so that `λ`, `\lambda` and `lambda` are one
 * name (printed back in LaTeX as `\lambda`). Variant forms are the same letter.
 */
const GREEK_LETTERS: Record<string, string> = {
  α: 'alpha',
  β: 'beta',
  γ: 'gamma',
  δ: 'delta',
  ε: 'epsilon',
  ϵ: 'epsilon',
  ζ: 'zeta',
  η: 'eta',
  θ: 'theta',
  ϑ: 'theta',
  ι: 'iota',
  κ: 'kappa',
  λ: 'lambda',
  μ: 'mu',
  ν: 'nu',
  ξ: 'xi',
  π: 'pi',
  ρ: 'rho',
  ϱ: 'rho',
  σ: 'sigma',
  ς: 'sigma',
  τ: 'tau',
  υ: 'upsilon',
  φ: 'phi',
  ϕ: 'phi',
  χ: 'chi',
  ψ: 'psi',
  ω: 'omega',
  Γ: 'Gamma',
  Δ: 'Delta',
  Θ: 'Theta',
  Λ: 'Lambda',
  Ξ: 'Xi',
  Π: 'Pi',
  Σ: 'Sigma',
  Υ: 'Upsilon',
  Φ: 'Phi',
  Ψ: 'Psi',
  Ω: 'Omega',
};

/** LaTeX commands of Greek letters: `\lambda` → lambda, `\varepsilon` → epsilon. */
const GREEK_COMMANDS: Record<string, string> = Object.fromEntries([
  ...Object.values(GREEK_LETTERS).map((name) => [name, name]),
  ['varepsilon', 'epsilon'],
  ['vartheta', 'theta'],
  ['varphi', 'phi'],
  ['varrho', 'rho'],
  ['varsigma', 'sigma'],
  ['varpi', 'pi'],
]);

const SUBSCRIPTS: Record<string, string> = {
  '₀': '0',
  '₁': '1',
  '₂': '2',
  '₃': '3',
  '₄': '4',
  '₅': '5',
  '₆': '6',
  '₇': '7',
  '₈': '8',
  '₉': '9',
  ₐ: 'a',
  ₑ: 'e',
  ₒ: 'o',
  ₓ: 'x',
  ₕ: 'h',
  ₖ: 'k',
  ₗ: 'l',
  ₘ: 'm',
  ₙ: 'n',
  ₚ: 'p',
  ₛ: 's',
  ₜ: 't',
  ᵢ: 'i',
  ⱼ: 'j',
  ᵣ: 'r',
  ᵤ: 'u',
  ᵥ: 'v',
};

/** LaTeX spacing and sizing commands that carry no meaning here. */
const IGNORED_COMMANDS = new Set([
  ',',
  ';',
  '!',
  ':',
  ' ',
  'quad',
  'qquad',
  'left',
  'right',
  'big',
  'Big',
  'bigg',
  'Bigg',
  'bigl',
  'bigr',
  'Bigl',
  'Bigr',
  'biggl',
  'biggr',
  'displaystyle',
  'textstyle',
  'limits',
  'nolimits',
]);

/** LaTeX commands that are just another spelling of an operator or a name. */
const COMMAND_ALIASES: Record<string, { kind: TokenKind; text: string }> = {
  '|': { kind: 'op', text: '||' },
  Vert: { kind: 'op', text: '||' },
  lVert: { kind: 'op', text: '||' },
  rVert: { kind: 'op', text: '||' },
  langle: { kind: 'op', text: '<' },
  rangle: { kind: 'op', text: '>' },
  circ: { kind: 'op', text: '∘' },
  odot: { kind: 'op', text: '∘' },
  otimes: { kind: 'op', text: '⊗' },
  oslash: { kind: 'op', text: './' },
  cdot: { kind: 'op', text: '*' },
  times: { kind: 'op', text: '*' },
  ast: { kind: 'op', text: '*' },
  le: { kind: 'op', text: '<=' },
  leq: { kind: 'op', text: '<=' },
  preceq: { kind: 'op', text: '<=' },
  ge: { kind: 'op', text: '>=' },
  geq: { kind: 'op', text: '>=' },
  succeq: { kind: 'op', text: '>=' },
  in: { kind: 'op', text: ':' },
  top: { kind: 'ident', text: 'T' },
  intercal: { kind: 'ident', text: 'T' },
  sum: { kind: 'ident', text: 'sum' },
  exp: { kind: 'ident', text: 'exp' },
  log: { kind: 'ident', text: 'log' },
  ln: { kind: 'ident', text: 'log' },
  cosh: { kind: 'ident', text: 'cosh' },
  sinh: { kind: 'ident', text: 'sinh' },
  tanh: { kind: 'ident', text: 'tanh' },
  det: { kind: 'ident', text: 'det' },
  min: { kind: 'ident', text: 'min' },
  max: { kind: 'ident', text: 'max' },
  nabla: { kind: 'ident', text: 'grad' },
  infty: { kind: 'number', text: 'Infinity' },
};

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
/** A line ending in one of these continues on the next line. */
const CONTINUING = new Set(['+', '-', '*', '/', '=', ',', '∘', '⊗', '.*', './', '<=', '>=', '(', '[', '{']);

export function lex(text: string, diagnostics: Diagnostic[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let depth = 0;
  let spaced = true;
  const push = (kind: TokenKind, tokText: string, start: number, end: number): void => {
    tokens.push({ kind, text: tokText, span: { start, end }, spaced });
    spaced = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '~') {
      i++;
      spaced = true;
      continue;
    }
    if (c === '#' || c === '%') {
      while (i < text.length && text[i] !== '\n') i++;
      spaced = true;
      continue;
    }
    if (c === '\n') {
      const last = tokens[tokens.length - 1];
      const continues = depth > 0 || (last !== undefined && (last.kind === 'op' || last.kind === 'command') && CONTINUING.has(last.text));
      if (!continues && last !== undefined && last.kind !== 'newline') push('newline', '\n', i, i + 1);
      i++;
      spaced = true;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i))!;
      // "2.*x" and "2./x" are elementwise operators after an integer, not a trailing decimal point.
      let lit = m[0];
      if (lit.endsWith('.') && (text[i + lit.length] === '*' || text[i + lit.length] === '/')) lit = lit.slice(0, -1);
      i += lit.length;
      const value = Number(lit);
      if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(lit.split(/[eE]/)[0]!))) {
        diagnostics.push({
          code: 'number-out-of-range',
          severity: 'error',
          message:
            value === 0
              ? `${lit} rounds to 0 in float64 (the smallest is about 5e-324)`
              : `${lit} is too large for float64 (the largest is about 1.8e308)`,
          span: { start, end: i },
        });
      }
      push('number', lit, start, i);
      continue;
    }
    if (/\p{L}/u.test(c) && !(c in UNICODE_OPS) && !(c in SUBSCRIPTS)) {
      i++;
      while (i < text.length && /[\p{L}0-9]/u.test(text[i]!) && !(text[i]! in SUBSCRIPTS) && !(text[i]! in UNICODE_OPS)) i++;
      const word = [...text.slice(start, i)].map((ch) => GREEK_LETTERS[ch] ?? ch).join('');
      push('ident', word, start, i);
      continue;
    }
    if (c === '\\') {
      const m = /^\\([A-Za-z]+|.)/s.exec(text.slice(i));
      if (!m) {
        diagnostics.push({
          code: 'unexpected-character',
          severity: 'error',
          message: 'a backslash must start a LaTeX command',
          span: { start, end: i + 1 },
        });
        i++;
        continue;
      }
      i += m[0].length;
      const name = m[1]!;
      if (IGNORED_COMMANDS.has(name)) {
        spaced = true;
        continue;
      }
      const greek = GREEK_COMMANDS[name];
      if (greek) {
        push('ident', greek, start, i);
        continue;
      }
      const alias = COMMAND_ALIASES[name];
      if (alias) {
        push(alias.kind, alias.text, start, i);
        continue;
      }
      if (name === '{' || name === '}') {
        push('op', name, start, i);
        continue;
      }
      push('command', name, start, i);
      continue;
    }
    if (c === '⁻' && text[i + 1] === '¹') {
      i += 2;
      push('sup', '-1', start, i);
      continue;
    }
    if (c in SUBSCRIPTS) {
      let sub = '';
      while (i < text.length && text[i]! in SUBSCRIPTS) sub += SUBSCRIPTS[text[i++]!];
      push('sub', sub, start, i);
      continue;
    }
    const uni = UNICODE_OPS[c];
    if (uni) {
      i++;
      push(uni.kind, uni.text, start, i);
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      i += op.length;
      if (OPENERS.has(op)) depth++;
      if (CLOSERS.has(op)) depth = Math.max(0, depth - 1);
      push('op', op === '==' ? '=' : op, start, i);
      continue;
    }
    diagnostics.push({
      code: 'unexpected-character',
      severity: 'error',
      message: `unexpected character '${c}'`,
      span: { start, end: i + 1 },
    });
    i += c.length;
    spaced = true;
  }
  const end = text.length;
  if (tokens.length > 0 && tokens[tokens.length - 1]!.kind !== 'newline')
    tokens.push({ kind: 'newline', text: '\n', span: { start: end, end }, spaced: true });
  tokens.push({ kind: 'eof', text: '', span: { start: end, end }, spaced: true });
  return tokens;
}
