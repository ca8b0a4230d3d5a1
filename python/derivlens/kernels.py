"""Kernels of the Python evaluator, one per IR op, keyed by the op's name: the Python side of the op
registry in src/symbolic/ops (each TypeScript OpDef has a kernel here, and each elementwise row of
ops/elementwise.ts one in ELEMENTWISE; test/ops.test.ts fails when the two registries differ and
compares every kernel's values with the TypeScript one).

A kernel takes a KernelContext (plan.py) and returns the node's value as an array of shape
(batch, rows, cols), or (1, rows, cols) for what does not depend on the point. Kernels use only
the backend's array module (NumPy, jax.numpy or torch) and the backend's helpers, so one kernel
serves every backend; under JAX they are traced and compiled, so they branch on shapes, never on
values."""

import numpy as np


def _where_positive(xp, x, a, b):
    return xp.where(x > 0, a, b)


# Elementwise functions: the stable forms of ops/elementwise.ts.
ELEMENTWISE = {
    "exp": lambda xp, x: xp.exp(x),
    "log": lambda xp, x: xp.log(x),
    "cosh": lambda xp, x: xp.cosh(x),
    "sinh": lambda xp, x: xp.sinh(x),
    "tanh": lambda xp, x: xp.tanh(x),
    # exp of a non-positive argument only, as the TypeScript kernel: no overflow for large |x|.
    "sigmoid": lambda xp, x: xp.where(x >= 0, 1 / (1 + xp.exp(-xp.abs(x))), xp.exp(-xp.abs(x)) / (1 + xp.exp(-xp.abs(x)))),
    "softplus": lambda xp, x: _where_positive(xp, x, x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x))),
    "relu": lambda xp, x: _where_positive(xp, x, x, xp.zeros_like(x)),
    "sqrt": lambda xp, x: xp.sqrt(x),
    "abs": lambda xp, x: xp.abs(x),
    "step": lambda xp, x: _where_positive(xp, x, xp.ones_like(x), xp.zeros_like(x)),
    "sign": lambda xp, x: xp.sign(x),
}


def _input(k):
    name = k.attrs["name"]
    if name not in k.inputs:
        raise k.error(f"no value for '{name}'")
    return k.inputs[name]


def _number(k):
    v = k.attrs["value"]
    return k.constant(("num", v), lambda: np.full((1, 1, 1), v))


def _identity(k):
    return k.constant(("eye", k.rows), lambda: np.eye(k.rows)[None])


def _unit(k):
    i = k.ref(k.attrs["index"]) - 1
    return k.constant(("unit", k.rows, i), lambda: np.eye(k.rows)[None, :, i : i + 1])


def _index_value(k):
    v = float(k.ref({"kind": "index", "name": k.attrs["index"]}))
    return k.constant(("num", v), lambda: np.full((1, 1, 1), v))


def _commutation(k):
    m, n, size = k.attrs["m"]["value"], k.attrs["n"]["value"], k.rows

    def make():
        out = np.zeros((size, size))
        for i in range(m):
            for j in range(n):
                out[j + i * n, i + j * m] = 1.0
        return out[None]

    return k.constant(("K", m, n), make)


def _matmul(k):
    left, right = k.arg_kinds
    # diag(v)·X and X·diag(v) scale rows / columns (their operand is v): no dense diagonal matrix.
    if left == "diag":
        return k.arg(0) * k.arg(1)
    if right == "diag":
        return k.arg(0) * k.b.swap(k.arg(1))
    if k.arg_dims[0][1] == 1:
        # An outer product u vᵀ: a broadcast multiply, which compilers fuse into its uses.
        return k.arg(0) * k.arg(1)
    return k.b.matmul(k.arg(0), k.arg(1))


def _kron(k):
    x, y = k.arg(0), k.arg(1)
    ar, ac = x.shape[1], x.shape[2]
    br, bc = y.shape[1], y.shape[2]
    batch = max(x.shape[0], y.shape[0])
    return (x[:, :, None, :, None] * y[:, None, :, None, :]).reshape(batch, ar * br, ac * bc)


def _slice(k):
    x = k.arg(0)
    r0 = k.ref(k.attrs["row"]) - 1 if k.attrs.get("row") else 0
    c0 = k.ref(k.attrs["col"]) - 1 if k.attrs.get("col") else 0
    return x[:, r0 : r0 + k.rows, c0 : c0 + k.cols]


def _row_block(k):
    r0 = (k.ref(k.attrs["index"]) - 1) * k.rows
    return k.arg(0)[:, r0 : r0 + k.rows, :]


def _index_sum(k):
    total = None
    for v in k.body_values():
        total = v if total is None else total + v
    if total is None:
        return k.constant(("zeros", k.rows, k.cols), lambda: np.zeros((1, k.rows, k.cols)))
    return total


