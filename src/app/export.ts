/**
 * Exports for a paper and for code: a LaTeX snippet (amsmath) with the loss, the gradient and
 * Hessian in matrix form and a table of verdicts; and a standalone Python module (NumPy or JAX)
 * computing the loss, the stacked gradient and the Hessian from the same IR the checks use.
 */
import { type IndexRef, InternalError, type Node, topoOrder } from '../symbolic/ir';
import { opDef } from '../symbolic/ops';
import type { ClaimOutcome, FileOutcome } from './runClaims';
import { derivativesSummary } from './runClaims';
import type { Loaded } from './load';

// ---- LaTeX ---------------------------------------------------------------------------------------

const UNICODE_TO_TEX: Record<string, string> = {
  '∘': '$\\circ$',
  '⊗': '$\\otimes$',
  '‖': '$\\|$',
  '⟨': '$\\langle$',
  '⟩': '$\\rangle$',
  '≤': '$\\le$',
  '≥': '$\\ge$',
  '∇': '$\\nabla$',
  λ: '$\\lambda$',
  '∝': '$\\propto$',
  '∈': '$\\in$',
  ᵀ: '$^{\\top}$',
  '⁻¹': '$^{-1}$',
  '²': '$^2$',
  '½': '$\\frac12$',
  '·': '$\\cdot$',
  '×': '$\\times$',
  '−': '-',
  '⪯': '$\\preceq$',
  '⪰': '$\\succeq$',
};

/** Plain text (a claim as written) made safe for a LaTeX text cell, in typewriter type. */
export function latexText(s: string): string {
  let out = '';
  for (const ch of s.replace(/⁻¹/g, '\u0000')) {
    if (ch === '\u0000') out += UNICODE_TO_TEX['⁻¹'];
    else if (ch in UNICODE_TO_TEX) out += UNICODE_TO_TEX[ch];
    else if ('\\{}$&#_%~^'.includes(ch))
      out += ch === '\\' ? '\\textbackslash{}' : ch === '~' ? '\\textasciitilde{}' : ch === '^' ? '\\textasciicircum{}' : `\\${ch}`;
    else if (ch.charCodeAt(0) < 128) out += ch;
    else out += '?';
  }
  return `\\texttt{${out}}`;
}

