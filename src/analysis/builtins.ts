/** What the editor says about the language's built-in functions and keywords (completion, signature help, hovers). */
import { FUNCTIONS } from '../symbolic/ops';

export interface BuiltinFunction {
  name: string;
  params: string[];
  summary: string;
}

/** Every built-in function, from the op registry (one definition per op), and the claim form lipschitz. */
export const BUILTINS: readonly BuiltinFunction[] = [
  ...[...FUNCTIONS].map(([name, f]) => ({ name, params: [...f.doc.params], summary: f.doc.summary })),
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
  { word: 'with', summary: 'constraints of a given or var: with x >= 0, sum(x) = 1, ||W - W0||_F <= 1, P psd', statement: false },
  { word: 'for', summary: "a claim's own domain: claim hess L psd for ||x||_2 <= 1", statement: false },
  { word: 'grad', summary: 'the gradient of the loss or a scalar let: grad L, grad_x f', statement: false },
  { word: 'hess', summary: 'the Hessian of the loss or a scalar let: hess L, hess_{X,Y} L', statement: false },
  { word: 'jac', summary: 'the Jacobian of a let, ∂vec(f)/∂xᵀ: jac f, jac_x f', statement: false },
  { word: 'sym', summary: 'symmetric data: given S : R^{d x d} with S sym', statement: false },
  { word: 'psd', summary: 'positive semidefinite: claim hess L psd', statement: false },
  { word: 'pd', summary: 'positive definite: claim hess L pd', statement: false },
  { word: 'nsd', summary: 'negative semidefinite: claim hess L nsd', statement: false },
  { word: 'nd', summary: 'negative definite: claim hess L nd', statement: false },
];
