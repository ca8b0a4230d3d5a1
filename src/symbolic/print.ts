/**
 * Printers for IR in two syntaxes: LaTeX (KaTeX-compatible) and ASCII (the .loss language itself,
 * so a derived gradient can be pasted back as a claim). Named nodes (the author's lets, and shared
 * subexpressions of derived results) print as their names, with definitions listed separately.
 */
import { type Dim, dimLatex, dimText, isColumn, isRow } from '../language/shape';
import { type IndexRef, type Node, topoOrder } from './ir';

/** Precedence: higher binds tighter. */
const enum Prec {
  Sum = 0,
  Hadamard = 1,
  Neg = 2,
  Product = 3,
  Postfix = 4,
  Atom = 5,
}

interface Syntax {
  name(n: string): string;
  num(v: number): string;
  transpose(s: string): string;
  pow(base: string, exp: string): string;
  inner(a: string, b: string): string;
  norm(a: string, p: string): string;
  call(fn: string, args: string[]): string;
  hadamard: string;
  divide: string;
  kron(a: string, b: string): { text: string; prec: Prec };
  identity(d: string): string;
  ones(d: string): string;
  zeros(d: string): string;
  unit(n: string, i: string): string;
  dim(d: Dim): string;
  /** col === undefined: x is a vector and takes one index. */
  slice(x: string, row: string | null, col: string | null | undefined): string;
  indexSum(index: string, lower: number, upper: number, body: string): string;
  paren(s: string): string;
  commutation(m: string, n: string): string;
  unvec(v: string, r: string, c: string): string;
  fnName(fn: string): string;
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(15)));
}

export const ASCII: Syntax = {
  name: (n) => n,
  num: formatNumber,
  transpose: (s) => `${s}^T`,
  pow: (b, e) => (/^-?[0-9.]+$/.test(e) && !e.startsWith('-') ? `${b}^${e}` : `${b}^{${e}}`),
  inner: (a, b) => `<${a}, ${b}>`,
  norm: (a, p) => `||${a}||_${p}`,
  call: (fn, args) => `${fn}(${args.join(', ')})`,
  hadamard: ' .* ',
  divide: ' ./ ',
  kron: (a, b) => ({ text: `kron(${a}, ${b})`, prec: Prec.Atom }),
  identity: (d) => `I_${d}`,
  ones: (d) => `1_${d}`,
  zeros: (d) => `0_${d}`,
  unit: (n, i) => `I_${n}[:, ${i}]`,
  dim: (d) => (Object.keys(d.factors).length === 0 || dimText(d).match(/^[A-Za-z]+$/) ? dimText(d) : `{${dimText(d).replace(/ /g, '')}}`),
  slice: (x, r, c) => `${x}[${r ?? ':'}${c === undefined ? '' : `, ${c ?? ':'}`}]`,
  indexSum: (i, lo, hi, body) => `sum_{${i}=${lo}}^{${hi}} ${body}`,
  paren: (s) => `(${s})`,
  commutation: (m, n) => `K_{${m},${n}}`,
  unvec: (v, r, c) => `unvec_{${r}x${c}}(${v})`,
  fnName: (fn) => fn,
};

const LATEX_FN: Record<string, string> = {
  exp: '\\exp',
  log: '\\log',
  cosh: '\\cosh',
  sinh: '\\sinh',
  tanh: '\\tanh',
  sqrt: '\\sqrt',
  sigmoid: '\\sigma',
  relu: '\\mathrm{ReLU}',
  abs: '\\mathrm{abs}',
  step: '\\mathrm{step}',
  sign: '\\operatorname{sign}',
  diag: '\\mathrm{diag}',
  diagvec: '\\mathrm{diagvec}',
  vec: '\\mathrm{vec}',
  tr: '\\operatorname{tr}',
  sum: '\\operatorname{sum}',
  softmax: '\\mathrm{softmax}',
};

function latexName(n: string): string {
  const m = /^([A-Za-z]+)_?([A-Za-z0-9]*)$/.exec(n);
  if (!m) return n;
  const base = m[1]!.length > 1 ? `\\mathrm{${m[1]}}` : m[1]!;
  return m[2] ? `${base}_{${m[2]}}` : base;
}