export function exportLatex(loaded: Loaded, outcome?: FileOutcome): string {
  const d = derivativesSummary(loaded);
  const L = loaded.lowered.lossName;
  const lines: string[] = [
    `% DerivLens export of ${loaded.path}: loss, gradient and Hessian in matrix form${outcome ? ', and the verdicts of its claims' : ''}.`,
    '% Needs \\usepackage{amsmath,amssymb}.',
    '\\begin{align*}',
    `  ${L} &= ${d.loss.latex} \\\\`,
    ...d.grad.map((g) => `  \\nabla_{${g.wrt}} ${L} &= ${g.latex} \\\\`),
    ...(d.hessBlocks
      ? [`  ${d.hessBlocks.replace(' = ', ' &= ')} \\\\`, ...d.hess.map((h) => `  H_{${h.wrt.join('')}} &= ${h.latex} \\\\`)]
      : d.hess.map((h) => `  \\nabla^2_{${h.wrt.join(',')}} ${L} &= ${h.latex} \\\\`)),
  ];
  if (d.definitions.length > 0) {
    lines.push('  &\\text{where} \\\\');
    for (const def of d.definitions) lines.push(`  ${def.latex.replace(' = ', ' &= ')} \\\\`);
  }
  lines[lines.length - 1] = lines[lines.length - 1]!.replace(/ \\\\$/, '');
  lines.push('\\end{align*}');
  if (outcome && outcome.claims.length > 0) {
    lines.push(
      '',
      '\\begin{center}',
      '\\begin{tabular}{rp{0.45\\linewidth}lp{0.3\\linewidth}}',
      'Line & Claim & Verdict & Evidence \\\\ \\hline',
      ...outcome.claims.map(
        (c) => `${c.line} & ${latexText(c.text)} & ${c.verdict} & ${latexText(c.summary).replace('\\texttt', '\\textrm')} \\\\`,
      ),
      '\\end{tabular}',
      '\\end{center}',
      `% seed ${outcome.seed}, budget ${outcome.budget}, ${outcome.backend} on ${outcome.device}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// ---- Python (NumPy / JAX) ------------------------------------------------------------------------

export type PythonFlavor = 'numpy' | 'jax';

class PythonWriter {
  private readonly names = new Map<number, string>();
  private readonly lines: string[] = [];

  constructor(
    private readonly flavor: PythonFlavor,
    /** Helper functions the emitted code calls, shared by the module's functions. */
    private readonly helpers: Map<string, string>,
  ) {}

  name(n: Node): string {
    const v = this.names.get(n.id);
    if (!v) throw new InternalError(`node ${n.kind} used before it was emitted`);
    return v;
  }

  private ref(r: IndexRef): string {
    return r.kind === 'lit' ? String(r.value) : r.name;
  }

  private expr(n: Node): string {
    const def = opDef(n);
    for (const [name, code] of Object.entries(def.pyHelpers?.(n, this.flavor) ?? {})) this.helpers.set(name, code);
    return def.numpy(n, {
      arg: (i) => this.name(n.args[i]!),
      ref: (r) => this.ref(r),
      rows: n.shape.rows.value,
      cols: n.shape.cols.value,
      flavor: this.flavor,
    });
  }

  /**
   * Emits, in order, every node of `nodes` not yet bound whose free indices are all in `scope`; an
   * index sum becomes a loop whose body emits what depends on its index.
   */
  emit(indent: string, scope: ReadonlySet<string>, nodes: readonly Node[]): void {
    for (const n of nodes) {
      if (this.names.has(n.id)) continue;
      if ([...n.freeIndices].some((i) => !scope.has(i))) continue;
      if (n.kind === 'indexSum') {
        const inner = new Set([...scope, n.index]);
        const acc = `t${n.id}`;
        this.lines.push(`${indent}${acc} = np.zeros((${n.shape.rows.value}, ${n.shape.cols.value}))`);
        this.lines.push(`${indent}for ${n.index} in range(${n.lower}, ${n.upper + 1}):`);
        const body = n.args[0]!;
        const before = new Set(this.names.keys());
        this.emit(`${indent}    `, inner, topoOrder([body]));
        this.lines.push(`${indent}    ${acc} = ${acc} + ${this.name(body)}`);
        // Names bound inside the loop are not valid after it.
        for (const id of [...this.names.keys()]) if (!before.has(id)) this.names.delete(id);
        this.names.set(n.id, acc);
        continue;
      }
      this.names.set(n.id, `t${n.id}`);
      this.lines.push(`${indent}t${n.id} = ${this.expr(n)}`);
    }
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

export function exportPython(loaded: Loaded, flavor: PythonFlavor): string {
  const { lowered, derivatives, program } = loaded;
  const params = [...program.givens.map((g) => g.name), ...program.vars.map((v) => v.name)].join(', ');
  const helpers = new Map<string, string>();
  const fnBody = (roots: Node[]): { code: string; names: string[] } => {
    const w = new PythonWriter(flavor, helpers);
    w.emit('    ', new Set(), topoOrder(roots));
    return { code: w.text, names: roots.map((r) => w.name(r)) };
  };
  const header =
    flavor === 'jax' ? ['import jax', 'jax.config.update("jax_enable_x64", True)', 'import jax.numpy as np'] : ['import numpy as np'];
  const lossFn = fnBody([lowered.loss]);
  const gradFn = fnBody(derivatives.grads);
  const hessFn = fnBody(derivatives.hess.flat());
  const k = derivatives.grads.length;
  const blocks = Array.from({ length: k }, (_, a) => `[${hessFn.names.slice(a * k, (a + 1) * k).join(', ')}]`).join(', ');
  const doc = (what: string): string => `    """${what} at (${params}); vectors are 1-D arrays, matrices 2-D (row-major as usual)."""`;
  return `"""Generated by DerivLens from ${loaded.path} (${flavor === 'jax' ? 'JAX, float64' : 'NumPy, float64'}).

Variables: ${program.vars.map((v) => v.name).join(', ')}; the gradient is stacked in that order, matrix variables
vectorised column-major (vec), and the Hessian uses the same order.
"""
${header.join('\n')}


def _as2d(a, r, c):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim < 2:
        return a.reshape(r, c)
    assert a.shape == (r, c), f"expected shape {(r, c)}, got {a.shape}"
    return a


${[...helpers.values()].map((h) => `${h}\n\n\n`).join('')}def loss(${params}):
${doc('The loss')}
${lossFn.code}
    return ${lossFn.names[0]}[0, 0]


def grad(${params}):
${doc('The stacked gradient (1-D)')}
${gradFn.code}
    return np.concatenate([${gradFn.names.map((n) => `${n}.reshape(-1, order="F")`).join(', ')}])


def hess(${params}):
${doc('The Hessian (2-D)')}
${hessFn.code}
    return np.block([${blocks}])
`;
}

/** A counterexample as a NumPy snippet: the point, the second point of a pair, the reported values. */
export function counterexampleNumpy(c: ClaimOutcome): string | undefined {
  const ce = c.counterexample;
  if (!ce) return undefined;
  const repr = (v: number): string => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'np.nan' : v > 0 ? 'np.inf' : '-np.inf');
  const arr = (v: unknown): string => (typeof v === 'number' ? repr(v) : `np.array(${JSON.stringify(v)})`);
  const lines = ['import numpy as np', `# counterexample for: ${c.text}`, `# ${c.verdict}: ${c.summary}`];
  for (const [k, v] of Object.entries(ce.point)) lines.push(`${k} = ${arr(v)}`);
  if (ce.other) for (const [k, v] of Object.entries(ce.other)) lines.push(`${k}_other = ${arr(v)}`);
  for (const [k, v] of Object.entries(ce.values)) lines.push(`${k}_reported = ${arr(v)}`);
  if (ce.eigenvector) lines.push(`eigenvector = ${arr(ce.eigenvector)}`);
  return `${lines.join('\n')}\n`;
}
