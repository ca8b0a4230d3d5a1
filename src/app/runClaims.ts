/** `derivlens check`: decides every claim of the given files in the CPU worker and reports why. */
import { SourceFile } from '../language/diagnostics';
import { WorkerClient, WorkerDied } from '../numeric/client';
import type { Budget, CheckParams, CheckResult, ClaimResult, Verdict } from '../numeric/protocol';
import { DEFAULT_MEMORY_LIMIT_BYTES, buildCheckParams, estimateBytes, formatBytes, samplingSpecs } from '../numeric/request';
import { violation } from '../numeric/sampling';
import { compile } from '../numeric/evaluate';
import type { CheckedProgram, TExpr } from '../language/typed';
import { type ClaimPlan, type SymQuantity, planClaims } from '../symbolic/claims';
import { Graph, NonFiniteConstant, type Node, topoOrder } from '../symbolic/ir';
import { Lowering, deriveDefinition } from '../symbolic/lower';
import { ASCII, LATEX, printBundle } from '../symbolic/print';
import { InputError, type Loaded } from './load';

export interface FileOutcome {
  file: string;
  seed: number;
  budget: Budget;
  backend: string;
  device: string;
  claims: ClaimOutcome[];
  derivatives: {
    loss: { ascii: string; latex: string };
    grad: { wrt: string; ascii: string; latex: string }[];
    hess: { wrt: string[]; ascii: string; latex: string }[];
    /** With several variables: the Hessian as a block matrix of the named blocks H_{XY}. */
    hessBlocks?: string;
    definitions: { name: string; ascii: string; latex: string }[];
  };
}

export interface ClaimOutcome extends Omit<ClaimResult, 'index'> {
  line: number;
  text: string;
  kind: string;
  /** Position among the file's claims. */
  claimIndex: number;
  /** The fixed data (--data) breaks a declared constraint this claim depends on: what and where. */
  outsideDomain?: string;
  /** In the editor: the verdict of a re-run with every given and var fixed at the counterexample. */
  reproduced?: { verdict: Verdict; summary: string };
}

export class ClaimRunFailed extends Error {}

function claimKind(p: ClaimPlan): string {
  switch (p.kind) {
    case 'identity':
      return p.lhs.kind === 'grad' || (p.claim.kind === 'compare' && p.claim.lhs.k === 'deriv' && p.claim.lhs.op === 'grad')
        ? 'gradient'
        : p.lhs.kind === 'hess' || (p.claim.kind === 'compare' && p.claim.lhs.k === 'deriv')
          ? 'hessian'
          : 'identity';
    case 'order':
      return 'inequality';
    case 'definite':
      return p.which;
    case 'lipschitz':
      return 'lipschitz';
    case 'unsupported':
      return 'unsupported';
  }
}

/** A report for a file whose claims have not been checked: its derivatives only. */
export function derivationOutcome(loaded: Loaded): FileOutcome {
  return { file: loaded.path, seed: 0, budget: 'default', backend: '', device: '', claims: [], derivatives: derivativesSummary(loaded) };
}

export function derivativesSummary(loaded: Loaded): FileOutcome['derivatives'] {
  const { lowered, derivatives } = loaded;
  const roots = [lowered.loss, ...derivatives.grads, ...derivatives.hess.flat()];
  const ascii = printBundle(ASCII, roots, lowered.graph.names, undefined, lowered.graph.declaredNames);
  const latex = printBundle(LATEX, roots, lowered.graph.names, undefined, lowered.graph.declaredNames);
  const vars = lowered.vars.map((v) => (v.kind === 'var' ? v.name : ''));
  const k = vars.length;
  const at = (i: number) => ({ ascii: ascii.roots[i]!, latex: latex.roots[i]! });
  const blockName = (r: string, c: string): string => `H_{${r}${c}}`;
  const hessBlocks =
    k > 1
      ? `\\nabla^2 ${lowered.lossName} = \\begin{bmatrix} ${vars.map((r) => vars.map((c) => blockName(r, c)).join(' & ')).join(' \\\\ ')} \\end{bmatrix}`
      : undefined;
  return {
    loss: at(0),
    grad: vars.map((wrt, i) => ({ wrt, ...at(1 + i) })),
    hess: vars.flatMap((r, i) => vars.map((c, j) => ({ wrt: [r, c], ...at(1 + k + i * k + j) }))),
    ...(hessBlocks ? { hessBlocks } : {}),
    definitions: ascii.definitions.map((d, i) => ({
      name: d.name,
      ascii: d.text,
      latex: `${latex.definitions[i]!.name} = ${latex.definitions[i]!.text}`,
    })),
  };
}

