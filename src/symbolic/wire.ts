/** The IR as plain JSON for the worker protocol: nodes in topological order, arguments by position. */
import type { Dim } from '../language/shape';
import { type Graph, type Kind, type Node, topoOrder } from './ir';
import { WIRE_ATTRS } from './ops';

export interface WireNode {
  kind: Kind;
  rows: Dim;
  cols: Dim;
  args: number[];
  attrs?: Record<string, unknown>;
}

export interface WireGraph {
  nodes: WireNode[];
}

/** Serialises everything reachable from the roots; returns each root's position. */
export function toWire(roots: readonly Node[]): { graph: WireGraph; positions: number[] } {
  const order = topoOrder(roots);
  const pos = new Map<number, number>(order.map((n, i) => [n.id, i]));
  const nodes = order.map((n): WireNode => {
    const attrs: Record<string, unknown> = {};
    for (const a of WIRE_ATTRS) if (a in n) attrs[a] = (n as unknown as Record<string, unknown>)[a];
    return {
      kind: n.kind,
      rows: n.shape.rows,
      cols: n.shape.cols,
      args: n.args.map((a) => pos.get(a.id)!),
      ...(Object.keys(attrs).length ? { attrs } : {}),
    };
  });
  return { graph: { nodes }, positions: roots.map((r) => pos.get(r.id)!) };
}

/** Rebuilds the nodes exactly as sent (no rewriting), in a fresh graph. */
export function fromWire(g: Graph, wire: WireGraph): Node[] {
  const out: Node[] = [];
  for (const w of wire.nodes)
    out.push(
      g.restore(
        w.kind,
        { rows: w.rows, cols: w.cols },
        w.args.map((i) => out[i]!),
        w.attrs ?? {},
      ),
    );
  return out;
}
