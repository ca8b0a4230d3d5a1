/**
 * Copies IR into another graph through the smart constructors, choosing what each var or given
 * becomes there. Used to differentiate with respect to data: givens become vars in a scratch graph,
 * the derivative is taken there, and the result is copied back with those vars as givens again.
 */
import { rebuildWithArgs } from './factor';
import { type Graph, type Node, topoOrder } from './ir';

export type LeafMap = (leaf: Node & { kind: 'var' | 'given' }, into: Graph) => Node;

export function transplant(roots: readonly Node[], into: Graph, leaf: LeafMap): Node[] {
  const memo = new Map<number, Node>();
  for (const n of topoOrder(roots)) {
    let copy: Node;
    switch (n.kind) {
      case 'var':
      case 'given':
        copy = leaf(n, into);
        break;
      case 'const':
        copy = into.constant(n.name, n.value);
        break;
      case 'num':
        copy = into.num(n.value);
        break;
      case 'identity':
        copy = into.identity(n.shape.rows);
        break;
      case 'ones':
        copy = into.ones(n.shape);
        break;
      case 'zeros':
        copy = into.zeros(n.shape);
        break;
      case 'unit':
        copy = into.unit(n.shape.rows, n.index);
        break;
      case 'indexValue':
        copy = into.indexValue(n.index);
        break;
      case 'commutation':
        copy = into.commutation(n.m, n.n);
        break;
      default:
        copy = rebuildWithArgs(
          into,
          n,
          n.args.map((a) => memo.get(a.id)!),
        );
    }
    memo.set(n.id, copy);
  }
  return roots.map((r) => memo.get(r.id)!);
}