/** `derive --of f`: the derivatives of one definition (grad/hess of a scalar, jac of a vector or matrix), printed. */
export interface DefinitionSummary {
  of: string;
  first: { kind: 'grad' | 'jac'; wrt: string; ascii: string; latex: string }[];
  hess: { wrt: string[]; ascii: string; latex: string }[];
  definitions: { name: string; ascii: string; latex: string }[];
}

export function definitionSummary(loaded: Loaded, name: string): DefinitionSummary {
  if (name !== loaded.lowered.lossName && !loaded.lowered.lets.has(name))
    throw new InputError(`--of ${name}: no let or loss of that name in ${loaded.path}`);
  const d = deriveDefinition(loaded.lowered, name);
  const roots = [...d.first.map((f) => f.node), ...d.hess.map((h) => h.node)];
  const ascii = printBundle(ASCII, roots, loaded.lowered.graph.names, undefined, loaded.lowered.graph.declaredNames);
  const latex = printBundle(LATEX, roots, loaded.lowered.graph.names, undefined, loaded.lowered.graph.declaredNames);
  const at = (i: number) => ({ ascii: ascii.roots[i]!, latex: latex.roots[i]! });
  return {
    of: name,
    first: d.first.map((f, i) => ({ kind: d.scalar ? 'grad' : 'jac', wrt: f.wrt, ...at(i) })),
    hess: d.hess.map((h, i) => ({ wrt: h.wrt, ...at(d.first.length + i) })),
    definitions: ascii.definitions.map((def, i) => ({
      name: def.name,
      ascii: def.text,
      latex: `${latex.definitions[i]!.name} = ${latex.definitions[i]!.text}`,
    })),
  };
}

/**
 * Fixed values that break their declaration's constraints: name → the constraint broken. A ball
 * centred at an expression of givens is checked when those givens are fixed too.
 */
export function domainViolations(program: CheckedProgram, fixed: ReadonlyMap<string, Float64Array>): Map<string, string> {
  const out = new Map<string, string>();
  const centreExprs = [...program.givens, ...program.vars].flatMap((d) =>
    d.constraints.flatMap((c) => (c.kind === 'normBall' && c.center ? [c.center] : [])),
  );
  const lowering = new Lowering(new Graph());
  const centreNodes = centreExprs.map((t) => lowering.lower(t));
  const centres = new Map<TExpr, number>(centreExprs.map((t, i) => [t, i]));
  const centre = (root: number): Float64Array => {
    const node = centreNodes[root]!;
    if (topoOrder([node]).some((n) => n.kind === 'given' && !fixed.has(n.name))) throw new CentreUnknown();
    return compile([node]).run(fixed)[0]!;
  };
  for (const spec of samplingSpecs(program, fixed, centres)) {
    if (!spec.fixed) continue;
    try {
      const broken = violation(Float64Array.from(spec.fixed), spec, centre);
      if (broken) out.set(spec.name, broken);
    } catch (e) {
      if (!(e instanceof CentreUnknown)) throw e;
    }
  }
  return out;
}

/** A ball's centre depends on givens that are sampled, not fixed: it cannot be checked before sampling. */
class CentreUnknown extends Error {}

/** The givens and vars a claim's quantities depend on (derivatives: those of the loss). */
function dependencies(plan: ClaimPlan, loss: Node): Set<string> {
  const quantities: SymQuantity[] =
    plan.kind === 'identity' || plan.kind === 'order'
      ? [plan.lhs, plan.rhs]
      : plan.kind === 'definite'
        ? [plan.subject]
        : plan.kind === 'lipschitz'
          ? [plan.of, plan.bound]
          : [];
  const roots = quantities.map((q) => (q.kind === 'expr' ? q.node : loss));
  return new Set(topoOrder(roots).flatMap((n) => (n.kind === 'given' || n.kind === 'var' ? [n.name] : [])));
}

export interface RunClaimsOptions {
  seed: number;
  budget: Budget;
  fixed?: ReadonlyMap<string, Float64Array>;
  timeLimitMs?: number;
  /** Check only these claims (indices into the file's claims); all by default. */
  only?: readonly number[];
  /** Refuse checks estimated to need more memory than this (default 4 GiB). */
  memoryLimitBytes?: number;
}

/** A file's check, planned and ready to send: everything that needs no worker. */
export interface PreparedCheck {
  loaded: Loaded;
  options: RunClaimsOptions;
  plans: ClaimPlan[];
  claimIndices: number[];
  params: CheckParams;
  derivatives: FileOutcome['derivatives'];
}

