/** From source text to a checkable file, and JSON data to typed arrays; shared by the surfaces. */
import type { CheckedProgram } from '../language/typed';
import { DataError, fromJson } from '../numeric/data';
import { type Analysis, analyze } from '../symbolic/analyze';
import type { Derivatives, LoweredProgram } from '../symbolic/lower';

export class InputError extends Error {}

export interface Loaded {
  path: string;
  text: string;
  analysis: Analysis;
  program: CheckedProgram;
  lowered: LoweredProgram;
  derivatives: Derivatives;
}

/** Analyses a document; `loaded` is absent when it has errors (see analysis.diagnostics). */
export function analyzeDocument(
  path: string,
  text: string,
  overrides?: ReadonlyMap<string, number>,
): { analysis: Analysis; loaded?: Loaded } {
  const analysis = analyze(text, overrides);
  if (!analysis.lowered || !analysis.derivatives) return { analysis };
  return {
    analysis,
    loaded: { path, text, analysis, program: analysis.program, lowered: analysis.lowered, derivatives: analysis.derivatives },
  };
}

/** Values from a data file for the declarations it names; `required` ones must be present. */
export function dataFor(
  program: CheckedProgram,
  data: Record<string, unknown>,
  source: string,
  required: 'givens' | 'vars' | 'none',
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const decls = [...program.givens, ...program.vars];
  for (const key of Object.keys(data)) {
    if (!decls.some((d) => d.name === key)) throw new InputError(`${source}: '${key}' is not a given or var of this file`);
  }
  for (const d of decls) {
    if (d.name in data) {
      try {
        out.set(d.name, fromJson(d.name, data[d.name], d.shape));
      } catch (e) {
        if (e instanceof DataError) throw new InputError(`${source}: ${e.message}`);
        throw e;
      }
    }
  }
  const must = required === 'givens' ? program.givens : required === 'vars' ? program.vars : [];
  for (const d of must)
    if (!out.has(d.name)) throw new InputError(`${source}: no value for ${required === 'givens' ? 'given' : 'var'} '${d.name}'`);
  return out;
}
