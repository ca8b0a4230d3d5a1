/** What the editor says about the language's built-in functions and keywords (completion, signature help, hovers). */
export interface BuiltinFunction {
  name: string;
  params: string[];
  summary: string;
}

/** One row per function the parser accepts (a test keeps the two lists equal). */
export const BUILTINS: readonly BuiltinFunction[] = [
  { name: 'exp', params: ['v'], summary: 'elementwise exponential' },
  { name: 'log', params: ['v'], summary: 'elementwise natural logarithm' },
  { name: 'cosh', params: ['v'], summary: 'elementwise hyperbolic cosine' },
  { name: 'sinh', params: ['v'], summary: 'elementwise hyperbolic sine' },
  { name: 'tanh', params: ['v'], summary: 'elementwise hyperbolic tangent' },
  { name: 'sigmoid', params: ['v'], summary: 'elementwise logistic function 1 / (1 + exp(-t))' },
  { name: 'relu', params: ['v'], summary: 'elementwise max(t, 0); differentiated almost everywhere' },
  { name: 'sqrt', params: ['v'], summary: 'elementwise square root' },
  { name: 'abs', params: ['v'], summary: 'elementwise absolute value; differentiated almost everywhere' },
  { name: 'step', params: ['v'], summary: 'elementwise step (1 where t > 0, else 0)' },
  { name: 'sign', params: ['v'], summary: 'elementwise sign' },
  { name: 'softmax', params: ['v'], summary: 'softmax of a vector: exp(v) / <exp(v), 1_n>' },
  { name: 'diag', params: ['v'], summary: 'the diagonal matrix with the vector v on its diagonal' },
  { name: 'kron', params: ['A', 'B'], summary: 'Kronecker product A ⊗ B' },
  { name: 'vec', params: ['X'], summary: 'the columns of X stacked into one vector (column-major)' },
  { name: 'tr', params: ['M'], summary: 'trace of a square matrix' },
  { name: 'sum', params: ['v'], summary: 'sum of all entries (an index sum is written sum_{j=1}^{n} …)' },
  { name: 'lipschitz', params: ['F'], summary: 'only in a claim: lipschitz(grad L) <= bound' },
];

export const BUILTIN_BY_NAME: ReadonlyMap<string, BuiltinFunction> = new Map(BUILTINS.map((b) => [b.name, b]));

export interface Keyword {
  word: string;
  summary: string;
  /** Starts a statement (offered at the start of a line). */
  statement: boolean;
}

export const KEYWORDS: readonly Keyword[] = [
  { word: 'dim', summary: 'sizes: dim n = 16, d = 8', statement: true },
  { word: 'const', summary: 'named scalar constants: const R = 2', statement: true },
  { word: 'given', summary: 'data: given A : R^{n x d} with ||A||_2 <= R', statement: true },
  { word: 'var', summary: 'a differentiation variable: var x : R^d with ||x||_2 <= R', statement: true },
  { word: 'let', summary: 'a named definition, kept as a name in derived output: let f = softmax(A x)', statement: true },
  { word: 'loss', summary: 'the scalar loss: loss L = 0.5 ||A x - b||_2^2', statement: true },
  { word: 'def', summary: 'a scalar function applied elementwise: def phi(t) = log(1 + exp(t))', statement: true },
  { word: 'claim', summary: 'a claim to check: claim grad L = A^T (A x - b)', statement: true },
  { word: 'sweep', summary: 'a grid for scaling sweeps: sweep n in [8, 16], R in [0.5, 1]', statement: true },
  { word: 'with', summary: 'constraints of a given or var: with x >= 0, sum(x) = 1', statement: false },
  { word: 'grad', summary: 'the gradient: grad L, grad_x L', statement: false },
  { word: 'hess', summary: 'the Hessian: hess L, hess_{X,Y} L', statement: false },
  { word: 'psd', summary: 'positive semidefinite: claim hess L psd', statement: false },
  { word: 'pd', summary: 'positive definite: claim hess L pd', statement: false },
  { word: 'nsd', summary: 'negative semidefinite: claim hess L nsd', statement: false },
  { word: 'nd', summary: 'negative definite: claim hess L nd', statement: false },
];