/**
 * Plans a file's check (the evaluation IR, sampling specs, the memory estimate) and prints its
 * derivatives. The CLI does this while the worker process starts. Throws InputError for a file
 * whose constants overflow or whose check would not fit in memory.
 */
export function prepareCheck(loaded: Loaded, options: RunClaimsOptions): PreparedCheck {
  const { program, lowered, derivatives } = loaded;
  const all = loaded.analysis.plans ?? planClaims(lowered, derivatives, program.claims);
  const selected = options.only ? new Set(options.only) : undefined;
  const plans = selected ? all.filter((_, i) => selected.has(i)) : all;
  const claimIndices = plans.map((p) => all.indexOf(p));
  let params: CheckParams;
  try {
    params = buildCheckParams(program, lowered, derivatives, plans, {
      claimIndices,
      seed: options.seed,
      budget: options.budget,
      ...(options.fixed ? { fixed: options.fixed } : {}),
      ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}),
    });
  } catch (e) {
    // Planning folds constants too; an overflow there is the file's, not a bug.
    if (e instanceof NonFiniteConstant) throw new InputError(`${loaded.path}: ${e.message}`);
    throw e;
  }
  params.progressToken = loaded.path;
  const limit = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  const need = estimateBytes(params);
  if (need > limit) {
    const dimension = params.sampling.filter((s) => s.role === 'var').reduce((a, v) => a + v.rows * v.cols, 0);
    throw new InputError(
      `${loaded.path}: checking these claims needs about ${formatBytes(need)} of memory ` +
        `(the Hessian alone is ${dimension}² float64 entries), over the limit of ${formatBytes(limit)}; ` +
        'raise it with --memory-limit GIB (CLI) or use smaller dims',
    );
  }
  params.memoryLimitBytes = limit;
  return { loaded, options, plans, claimIndices, params, derivatives: derivativesSummary(loaded) };
}

export async function runClaims(
  client: WorkerClient,
  loaded: Loaded,
  options: RunClaimsOptions,
  cancel?: AbortSignal,
): Promise<FileOutcome> {
  return runPreparedCheck(client, prepareCheck(loaded, options), cancel);
}

/** Sends a prepared check to the worker and reads its verdicts against the file. */
export async function runPreparedCheck(client: WorkerClient, prepared: PreparedCheck, cancel?: AbortSignal): Promise<FileOutcome> {
  const { loaded, options, plans, claimIndices, params } = prepared;
  const { program, lowered } = loaded;
  let result: CheckResult;
  try {
    result = await client.check(params, cancel);
  } catch (e) {
    if (e instanceof WorkerDied)
      throw new ClaimRunFailed(
        `${loaded.path}: the worker stopped during the check (${e.message}); no claim of this file was decided. Run the command again to restart it.`,
      );
    throw e;
  }
  const byIndex = new Map(result.claims.map((c) => [c.index, c]));
  const violations = options.fixed ? domainViolations(program, options.fixed) : new Map<string, string>();
  const outsideDomain = (p: ClaimPlan): { outsideDomain?: string } => {
    const broken = [...dependencies(p, lowered.loss)].filter((n) => violations.has(n));
    return broken.length
      ? { outsideDomain: `data outside the declared domain: ${broken.map((n) => `${n} breaks ${violations.get(n)}`).join('; ')}` }
      : {};
  };
  const file = new SourceFile(loaded.path, loaded.text);
  const claims = plans.map((p, position): ClaimOutcome => {
    const claimIndex = claimIndices[position]!;
    const base = { line: file.lineCol(p.claim.span.start).line, text: p.claim.text, kind: claimKind(p), claimIndex, ...outsideDomain(p) };
    if (p.kind === 'identity' && p.proved)
      return {
        ...base,
        verdict: 'proved',
        summary: 'both sides are the same expression after canonicalisation (error probability 0)',
        evidence: { method: 'symbolic: one canonical form', errorProbability: 0 },
      };
    if (p.kind === 'unsupported') return { ...base, verdict: 'inconclusive', summary: p.message, evidence: { reason: 'unsupported' } };
    const r = byIndex.get(claimIndex);
    if (!r)
      return {
        ...base,
        verdict: 'inconclusive',
        summary: 'the worker returned no result for this claim',
        evidence: { reason: 'missing result' },
      };
    return {
      ...base,
      verdict: r.verdict,
      summary: r.summary,
      evidence: r.evidence,
      ...(r.counterexample ? { counterexample: r.counterexample } : {}),
      ...(r.plots ? { plots: r.plots } : {}),
    };
  });
  return {
    file: loaded.path,
    seed: options.seed,
    budget: options.budget,
    backend: result.backend,
    device: result.device,
    claims,
    derivatives: prepared.derivatives,
  };
}
