/**
 * Elementwise functions, one row each: its float64 kernel in its numerically stable form, its
 * derivative as IR, the values folded when the IR is built, its LaTeX and NumPy names. The IR op
 * `fn` (fn.ts) applies any of them; python/derivlens/kernels.py has one kernel per row. This file
 * imports only types, so ir.ts can fold constants through it.
 */
import type { Graph, Node } from '../ir';

export interface ElementwiseDef {
  /** float64 value; the stable form (sigmoid and softplus never overflow). */
  scalar(x: number): number;
  /** f′(a) as IR of a's shape, given a and f(a). */
  derivative(g: Graph, a: Node, fa: Node): Node;
  /** Exact values folded when the IR is built (exp(0) = 1); undefined keeps the node. */
  fold?(x: number): number | undefined;
  latex: string;
  /** The function an exported module calls: NumPy's, or a helper defined in `pyHelper`. */
  numpy: string;
  pyHelper?: string;
  /** Differentiable only away from a kink at 0 (derive says so; checks skip points near it). */
  almostEverywhere?: true;
  /** One line for editors. */
  summary: string;
}

const zeroOrOne = (x: number): number | undefined => (x === 0 ? 0 : x === 1 ? 1 : undefined);

export const ELEMENTWISE: Readonly<Record<string, ElementwiseDef>> = {
  exp: {
    scalar: Math.exp,
    derivative: (_g, _a, fa) => fa,
    fold: (x) => (x === 0 ? 1 : undefined),
    latex: '\\exp',
    numpy: 'np.exp',
    summary: 'elementwise exponential',
  },
  log: {
    scalar: Math.log,
    derivative: (g, a) => g.divide(g.ones(a.shape), a),
    fold: (x) => (x === 1 ? 0 : undefined),
    latex: '\\log',
    numpy: 'np.log',
    summary: 'elementwise natural logarithm',
  },
  cosh: {
    scalar: Math.cosh,
    derivative: (g, a) => g.fn('sinh', a),
    fold: (x) => (x === 0 ? 1 : undefined),
    latex: '\\cosh',
    numpy: 'np.cosh',
    summary: 'elementwise hyperbolic cosine',
  },
  sinh: {
    scalar: Math.sinh,
    derivative: (g, a) => g.fn('cosh', a),
    fold: (x) => (x === 0 ? 0 : undefined),
    latex: '\\sinh',
    numpy: 'np.sinh',
    summary: 'elementwise hyperbolic sine',
  },
  tanh: {
    scalar: Math.tanh,
    derivative: (g, a, fa) => g.sub(g.ones(a.shape), g.hadamard(fa, fa)),
    fold: (x) => (x === 0 ? 0 : undefined),
    latex: '\\tanh',
    numpy: 'np.tanh',
    summary: 'elementwise hyperbolic tangent',
  },
  sigmoid: {
    // exp of a non-positive argument only: no overflow for large |x|.
    scalar: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    derivative: (g, a, fa) => g.hadamard(fa, g.sub(g.ones(a.shape), fa)),
    fold: (x) => (x === 0 ? 0.5 : undefined),
    latex: '\\sigma',
    summary: 'elementwise logistic function 1 / (1 + exp(-t)), evaluated stably',
    numpy: '_sigmoid',
    pyHelper: 'def _sigmoid(z):\n    return 0.5 * (1.0 + np.tanh(0.5 * z))',
  },
  softplus: {
    // log(1 + e^x) = max(x, 0) + log1p(e^{−|x|}): no overflow, full precision for x ≪ 0.
    scalar: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    derivative: (g, a) => g.fn('sigmoid', a),
    latex: '\\mathrm{softplus}',
    summary: 'elementwise log(1 + exp(t)), evaluated stably; its derivative is sigmoid',
    numpy: '_softplus',
    pyHelper: 'def _softplus(z):\n    return np.logaddexp(0.0, z)',
  },
  relu: {
    scalar: (x) => (x > 0 ? x : 0),
    derivative: (g, a) => g.fn('step', a),
    fold: zeroOrOne,
    latex: '\\mathrm{ReLU}',
    summary: 'elementwise max(t, 0); differentiated almost everywhere',
    numpy: '_relu',
    pyHelper: 'def _relu(z):\n    return np.maximum(z, 0.0)',
    almostEverywhere: true,
  },
  sqrt: {
    scalar: Math.sqrt,
    derivative: (g, a, fa) => g.divide(g.scale(g.num(0.5), g.ones(a.shape)), fa),
    fold: zeroOrOne,
    latex: '\\sqrt',
    summary: 'elementwise square root',
    numpy: 'np.sqrt',
  },
  abs: {
    scalar: Math.abs,
    derivative: (g, a) => g.fn('sign', a),
    fold: zeroOrOne,
    latex: '\\mathrm{abs}',
    summary: 'elementwise absolute value; differentiated almost everywhere',
    numpy: 'np.abs',
    almostEverywhere: true,
  },
  step: {
    scalar: (x) => (x > 0 ? 1 : 0),
    derivative: (g, a) => g.zeros(a.shape),
    fold: (x) => (x > 0 ? 1 : x < 0 ? 0 : undefined),
    latex: '\\mathrm{step}',
    summary: 'elementwise step (1 where t > 0, else 0)',
    numpy: '_step',
    pyHelper: 'def _step(z):\n    return np.where(z > 0, 1.0, 0.0)',
    almostEverywhere: true,
  },
  sign: {
    scalar: Math.sign,
    derivative: (g, a) => g.zeros(a.shape),
    fold: Math.sign,
    latex: '\\operatorname{sign}',
    summary: 'elementwise sign',
    numpy: 'np.sign',
    almostEverywhere: true,
  },
};

/** The elementwise functions differentiated only almost everywhere. */
export const ALMOST_EVERYWHERE: ReadonlySet<string> = new Set(
  Object.entries(ELEMENTWISE)
    .filter(([, d]) => d.almostEverywhere)
    .map(([name]) => name),
);
