/** Reading inputs for the CLI: source files (diagnostics printed) and JSON files. */
import { readFileSync } from 'node:fs';
import { type Loaded, InputError, analyzeDocument } from '../app/load';
import { SourceFile, formatDiagnostic } from '../language/diagnostics';

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
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InputError(`${path}: expected a JSON object mapping names to values`);
  return v as Record<string, unknown>;
}

/**
 * Analyses a file and prints its diagnostics; undefined when it has errors outside its claims (an
 * ill-typed claim costs only itself: the file still loads, and `hasErrors` says the input had errors).
 */
export function load(path: string, err: (s: string) => void): Loaded | undefined {
  const text = readText(path);
  const { analysis, loaded } = analyzeDocument(path, text);
  const file = new SourceFile(path, text);
  for (const d of analysis.diagnostics) err(`${formatDiagnostic(file, d)}\n`);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0)
    err(
      `${path}: ${errors} error${errors === 1 ? '' : 's'}${loaded ? ' (in claims, which are left out; the rest of the file is used)' : ''}\n`,
    );
  return loaded;
}

/** Did the file have input errors (even if only in claims)? The command then exits 2 after doing what it can. */
export function hasErrors(loaded: Loaded): boolean {
  return loaded.analysis.diagnostics.some((d) => d.severity === 'error');
}
