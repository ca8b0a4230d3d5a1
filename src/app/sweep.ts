/**
 * Scaling sweeps: rerun the eigenvalue and Lipschitz claims over a grid of dims/consts, record the
 * observed quantity (largest Lipschitz ratio, extreme eigenvalue) next to the claimed bound at each
 * point, and fit growth exponents by least squares in log-log space.
 */
import { parse } from '../language/parser';
import type { CheckedProgram } from '../language/typed';
import { compile } from '../numeric/evaluate';
import type { WorkerClient } from '../numeric/client';
import { type ClaimPlan, planClaims } from '../symbolic/claims';
import type { Node } from '../symbolic/ir';
import { type RunClaimsOptions, runClaims } from './runClaims';
import { InputError, analyzeDocument } from './load';

export interface SweepGrid {
  names: string[];
  values: number[][];
}

export interface SweepClaim {
  claimIndex: number;
  line: number;
  text: string;
  /** What "observed" is: 'Lipschitz ratio', 'λ_min(hess)', 'λ_max(hess)'. */
  quantity: string;
  /** Lower bounds (λ_min ≥ c) are violated when observed < claimed; upper bounds when observed > claimed. */
  direction: 'upper' | 'lower';
  points: { at: Record<string, number>; observed: number; claimed: number; verdict: string }[];
  /** Fitted exponents per swept name (observed ≈ C · Π p^e), when the values allow a fit. */
  observedExponents?: Record<string, number>;
  claimedExponents?: Record<string, number>;
  violatedAt: number;
  /** Smallest claimed/observed (upper bounds) or observed/claimed (lower bounds) over the grid. */
  minSlack: number;
  conclusion: string;
}

export interface SweepOutcome {
  file: string;
  grid: SweepGrid;
  seed: number;
  claims: SweepClaim[];
  /** Grid points that could not be checked, with why. */
  failures: { at: Record<string, number>; reason: string }[];
}

/** `n in [8, 16], R in [0.5, 1]` (the --sweep option) in the language's own sweep syntax. */
export function parseSweep(spec: string): SweepGrid {
  const { program, diagnostics } = parse(`sweep ${spec}\n`, new Set());
  const st = program.statements[0];
  if (diagnostics.length > 0 || !st || st.kind !== 'sweep')
    throw new InputError(`--sweep: ${diagnostics[0]?.message ?? 'expected NAME in [v1, v2, ...], ...'}`);
  return { names: st.items.map((i) => i.name), values: st.items.map((i) => i.values) };
}

/**
 * The checks the type checker makes of a `sweep` statement, for a grid from --sweep: every name a
 * dim or const of the file, named once, dims given positive whole numbers.
 */
export function validateSweep(grid: SweepGrid, program: CheckedProgram, path: string): void {
  const seen = new Set<string>();
  grid.names.forEach((name, k) => {
    if (seen.has(name)) throw new InputError(`--sweep: ${name} is given twice`);
    seen.add(name);
    const isDim = program.dims.some((d) => d.name === name);
    if (!isDim && !program.consts.some((c) => c.name === name))
      throw new InputError(`--sweep: '${name}' is not a dim or const of ${path} (only those can be swept)`);
    const bad = grid.values[k]!.find((v) => (isDim ? !Number.isInteger(v) || v < 1 : !Number.isFinite(v)));
    if (bad !== undefined)
      throw new InputError(
        `--sweep: ${name} ${isDim ? 'is a dimension and takes positive whole numbers' : 'takes finite numbers'}, not ${bad}`,
      );
  });
}

