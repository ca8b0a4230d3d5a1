/** The `derivlens` command line: derive, eval and check. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shapeText } from '../language/shape';
import { BACKEND_CHOICES, type BackendChoice, type ConnectedWorker, type WorkerPaths, connectWorker } from '../numeric/backends';
import type { ProgressParams } from '../numeric/protocol';
import { DerivativePlan } from '../numeric/point';
import type { Budget } from '../numeric/protocol';
import { topoOrder } from '../symbolic/ir';
import { ALMOST_EVERYWHERE } from '../symbolic/ops';
import {
  ClaimRunFailed,
  type FileOutcome,
  type PreparedCheck,
  definitionSummary,
  derivativesSummary,
  domainViolations,
  prepareCheck,
  runClaims,
  runPreparedCheck,
} from '../app/runClaims';
import { SourceFile } from '../language/diagnostics';
import { derivedClaims, writtenInLatex } from '../app/derivedClaims';
import { exportLatex, exportPython } from '../app/export';
import { InputError, type Loaded, dataFor } from '../app/load';
import { type SweepGrid, type SweepOutcome, parseSweep, runSweep, validateSweep } from '../app/sweep';
import { formatOutcome, formatSweep } from '../app/text';
import { progressBar, writeReport } from './format';
import { checkOutputPath, hasErrors, load, readJson, writeOutput } from './load';

const USAGE = `usage:
  derivlens derive FILE [--json] [--of NAME] [--claims]
  derivlens eval FILE --data DATA.json --at POINT.json [--json]
  derivlens export FILE --latex|--numpy|--jax [--out PATH] [--no-check] [--seed N] [--budget …] [--backend …]
  derivlens check FILE... [--json] [--html REPORT.html] [--seed N] [--budget quick|default|thorough|N]
                          [--data DATA.json] [--time-limit SECONDS] [--memory-limit GIB]
                          [--sweep "n in [8, 16], R in [1, 2]"] [--backend cpu|python|auto]

--backend python runs checks in the Python worker (PyTorch on CUDA when present, else JAX, else
NumPy; interpreter from DERIVLENS_PYTHON, default python3); auto uses it only with a GPU.

Exit codes: 0 success (check: nothing refuted), 1 some claim refuted, 2 input errors
(diagnostics on stderr), 3 internal failure (e.g. the worker stopped).`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where dist/ lives: the worker bundle and report assets. */
  distDir: string;
  /** Stderr is a terminal: show a progress bar. */
  tty?: boolean;
}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'derive':
        return deriveCommand(rest, io);
      case 'eval':
        return evalCommand(rest, io);
      case 'check':
        return await checkCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new InputError(`unknown command '${command}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`derivlens: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ClaimRunFailed) {
      io.err(`derivlens: ${e.message}\n`);
      return 3;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`derivlens: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}

function deriveCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, of: { type: 'string' }, claims: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InputError(`derive takes one FILE\n${USAGE}`);
  if (values.claims && (values.json || values.of)) throw new InputError('derive --claims takes neither --json nor --of');
  const a = load(positionals[0]!, io.err);
  if (!a) return 2;
  if (values.claims) {
    // Statements to append to the file: `derivlens check` then proves each one.
    io.out(`${derivedClaims(a.lowered, a.derivatives, writtenInLatex(a.text)).join('\n')}\n`);
    return hasErrors(a) ? 2 : 0;
  }
  if (values.of) {
    const d = definitionSummary(a, values.of);
    if (values.json) io.out(`${JSON.stringify(d, null, 2)}\n`);
    else {
      const lines = [
        ...d.first.map((f) => `${f.kind}_${f.wrt} ${d.of} = ${f.ascii}`),
        ...d.hess.map((h) => `hess_{${h.wrt.join(',')}} ${d.of} = ${h.ascii}`),
        ...(d.definitions.length > 0 ? ['', 'where', ...d.definitions.map((def) => `  ${def.name} = ${def.ascii}`)] : []),
        '',
        'LaTeX:',
        ...d.first.map(
          (f) =>
            `  ${f.kind === 'grad' ? `\\nabla_{${f.wrt}}` : `\\frac{\\partial ${d.of}}{\\partial ${f.wrt}^{\\top}}`} ${f.kind === 'grad' ? `${d.of} ` : ''}= ${f.latex}`,
        ),
        ...d.hess.map((h) => `  \\nabla^2_{${h.wrt.join(',')}} ${d.of} = ${h.latex}`),
        ...d.definitions.map((def) => `  ${def.latex}`),
      ];
      io.out(`${lines.join('\n')}\n`);
    }
    return hasErrors(a) ? 2 : 0;
  }
  const { lowered, derivatives } = a;
  const d = derivativesSummary(a);
  const roots = [lowered.loss, ...derivatives.grads, ...derivatives.hess.flat()];
  const aeFunctions = [...new Set(topoOrder(roots).flatMap((n) => (n.kind === 'fn' && ALMOST_EVERYWHERE.has(n.fn) ? [n.fn] : [])))];
  if (values.json) {
    const variables = lowered.vars.map((v) => ({ name: v.kind === 'var' ? v.name : '', shape: shapeText(v.shape) }));
    const json = {
      variables,
      loss: { name: lowered.lossName, ...d.loss },
      grad: d.grad,
      hess: d.hess,
      ...(d.hessBlocks ? { hessBlocks: d.hessBlocks } : {}),
      definitions: d.definitions,
      almostEverywhere: aeFunctions,
    };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
    return hasErrors(a) ? 2 : 0;
  }
  const L = lowered.lossName;
  const lines: string[] = [`loss ${L} = ${d.loss.ascii}`, ''];
  for (const g of d.grad) lines.push(`grad_${g.wrt} ${L} = ${g.ascii}`);
  lines.push('');
  if (d.hess.length > 1)
    lines.push(
      `hess ${L} = [ ${lowered.vars.map((r) => lowered.vars.map((c) => `H_${r.kind === 'var' ? r.name : ''}${c.kind === 'var' ? c.name : ''}`).join(', ')).join(' ; ')} ]  (blocks:)`,
    );
  for (const h of d.hess)
    lines.push(
      `${d.hess.length > 1 ? `  H_${h.wrt.join('')} = hess_{${h.wrt.join(',')}} ${L}` : `hess_{${h.wrt.join(',')}} ${L}`} = ${h.ascii}`,
    );
  if (d.definitions.length > 0) {
    lines.push('', 'where');
    for (const def of d.definitions) lines.push(`  ${def.name} = ${def.ascii}`);
  }
  if (aeFunctions.length > 0)
    lines.push(
      '',
      `note: ${aeFunctions.join(', ')} ${aeFunctions.length === 1 ? 'is' : 'are'} differentiated almost everywhere (kinks where the argument is 0)`,
    );
  lines.push('', 'LaTeX:', `  ${L} = ${d.loss.latex}`);
  for (const g of d.grad) lines.push(`  \\nabla_{${g.wrt}} ${L} = ${g.latex}`);
  if (d.hessBlocks) {
    lines.push(`  ${d.hessBlocks}`);
    for (const h of d.hess) lines.push(`  H_{${h.wrt.join('')}} = ${h.latex}`);
  } else {
    for (const h of d.hess) lines.push(`  \\nabla^2_{${h.wrt.join(',')}} ${L} = ${h.latex}`);
  }
  for (const def of d.definitions) lines.push(`  ${def.latex}`);
  io.out(`${lines.join('\n')}\n`);
  return hasErrors(a) ? 2 : 0;
}

function evalCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, data: { type: 'string' }, at: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InputError(`eval takes one FILE\n${USAGE}`);
  if (!values.at) throw new InputError('eval needs --at POINT.json (values of the vars)');
  const a = load(positionals[0]!, io.err);
  if (!a) return 2;
  // A counterexample file holds givens and vars together, so either file may name either kind.
  const data = { ...(values.data ? readJson(values.data) : {}), ...readJson(values.at) };
  const inputs = dataFor(a.program, data, values.data ? `${values.data} + ${values.at}` : values.at, 'none');
  for (const d of [...a.program.givens, ...a.program.vars]) {
    if (!inputs.has(d.name))
      throw new InputError(
        `no value for ${a.program.vars.includes(d) ? 'var' : 'given'} '${d.name}' (${shapeText(d.shape)}) in ${values.data ?? '--data'} or ${values.at}`,
      );
  }
  const r = new DerivativePlan(a.lowered, a.derivatives).evaluate(inputs);
  const hessRows = Array.from({ length: r.n }, (_, i) => Array.from(r.hess.subarray(i * r.n, (i + 1) * r.n)));
  const nonFinite = [
    !Number.isFinite(r.loss) && 'loss',
    r.grad.some((v) => !Number.isFinite(v)) && 'grad',
    r.hess.some((v) => !Number.isFinite(v)) && 'hess',
  ].filter(Boolean);
  if (values.json) {
    // JSON has no NaN/Infinity: non-finite entries become null and are named on stderr.
    io.out(
      `${JSON.stringify({ loss: r.loss, grad: Array.from(r.grad), hess: hessRows }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`,
    );
  } else {
    io.out(
      `loss = ${r.loss}\ngrad = [${Array.from(r.grad).join(', ')}]\nhess =\n${hessRows.map((row) => `  [${row.join(', ')}]`).join('\n')}\n`,
    );
  }
  if (nonFinite.length > 0) io.err(`derivlens: warning: non-finite values (NaN or Inf) in ${nonFinite.join(', ')}\n`);
  return hasErrors(a) ? 2 : 0;
}

function parseBudget(s: string | undefined): Budget {
  if (s === undefined) return 'default';
  if (s === 'quick' || s === 'default' || s === 'thorough') return s;
  const n = Number(s);
  if (Number.isInteger(n) && n >= 1 && n <= 100000) return n;
  throw new InputError(`--budget must be quick, default, thorough or a point count (1..100000), not '${s}'`);
}

function parseSeed(s: string | undefined): number {
  if (s === undefined) return Math.floor(Math.random() * 2 ** 31);
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new InputError(`--seed must be a whole number in 0..4294967295, not '${s}'`);
  return n;
}

function workerPaths(io: Io): WorkerPaths {
  return {
    node: { command: process.execPath, args: [join(io.distDir, 'worker.js')] },
    pythonEvaluator: join(io.distDir, '..', 'python', 'evaluator.py'),
    python: process.env['DERIVLENS_PYTHON'] || 'python3',
  };
}

function parseBackend(s: string | undefined): BackendChoice {
  if (s === undefined) return 'cpu';
  if (!(BACKEND_CHOICES as readonly string[]).includes(s))
    throw new InputError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, not '${s}'`);
  return s as BackendChoice;
}

/** Starts the chosen worker; a Python that cannot start is said once, and the CPU worker runs. */
async function startWorker(choice: BackendChoice, io: Io, onProgress?: (p: ProgressParams) => void): Promise<ConnectedWorker> {
  const worker = await connectWorker(choice, workerPaths(io), onProgress);
  if (worker.fallback) io.err(`derivlens: ${worker.fallback}\n`);
  return worker;
}

interface LoadedInputs {
  loaded: Loaded[];
  /** Each file's givens fixed by --data. */
  fixedData: Map<Loaded, Map<string, Float64Array>>;
}

/** Reads, analyses and validates every input of `check`; undefined when one has errors (already reported). */
function loadInputs(
  paths: string[],
  io: Io,
  sweepGrid: SweepGrid | undefined,
  dataPath: string | undefined,
  data: Record<string, unknown> | undefined,
): LoadedInputs | undefined {
  const loaded: Loaded[] = [];
  let inputErrors = false;
  for (const path of paths) {
    const l = load(path, io.err);
    if (l) loaded.push(l);
    else inputErrors = true;
  }
  if (inputErrors) return undefined;
  if (sweepGrid) for (const l of loaded) validateSweep(sweepGrid, l.program, l.path);
  const fixedData = new Map<Loaded, Map<string, Float64Array>>();
  for (const l of loaded) {
    const fixed = data ? dataFor(l.program, data, dataPath!, 'none') : new Map<string, Float64Array>();
    fixedData.set(l, fixed);
    const file = new SourceFile(l.path, l.text);
    for (const [name, broken] of domainViolations(l.program, fixed)) {
      const decl = [...l.program.givens, ...l.program.vars].find((d) => d.name === name)!;
      io.err(
        `derivlens: warning: ${dataPath}: ${name} breaks ${broken}, declared at ${l.path}:${file.lineCol(decl.span.start).line}; ` +
          'verdicts that depend on it are marked "data outside the declared domain"\n',
      );
    }
  }
  return { loaded, fixedData };
}

async function checkCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      html: { type: 'string' },
      seed: { type: 'string' },
      budget: { type: 'string' },
      data: { type: 'string' },
      'time-limit': { type: 'string' },
      sweep: { type: 'string' },
      'memory-limit': { type: 'string' },
      backend: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new InputError(`check takes one or more FILEs\n${USAGE}`);
  const backend = parseBackend(values.backend);
  const seed = parseSeed(values.seed);
  const budget = parseBudget(values.budget);
  const timeLimit = values['time-limit'] === undefined ? undefined : Number(values['time-limit']);
  if (timeLimit !== undefined && !(timeLimit > 0)) throw new InputError(`--time-limit must be a positive number of seconds`);
  const memoryGiB = values['memory-limit'] === undefined ? undefined : Number(values['memory-limit']);
  if (memoryGiB !== undefined && !(memoryGiB > 0)) throw new InputError('--memory-limit must be a positive number of GiB');
  const memory = memoryGiB ? { memoryLimitBytes: memoryGiB * 2 ** 30 } : {};
  // Every input is checked before any work, so a bad one writes nothing.
  if (values.html) checkOutputPath('--html', values.html, [...positionals, ...(values.data ? [values.data] : [])]);
  const data = values.data ? readJson(values.data) : undefined;
  const sweepGrid = values.sweep ? parseSweep(values.sweep) : undefined;
  let claimsInFile = 1;
  const bar = io.tty && !values.json ? progressBar(io.err) : undefined;
  // The worker boots (a process, its bundle, the WebAssembly kernels) while the files are analysed.
  const starting = startWorker(backend, io, (p) => bar?.update(p, claimsInFile));
  starting.catch(() => {}); // awaited below; this only keeps a failure during analysis from being "unhandled"
  const stopUnused = (): void =>
    void starting.then(
      ({ client }) => client.stop(),
      () => {},
    );
  let inputs: LoadedInputs | undefined;
  try {
    inputs = loadInputs(positionals, io, sweepGrid, values.data, data);
  } catch (e) {
    stopUnused();
    throw e;
  }
  if (!inputs) {
    stopUnused();
    return 2;
  }
  const { loaded, fixedData } = inputs;
  // Planned while the worker starts; a file that cannot be checked stops everything before any check.
  let prepared: PreparedCheck[];
  try {
    prepared = loaded.map((l) =>
      prepareCheck(l, { seed, budget, fixed: fixedData.get(l)!, ...memory, ...(timeLimit ? { timeLimitMs: timeLimit * 1000 } : {}) }),
    );
  } catch (e) {
    stopUnused();
    throw e;
  }
  const { client } = await starting;
  const outcomes: FileOutcome[] = [];
  const failed: string[] = [];
  try {
    for (const p of prepared) {
      const l = p.loaded;
      claimsInFile = l.program.claims.length;
      try {
        outcomes.push(await runPreparedCheck(client, p));
      } catch (e) {
        // Earlier files keep their verdicts; the next file gets a fresh worker.
        if (!(e instanceof ClaimRunFailed)) throw e;
        bar?.done();
        io.err(`derivlens: ${e.message}\n`);
        failed.push(l.path);
      }
      bar?.done();
    }
  } finally {
    bar?.done();
    await client.stop();
  }
  const sweeps: SweepOutcome[] = [];
  for (const l of loaded) {
    const fileGrid = l.program.sweep
      ? { names: l.program.sweep.map((s) => s.name), values: l.program.sweep.map((s) => s.values) }
      : undefined;
    const grid = sweepGrid ?? fileGrid;
    if (!grid) continue;
    const abort = new AbortController();
    const onInt = (): void => abort.abort();
    process.once('SIGINT', onInt);
    const { client: sweepClient } = await startWorker(backend, io);
    try {
      sweeps.push(
        await runSweep(
          sweepClient,
          l.path,
          l.text,
          grid,
          { seed, budget },
          (done, total, at) => {
            if (io.tty && !values.json)
              io.err(
                `\r\x1b[Ksweep ${l.path}: ${done}/${total} ${Object.entries(at)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')}`,
              );
          },
          abort.signal,
        ),
      );
    } finally {
      process.off('SIGINT', onInt);
      if (io.tty && !values.json) io.err('\r\x1b[K');
      await sweepClient.stop();
    }
  }
  if (values.json) {
    const json = outcomes.map((o) => ({
      file: o.file,
      seed: o.seed,
      budget: o.budget,
      backend: o.backend,
      device: o.device,
      claims: o.claims.map(({ plots: _p, claimIndex: _i, ...c }) => c),
      derivatives: o.derivatives,
    }));
    const withSweeps = json.map((j) => ({
      ...j,
      ...(sweeps.find((s) => s.file === j.file) ? { sweep: sweeps.find((s) => s.file === j.file) } : {}),
    }));
    io.out(`${JSON.stringify(withSweeps.length === 1 ? withSweeps[0] : withSweeps, null, 2)}\n`);
  } else {
    io.out(`${outcomes.map(formatOutcome).join('\n\n')}\n`);
    for (const s of sweeps) io.out(`\n${formatSweep(s)}\n`);
  }
  if (values.html) {
    const html = values.html;
    writeOutput('--html', html, () => writeReport(html, outcomes, io.distDir, sweeps));
    if (!values.json) io.out(`report: ${values.html}\n`);
  }
  const refuted =
    outcomes.some((o) => o.claims.some((c) => c.verdict === 'refuted')) || sweeps.some((s) => s.claims.some((c) => c.violatedAt > 0));
  if (failed.length > 0) return 3;
  if (loaded.some(hasErrors)) return 2;
  return refuted ? 1 : 0;
}

