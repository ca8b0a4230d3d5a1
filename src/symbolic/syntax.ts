/**
 * The two output syntaxes of the printers: LaTeX (KaTeX-compatible) and ASCII (the .loss language
 * itself, so a derived result can be pasted back as a claim). Only what every op shares lives here;
 * how an op prints itself is in its file under ops/.
 */
import { type Dim, dimLatex, dimText } from '../language/shape';
import { smallFraction } from './rational';

/** Precedence: higher binds tighter. */
export const enum Prec {
  Sum = 0,
  Hadamard = 1,
  Neg = 2,
  Product = 3,
  Postfix = 4,
  Atom = 5,
}

export interface Printed {
  text: string;
  prec: Prec;
  /** Ends in a superscript (a transpose, a power): another superscript needs parentheses around it. */
  superscript?: boolean;
}

export interface Syntax {
  readonly latex: boolean;
  /** Output is read back as claims: no notation the language cannot type (e_i has no length). */
  readonly claims?: boolean;
  name(n: string): string;
  num(v: number): string;
  transpose(s: string): string;
  pow(base: string, exp: string): string;
  inner(a: string, b: string): string;
  norm(a: string, p: string): string;
  /** A function applied to arguments: `exp(x)`, `\exp\left(x\right)`. */
  call(fn: string, args: string[]): string;
  paren(s: string): string;
  dim(d: Dim): string;
}

/**
 * A number exactly as its float64 value: a whole number, a fraction p/q with a small q (1/3 is the
 * float nearest 1/3, which 0.333333333333333 is not), or the shortest decimal that reads back as it.
 * Printed claims must denote the very numbers the derivative holds, or they are not proved.
 */
function exactNumber(v: number, fraction: (p: number, q: number) => string): string {
  if (Number.isInteger(v)) return String(v);
  const f = smallFraction(v);
  // A terminating decimal of a few digits reads better than a fraction (0.5, 0.25, 0.1).
  if (!f || String(v).length <= 6) return String(v);
  return fraction(f.p, f.q);
}

export const ASCII: Syntax = {
  latex: false,
  name: (n) => n,
  num: (v) => exactNumber(v, (p, q) => `${p}/${q}`),
  transpose: (s) => `${s}^T`,
  pow: (b, e) => (/^-?[0-9.]+$/.test(e) && !e.startsWith('-') ? `${b}^${e}` : `${b}^{${e}}`),
  inner: (a, b) => `<${a}, ${b}>`,
  norm: (a, p) => `||${a}||_${p}`,
  call: (fn, args) => `${fn}(${args.join(', ')})`,
  paren: (s) => `(${s})`,
  dim: (d) => {
    if (Object.keys(d.factors).length === 0 || /^[A-Za-z]+$/.test(dimText(d))) return dimText(d);
    // As the language reads a dim back: a product of names (m^2 would fold to a number there).
    const factors = Object.keys(d.factors)
      .sort()
      .flatMap((n) => Array.from({ length: d.factors[n]! }, () => n));
    return `{${[...(d.coef === 1 ? [] : [String(d.coef)]), ...factors].join('*')}}`;
  },
};

/** Greek letters a name may be spelled as (`lambda`, `λ`, `\lambda`); LaTeX prints them as `\lambda`. */
const GREEK = new Set([
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'zeta',
  'eta',
  'theta',
  'iota',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'pi',
  'rho',
  'sigma',
  'tau',
  'upsilon',
  'phi',
  'chi',
  'psi',
  'omega',
  'Gamma',
  'Delta',
  'Theta',
  'Lambda',
  'Xi',
  'Pi',
  'Sigma',
  'Upsilon',
  'Phi',
  'Psi',
  'Omega',
]);

/** Function names in LaTeX; names not listed print upright (`\mathrm{softplus}`). */
const LATEX_FN: Record<string, string> = {
  exp: '\\exp',
  log: '\\log',
  cosh: '\\cosh',
  sinh: '\\sinh',
  tanh: '\\tanh',
  det: '\\det',
  max: '\\max',
  min: '\\min',
  tr: '\\operatorname{tr}',
  sum: '\\operatorname{sum}',
};

function latexFunctionName(fn: string): string {
  return LATEX_FN[fn] ?? (GREEK.has(fn) ? `\\${fn}` : `\\mathrm{${fn}}`);
}

/** `x` → x, `A1` → A_{1}, `lambda` → \lambda, `W_0` → W_{0}, `beta2` → \beta_{2}, `Dinv` → \mathrm{Dinv}. */
function latexName(n: string): string {
  const m = /^([A-Za-z]+)(?:_([A-Za-z0-9]+)|([0-9]+))?$/.exec(n);
  if (!m) return n;
  const base = m[1]!;
  const sub = m[2] ?? m[3];
  const head = GREEK.has(base) ? `\\${base}` : base.length > 1 ? `\\mathrm{${base}}` : base;
  return sub ? `${head}_{${GREEK.has(sub) ? `\\${sub}` : sub}}` : head;
}

export const LATEX: Syntax = {
  latex: true,
  name: latexName,
  num: (v) => exactNumber(v, (p, q) => `${p < 0 ? '-' : ''}\\frac{${Math.abs(p)}}{${q}}`),
  transpose: (s) => `${s}^{\\top}`,
  pow: (b, e) => `${b}^{${e}}`,
  inner: (a, b) => `\\langle ${a}, ${b} \\rangle`,
  norm: (a, p) => `\\left\\| ${a} \\right\\|_{${p === 'inf' ? '\\infty' : p}}`,
  call: (fn, args) => (fn === 'sqrt' ? `\\sqrt{${args.join(', ')}}` : `${latexFunctionName(fn)}\\left(${args.join(', ')}\\right)`),
  paren: (s) => `\\left(${s}\\right)`,
  dim: dimLatex,
};

/** LaTeX that the language reads back (derive --claims of a LaTeX file): e_i is written I_{d}[:, i]. */
export const LATEX_CLAIMS: Syntax = { ...LATEX, claims: true };