def _softmax(k):
    z = k.arg(0)
    e = k.xp.exp(z - k.b.max_all(z))
    return e / k.b.sum_all(e)


def _logsumexp(k):
    xp, z = k.xp, k.arg(0)
    m = k.b.max_all(z)
    finite = xp.isfinite(m)
    safe = xp.where(finite, m, xp.zeros_like(m))
    return xp.where(finite, safe + xp.log(k.b.sum_all(xp.exp(z - safe))), m)


def _logdet(k):
    xp = k.xp
    sign, logabs = k.b.slogdet(k.arg(0))
    out = xp.where(sign > 0, logabs, xp.where(sign == 0, -xp.ones_like(logabs) * np.inf, xp.ones_like(logabs) * np.nan))
    return out[:, None, None]


def _finite_or_nan(k, x, value):
    """value(x) per matrix of the batch, NaN where x has a non-finite entry (as allFinite in TypeScript)."""
    xp = k.xp
    finite = k.b.finite(x)
    clean = xp.where(finite[:, None, None], x, xp.zeros_like(x))
    v = value(clean)
    return xp.where(finite, v, xp.ones_like(v) * np.nan)[:, None, None]


def _eigenvalues(k, x):
    """Ascending eigenvalues of the symmetric part, per matrix of the batch."""
    return k.xp.linalg.eigvalsh(0.5 * (x + k.b.swap(x)))


def _singular_values(k, x):
    """Ascending singular values from the smaller Gram matrix, as src/math/dense.ts computes them."""
    rows, cols = x.shape[1], x.shape[2]
    gram = k.b.swap(x) @ x if cols <= rows else x @ k.b.swap(x)
    vals = k.xp.linalg.eigvalsh(gram)
    return k.xp.sqrt(k.xp.where(vals > 0, vals, k.xp.zeros_like(vals)))


KERNELS = {
    "var": _input,
    "given": _input,
    "const": _number,
    "num": _number,
    "identity": _identity,
    "ones": lambda k: k.constant(("ones", k.rows, k.cols), lambda: np.ones((1, k.rows, k.cols))),
    "zeros": lambda k: k.constant(("zeros", k.rows, k.cols), lambda: np.zeros((1, k.rows, k.cols))),
    "unit": _unit,
    "indexValue": _index_value,
    "commutation": _commutation,
    "add": lambda k: k.arg(0) + k.arg(1),
    "scale": lambda k: k.arg(0) * k.arg(1),
    "matmul": _matmul,
    "hadamard": lambda k: k.arg(0) * k.arg(1),
    "divide": lambda k: k.arg(0) / k.arg(1),
    "transpose": lambda k: k.b.swap(k.arg(0)),
    "pow": lambda k: k.arg(0) ** k.arg(1),
    "kron": _kron,
    "inner": lambda k: k.b.sum_all(k.arg(0) * k.arg(1)),
    "sum": lambda k: k.b.sum_all(k.arg(0)),
    "trace": lambda k: k.b.sum_all(k.b.diagonal(k.arg(0))),
    "norm": lambda k: k.xp.sqrt(k.b.sum_all(k.arg(0) * k.arg(0))),
    "logsumexp": _logsumexp,
    "diag": lambda k: k.arg(0) * _identity(k),
    "diagvec": lambda k: k.b.diagonal(k.arg(0)),
    "vec": lambda k: k.b.swap(k.arg(0)).reshape(k.arg(0).shape[0], k.rows * k.cols, 1),
    "unvec": lambda k: k.b.swap(k.arg(0).reshape(k.arg(0).shape[0], k.cols, k.rows)),
    "softmax": _softmax,
    "normalize": lambda k: k.arg(0) / k.b.sum_all(k.arg(0)),
    "fn": lambda k: ELEMENTWISE[k.attrs["fn"]](k.xp, k.arg(0)),
    "slice": _slice,
    "rowBlock": _row_block,
    "indexSum": _index_sum,
    "det": lambda k: k.b.det(k.arg(0))[:, None, None],
    "logdet": _logdet,
    "inv": lambda k: k.b.inv(k.arg(0)),
    "sigmaMax": lambda k: _finite_or_nan(k, k.arg(0), lambda x: _singular_values(k, x)[:, -1]),
    "sigmaMin": lambda k: _finite_or_nan(k, k.arg(0), lambda x: _singular_values(k, x)[:, 0]),
    "lambdaMax": lambda k: _finite_or_nan(k, k.arg(0), lambda x: _eigenvalues(k, x)[:, -1]),
    "lambdaMin": lambda k: _finite_or_nan(k, k.arg(0), lambda x: _eigenvalues(k, x)[:, 0]),
    "normInf": lambda k: k.b.max_all(k.xp.abs(k.arg(0))),
    "max": lambda k: k.xp.maximum(k.arg(0), k.arg(1)),
    "min": lambda k: k.xp.minimum(k.arg(0), k.arg(1)),
}