export const LATEX: Syntax = {
  name: latexName,
  num: (v) => formatNumber(v),
  transpose: (s) => `${s}^{\\top}`,
  pow: (b, e) => `${b}^{${e}}`,
  inner: (a, b) => `\\langle ${a}, ${b} \\rangle`,
  norm: (a, p) => `\\left\\| ${a} \\right\\|_{${p}}`,
  call: (fn, args) =>
    fn === 'sqrt' ? `\\sqrt{${args.join(', ')}}` : `${LATEX_FN[fn] ?? `\\mathrm{${fn}}`}\\left(${args.join(', ')}\\right)`,
  hadamard: ' \\circ ',
  divide: ' \\oslash ',
  kron: (a, b) => ({ text: `${a} \\otimes ${b}`, prec: Prec.Hadamard }),
  identity: (d) => `I_{${d}}`,
  ones: (d) => `\\mathbf{1}_{${d}}`,
  zeros: (d) => `\\mathbf{0}_{${d}}`,
  unit: (_n, i) => `e_{${i}}`,
  dim: dimLatex,
  slice: (x, r, c) => `${x.includes('_') ? `{${x}}` : x}_{${r ?? '*'}${c === undefined ? '' : `,${c ?? '*'}`}}`,
  indexSum: (i, lo, hi, body) => `\\sum_{${i}=${lo}}^{${hi}} ${body}`,
  paren: (s) => `\\left(${s}\\right)`,
  commutation: (m, n) => `K_{${m},${n}}`,
  unvec: (v, r, c) => `\\mathrm{vec}^{-1}_{${r}\\times ${c}}\\left(${v}\\right)`,
  fnName: (fn) => LATEX_FN[fn] ?? `\\mathrm{${fn}}`,
};

interface Printed {
  text: string;
  prec: Prec;
}

export class Printer {
  constructor(
    private readonly syntax: Syntax,
    /** Nodes printed by name instead of structure. */
    private readonly names: ReadonlyMap<number, string> = new Map(),
  ) {}

  /** The node's structure; its own name (if any) is not used, its arguments' names are. */
  print(node: Node): string {
    return this.expr(node, true).text;
  }

  private wrap(p: Printed, min: Prec): string {
    return p.prec < min ? this.syntax.paren(p.text) : p.text;
  }

  private ref(r: IndexRef): string {
    return r.kind === 'lit' ? String(r.value) : r.name;
  }

  private dimOf(node: Node): string {
    const s = node.shape;
    if (isColumn(s)) return this.syntax.dim(s.rows);
    if (isRow(s)) return this.syntax.dim(s.cols);
    return `{${this.syntax.dim(s.rows)}\\times ${this.syntax.dim(s.cols)}}`.replace('\\times', this.syntax === ASCII ? 'x' : '\\times');
  }

  private expr(node: Node, top = false): Printed {
    const named = this.names.get(node.id);
    if (named !== undefined && !top) return { text: this.syntax.name(named), prec: Prec.Atom };
    const S = this.syntax;
    const sub = (n: Node): Printed => this.expr(n);
    switch (node.kind) {
      case 'var':
      case 'given':
      case 'const':
        return { text: S.name(node.name), prec: Prec.Atom };
      case 'num':
        return { text: S.num(node.value), prec: node.value < 0 ? Prec.Neg : Prec.Atom };
      case 'identity':
        return { text: S.identity(S.dim(node.shape.rows)), prec: Prec.Atom };
      case 'ones':
      case 'zeros': {
        const d = this.dimOf(node);
        const base = node.kind === 'ones' ? S.ones(d) : S.zeros(d);
        return isRow(node.shape) ? { text: S.transpose(base), prec: Prec.Postfix } : { text: base, prec: Prec.Atom };
      }
      case 'unit':
        return { text: S.unit(S.dim(node.shape.rows), this.ref(node.index)), prec: Prec.Postfix };
      case 'indexValue':
        return { text: node.index, prec: Prec.Atom };
      case 'commutation':
        return { text: S.commutation(S.dim(node.m), S.dim(node.n)), prec: Prec.Atom };
      case 'add': {
        const terms = flattenAdd(node);
        let text = '';
        terms.forEach((t, i) => {
          const negative = t.kind === 'scale' && t.args[0]!.kind === 'num' && t.args[0]!.value < 0;
          if (i === 0) {
            text = this.wrap(sub(t), Prec.Sum);
          } else if (negative) {
            const c = -(t.args[0] as Node & { value: number }).value;
            const rest = sub(t.args[1]!);
            text += ` - ${c === 1 ? this.wrap(rest, Prec.Hadamard) : `${S.num(c)} ${this.wrap(rest, Prec.Product)}`}`;
          } else {
            text += ` + ${this.wrap(sub(t), Prec.Hadamard)}`;
          }
        });
        return { text, prec: Prec.Sum };
      }
      case 'scale': {
        const [s, m] = node.args as [Node, Node];
        if (s.kind === 'num' && s.value === -1) return { text: `-${this.wrap(sub(m), Prec.Product)}`, prec: Prec.Neg };
        const left = s.kind === 'num' ? S.num(s.value) : this.wrap(sub(s), Prec.Postfix);
        const text = `${left} ${this.wrap(sub(m), Prec.Product)}`;
        return { text, prec: s.kind === 'num' && s.value < 0 ? Prec.Neg : Prec.Product };
      }
      case 'matmul': {
        const [a, b] = node.args as [Node, Node];
        return { text: `${this.wrap(sub(a), Prec.Product)} ${this.wrap(sub(b), Prec.Postfix)}`, prec: Prec.Product };
      }
      case 'hadamard':
      case 'divide': {
        const [a, b] = node.args as [Node, Node];
        const op = node.kind === 'hadamard' ? S.hadamard : S.divide;
        return { text: `${this.wrap(sub(a), Prec.Hadamard)}${op}${this.wrap(sub(b), Prec.Postfix)}`, prec: Prec.Hadamard };
      }
      case 'kron': {
        const [a, b] = node.args as [Node, Node];
        return S.kron(this.wrap(sub(a), Prec.Postfix), this.wrap(sub(b), Prec.Postfix));
      }
      case 'transpose':
        return { text: S.transpose(this.wrap(sub(node.args[0]!), Prec.Atom)), prec: Prec.Postfix };
      case 'pow': {
        const [b, e] = node.args as [Node, Node];
        return { text: S.pow(this.wrap(sub(b), Prec.Atom), sub(e).text), prec: Prec.Postfix };
      }
      case 'inner': {
        const [a, b] = node.args as [Node, Node];
        if (a === b) return { text: S.pow(S.norm(sub(a).text, isColumn(a.shape) || isRow(a.shape) ? '2' : 'F'), '2'), prec: Prec.Postfix };
        return { text: S.inner(sub(a).text, sub(b).text), prec: Prec.Atom };
      }
      case 'norm':
        return { text: S.norm(sub(node.args[0]!).text, node.p), prec: Prec.Atom };
      case 'fn':
        return { text: S.call(node.fn, [sub(node.args[0]!).text]), prec: Prec.Atom };
      case 'sum':
      case 'trace':
      case 'diag':
      case 'diagvec':
      case 'vec':
      case 'softmax': {
        const fn = node.kind === 'trace' ? 'tr' : node.kind;
        return { text: S.call(fn, [sub(node.args[0]!).text]), prec: Prec.Atom };
      }
      case 'normalize': {
        const u = node.args[0]!;
        const ut = sub(u).text;
        return { text: `${S.pow(S.inner(ut, S.ones(S.dim(u.shape.rows))), '-1')} ${this.wrap(sub(u), Prec.Postfix)}`, prec: Prec.Product };
      }
      case 'unvec':
        return { text: S.unvec(sub(node.args[0]!).text, S.dim(node.shape.rows), S.dim(node.shape.cols)), prec: Prec.Atom };
      case 'slice': {
        const x = node.args[0]!;
        const row = node.row ? this.ref(node.row) : null;
        const col = node.col ? this.ref(node.col) : null;
        return { text: S.slice(this.wrap(sub(x), Prec.Atom), row, isColumn(x.shape) ? undefined : col), prec: Prec.Postfix };
      }
      case 'indexSum':
        return { text: S.indexSum(node.index, node.lower, node.upper, this.wrap(sub(node.args[0]!), Prec.Product)), prec: Prec.Neg };
    }
  }
}

