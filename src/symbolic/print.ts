/**
 * Printers for IR in two syntaxes: LaTeX (KaTeX-compatible) and ASCII (the .loss language itself,
 * so a derived gradient can be pasted back as a claim). Named nodes (the author's lets, and shared
 * subexpressions of derived results) print as their names, with definitions listed separately.
 */
import { isColumn, isRow } from '../language/shape';
import { type Node, topoOrder } from './ir';
import { opDef, type PrintContext } from './ops';
import { Prec, type Printed, type Syntax } from './syntax';

export { ASCII, LATEX, LATEX_CLAIMS, type Syntax } from './syntax';

export class Printer {
  /** How often each named node has been printed by its name (the definitions a text needs). */
  readonly references = new Map<number, number>();
  /** Summation indices bound around the node being printed: written name → printed name. */
  private readonly scope = new Map<string, string>();

  constructor(
    private readonly syntax: Syntax,
    /** Nodes printed by name instead of structure. */
    private readonly names: ReadonlyMap<number, string> = new Map(),
    /** Names a fresh summation index must not take (the program's declarations). */
    private readonly reserved: ReadonlySet<string> = new Set(),
  ) {}

  /** The node's structure; its own name (if any) is not used, its arguments' names are. */
  print(node: Node): string {
    return this.expr(node, true).text;
  }

  private expr(node: Node, top = false): Printed {
    const named = this.names.get(node.id);
    if (named !== undefined && !top) {
      this.references.set(node.id, (this.references.get(node.id) ?? 0) + 1);
      return { text: this.syntax.name(named), prec: Prec.Atom };
    }
    const S = this.syntax;
    const context: PrintContext = {
      syntax: S,
      arg: (i) => this.expr(node.args[i]!),
      print: (n) => this.expr(n),
      wrap: (p, min) => (p.prec < min ? S.paren(p.text) : p.text),
      base: (p) => (p.prec < Prec.Postfix || p.superscript ? S.paren(p.text) : p.text),
      ref: (r) => (r.kind === 'lit' ? String(r.value) : (this.scope.get(r.name) ?? r.name)),
      bind: (index, body) => this.bind(index, body),
      sizeOf: (n) => {
        const s = n.shape;
        if (isColumn(s)) return S.dim(s.rows);
        if (isRow(s)) return S.dim(s.cols);
        return `{${S.dim(s.rows)}${S.latex ? '\\times ' : ','}${S.dim(s.cols)}}`;
      },
    };
    return opDef(node).print(node, context);
  }

  /**
   * A sum's index prints as written unless an enclosing sum or a declaration uses that name; then
   * as the first free letter. Nested sums thus never share an index, and the text means what the
   * IR computes (inner bindings shadow outer ones there, never in print).
   */
  private bind<T>(index: string, body: (name: string) => T): T {
    const taken = (c: string): boolean => this.reserved.has(c) || [...this.scope.values()].includes(c);
    const candidates = [index, ...INDEX_LETTERS, ...INDEX_LETTERS.map((l) => `${l}2`), ...INDEX_LETTERS.map((l) => `${l}3`)];
    let name = candidates.find((c) => /^[A-Za-z]/.test(c) && !taken(c));
    for (let k = 4; name === undefined; k++) if (!taken(`i${k}`)) name = `i${k}`;
    const saved = this.scope.get(index);
    this.scope.set(index, name);
    try {
      return body(name);
    } finally {
      if (saved === undefined) this.scope.delete(index);
      else this.scope.set(index, saved);
    }
  }
}

const INDEX_LETTERS = ['i', 'j', 'k', 'l', 'p', 'q', 'r', 's', 'a', 'b', 'c'];

/** Nodes big enough to be worth naming when they occur more than once; a named argument counts as one. */
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
  /** Definitions `name = expression` needed by the roots, in dependency order; `plain` is the name as declared. */
  definitions: { name: string; plain: string; text: string }[];
}

/**
 * Prints several roots sharing one set of definitions: the author's named nodes they use, plus
 * shared subexpressions (used twice or more, of some size) named t1, t2, … — CSE made readable.
 * A subexpression that depends on a summation index is never named: its definition would use the
 * index outside its sum. Definitions the text does not use are dropped, and a shared subexpression
 * that ends up printed by name only once is written out in place.
 */
