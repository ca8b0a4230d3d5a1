/**
 * Exports: the generated NumPy and JAX modules agree with `derivlens eval` on every example, and the
 * LaTeX snippet compiles with a stock pdflatex.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { toJson } from '../src/numeric/data';
import { buildCheckParams } from '../src/numeric/request';
import { Sampler, irCentre } from '../src/numeric/sampling';
import { capture } from './cli';
import { analyzeOk } from './helpers';

const examples = readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort();
const hasModule = (m: string): boolean => spawnSync('python3', ['-c', `import ${m}`]).status === 0;

/** A point in the file's domain as eval's JSON (givens and vars together). */
function pointFor(text: string, seed: number): Record<string, unknown> {
  const a = analyzeOk(text);
  // The check request has the IR of every ball's centre; the sampler evaluates them.
  const params = buildCheckParams(a.program, a.lowered, a.derivatives, [], { seed, budget: 'quick' });
  const specs = params.sampling;
  const p = new Sampler(specs, seed, irCentre(params.ir)).draw(seed);
  return Object.fromEntries(
    specs.map((s) => [
      s.name,
      toJson(p.get(s.name)!, { rows: { value: s.rows, factors: {}, coef: s.rows }, cols: { value: s.cols, factors: {}, coef: s.cols } }),
    ]),
  );
}

/** Runs every exported module on its point in one process (JAX is imported once, not per example). */
const DRIVER = `
import importlib.util, json, sys
import numpy
results = []
for module, point, names in json.load(open(sys.argv[1])):
    spec = importlib.util.spec_from_file_location("exported", module)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    args = json.load(open(point))
    vals = [args[n] for n in names.split(",")]
    results.append({"loss": float(mod.loss(*vals)), "grad": numpy.asarray(mod.grad(*vals)).tolist(), "hess": numpy.asarray(mod.hess(*vals)).tolist()})
print(json.dumps(results))
`;

function relErr(a: number[], b: number[]): number {
  let d = 0;
  let n = 0;
  a.forEach((v, i) => {
    d += (v - b[i]!) ** 2;
    n += b[i]! ** 2;
  });
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-300);
}

for (const flavor of ['numpy', 'jax'] as const) {
  test(`--${flavor} modules agree with derivlens eval on every example`, { timeout: 300_000 }, async (t) => {
    if (!hasModule(flavor)) {
      if (process.env['CI']) assert.fail(`python3 cannot import ${flavor}; .ci/run installs it`);
      t.skip(`python3 cannot import ${flavor} here`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), `derivlens-${flavor}-`));
    const driver = join(dir, 'driver.py');
    writeFileSync(driver, DRIVER);
    const cases: {
      file: string;
      module: string;
      point: string;
      names: string;
      ours: { loss: number; grad: number[]; hess: number[][] };
    }[] = [];
    for (const file of examples) {
      const path = join('examples', file);
      const text = readFileSync(path, 'utf8');
      const module = join(dir, `${file.replace(/\W/g, '_')}.py`);
      const ex = await capture(['export', path, `--${flavor}`, '--out', module]);
      assert.equal(ex.code, 0, ex.err);
      const point = join(dir, `${file}.json`);
      writeFileSync(point, JSON.stringify(pointFor(text, 3)));
      const ev = await capture(['eval', path, '--at', point, '--json']);
      assert.equal(ev.code, 0, ev.err);
      const a = analyzeOk(text);
      const names = [...a.program.givens, ...a.program.vars].map((d) => d.name).join(',');
      cases.push({ file, module, point, names, ours: JSON.parse(ev.out) as (typeof cases)[number]['ours'] });
    }
    const list = join(dir, 'cases.json');
    writeFileSync(list, JSON.stringify(cases.map((c) => [c.module, c.point, c.names])));
    const py = spawnSync('python3', [driver, list], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(py.status, 0, py.stderr);
    const all = JSON.parse(py.stdout) as (typeof cases)[number]['ours'][];
    cases.forEach(({ file, ours }, k) => {
      const theirs = all[k]!;
      const e = [relErr([theirs.loss], [ours.loss]), relErr(theirs.grad, ours.grad), relErr(theirs.hess.flat(), ours.hess.flat())];
      assert.ok(
        e.every((x) => x < 1e-10),
        `${file}: ${flavor} vs eval relative errors loss ${e[0]}, grad ${e[1]}, hess ${e[2]}`,
      );
    });
  });
}

test('--latex exports a snippet that compiles with pdflatex', { timeout: 120_000 }, async (t) => {
  const r = await capture(['export', 'examples/softmax_regression.loss', '--latex', '--seed', '1', '--budget', 'quick']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\\begin\{align\*\}/);
  assert.match(r.out, /\\nabla_\{x\} L &= A\^\{\\top\}/);
  assert.match(r.out, /\\begin\{tabular\}/);
  assert.match(r.out, /refuted/);
  if (!existsSync('/usr/bin/pdflatex')) {
    if (process.env['CI']) assert.fail('pdflatex is missing; .ci/run installs texlive-latex-base');
    t.skip('pdflatex is not installed here');
    return;
  }
  const out = resolve('test-output/latex');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'snippet.tex'), r.out);
  writeFileSync(
    join(out, 'paper.tex'),
    '\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\usepackage[margin=1.5cm]{geometry}\n\\begin{document}\n\\input{snippet}\n\\end{document}\n',
  );
  const tex = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'paper.tex'], { cwd: out, encoding: 'utf8' });
  assert.equal(
    tex.status,
    0,
    tex.stdout
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .join('\n') || tex.stdout.slice(-2000),
  );
  assert.ok(existsSync(join(out, 'paper.pdf')));
  if (existsSync('/usr/bin/pdftoppm')) spawnSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', 'paper.pdf', 'page'], { cwd: out });
});
