/** One entry point from source text to derivatives: parse, check, lower, differentiate. */
import { typecheckSource } from '../language/typecheck';
import type { Diagnostic } from '../language/diagnostics';
import type { CheckedProgram } from '../language/typed';
import { Graph, UnsupportedError } from './ir';
import { type Derivatives, type LoweredProgram, derive, lowerProgram } from './lower';

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
  const lowered = lowerProgram(new Graph(), program);
  try {
    const derivatives = derive(lowered);
    return { diagnostics, program, lowered, derivatives };
  } catch (e) {
    if (!(e instanceof UnsupportedError)) throw e;
    diagnostics.push({ code: 'not-differentiable', severity: 'error', message: e.message, span: program.loss.span });
    return { diagnostics, program, lowered };
  }
}