export function printBundle(
  syntax: Syntax,
  roots: readonly Node[],
  userNames: ReadonlyMap<number, string>,
  minSharedWeight = 6,
  /** Declared names of the program: shared subexpressions and sum indices avoid them. */
  declared: ReadonlySet<string> = new Set(),
): PrintedBundle {
  const order = topoOrder(roots);
  const uses = new Map<number, number>();
  for (const n of order) for (const a of n.args) uses.set(a.id, (uses.get(a.id) ?? 0) + 1);
  const weights = new Map<number, number>();
  const names = new Map<number, string>();
  const rootIds = new Set(roots.map((r) => r.id));
  const shared = new Set<number>();
  let counter = 0;
  const taken = new Set([...userNames.values(), ...declared]);
  for (const n of order) {
    const user = userNames.get(n.id);
    if (user !== undefined && n.args.length > 0) {
      names.set(n.id, user);
    } else if (
      (uses.get(n.id) ?? 0) >= 2 &&
      n.freeIndices.size === 0 &&
      weight(n, weights, names) >= minSharedWeight &&
      !rootIds.has(n.id)
    ) {
      let name: string;
      do name = `t${++counter}`;
      while (taken.has(name));
      names.set(n.id, name);
      shared.add(n.id);
    }
  }
  // Building blocks a paper names: the softmax Jacobian diag(f) − f fᵀ of a softmax let f is J_f,
  // and the middle of a sandwich Jᵀ B J at the top of a root (a Hessian's curvature) is B.
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 2; taken.has(name) || [...names.values()].includes(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  for (const n of order) {
    const f = softmaxJacobianOf(n);
    const of = f && names.get(f.id);
    if (of && !names.has(n.id) && /^[A-Za-z]+$/.test(of)) names.set(n.id, fresh(`J_${of}`));
  }
  for (const r of roots) {
    const middle = sandwichMiddle(r);
    if (middle && !names.has(middle.id) && middle.freeIndices.size === 0 && weight(middle, weights, names) >= minSharedWeight)
      names.set(middle.id, fresh('B'));
  }
  const reserved = new Set([...taken, ...names.values()]);
  for (;;) {
    const printer = new Printer(syntax, names, reserved);
    const printedRoots = roots.map((r) => printer.print(r));
    // Reverse topological order visits every user of a node before the node itself.
    const texts = new Map<number, string>();
    for (let k = order.length - 1; k >= 0; k--) {
      const n = order[k]!;
      if (names.has(n.id) && !rootIds.has(n.id) && (printer.references.get(n.id) ?? 0) > 0) texts.set(n.id, printer.print(n));
    }
    const once = [...shared].filter((id) => texts.has(id) && printer.references.get(id)! < 2);
    if (once.length === 0) {
      const definitions = order
        .filter((n) => texts.has(n.id))
        .map((n) => ({ name: syntax.name(names.get(n.id)!), plain: names.get(n.id)!, text: texts.get(n.id)! }));
      return { roots: printedRoots, definitions };
    }
    for (const id of once) {
      names.delete(id);
      shared.delete(id);
    }
  }
}

/** f when n is diag(f) − f fᵀ with f a softmax: its Jacobian, as papers name it. */
function softmaxJacobianOf(n: Node): Node | undefined {
  if (n.kind !== 'add') return undefined;
  const [a, b] = n.args as [Node, Node];
  if (a.kind !== 'diag' || a.args[0]!.kind !== 'softmax') return undefined;
  const f = a.args[0]!;
  const outer = b.kind === 'scale' && b.args[0]!.kind === 'num' && b.args[0]!.value === -1 ? b.args[1]! : undefined;
  if (!outer || outer.kind !== 'matmul') return undefined;
  const [u, v] = outer.args as [Node, Node];
  return u === f && v.kind === 'transpose' && v.args[0] === f ? f : undefined;
}

/** B when n is Jᵀ (B J) or (Jᵀ B) J for a matrix B: the symmetric form a Hessian takes. */
function sandwichMiddle(n: Node): Node | undefined {
  if (n.kind !== 'matmul') return undefined;
  const [p, q] = n.args as [Node, Node];
  const mirrored = (x: Node, y: Node): boolean =>
    (y.kind === 'transpose' && y.args[0] === x) || (x.kind === 'transpose' && x.args[0] === y);
  const middle =
    q.kind === 'matmul' && mirrored(p, q.args[1]!) ? q.args[0]! : p.kind === 'matmul' && mirrored(p.args[0]!, q) ? p.args[1]! : undefined;
  // Aᵀ diag(v) A reads well as it is; a named B is for a curvature that takes a line to write.
  return middle && middle.kind !== 'diag' && !isColumn(middle.shape) && !isRow(middle.shape) ? middle : undefined;
}
