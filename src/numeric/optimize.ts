/**
 * Rewrites IR for evaluation speed, never changing values (beyond rounding): matrix products are
 * re-associated by the matrix-chain dynamic programme under a cost model that knows diag(v) and
 * I are cheap, and sums inside products are distributed when that is cheaper. Aᵀ (D + B S) A with
 * n×n B, S becomes Aᵀ D A + Aᵀ B (S A) — O(n²d) instead of O(n³) — and (diag(f) − f fᵀ) A becomes
 * f ∘ A − f (fᵀ A), O(nd). The printed, paper-like form is untouched; only the plan changes.
 */
import { type Graph, type Node, topoOrder } from '../symbolic/ir';
import { rebuildWithArgs } from '../symbolic/factor';

interface Term {
  coef: Node | null;
  factors: Node[];
}

/**
 * Relative cost of one elementwise pass over a materialised matrix: it reads and writes memory
 * (several flops' worth per entry), while a GEMM reuses each entry many times. With this, a sum of
 * n×d terms multiplied by Aᵀ is distributed into low-rank chains ((Aᵀu)(vᵀA)) instead of being
 * materialised term by term.
 */
const MATRIX_PASS = 4;

/** Most terms a single product may be distributed into. */
const MAX_TERMS = 64;

const rows = (n: Node): number => n.shape.rows.value;
const cols = (n: Node): number => n.shape.cols.value;

/** Flops to multiply an already-computed p×q factor a by q×r factor b. */
function productCost(a: Node, b: Node): number {
  if (a.kind === 'identity' || b.kind === 'identity') return 0;
  if (a.kind === 'diag') return cols(a) * cols(b);
  if (b.kind === 'diag') return rows(a) * cols(a);
  return rows(a) * cols(a) * cols(b);
}

export class EvaluationPlanner {
  private readonly costMemo = new Map<number, number>();

  constructor(private readonly g: Graph) {}

  /** Flops to compute a node from scratch (shared subexpressions counted once per call site). */
  cost(n: Node): number {
    const cached = this.costMemo.get(n.id);
    if (cached !== undefined) return cached;
    let own: number;
    const size = rows(n) * cols(n);
    switch (n.kind) {
      case 'matmul':
        own = productCost(n.args[0]!, n.args[1]!);
        // An outer product (inner dimension 1) is a pass writing a whole matrix.
        if (cols(n.args[0]!) === 1 && rows(n) > 1 && cols(n) > 1) own *= MATRIX_PASS;
        break;
      case 'diag':
      case 'identity':
        own = size;
        break;
      case 'kron':
      case 'commutation':
        own = size;
        break;
      default:
        // Elementwise work on a matrix is bound by memory traffic, not flops.
        own = rows(n) > 1 && cols(n) > 1 ? MATRIX_PASS * size : size;
    }
    const total = own + n.args.reduce((s, a) => s + this.cost(a), 0);
    this.costMemo.set(n.id, total);
    return total;
  }

  optimize(roots: readonly Node[]): Node[] {
    const memo = new Map<number, Node>();
    for (const n of topoOrder(roots)) {
      const args = n.args.map((a) => memo.get(a.id)!);
      let out = args.every((a, i) => a === n.args[i]) ? n : rebuildWithArgs(this.g, n, args);
      if (out.kind === 'matmul') out = this.product(out);
      if (out.kind === 'add') out = this.mergeCommonFactors(this.mergeRowScalings(out));
      // ⟨M, I⟩ (from differentiating through traces) is tr M, and tr M never needs M formed.
      if (out.kind === 'inner' && out.args[1]!.kind === 'identity') out = this.trace(out.args[0]!);
      else if (out.kind === 'inner' && out.args[0]!.kind === 'identity') out = this.trace(out.args[1]!);
      else if (out.kind === 'trace') out = this.trace(out.args[0]!);
      memo.set(n.id, out);
    }
    return roots.map((r) => memo.get(r.id)!);
  }

  /**
   * c₁·diag(u)·R + c₂·diag(v)·R + … → diag(c₁u + c₂v + …)·R: one pass over the matrix R instead
   * of one per term (distribution leaves such sums behind, e.g. Aᵀ(diag(w²)A + diag(g)A − s·diag(f)A)).
   */
  private mergeRowScalings(n: Node): Node {
    const groups = new Map<number, { right: Node; vectors: Node[] }>();
    const rest: Node[] = [];
    for (const t of this.g.addTerms(n)) {
      const m = this.rowScaling(t);
      if (!m) {
        rest.push(t);
        continue;
      }
      const group = groups.get(m.right.id) ?? { right: m.right, vectors: [] };
      group.vectors.push(m.vector);
      groups.set(m.right.id, group);
    }
    if (![...groups.values()].some((g) => g.vectors.length > 1)) return n;
    const merged = [...groups.values()].map((g) => this.g.matmul(this.g.diag(g.vectors.reduce((a, b) => this.g.add(a, b))), g.right));
    return [...rest, ...merged].reduce((a, b) => this.g.add(a, b));
  }

