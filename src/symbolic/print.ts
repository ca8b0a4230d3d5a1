/**
 * Printers for IR in two syntaxes: LaTeX (KaTeX-compatible) and ASCII (the .loss language itself,
 * so a derived gradient can be pasted back as a claim). Named nodes (the author's lets, and shared
 * subexpressions of derived results) print as their names, with definitions listed separately.
 */
import { isColumn, isRow } from '../language/shape';
import { type Node, topoOrder } from './ir';
import { opDef, type PrintContext } from './ops';
import { Prec, type Printed, type Syntax } from './syntax';

export { ASCII, LATEX, type Syntax } from './syntax';

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

  private expr(node: Node, top = false): Printed {
    const named = this.names.get(node.id);
    if (named !== undefined && !top) return { text: this.syntax.name(named), prec: Prec.Atom };
    const S = this.syntax;
    const context: PrintContext = {
      syntax: S,
      arg: (i) => this.expr(node.args[i]!),
      print: (n) => this.expr(n),
      wrap: (p, min) => (p.prec < min ? S.paren(p.text) : p.text),
      base: (p) => (p.prec < Prec.Postfix || p.superscript ? S.paren(p.text) : p.text),
      ref: (r) => (r.kind === 'lit' ? String(r.value) : r.name),
      sizeOf: (n) => {
        const s = n.shape;
        if (isColumn(s)) return S.dim(s.rows);
        if (isRow(s)) return S.dim(s.cols);
        return `{${S.dim(s.rows)}${S.latex ? '\\times ' : ','}${S.dim(s.cols)}}`;
      },
    };
    return opDef(node).print(node, context);
  }
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
