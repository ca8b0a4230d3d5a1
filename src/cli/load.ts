/** Reading inputs for the CLI: source files (diagnostics printed) and JSON files. */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
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
  const diagnostics = [...analysis.diagnostics];
  // No statements at all (an empty file, or only comments) is the one failure the checker stays quiet on.
  if (!loaded && !diagnostics.some((d) => d.severity === 'error'))
    diagnostics.push({
      code: 'no-loss',
      severity: 'error',
      message: 'the file has no statements: write at least a var and a loss (var x : R^d, then loss L = …)',
      span: { start: 0, end: 0 },
    });
  for (const d of diagnostics) err(`${formatDiagnostic(file, d)}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
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

/**
 * An output path (--html, --out) that can be written without harm: its directory exists, it is not
 * a directory, not a .loss source, and not one of the inputs. Checked before any work is done.
 */
export function checkOutputPath(flag: string, path: string, inputs: readonly string[]): void {
  const real = (p: string): string => (existsSync(p) ? realpathSync(p) : resolve(p));
  const target = real(path);
  if (extname(path).toLowerCase() === '.loss')
    throw new InputError(`${flag} ${path}: refusing to write over a .loss file (give the output a name such as report.html)`);
  if (inputs.some((i) => real(i) === target)) throw new InputError(`${flag} ${path}: that is an input file; refusing to overwrite it`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${flag} ${path}: the directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`${flag} ${path}: that is a directory, not a file`);
}

/** Writes an output file; a failure (permissions, a full disk) is an input error with the reason. */
export function writeOutput(flag: string, path: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    throw new InputError(`${flag} ${path}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