  /**
   * Terms sharing a factor share one product: c₁·M u₁ + c₂·M u₂ → M(c₁u₁ + c₂u₂), and likewise
   * on the right (c₁·u₁wᵀ + c₂·u₂wᵀ → (c₁u₁ + c₂u₂)wᵀ, one outer product instead of one matrix per
   * term, as in ∇_A of vᵀ∇²L v). Summing the other factors first is never dearer than the products.
   */
  private mergeCommonFactors(n: Node): Node {
    if (n.kind !== 'add') return n;
    const g = this.g;
    const split = this.g.addTerms(n).map((t) => {
      const { coef, inner: x } = this.peelScale(t);
      return { term: t, coef, product: x.kind === 'matmul' && x.args[0]!.kind !== 'diag' ? (x.args as [Node, Node]) : undefined };
    });
    const count = (side: 0 | 1, id: number): number => split.filter((s) => s.product?.[side].id === id).length;
    // The side shared by more terms wins; ties go to the left factor.
    const best = split.flatMap((s) => (s.product ? [0, 1].map((side) => ({ side: side as 0 | 1, id: s.product![side as 0 | 1].id })) : []));
    let pick: { side: 0 | 1; id: number; count: number } | undefined;
    for (const b of best) {
      const c = count(b.side, b.id);
      if (c > 1 && (!pick || c > pick.count)) pick = { ...b, count: c };
    }
    if (!pick) return n;
    const shared = split.filter((s) => s.product?.[pick!.side].id === pick!.id);
    const factor = shared[0]!.product![pick.side];
    const others = shared.map((s) => {
      const other = s.product![1 - pick!.side]!;
      return s.coef ? g.scale(s.coef, other) : other;
    });
    const sum = this.mergeCommonFactors(others.reduce((a, b) => g.add(a, b)));
    const merged = pick.side === 0 ? g.matmul(factor, sum) : g.matmul(sum, factor);
    const rest = split.filter((s) => !shared.includes(s)).map((s) => s.term);
    const out = [...rest, merged].reduce((a, b) => g.add(a, b));
    return rest.length > 1 ? this.mergeCommonFactors(out) : out;
  }

  /** t = c·M with the scalings of a matrix term gathered: { coef: c (null when none), inner: M }. */
  private peelScale(t: Node): { coef: Node | null; inner: Node } {
    let coef: Node | null = null;
    let inner = t;
    while (inner.kind === 'scale' && !(rows(inner) === 1 && cols(inner) === 1)) {
      coef = coef ? this.g.mulScalars(coef, inner.args[0]!) : inner.args[0]!;
      inner = inner.args[1]!;
    }
    return { coef, inner };
  }

  /** t = c·diag(v)·R (c a scalar, possibly absent) as { vector: c·v, right: R }. */
  private rowScaling(t: Node): { vector: Node; right: Node } | undefined {
    const { coef, inner: x } = this.peelScale(t);
    if (x.kind !== 'matmul' || x.args[0]!.kind !== 'diag') return undefined;
    const v = x.args[0]!.args[0]!;
    return { vector: coef ? this.g.scale(coef, v) : v, right: x.args[1]! };
  }

  private flatten(n: Node, coef: Node | null, into: Node[]): Node | null {
    if (n.kind === 'matmul') {
      coef = this.flatten(n.args[0]!, coef, into);
      return this.flatten(n.args[1]!, coef, into);
    }
    if (n.kind === 'scale' && !(rows(n) === 1 && cols(n) === 1)) {
      const c = n.args[0]!;
      return this.flatten(n.args[1]!, coef ? this.g.mulScalars(coef, c) : c, into);
    }
    into.push(n);
    return coef;
  }

  private chainCost(factors: Node[]): { cost: number; split: number[][] } {
    const k = factors.length;
    const cost = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const split = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    // A product of a range behaves like a dense matrix unless it is a single cheap factor.
    const dims = factors.map((f) => [rows(f), cols(f)] as const);
    for (let len = 2; len <= k; len++) {
      for (let i = 0; i + len - 1 < k; i++) {
        const j = i + len - 1;
        cost[i]![j] = Infinity;
        for (let s = i; s < j; s++) {
          const left = s === i ? factors[i]! : null;
          const right = s + 1 === j ? factors[j]! : null;
          const p = dims[i]![0];
          const q = dims[s]![1];
          const r = dims[j]![1];
          let mult = p * q * r;
          if (left && (left.kind === 'diag' || left.kind === 'identity')) mult = left.kind === 'identity' ? 0 : q * r;
          else if (right && (right.kind === 'diag' || right.kind === 'identity')) mult = right.kind === 'identity' ? 0 : p * q;
          const c = cost[i]![s]! + cost[s + 1]![j]! + mult;
          if (c < cost[i]![j]!) {
            cost[i]![j] = c;
            split[i]![j] = s;
          }
        }
      }
    }
    return { cost: cost[0]![k - 1]! + factors.reduce((s, f) => s + this.cost(f), 0), split };
  }