function flattenAdd(n: Node): Node[] {
  if (n.kind !== 'add') return [n];
  return [...flattenAdd(n.args[0]!), ...flattenAdd(n.args[1]!)];
}

/** Nodes big enough to be worth naming when they occur more than once. */
function weight(n: Node, memo: Map<number, number>, atoms: ReadonlyMap<number, string>): number {
  const cached = memo.get(n.id);
  if (cached !== undefined) return cached;
  const w = 1 + n.args.reduce((acc, a) => acc + (atoms.has(a.id) ? 1 : weight(a, memo, atoms)), 0);
  memo.set(n.id, w);
  return w;
}

export interface PrintedBundle {
  /** Printed roots, in order. */
  roots: string[];
  /** Definitions `name = expression` needed by the roots, in dependency order. */
  definitions: { name: string; text: string }[];
}

/**
 * Prints several roots sharing one set of definitions: the author's named nodes they use, plus
 * shared subexpressions (used twice or more, of some size) named t_1, t_2, … — CSE made readable.
 */
export function printBundle(
  syntax: Syntax,
  roots: readonly Node[],
  userNames: ReadonlyMap<number, string>,
  minSharedWeight = 6,
): PrintedBundle {
  const order = topoOrder(roots);
  const uses = new Map<number, number>();
  for (const n of order) for (const a of n.args) uses.set(a.id, (uses.get(a.id) ?? 0) + 1);
  const weights = new Map<number, number>();
  const names = new Map<number, string>();
  const rootIds = new Set(roots.map((r) => r.id));
  let counter = 0;
  const taken = new Set(userNames.values());
  for (const n of order) {
    const user = userNames.get(n.id);
    if (user !== undefined && n.args.length > 0) {
      names.set(n.id, user);
    } else if ((uses.get(n.id) ?? 0) >= 2 && weight(n, weights, userNames) >= minSharedWeight && !rootIds.has(n.id)) {
      let name: string;
      do name = `t${++counter}`;
      while (taken.has(name));
      names.set(n.id, name);
    }
  }
  const printer = new Printer(syntax, names);
  const definitions = order
    .filter((n) => names.has(n.id) && !rootIds.has(n.id))
    .map((n) => ({ name: syntax.name(names.get(n.id)!), text: printer.print(n) }));
  return { roots: roots.map((r) => printer.print(r)), definitions };
}