function* gridPoints(grid: SweepGrid): Generator<Record<string, number>> {
  const idx = grid.names.map(() => 0);
  for (;;) {
    yield Object.fromEntries(grid.names.map((n, k) => [n, grid.values[k]![idx[k]!]!]));
    let k = grid.names.length - 1;
    while (k >= 0 && ++idx[k]! >= grid.values[k]!.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

/** Scalar c when the node is c·I (or I); undefined otherwise or when c is not a constant. */
function identityCoefficient(n: Node): number | undefined {
  const coefficients: Node[] = [];
  while (n.kind === 'scale') {
    coefficients.push(n.args[0]!);
    n = n.args[1]!;
  }
  if (n.kind !== 'identity' || coefficients.some((c) => c.vars.size > 0)) return undefined;
  try {
    const v = coefficients.reduce((acc, c) => acc * compile([c]).run(new Map())[0]![0]!, 1);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined; // the coefficient depends on data
  }
}

interface Measure {
  quantity: string;
  direction: 'upper' | 'lower';
  /** From the claim's evidence to (observed, claimed). */
  read: (evidence: Record<string, number | string>) => { observed: number; claimed: number } | undefined;
}

function measureOf(p: ClaimPlan): Measure | undefined {
  const num = (e: Record<string, number | string>, k: string): number => Number(e[k]);
  switch (p.kind) {
    case 'lipschitz':
      return {
        quantity: 'Lipschitz ratio',
        direction: 'upper',
        read: (e) => ({ observed: num(e, 'bestRatio'), claimed: num(e, 'bound') }),
      };
    case 'definite':
      return p.which === 'psd' || p.which === 'pd'
        ? { quantity: 'λ_min', direction: 'lower', read: (e) => ({ observed: num(e, 'minEigenvalue'), claimed: 0 }) }
        : { quantity: 'λ_max', direction: 'upper', read: (e) => ({ observed: -num(e, 'minEigenvalue'), claimed: 0 }) };
    case 'order': {
      const lhsC = p.lhs.kind === 'expr' ? identityCoefficient(p.lhs.node) : undefined;
      const rhsC = p.rhs.kind === 'expr' ? identityCoefficient(p.rhs.node) : undefined;
      // M ⪰ c I reads λ_min(M) = λ_min(M − c I) + c; M ⪯ c I reads λ_max(M) = c − λ_min(c I − M).
      const c = rhsC ?? lhsC;
      if (c === undefined || (lhsC !== undefined && rhsC !== undefined)) return undefined;
      const lowerBound = (p.op === '>=') === (rhsC !== undefined);
      return lowerBound
        ? { quantity: 'λ_min', direction: 'lower', read: (e) => ({ observed: num(e, 'minEigenvalue') + c, claimed: c }) }
        : { quantity: 'λ_max', direction: 'upper', read: (e) => ({ observed: c - num(e, 'minEigenvalue'), claimed: c }) };
    }
    default:
      return undefined;
  }
}

/** Least squares for log|y| = a + Σ e_k log x_k over the points where everything is positive. */
export function fitExponents(names: string[], rows: { at: Record<string, number>; y: number }[]): Record<string, number> | undefined {
  const usable = names.filter((n) => new Set(rows.map((r) => r.at[n])).size > 1 && rows.every((r) => r.at[n]! > 0));
  const pts = rows.filter((r) => r.y > 0 && Number.isFinite(r.y));
  if (usable.length === 0 || pts.length <= usable.length) return undefined;
  const k = usable.length + 1;
  const ata = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const aty = new Array<number>(k).fill(0);
  for (const r of pts) {
    const row = [1, ...usable.map((n) => Math.log(r.at[n]!))];
    const y = Math.log(r.y);
    for (let i = 0; i < k; i++) {
      aty[i]! += row[i]! * y;
      for (let j = 0; j < k; j++) ata[i]![j]! += row[i]! * row[j]!;
    }
  }
  // Gaussian elimination with partial pivoting on the (k ≤ 4) normal equations.
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(ata[r]![c]!) > Math.abs(ata[piv]![c]!)) piv = r;
    if (Math.abs(ata[piv]![c]!) < 1e-12) return undefined;
    [ata[c], ata[piv]] = [ata[piv]!, ata[c]!];
    [aty[c], aty[piv]] = [aty[piv]!, aty[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = ata[r]![c]! / ata[c]![c]!;
      for (let j = c; j < k; j++) ata[r]![j]! -= f * ata[c]![j]!;
      aty[r]! -= f * aty[c]!;
    }
  }
  return Object.fromEntries(usable.map((n, i) => [n, aty[i + 1]! / ata[i + 1]![i + 1]!]));
}

export function describeGrowth(e: Record<string, number> | undefined): string {
  if (!e) return '(no fit)';
  return Object.entries(e)
    .map(([n, v]) => `${n}^${Number(v.toFixed(2))}`)
    .join(' ');
}

export async function runSweep(
  client: WorkerClient,
  path: string,
  text: string,
  grid: SweepGrid,
  options: Omit<RunClaimsOptions, 'only'>,
  onPoint: (done: number, total: number, at: Record<string, number>) => void,
  cancel?: AbortSignal,
): Promise<SweepOutcome> {
  const base = analyzeDocument(path, text).analysis.program;
  const known = new Set([...base.dims.map((d) => d.name), ...base.consts.map((c) => c.name)]);
  const unknown = grid.names.filter((n) => !known.has(n));
  if (unknown.length > 0)
    throw new InputError(
      `sweep: ${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a dim or const of ${path}`,
    );
  const points = [...gridPoints(grid)];
  const byClaim = new Map<number, SweepClaim>();
  const failures: SweepOutcome['failures'] = [];
  let done = 0;
  for (const at of points) {
    if (cancel?.aborted) break;
    onPoint(done, points.length, at);
    const { analysis, loaded } = analyzeDocument(path, text, new Map(Object.entries(at)));
    if (!loaded) {
      failures.push({ at, reason: analysis.diagnostics.map((d) => d.message).join('; ') });
      done++;
      continue;
    }
    const plans = planClaims(loaded.lowered, loaded.derivatives, loaded.program.claims);
    const measured = plans.map((p, i) => ({ i, p, m: measureOf(p) })).filter((x) => x.m !== undefined);
    if (measured.length === 0) throw new InputError(`${path}: no Lipschitz or eigenvalue claim (psd, hess L >= c I, …) to sweep`);
    const outcome = await runClaims(client, loaded, { ...options, only: measured.map((x) => x.i) }, cancel);
    for (const c of outcome.claims) {
      const m = measured.find((x) => x.i === c.claimIndex)!.m!;
      const values = m.read(c.evidence);
      if (!values || !Number.isFinite(values.observed)) {
        failures.push({ at, reason: `line ${c.line}: ${c.verdict} (${c.summary})` });
        continue;
      }
      let entry = byClaim.get(c.claimIndex);
      if (!entry) {
        entry = {
          claimIndex: c.claimIndex,
          line: c.line,
          text: c.text,
          quantity: m.quantity,
          direction: m.direction,
          points: [],
          violatedAt: 0,
          minSlack: Infinity,
          conclusion: '',
        };
        byClaim.set(c.claimIndex, entry);
      }
      entry.points.push({ at, ...values, verdict: c.verdict });
    }
    done++;
  }
  onPoint(done, points.length, {});
  const claims = [...byClaim.values()].sort((a, b) => a.claimIndex - b.claimIndex);
  for (const c of claims) {
    const slack = (p: SweepClaim['points'][number]): number => (c.direction === 'upper' ? p.claimed / p.observed : p.observed / p.claimed);
    const violated = c.points.filter((p) => (c.direction === 'upper' ? p.observed > p.claimed : p.observed < p.claimed));
    c.violatedAt = violated.length;
    c.minSlack = Math.min(...c.points.map(slack).filter((v) => Number.isFinite(v) && v > 0));
    const obs = fitExponents(
      grid.names,
      c.points.map((p) => ({ at: p.at, y: Math.abs(p.observed) })),
    );
    const cl = fitExponents(
      grid.names,
      c.points.map((p) => ({ at: p.at, y: Math.abs(p.claimed) })),
    );
    if (obs) c.observedExponents = obs;
    if (cl) c.claimedExponents = cl;
    const growth = `observed ∝ ${describeGrowth(obs)}, claimed ∝ ${describeGrowth(cl)}`;
    if (violated.length > 0) {
      const worst = violated.reduce((a, b) => (slack(a) < slack(b) ? a : b));
      c.conclusion = `VIOLATED at ${violated.length} of ${c.points.length} points (worst at ${Object.entries(worst.at)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}: observed ${worst.observed.toPrecision(4)} vs claimed ${worst.claimed.toPrecision(4)}); ${growth}`;
    } else {
      const gaps =
        obs && cl
          ? Object.keys(obs)
              .filter((k) => k in cl)
              .map((k) => `${k}: ${(cl[k]! - obs[k]!).toFixed(2)}`)
          : [];
      const loose = Number.isFinite(c.minSlack) ? `${c.minSlack.toPrecision(3)}×` : '—';
      const gapNote = gaps.length ? ` (exponent gap ${gaps.join(', ')})` : '';
      c.conclusion = `holds at all ${c.points.length} points; loose by at least ${loose}; ${growth}${gapNote}`;
    }
  }
  return { file: path, grid, seed: options.seed, claims, failures };
}
