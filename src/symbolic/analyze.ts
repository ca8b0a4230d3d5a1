/** One entry point from source text to derivatives: parse, check, lower, differentiate, plan the claims. */
import { typecheckSource } from '../language/typecheck';
import type { Diagnostic, Span } from '../language/diagnostics';
import type { CheckedProgram } from '../language/typed';
import { type ClaimPlan, planClaims } from './claims';
import { Graph, NonFiniteConstant, UnsupportedError } from './ir';
import { type Derivatives, type LoweredProgram, derive, lowerProgram } from './lower';
import { FUNCTIONS } from './ops';

export interface Analysis {
  diagnostics: Diagnostic[];
  program: CheckedProgram;
  /** Present when the file has no errors outside its claims (an ill-typed claim costs only itself). */
  lowered?: LoweredProgram;
  derivatives?: Derivatives;
  /** One plan per claim of program.claims; those that cannot be checked are also diagnostics. */
  plans?: ClaimPlan[];
}

export function analyze(text: string, overrides?: ReadonlyMap<string, number>): Analysis {
  const { program, diagnostics } = typecheckSource(text, FUNCTIONS, overrides);
  if (diagnostics.some((d) => d.severity === 'error' && !d.claimOnly) || !program.loss) return { diagnostics, program };
  const loss = program.loss;
  const nonFinite = (e: NonFiniteConstant, fallback: Span, what = ''): void => {
    diagnostics.push({ code: 'non-finite-constant', severity: 'error', message: `${what}${e.message}`, span: e.span ?? fallback });
  };
  let lowered: LoweredProgram;
  try {
    lowered = lowerProgram(new Graph(), program);
  } catch (e) {
    if (!(e instanceof NonFiniteConstant)) throw e;
    nonFinite(e, loss.span);
    return { diagnostics, program };
  }
  let derivatives: Derivatives;
  try {
    derivatives = derive(lowered);
  } catch (e) {
    if (e instanceof NonFiniteConstant) nonFinite(e, loss.span, 'differentiating the loss: ');
    else if (e instanceof UnsupportedError) {
      const span = (e.node && lowered.graph.spans.get(e.node.id)) ?? loss.span;
      diagnostics.push({ code: 'not-differentiable', severity: 'error', message: e.message, span });
    } else throw e;
    return { diagnostics, program, lowered };
  }
  const plans = planClaims(lowered, derivatives, program.claims);
  for (const p of plans)
    if (p.kind === 'unsupported') diagnostics.push({ code: p.code, severity: 'error', message: p.message, span: p.span, claimOnly: true });
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  return { diagnostics, program, lowered, derivatives, plans };
}
