/**
 * `derive --claims`: the loss's derivatives as claims in the .loss language, with `let`s for the
 * shared subexpressions they name. Appended to the file, every one must be proved: the round trip
 * that keeps printed derivatives correct by construction (test/printed.test.ts). They are written in
 * the file's own notation: LaTeX for a file written in LaTeX (`writtenInLatex`), else ASCII.
 */
import type { Derivatives, LoweredProgram } from '../symbolic/lower';
import { ASCII, LATEX_CLAIMS, printBundle } from '../symbolic/print';

/** Whether a .loss file is written in LaTeX: a backslash command outside its comments. */
export function writtenInLatex(text: string): boolean {
  return text.split('\n').some((line) => /\\[A-Za-z]/.test(line.replace(/#.*$/, '')));
}

/** The claims (and the lets they use), one statement per line. */
export function derivedClaims(lowered: LoweredProgram, derivatives: Derivatives, latex = false): string[] {
  const g = lowered.graph;
  const vars = lowered.vars.map((v) => (v.kind === 'var' ? v.name : ''));
  const L = lowered.lossName;
  const k = vars.length;
  const roots = [...derivatives.grads, ...derivatives.hess.flat()];
  // The loss prints as its expression, as a paper writes its derivatives.
  const names = new Map([...g.names].filter(([, name]) => name !== L));
  const syntax = latex ? LATEX_CLAIMS : ASCII;
  const printed = printBundle(syntax, roots, names, undefined, g.declaredNames);
  const declared = new Set([...lowered.lets.keys(), L]);
  return [
    // The author's lets and loss are in the file already; shared subexpressions become lets of their own.
    ...printed.definitions.filter((d) => !declared.has(d.plain)).map((d) => `let ${d.name} = ${d.text}`),
    ...vars.map((x, i) => `claim ${k === 1 ? 'grad' : `grad_${x}`} ${L} = ${printed.roots[i]!}`),
    ...vars.flatMap((x, i) => vars.map((y, j) => `claim ${k === 1 ? 'hess' : `hess_{${x},${y}}`} ${L} = ${printed.roots[k + i * k + j]!}`)),
  ];
}
