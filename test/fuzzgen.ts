/**
 * Hostile .loss text for fuzzing: token soup over the language's whole vocabulary (ASCII, LaTeX,
 * Unicode), mutations of the shipped examples, deep nesting, long chains, huge numbers.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../src/symbolic/analyze';
import { rng } from './helpers';

const VOCAB = [
  'dim',
  'const',
  'given',
  'var',
  'let',
  'loss',
  'claim',
  'def',
  'sweep',
  'with',
  'in',
  'psd',
  'grad',
  'hess',
  'grad_x',
  'hess_{X,Y}',
  'lipschitz',
  'n',
  'd',
  'x',
  'X',
  'Y',
  'A',
  'b',
  'w',
  'f',
  'L',
  'R',
  'I',
  'I_d',
  '1_n',
  '0_n',
  'T',
  'j',
  'i',
  '=',
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
  '<',
  '>',
  '<=',
  '>=',
  '||',
  '|',
  '_',
  '.*',
  './',
  '∘',
  '⊗',
  'R^n',
  'R^{n x d}',
  'R^{d x d}',
  '\\mathbb{R}^{n \\times d}',
  'exp(',
  'log(',
  'softmax(',
  'diag(',
  'kron(',
  'vec(',
  'tr(',
  'sum(',
  'relu(',
  'sqrt(',
  'det(',
  'logdet(',
  '\\log\\det(',
  'inv(',
  '^{-1}',
  'softplus(',
  'logsumexp(',
  'mean(',
  'vec_r(',
  'K_{d,d}',
  'K_{n,d}',
  'sigma_min(',
  '\\lambda_{\\max}(',
  'max(',
  'max_{i=1}^{k}',
  '||_inf',
  '\\infty',
  'jac',
  'jac_x',
  'for',
  'sym',
  'P[i]',
  'P_2',
  '(R^{d x d})^k',
  'D(X)',
  '\\lambda',
  '\\Sigma',
  'sum_{j=1}^{n}',
  '\\sum_{i=1}^{d}',
  '\\frac{1}{2}',
  '\\frac',
  '\\|',
  '\\langle',
  '\\rangle',
  '\\exp',
  '\\mathbf{1}_n',
  '{\\bf 1}_n',
  '\\mathrm{diag}',
  '\\mathsf{A}',
  '\\top',
  '\\cdot',
  '\\left(',
  '\\right)',
  '\\big',
  '\\circ',
  '\\otimes',
  '\\',
  '\\unknown',
  '%',
  '#',
  '\n',
  '\n',
  '\n',
  ' ',
  ' ',
  '\t',
  '0',
  '1',
  '2',
  '0.5',
  '1e308',
  '1e999',
  '-0',
  '123456789012345678901234567890',
  '.5',
  '2.',
  'NaN',
  'Infinity',
  '‖',
  '⟨',
  '⟩',
  'ᵀ',
  '⁻¹',
  '²',
  '½',
  'ₙ',
  '≤',
  '≥',
  '∇',
  'ℝ',
  'λ',
  '😀',
  '\u0000',
  '\u202e',
  'é',
];

export function fuzzInputs(seed: number, count: number): Generator<string> {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const examples = readdirSync('examples')
    .filter((f) => f.endsWith('.loss'))
    .map((f) => readFileSync(join('examples', f), 'utf8'));
  return (function* () {
    for (let k = 0; k < count; k++) {
      const mode = k % 5;
      if (mode === 0) {
        // Token soup.
        const n = 1 + Math.floor(next() * 60);
        yield Array.from({ length: n }, () => pick(VOCAB)).join(next() < 0.5 ? ' ' : '');
      } else if (mode === 1 || mode === 2) {
        // A shipped example with a few random edits.
        let text = pick(examples);
        const edits = 1 + Math.floor(next() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(next() * text.length);
          const len = Math.floor(next() * 12);
          const r = next();
          if (r < 0.3) text = text.slice(0, at) + text.slice(at + len);
          else if (r < 0.6) text = text.slice(0, at) + pick(VOCAB) + text.slice(at);
          else if (r < 0.8) text = text.slice(0, at) + text.slice(at, at + len).repeat(2 + Math.floor(next() * 3)) + text.slice(at + len);
          else text = text.slice(0, at) + String.fromCharCode(Math.floor(next() * 0xffff)) + text.slice(at);
        }
        yield text;
      } else if (mode === 3) {
        // Deep nesting and long chains.
        const depth = Math.floor(next() * 3000);
        const open = pick(['(', '{', '\\left(', '<', '||', 'exp(', 'sqrt(']);
        const close = { '(': ')', '{': '}', '\\left(': '\\right)', '<': ', x>', '||': '||', 'exp(': ')', 'sqrt(': ')' }[open]!;
        yield next() < 0.5
          ? `var x : R^2\nloss L = sum(${open.repeat(depth)}x${close.repeat(depth)})\n`
          : `var x : R\nloss L = ${Array.from({ length: depth }, () => 'x').join(pick([' + ', ' * ', ' ', ' ∘ ', ' - ']))}\n`;
      } else {
        // Random Unicode.
        const n = Math.floor(next() * 200);
        yield Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 0x3000))).join('');
      }
    }
  })();
}

export interface FuzzFailure {
  input: string;
  problem: string;
}

/** Analyses one input the way the editor and CLI do; reports an escaped exception, a slow input or a diagnostic without a position. */
export function fuzzOne(input: string, slowMs = 1000): { ms: number; failure?: FuzzFailure } {
  const t0 = performance.now();
  try {
    // analyze lowers and plans the claims too, as the editor and the CLI do.
    const a = analyze(input);
    for (const d of a.diagnostics) {
      if (!(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= input.length)) {
        return {
          ms: performance.now() - t0,
          failure: { input, problem: `diagnostic without a valid position: ${d.message} ${JSON.stringify(d.span)}` },
        };
      }
    }
  } catch (e) {
    return { ms: performance.now() - t0, failure: { input, problem: `exception: ${(e as Error).stack ?? e}` } };
  }
  const ms = performance.now() - t0;
  if (ms > slowMs) return { ms, failure: { input, problem: `took ${ms.toFixed(0)} ms` } };
  return { ms };
}
