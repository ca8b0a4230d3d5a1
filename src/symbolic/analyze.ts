/** One entry point from source text to derivatives: parse, check, lower, differentiate. */
import { typecheckSource } from '../language/typecheck';
import type { Diagnostic, Span } from '../language/diagnostics';
import type { CheckedProgram } from '../language/typed';
import { Graph, NonFiniteConstant, UnsupportedError } from './ir';
import { type Derivatives, Lowering, type LoweredProgram, derive, lowerProgram } from './lower';

export interface Analysis {
  diagnostics: Diagnostic[];
  program: CheckedProgram;
  /** Present when the file has no errors. */
  lowered?: LoweredProgram;
  derivatives?: Derivatives;
}

export function analyze(text: string, overrides?: ReadonlyMap<string, number>): Analysis {
  const { program, diagnostics } = typecheckSource(text, overrides);
  if (diagnostics.some((d) => d.severity === 'error') || !program.loss) return { diagnostics, program };
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
    else if (e instanceof UnsupportedError)
      diagnostics.push({ code: 'not-differentiable', severity: 'error', message: e.message, span: loss.span });
    else throw e;
    return { diagnostics, program, lowered };
  }
  // Claims are lowered again when they are checked; here only to report constants that overflow.
  const lowering = new Lowering(lowered.graph, lowered.defs).withDerivatives(lowered, derivatives);
  for (const claim of program.claims) {
    const sides = claim.kind === 'compare' ? [claim.lhs, claim.rhs] : claim.kind === 'definite' ? [claim.subject] : [claim.of, claim.bound];
    try {
      for (const side of sides) lowering.lower(side);
    } catch (e) {
      if (e instanceof NonFiniteConstant) nonFinite(e, claim.span);
      else if (!(e instanceof UnsupportedError)) throw e;
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, program, lowered };
  return { diagnostics, program, lowered, derivatives };
}
