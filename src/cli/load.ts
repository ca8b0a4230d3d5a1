/** Reading inputs for the CLI: source files (with diagnostics printed) and JSON data. */
import { readFileSync } from 'node:fs';
import { SourceFile, formatDiagnostic } from '../language/diagnostics';
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

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function readJson(path: string): Record<string, unknown> {
  const text = readText(path);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${path}: expected a JSON object mapping names to values`);
  return v as Record<string, unknown>;
}

/** Analyses a file and prints its diagnostics; undefined when it has errors. */
export function load(path: string, err: (s: string) => void): Loaded | undefined {
  const text = readText(path);
  const analysis = analyze(text);
  const file = new SourceFile(path, text);
  for (const d of analysis.diagnostics) err(`${formatDiagnostic(file, d)}\n`);
  if (!analysis.lowered || !analysis.derivatives) {
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
    err(`${path}: ${errors} error${errors === 1 ? '' : 's'}\n`);
    return undefined;
  }
  return { path, text, analysis, program: analysis.program, lowered: analysis.lowered, derivatives: analysis.derivatives };
}

/** Values from a data file for the declarations it names; `required` ones must be present. */
export function dataFor(program: CheckedProgram, data: Record<string, unknown>, source: string, required: 'givens' | 'vars' | 'none'): Map<string, Float64Array> {
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
  for (const d of must) if (!out.has(d.name)) throw new InputError(`${source}: no value for ${required === 'givens' ? 'given' : 'var'} '${d.name}'`);
  return out;
}