  private buildChain(factors: Node[]): Node {
    const { split } = this.chainCost(factors);
    const build = (i: number, j: number): Node =>
      i === j ? factors[i]! : this.times(build(i, split[i]![j]!), build(split[i]![j]! + 1, j));
    return build(0, factors.length - 1);
  }

  /** a·b, with a row vector times diag(v) as the entrywise product (no n×n diagonal formed). */
  private times(a: Node, b: Node): Node {
    const g = this.g;
    if (b.kind === 'diag' && rows(a) === 1) return g.transpose(g.hadamard(g.transpose(a), b.args[0]!));
    return g.matmul(a, b);
  }

  private termsCost(terms: Term[]): number {
    return terms.reduce((s, t) => s + this.chainCost(t.factors).cost, 0);
  }

  /** tr M by parts: a sum term by term, tr(c·M) = c·tr M, tr(AB) = ⟨A, Bᵀ⟩ (no product formed). */
  private trace(m: Node): Node {
    const g = this.g;
    switch (m.kind) {
      case 'add':
        return g
          .addTerms(m)
          .map((t) => this.trace(t))
          .reduce((a, b) => g.add(a, b));
      case 'scale':
        return rows(m) === 1 && cols(m) === 1 ? g.trace(m) : g.mulScalars(m.args[0]!, this.trace(m.args[1]!));
      case 'matmul':
        return g.inner(m.args[0]!, g.transpose(m.args[1]!));
      default:
        return g.trace(m);
    }
  }

  /** The terms of a sum factor, seeing through a transpose ((Σ Mᵢ)ᵀ = Σ Mᵢᵀ) and scalings. */
  private sumParts(factor: Node): Node[] | undefined {
    if (factor.kind === 'add') return this.g.addTerms(factor);
    if (factor.kind === 'transpose') return this.sumParts(factor.args[0]!)?.map((p) => this.g.transpose(p));
    if (factor.kind === 'scale' && !(rows(factor) === 1 && cols(factor) === 1))
      return this.sumParts(factor.args[1]!)?.map((p) => this.g.scale(factor.args[0]!, p));
    return undefined;
  }

  private product(n: Node): Node {
    const factors: Node[] = [];
    const coef = this.flatten(n, null, factors);
    let terms: Term[] = [{ coef, factors }];
    // Distribute a sum factor while that lowers the estimated cost.
    for (let changed = true; changed && terms.length < MAX_TERMS;) {
      changed = false;
      for (let t = 0; t < terms.length && !changed; t++) {
        const term = terms[t]!;
        for (let f = 0; f < term.factors.length; f++) {
          const parts = this.sumParts(term.factors[f]!);
          if (!parts) continue;
          const expanded = parts.map((p): Term => {
            const inner: Node[] = [];
            const c = this.flatten(p, term.coef, inner);
            return { coef: c, factors: [...term.factors.slice(0, f), ...inner, ...term.factors.slice(f + 1)] };
          });
          const current = this.chainCost(term.factors).cost;
          if (terms.length - 1 + expanded.length <= MAX_TERMS && this.termsCost(expanded) < current) {
            terms = [...terms.slice(0, t), ...expanded, ...terms.slice(t + 1)];
            changed = true;
            break;
          }
          // Partial distribution: pull one term out of the sum (a rank-one u vᵀ, say, whose
          // chain with the outer factors is cheap) and keep the rest summed (diag terms sharing
          // one GEMM).
          for (let k = 0; k < parts.length && parts.length > 2 && terms.length < MAX_TERMS; k++) {
            const rest = parts.filter((_, i) => i !== k).reduce((a, b) => this.g.add(a, b));
            const kept: Term = { coef: term.coef, factors: [...term.factors.slice(0, f), rest, ...term.factors.slice(f + 1)] };
            if (this.termsCost([kept, expanded[k]!]) < current) {
              terms = [...terms.slice(0, t), kept, expanded[k]!, ...terms.slice(t + 1)];
              changed = true;
              break;
            }
          }
          if (changed) break;
        }
      }
    }
    const built = terms.map((t) => {
      const p = t.factors.length === 0 ? this.g.identity(n.shape.rows) : this.buildChain(t.factors);
      return t.coef ? this.g.scale(t.coef, p) : p;
    });
    return built.reduce((acc, t) => this.g.add(acc, t));
  }
}
