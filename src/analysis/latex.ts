/**
 * The LaTeX commands the language reads, with the Unicode symbol each one stands for: completion
 * after `\` shows them side by side. `unicode` says whether the symbol itself may be typed instead
 * (a test lexes both spellings and requires the same token, so this table cannot drift from the lexer).
 */
export interface LatexCommand {
  command: string;
  /** The symbol it prints as, when there is one. */
  glyph?: string;
  /** The glyph is accepted in .loss files too. */
  unicode: boolean;
  summary: string;
  /** Text to insert after the backslash when it differs from the command (a snippet with its braces). */
  snippet?: string;
}

export const LATEX_COMMANDS: readonly LatexCommand[] = [
  { command: 'langle', glyph: '⟨', unicode: true, summary: 'opens an inner product ⟨a, b⟩' },
  { command: 'rangle', glyph: '⟩', unicode: true, summary: 'closes an inner product ⟨a, b⟩' },
  { command: '|', glyph: '‖', unicode: true, summary: 'norm bars: \\| x \\|_2' },
  { command: 'Vert', glyph: '‖', unicode: true, summary: 'norm bars: \\Vert x \\Vert_2' },
  { command: 'lVert', glyph: '‖', unicode: true, summary: 'opening norm bar' },
  { command: 'rVert', glyph: '‖', unicode: true, summary: 'closing norm bar' },
  { command: 'circ', glyph: '∘', unicode: true, summary: 'Hadamard (elementwise) product' },
  { command: 'odot', glyph: '⊙', unicode: true, summary: 'Hadamard (elementwise) product' },
  { command: 'otimes', glyph: '⊗', unicode: true, summary: 'Kronecker product' },
  { command: 'cdot', glyph: '·', unicode: true, summary: 'product (same as juxtaposition or *)' },
  { command: 'times', glyph: '×', unicode: true, summary: 'product (same as *)' },
  { command: 'ast', glyph: '∗', unicode: false, summary: 'product (same as *)' },
  { command: 'le', glyph: '≤', unicode: true, summary: 'less than or equal' },
  { command: 'leq', glyph: '≤', unicode: true, summary: 'less than or equal' },
  { command: 'ge', glyph: '≥', unicode: true, summary: 'greater than or equal' },
  { command: 'geq', glyph: '≥', unicode: true, summary: 'greater than or equal' },
  { command: 'preceq', glyph: '⪯', unicode: true, summary: 'Loewner order: hess L \\preceq c I' },
  { command: 'succeq', glyph: '⪰', unicode: true, summary: 'Loewner order: hess L \\succeq c I' },
  { command: 'top', glyph: '⊤', unicode: true, summary: 'transpose: A^\\top' },
  { command: 'intercal', glyph: '⊺', unicode: false, summary: 'transpose: A^\\intercal' },
  { command: 'nabla', glyph: '∇', unicode: true, summary: 'gradient: \\nabla L, \\nabla^2 L' },
  { command: 'in', glyph: '∈', unicode: false, summary: "in a declaration, the same as ':': x \\in \\mathbb{R}^d" },
  { command: 'infty', glyph: '∞', unicode: true, summary: 'infinity; ||v||_\\infty is the largest |entry|' },
  { command: 'sum', glyph: '∑', unicode: false, summary: 'index sum: \\sum_{j=1}^{n} …', snippet: 'sum_{${1:j}=1}^{${2:n}} ' },
  { command: 'frac', unicode: false, summary: 'a fraction: \\frac{1}{2}', snippet: 'frac{${1}}{${2}}' },
  { command: 'tfrac', unicode: false, summary: 'a fraction: \\tfrac{1}{2}', snippet: 'tfrac{${1}}{${2}}' },
  { command: 'dfrac', unicode: false, summary: 'a fraction: \\dfrac{1}{2}', snippet: 'dfrac{${1}}{${2}}' },
  { command: 'sqrt', glyph: '√', unicode: false, summary: 'square root: \\sqrt{x}', snippet: 'sqrt{${1}}' },
  { command: 'exp', unicode: false, summary: 'exponential (elementwise)' },
  { command: 'log', unicode: false, summary: 'natural logarithm (elementwise)' },
  { command: 'ln', unicode: false, summary: 'natural logarithm (elementwise)' },
  { command: 'cosh', unicode: false, summary: 'hyperbolic cosine (elementwise)' },
  { command: 'sinh', unicode: false, summary: 'hyperbolic sine (elementwise)' },
  { command: 'tanh', unicode: false, summary: 'hyperbolic tangent (elementwise)' },
  { command: 'det', unicode: false, summary: 'determinant: \\det(M); \\log\\det(M) is the log-determinant' },
  { command: 'min', unicode: false, summary: 'min(a, b), \\lambda_{\\min}(M), \\sigma_{\\min}(A)' },
  { command: 'max', unicode: false, summary: 'max(a, b), \\lambda_{\\max}(M), \\sigma_{\\max}(A)' },
  { command: 'lambda', glyph: 'λ', unicode: true, summary: 'the name lambda (every Greek letter is a name: \\alpha, α, alpha)' },
  { command: 'sigma', glyph: 'σ', unicode: true, summary: 'the name sigma; \\sigma_{\\min}(A) is the smallest singular value' },
  { command: 'Sigma', glyph: 'Σ', unicode: true, summary: 'the name Sigma (a covariance, say)' },
  { command: 'mu', glyph: 'μ', unicode: true, summary: 'the name mu' },
  { command: 'mathbb', glyph: 'ℝ', unicode: true, summary: 'the reals in a type: \\mathbb{R}^{n \\times d}', snippet: 'mathbb{R}' },
  { command: 'mathbf', unicode: false, summary: 'a name in bold: \\mathbf{1}_n, \\mathbf{x}', snippet: 'mathbf{${1}}' },
  { command: 'mathsf', unicode: false, summary: 'a name in sans serif: \\mathsf{A}', snippet: 'mathsf{${1}}' },
  { command: 'mathrm', unicode: false, summary: 'a name in roman: \\mathrm{diag}', snippet: 'mathrm{${1}}' },
  { command: 'operatorname', unicode: false, summary: 'a function name: \\operatorname{tr}', snippet: 'operatorname{${1}}' },
  { command: 'left', unicode: false, summary: 'sizing (ignored): \\left( … \\right)' },
  { command: 'right', unicode: false, summary: 'sizing (ignored): \\left( … \\right)' },
  { command: 'big', unicode: false, summary: 'sizing (ignored)' },
  { command: 'quad', unicode: false, summary: 'spacing (ignored)' },
];
