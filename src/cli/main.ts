/** The `derivlens` command line: derive and eval (check arrives with the worker). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Diagnostic, SourceFile, formatDiagnostic } from '../language/diagnostics';
import { shapeText } from '../language/shape';
import { DataError, fromJson } from '../numeric/data';
import { DerivativePlan } from '../numeric/point';
import { type Analysis, analyze } from '../symbolic/analyze';
import { ASCII, LATEX, printBundle } from '../symbolic/print';
import { ALMOST_EVERYWHERE } from '../symbolic/rules';
import { topoOrder } from '../symbolic/ir';

const USAGE = `usage:
  derivlens derive FILE [--json]
  derivlens eval FILE --data DATA.json --at POINT.json [--json]

Exit codes: 0 success, 2 input errors (diagnostics on stderr).`;

class InputError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): number {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'derive':
        return deriveCommand(rest, io);
      case 'eval':
        return evalCommand(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new InputError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof InputError || e instanceof DataError) {
      io.err(`derivlens: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`derivlens: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function readJson(path: string): Record<string, unknown> {
  const text = readText(path);
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${path}: expected a JSON object mapping names to values`);
    return v as Record<string, unknown>;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Analyse a file; print diagnostics; undefined when it has errors. */
function load(path: string, io: Io): Required<Pick<Analysis, 'lowered' | 'derivatives'>> & Analysis | undefined {
  const text = readText(path);
  const analysis = analyze(text);
  const file = new SourceFile(path, text);
  const report = (ds: Diagnostic[]): void => ds.forEach((d) => io.err(`${formatDiagnostic(file, d)}\n`));
  report(analysis.diagnostics);
  if (!analysis.lowered || !analysis.derivatives) {
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`${path}: ${errors} error${errors === 1 ? '' : 's'}\n`);
    return undefined;
  }
  return analysis as Required<Pick<Analysis, 'lowered' | 'derivatives'>> & Analysis;
}

function deriveCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new InputError(`derive takes one FILE\n${USAGE}`);
  const a = load(positionals[0]!, io);
  if (!a) return 2;
  const { lowered, derivatives } = a;
  const g = lowered.graph;
  const vars = lowered.vars.map((v) => (v.kind === 'var' ? v.name : ''));
  const roots = [lowered.loss, ...derivatives.grads, ...derivatives.hess.flat()];
  const ascii = printBundle(ASCII, roots, g.names);
  const latex = printBundle(LATEX, roots, g.names);
  const aeFunctions = [...new Set(topoOrder(roots).flatMap((n) => (n.kind === 'fn' && ALMOST_EVERYWHERE.has(n.fn) ? [n.fn] : [])))];
  const k = vars.length;
  const block = (i: number) => ({ ascii: ascii.roots[i]!, latex: latex.roots[i]! });
  const result = {
    variables: lowered.vars.map((v, i) => ({ name: vars[i]!, shape: shapeText(v.shape) })),
    loss: { name: lowered.lossName, ...block(0) },
    grad: vars.map((name, i) => ({ wrt: name, ...block(1 + i) })),
    hess: vars.flatMap((r, i) => vars.map((c, j) => ({ wrt: [r, c], ...block(1 + k + i * k + j) }))),
    definitions: ascii.definitions.map((d, i) => ({ name: d.name, ascii: d.text, latexName: latex.definitions[i]!.name, latex: latex.definitions[i]!.text })),
    almostEverywhere: aeFunctions,
  };
  if (values.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`loss ${lowered.lossName} = ${result.loss.ascii}`, '');
  for (const gr of result.grad) lines.push(`grad_${gr.wrt} ${lowered.lossName} = ${gr.ascii}`);
  lines.push('');
  for (const h of result.hess) lines.push(`hess_{${h.wrt.join(',')}} ${lowered.lossName} = ${h.ascii}`);
  if (result.definitions.length > 0) {
    lines.push('', 'where');
    for (const d of result.definitions) lines.push(`  ${d.name} = ${d.ascii}`);
  }
  if (aeFunctions.length > 0) lines.push('', `note: ${aeFunctions.join(', ')} ${aeFunctions.length === 1 ? 'is' : 'are'} differentiated almost everywhere (kinks where the argument is 0)`);
  lines.push('', 'LaTeX:');
  lines.push(`  ${lowered.lossName} = ${result.loss.latex}`);
  for (const gr of result.grad) lines.push(`  \\nabla_{${gr.wrt}} ${lowered.lossName} = ${gr.latex}`);
  for (const h of result.hess) lines.push(`  \\nabla^2_{${h.wrt.join(',')}} ${lowered.lossName} = ${h.latex}`);
  for (const d of result.definitions) lines.push(`  ${d.latexName} = ${d.latex}`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

function evalCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, data: { type: 'string' }, at: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InputError(`eval takes one FILE\n${USAGE}`);
  if (!values.at) throw new InputError('eval needs --at POINT.json (values of the vars)');
  const a = load(positionals[0]!, io);
  if (!a) return 2;
  const data = values.data ? readJson(values.data) : {};
  const point = readJson(values.at);
  const inputs = new Map<string, Float64Array>();
  for (const decl of a.program.givens) {
    if (!(decl.name in data)) throw new InputError(`${values.data ?? '--data'}: no value for given '${decl.name}' (${shapeText(decl.shape)})`);
    inputs.set(decl.name, fromJson(decl.name, data[decl.name], decl.shape));
  }
  for (const decl of a.program.vars) {
    if (!(decl.name in point)) throw new InputError(`${values.at}: no value for var '${decl.name}' (${shapeText(decl.shape)})`);
    inputs.set(decl.name, fromJson(decl.name, point[decl.name], decl.shape));
  }
  const plan = new DerivativePlan(a.lowered, a.derivatives);
  const r = plan.evaluate(inputs);
  const hessRows = Array.from({ length: r.n }, (_, i) => Array.from(r.hess.subarray(i * r.n, (i + 1) * r.n)));
  const nonFinite = [!Number.isFinite(r.loss) && 'loss', r.grad.some((v) => !Number.isFinite(v)) && 'grad', r.hess.some((v) => !Number.isFinite(v)) && 'hess'].filter(Boolean);
  if (values.json) {
    // JSON has no NaN/Infinity: non-finite entries become null and are named on stderr.
    io.out(`${JSON.stringify({ loss: r.loss, grad: Array.from(r.grad), hess: hessRows }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  } else {
    io.out(`loss = ${r.loss}\ngrad = [${Array.from(r.grad).join(', ')}]\nhess =\n${hessRows.map((row) => `  [${row.join(', ')}]`).join('\n')}\n`);
  }
  if (nonFinite.length > 0) io.err(`derivlens: warning: non-finite values (NaN or Inf) in ${nonFinite.join(', ')}\n`);
  return 0;
}