async function exportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      latex: { type: 'boolean' },
      numpy: { type: 'boolean' },
      jax: { type: 'boolean' },
      out: { type: 'string' },
      'no-check': { type: 'boolean' },
      seed: { type: 'string' },
      budget: { type: 'string' },
      backend: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InputError(`export takes one FILE\n${USAGE}`);
  const formats = (['latex', 'numpy', 'jax'] as const).filter((f) => values[f]);
  if (formats.length !== 1) throw new InputError('export needs exactly one of --latex, --numpy, --jax');
  if (values.out) checkOutputPath('--out', values.out, positionals);
  const l = load(positionals[0]!, io.err);
  if (!l) return 2;
  let text: string;
  if (formats[0] === 'latex') {
    let outcome: FileOutcome | undefined;
    if (!values['no-check'] && l.program.claims.length > 0) {
      const { client } = await startWorker(parseBackend(values.backend), io);
      try {
        outcome = await runClaims(client, l, { seed: parseSeed(values.seed), budget: parseBudget(values.budget) });
      } finally {
        await client.stop();
      }
    }
    text = exportLatex(l, outcome);
  } else {
    text = exportPython(l, formats[0]!);
  }
  if (values.out) {
    const out = values.out;
    writeOutput('--out', out, () => writeFileSync(out, text));
    io.out(`wrote ${values.out}\n`);
  } else io.out(text);
  return hasErrors(l) ? 2 : 0;
}
