"""Hand-written JAX reference for `npm run bench`: matched evaluations of a `derivlens check` run.

    python3 bench/reference_jax.py ops.jsonl [--check-only]

ops.jsonl is the evaluator traffic of one check, recorded with `DERIVLENS_RECORD=ops.jsonl
derivlens check softmax.loss --seed 1` (src/numeric/evaluator/record.ts; op table in
src/numeric/evaluator/api.ts). The reference walks the log op by op and does, in hand-written JAX
(float64, CPU, jit-compiled, vmapped over the batch), the same batched computation on the same
handles, with the same batch sizes and in the same order. The driver's decisions (which rows it
keeps, step sizes, when it stops) are taken from the log, so both sides do the same work even
though the reference's numbers differ (its points come from NumPy's RNG, not DerivLens's
counter-based streams). It never uses DerivLens's evaluator or IR interpreter: each root the log
names is mapped to a hand-written function of the bench loss

    L(x; A, b, w) = ½‖softmax(Ax) − b‖² + ½‖diag(w) A x‖²,   A: n×d, b, w: n, x: d,

and anything else fails loudly (exit 2), so a driver change that adds an op or a quantity shows up.

The mapping (roots are positions in the program's IR, from the `load` op):
  expr program.loss                   → L
  expr, d×1, depends on x             → the claimed gradient Aᵀ(f∘(f−b) − ⟨f, f−b⟩f) + Aᵀdiag(w)²Ax
  expr, 1×1, no var/given below it    → the claimed Lipschitz bound 12R² (R: the program's constant)
  grad wrt [0]                        → ∇ₓL (jax.grad)
  hess rows [0] cols [0]              → ∇²ₓL (jax.hessian)
  hvp                                 → ∇²ₓL·v (jax.jvp of jax.grad)
  stack with inputs [$v0], roots shaped as the search specs (A, b, w, x)
                                      → s_k·∇_k [vᵀ∇²ₓL v] for k = A, b, w, x: jax.grad of the
                                        hvp-based quadratic form, each block times its spec's
                                        size s_k (src/numeric/searchRoots.ts), A column-major
  stack without inputs, same roots    → the same for ½‖∇ₓL‖²
  quad of hess                        → vᵀ(∇²ₓL v) by Hessian-vector products
  eigen of hess                       → eigh of the formed Hessians (min, or signed absmax)
  sample                              → NumPy draws: A Gaussian scaled into ‖A‖₂ ≤ R (a quarter on
                                        the boundary, a quarter uniform in radius, half uniform in
                                        volume, as DerivLens does), b uniform on the simplex
                                        (normalised exponentials), w uniform in [2, 3], x Gaussian
                                        scaled into ‖x‖ ≤ R; ‖A‖₂ from the Gram matrix's largest
                                        eigenvalue (min(n, d) ≤ 64) or 80 Lanczos steps on AᵀA
  move(project)                       → step, then projections: ‖A‖₂ ≤ R by clipping singular
                                        values (eigh of the Gram matrix, as DerivLens) of the
                                        matrices outside the ball when min(n, d) ≤ 256, by radial
                                        scaling otherwise (as DerivLens);
                                        simplex (sort-based), box (clip), ball (radial)
  linear, mix, normalize, orthogonalize, norms, distances, dots, exceed, apply, extract, pick,
  signChange, gather, assign, fill, scalars, directions, fetch, release, stats
                                      → the array ops they name (NumPy, batched)

Prints one JSON line: first_s (first pass over the log, jit compiles included), warm_s (a second
pass in the same process), seconds per op kind of the warm pass, and the op count. With
--check-only, it only checks that every op and quantity of the log is understood (no timing).
"""

import argparse
import json
import sys
import time
from collections import defaultdict

import numpy as np

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # the bench prints "jax unavailable"
    print(json.dumps({"error": "jax is not installed"}))
    sys.exit(3)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

EXACT_SPECTRAL_SIDE = 256  # DerivLens clips singular values up to this side, scales radially beyond
BOUNDARY_FRACTION = 0.25
NAMES = ("A", "b", "w", "x")


class Unknown(Exception):
    """An op or quantity this reference does not implement: the bench must fail, not guess."""


# ---- the bench loss, hand-written --------------------------------------------------------------


def loss(x, A, b, w):
    z = A @ x
    f = jax.nn.softmax(z)
    return 0.5 * jnp.sum((f - b) ** 2) + 0.5 * jnp.sum((w * z) ** 2)


def claimed_grad(x, A, b, w):
    z = A @ x
    f = jax.nn.softmax(z)
    return A.T @ (f * (f - b) - jnp.dot(f, f - b) * f) + A.T @ (w**2 * z)


grad_x = jax.grad(loss)


def hvp(x, A, b, w, v):
    return jax.jvp(lambda y: grad_x(y, A, b, w), (x,), (v,))[1]


def quad_form(x, A, b, w, v):
    return jnp.dot(v, hvp(x, A, b, w, v))


def half_grad_sq(x, A, b, w):
    g = grad_x(x, A, b, w)
    return 0.5 * jnp.dot(g, g)


def col_major(M):
    return M.T.reshape(-1)


def search_stack(fn, scales):
    """s_k·∇_k fn over (A, b, w, x), stacked as DerivLens stacks the search specs."""
    sA, sb, sw, sx = scales

    def one(x, A, b, w, *v):
        gx, gA, gb, gw = jax.grad(fn, argnums=(0, 1, 2, 3))(x, A, b, w, *v)
        return jnp.concatenate([sA * col_major(gA), sb * gb, sw * gw, sx * gx])

    return one


def batched(f):
    """jit of vmap over the batch; answers come back as NumPy arrays (the call blocks, as the
    driver does when it reads them)."""
    g = jax.jit(jax.vmap(f))
    return lambda *args: np.asarray(g(*args))


KERNELS = {
    "loss": batched(lambda x, A, b, w: loss(x, A, b, w)[None, None]),
    "claimed": batched(lambda x, A, b, w: claimed_grad(x, A, b, w)[:, None]),
    "grad": batched(lambda x, A, b, w: grad_x(x, A, b, w)[:, None]),
    "hess": batched(jax.hessian(loss)),
    "hvp": batched(lambda x, A, b, w, v: hvp(x, A, b, w, v[:, 0])[:, None]),
    "quad": batched(lambda x, A, b, w, v: quad_form(x, A, b, w, v[:, 0])),
}


def jitted(f):
    g = jax.jit(f)
    return lambda *args: tuple(map(np.asarray, out)) if isinstance(out := g(*args), tuple) else np.asarray(out)


eigh_batch = jitted(jnp.linalg.eigh)

# Spectral norms and clips of the data matrix A (B×n×d): from the Gram matrix on the smaller side
# when that side is at most 64 (XLA's SVD on the CPU is 4× slower than eigh of the Gram matrix
# here), by Lanczos on AᵀA beyond (DerivLens: Gram up to 256, Lanczos beyond, to 1e-14;
# LANCZOS_STEPS is about its count from a cold start, so the reference pays a similar number of
# products). JAX's eigvalsh computes the eigenvectors too, which made a Gram eigensolve per point
# cost 0.17 s at 1024×256.
GRAM_SIDE = 64
LANCZOS_STEPS = 80


def gram(A):
    return jnp.swapaxes(A, 1, 2) @ A if A.shape[2] <= A.shape[1] else A @ jnp.swapaxes(A, 1, 2)


def lanczos_norm(A):
    """‖A‖₂ of one matrix by LANCZOS_STEPS steps of Lanczos on AᵀA, fully reorthogonalised."""
    d = A.shape[1]
    k = min(LANCZOS_STEPS, d)

    def step(j, state):
        Q, alpha, beta, q = state
        Q = Q.at[j].set(q)
        w = A.T @ (A @ q)
        a = jnp.dot(w, q)
        for _ in range(2):
            w = w - Q.T @ (Q @ w)
        b = jnp.linalg.norm(w)
        return Q, alpha.at[j].set(a), beta.at[j].set(b), w / jnp.where(b > 0, b, 1.0)

    init = (jnp.zeros((k, d)), jnp.zeros(k), jnp.zeros(k), jnp.ones(d) / jnp.sqrt(d))
    _, alpha, beta, _ = jax.lax.fori_loop(0, k, step, init)
    T = jnp.diag(alpha) + jnp.diag(beta[:-1], 1) + jnp.diag(beta[:-1], -1)
    return jnp.sqrt(jnp.linalg.eigvalsh(T)[-1])


@jitted
def spectral_norms(A):
    if min(A.shape[1:]) <= GRAM_SIDE:
        return jnp.sqrt(jnp.maximum(jnp.linalg.eigvalsh(gram(A))[:, -1], 0.0))
    return jax.vmap(lanczos_norm)(A)


@jitted
def clip_singular_values(A, r):
    """A V diag(min(1, r/σ)) Vᵀ (or the same from the left), V from the Gram matrix's eigenpairs."""
    s2, V = jnp.linalg.eigh(gram(A))
    shrink = jnp.minimum(1.0, r / jnp.sqrt(jnp.maximum(s2, 1e-300)))
    P = jnp.einsum("bik,bk,bjk->bij", V, shrink, V)
    return A @ P if A.shape[2] <= A.shape[1] else P @ A


@jitted
def clip_outside(A, r):
    """clip_singular_values for the matrices with ‖A‖₂ > r, from one Gram eigensystem per matrix."""
    s2, V = jnp.linalg.eigh(gram(A))
    shrink = jnp.minimum(1.0, r / jnp.sqrt(jnp.maximum(s2, 1e-300)))
    P = jnp.einsum("bik,bk,bjk->bij", V, shrink, V)
    clipped = A @ P if A.shape[2] <= A.shape[1] else P @ A
    return jnp.where((s2[:, -1] > r * r)[:, None, None], clipped, A)


# Cheap O(size) array ops in NumPy: JAX's per-op dispatch would cost more than the work.


def project_simplex(y, total, lo):
    """Euclidean projection of each row onto {y ≥ lo, Σy = total} (sort-based)."""
    n = y.shape[-1]
    u = -np.sort(-(y - lo), axis=-1)
    css = np.cumsum(u, axis=-1) - (total - n * lo)
    rho = np.sum(u - css / np.arange(1, n + 1) > 0, axis=-1)
    theta = np.take_along_axis(css, (rho - 1)[:, None], axis=-1) / rho[:, None]
    return lo + np.maximum(y - lo - theta, 0.0)


def row_norms(v):
    return np.linalg.norm(v.reshape(v.shape[0], -1), axis=-1)


def project_ball(y, r):
    nrm = row_norms(y)
    scale = np.where(nrm > r, r / np.where(nrm > 0, nrm, 1.0), 1.0)
    return y * scale.reshape((-1,) + (1,) * (y.ndim - 1))


def unit_rows(v):
    nrm = row_norms(v)
    return v / np.where(nrm > 0, nrm, 1.0).reshape((-1,) + (1,) * (v.ndim - 1)), nrm


def gram_schmidt(v, basis):
    """v minus its components along every basis row (twice, for stability); basis: k×B×m×1."""
    for _ in range(2):
        coefs = np.einsum("kbmc,bmc->kb", basis, v)
        v = v - np.einsum("kb,kbmc->bmc", coefs, basis)
    return v


# ---- the interpreter ---------------------------------------------------------------------------


class Points:
    """A batch of points: A (B×n×d), b, w (B×n), x (B×d)."""

    def __init__(self, A, b, w, x):
        self.A, self.b, self.w, self.x = A, b, w, x

    def take(self, rows):
        idx = np.asarray(rows)
        return Points(self.A[idx], self.b[idx], self.w[idx], self.x[idx])

    def __len__(self):
        return self.x.shape[0]

    def stacked(self, names):
        """The named entries per row, stacked into a column (A column-major), B×m×1."""
        parts = [self.block(nm) for nm in names]
        return np.concatenate(parts, axis=1)[:, :, None]

    def block(self, name):
        v = getattr(self, name)
        return np.swapaxes(v, 1, 2).reshape(v.shape[0], -1) if name == "A" else v

    def replaced(self, name, flat):
        if name == "A":
            B, n, d = self.A.shape
            flat = np.swapaxes(flat.reshape(B, d, n), 1, 2)
        out = Points(self.A, self.b, self.w, self.x)
        setattr(out, name, flat)
        return out


def concat_points(parts):
    return Points(*(np.concatenate([getattr(p, k) for p in parts]) for k in NAMES))


class Reference:
    def __init__(self, program, rng_seed):
        self.rng = np.random.default_rng(rng_seed)
        self.store = {}
        self.times = defaultdict(float)
        self.understand(program)

    # -- the program: shapes, constraints, and what each root means
    def understand(self, program):
        nodes = program["ir"]["nodes"]
        specs = {s["name"]: s for s in program["sampling"]}
        if sorted(specs) != sorted(NAMES) or specs["x"]["role"] != "var":
            raise Unknown(f"not the bench loss: sampling specs {sorted(specs)}")
        self.n, self.d = specs["A"]["rows"], specs["A"]["cols"]
        self.specs = specs
        self.order = [s["name"] for s in program["sampling"]]
        if self.order != list(NAMES):
            raise Unknown(f"specs in order {self.order}, the reference stacks {NAMES}")
        self.R = specs["x"]["constraints"][0]["radius"]
        self.scales = [self.spec_scale(specs[k]) for k in NAMES]
        self.loss_root = program["loss"]

        def leaves(r, seen):
            if r in seen:
                return set()
            seen.add(r)
            node = nodes[r]
            out = {node["kind"]} if not node["args"] else set()
            for a in node["args"]:
                out |= leaves(a, seen)
            return out

        def shape(r):
            return nodes[r]["rows"]["value"], nodes[r]["cols"]["value"]

        # The claim's right side is the root the rounding-error bounds cover besides L and ∇L.
        self.expr_meaning = {self.loss_root: "loss"}
        for bound in program.get("bounds") or []:
            r = bound["of"]
            if r != self.loss_root and r not in program["grads"] and shape(r) == (self.d, 1):
                self.expr_meaning[r] = "claimed"
        self.constant_roots = {}
        self.leaves = lambda r: leaves(r, set())
        consts = [nd["attrs"].get("value") for nd in nodes if nd["kind"] == "const"]
        self.only_constant_is_R = consts == [self.R]
        self.stack_shapes = [(self.n, self.d), (self.n, 1), (self.n, 1), (self.d, 1)]
        self.shape_of = shape

    def meaning(self, root):
        """What an expr root is; a 1×1 root over constants alone is the claimed bound 12R²."""
        if root not in self.expr_meaning:
            constant = self.shape_of(root) == (1, 1) and not self.leaves(root) & {"var", "given"}
            if constant and self.only_constant_is_R:
                self.expr_meaning[root] = "bound"
        return self.expr_meaning.get(root)

    @staticmethod
    def spec_scale(spec):
        m = spec["rows"] * spec["cols"]
        lo = hi = None
        for c in spec["constraints"]:
            if c["kind"] == "normBall":
                return c["radius"]
            if c["kind"] == "sum":
                return max(abs(c["value"]), 1e-3)
            if c["kind"] == "lower":
                lo = c["bound"]
            if c["kind"] == "upper":
                hi = c["bound"]
        entry = hi - lo if lo is not None and hi is not None else max(1, abs(lo if lo is not None else (hi or 1)))
        return max(entry, 1e-3) * m**0.5

    # -- handles
    def rows(self, ref):
        v = self.store[ref["of"]]
        if ref.get("rows") is None:
            return v
        return v.take(ref["rows"]) if isinstance(v, Points) else v[np.asarray(ref["rows"])]

    def put(self, h, v):
        self.store[h] = v
        return {}

    # -- sampling and projection
    def sample(self, count):
        n, d, R = self.n, self.d, self.R
        rng = self.rng

        def radii(dims):
            mode = rng.uniform(size=count)
            return np.where(
                mode < BOUNDARY_FRACTION,
                1.0,
                np.where(mode < 2 * BOUNDARY_FRACTION, rng.uniform(size=count), rng.uniform(size=count) ** (1 / dims)),
            )

        A = rng.standard_normal((count, n, d))
        A = A * (R * radii(min(n, d)) / spectral_norms(A))[:, None, None]
        e = rng.exponential(size=(count, n))
        b = e / e.sum(axis=1, keepdims=True)
        w = rng.uniform(2, 3, size=(count, n))
        x = rng.standard_normal((count, d))
        x = x * (R * radii(d) / np.linalg.norm(x, axis=1))[:, None]
        return Points(A, b, w, x)

    def project(self, p, names):
        out = p
        for nm in names:
            if nm == "A":
                # As DerivLens: the norm first; only the matrices outside the ball are clipped.
                if min(self.n, self.d) <= GRAM_SIDE:  # one Gram eigensystem gives the norm and the clip
                    out = Points(clip_outside(out.A, self.R), out.b, out.w, out.x)
                    continue
                nrm = spectral_norms(out.A)
                over = nrm > self.R
                if min(self.n, self.d) > EXACT_SPECTRAL_SIDE:
                    A = out.A * np.where(over, self.R / nrm, 1.0)[:, None, None]
                elif over.any():
                    A = out.A.copy()
                    A[over] = clip_singular_values(out.A[over], self.R)
                else:
                    A = out.A
                out = Points(A, out.b, out.w, out.x)
            elif nm == "b":
                out = Points(out.A, project_simplex(out.b, 1.0, 0.0), out.w, out.x)
            elif nm == "w":
                out = Points(out.A, out.b, np.clip(out.w, 2.0, 3.0), out.x)
            elif nm == "x":
                out = Points(out.A, out.b, out.w, project_ball(out.x, self.R))
        return out

    # -- quantities
    def quantity(self, p, q, vectors=None):
        args = (p.x, p.A, p.b, p.w)
        kind = q["kind"]
        if kind == "expr":
            meaning = self.meaning(q["root"])
            if meaning == "loss":
                return KERNELS["loss"](*args)
            if meaning == "claimed":
                return KERNELS["claimed"](*args)
            if meaning == "bound":
                return np.full((len(p), 1, 1), 12.0 * self.R**2)
            raise Unknown(f"expr root {q['root']} (shape {self.shape_of(q['root'])}) is none of the bench's")
        if kind == "grad" and q.get("wrt") == [0]:
            return KERNELS["grad"](*args)
        if kind == "hess" and q.get("rows") == [0] and q.get("cols") == [0]:
            return KERNELS["hess"](*args)
        if kind == "hvp":
            return KERNELS["hvp"](*args, vectors)
        if kind == "stack":
            if [self.shape_of(r) for r in q["roots"]] != self.stack_shapes:
                raise Unknown(f"stack of roots shaped {[self.shape_of(r) for r in q['roots']]}")
            inputs = q.get("inputs") or []
            if inputs == [{"name": "$v0", "size": self.d}]:
                return self.stack_kernel("quad")(*args, vectors[:, :, 0])[:, :, None]
            if not inputs:
                return self.stack_kernel("gradsq")(*args)[:, :, None]
            raise Unknown(f"stack inputs {inputs}")
        raise Unknown(f"quantity {json.dumps(q)}")

    def stack_kernel(self, which):
        key = "stack_" + which
        if key not in KERNELS:
            fn = quad_form if which == "quad" else half_grad_sq
            KERNELS[key] = batched(search_stack(fn, self.scales))
        return KERNELS[key]

    def matrix(self, p, q):
        if q["kind"] != "hess" or q.get("rows") != [0] or q.get("cols") != [0]:
            raise Unknown(f"matrix quantity {json.dumps(q)}")
        return KERNELS["hess"](p.x, p.A, p.b, p.w)

    # -- the ops
    def run(self, op, a):
        fn = getattr(self, "op_" + op, None)
        if fn is None:
            raise Unknown(f"op {op}")
        return fn(a)

    def op_load(self, a):
        self.store.clear()
        return {}

    def op_sample(self, a):
        if a.get("domain") is not None:
            raise Unknown("per-claim domains")
        return self.put(a["out"], self.sample(len(a["streams"])))

    def op_fill(self, a):
        return self.put(a["out"], np.full((a["count"], a["r"], a["c"]), float(a["value"])))

    def op_scalars(self, a):
        return {"values": np.asarray(self.rows(a["of"])).reshape(-1)}

    def op_gather(self, a):
        parts = [self.rows(r) for r in a["parts"]]
        if isinstance(parts[0], Points):
            return self.put(a["out"], concat_points(parts))
        return self.put(a["out"], np.concatenate(parts))

    def op_assign(self, a):
        base, src = self.rows(a["base"]), self.rows(a["from"])
        out = base
        for nm in a["names"]:
            out = out.replaced(nm, src.block(nm))
        return self.put(a["out"], out)

    def op_directions(self, a):
        m = sum(self.specs[nm]["rows"] * self.specs[nm]["cols"] for nm in a["names"])
        signs = self.rng.choice([-1.0, 1.0], size=(len(a["streams"]), m, 1)) / m**0.5
        return self.put(a["out"], signs)

    def op_move(self, a):
        base, delta = self.rows(a["base"]), self.rows(a["delta"])
        scale = np.asarray(a["scale"], dtype=np.float64)
        weights = a.get("weights") or [1.0] * len(a["names"])
        out, at = base, 0
        for nm, wt in zip(a["names"], weights):
            size = self.specs[nm]["rows"] * self.specs[nm]["cols"]
            step = delta[:, at : at + size, 0] * (scale * wt)[:, None]
            out = out.replaced(nm, out.block(nm) + step)
            at += size
        if a["project"]:
            out = self.project(out, a["names"])
        return self.put(a["out"], out)

    def op_evaluate(self, a):
        p = self.rows(a["points"])
        vectors = self.rows(a["vectors"]) if a.get("vectors") else None
        return self.put(a["out"], self.quantity(p, a["quantity"], vectors))

    def op_linear(self, a):
        total = 0.0
        for t in a["terms"]:
            coef = np.asarray(t["coef"], dtype=np.float64)
            v = self.rows(t)
            total = total + (coef[:, None, None] if coef.ndim else coef) * v
        return self.put(a["out"], total)

    def op_mix(self, a):
        of = self.store[a["of"]]
        rows = [sum(c * of[j] for j, c in zip(g, cs)) for g, cs in zip(a["groups"], a["coefs"])]
        out = np.stack(rows)
        return self.put(a["out"], unit_rows(out)[0] if a.get("normalize") else out)

    def op_normalize(self, a):
        unit, nrm = unit_rows(self.rows(a["of"]))
        self.store[a["out"]] = unit
        return {"values": nrm}

    def op_orthogonalize(self, a):
        basis = np.stack([self.store[h] for h in a["basis"]])
        return self.put(a["out"], gram_schmidt(self.rows(a["of"]), basis))

    def op_norms(self, a):
        v = self.rows(a["of"])
        flat = v.reshape(v.shape[0], -1)
        kind = a["kind"]
        if kind == "norm" or (kind == "opNorm" and min(v.shape[1:]) == 1):
            out = np.linalg.norm(flat, axis=-1)
        elif kind == "maxAbs":
            out = np.max(np.abs(flat), axis=-1)
        elif kind == "minAbs":
            out = np.min(np.abs(flat), axis=-1)
        elif kind == "opNorm":
            out = spectral_norms(v)
        else:
            raise Unknown(f"norm kind {kind}")
        return {"values": out}

    def op_distances(self, a):
        pa = self.rows(a["a"]).stacked(a["names"])
        diff = pa - self.rows(a["b"]).stacked(a["names"]) if a.get("b") else pa
        return {"values": np.linalg.norm(diff[:, :, 0], axis=-1)}

    def op_exceed(self, a):
        x, y, bound = (self.rows(a[k]) for k in ("a", "b", "bound"))
        gap = np.abs(x - y)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(gap == 0, 0.0, gap / bound)
        return {"values": np.max(ratio.reshape(ratio.shape[0], -1), axis=-1)}

    def op_dots(self, a):
        x, y = self.rows(a["a"]), self.rows(a["b"])
        return {"values": np.sum((x * y).reshape(x.shape[0], -1), axis=-1)}

    def op_quad(self, a):
        p, v = self.rows(a["points"]), self.rows(a["vectors"])
        q = a["quantity"]
        if q["kind"] != "hess" or q.get("rows") != [0] or q.get("cols") != [0]:
            raise Unknown(f"quad of {json.dumps(q)}")
        return {"values": KERNELS["quad"](p.x, p.A, p.b, p.w, v)}

    def op_apply(self, a):
        m, v = self.rows(a["values"]), self.rows(a["vectors"])
        return self.put(a["out"], m @ v)

    def op_eigen(self, a):
        p = self.rows(a["points"])
        H = self.matrix(p, a["upper"])
        if a.get("lower"):
            H = H - self.matrix(p, a["lower"])
        H = a["sign"] * H
        vals, vecs = eigh_batch(H)
        if a["which"] == "min":
            k = np.zeros(len(p), dtype=np.int64)
        elif a["which"] == "max":
            k = np.full(len(p), vals.shape[1] - 1)
        elif a["which"] == "absmax":
            k = np.where(np.abs(vals[:, 0]) > np.abs(vals[:, -1]), 0, vals.shape[1] - 1)
        else:
            raise Unknown(f"eigen which={a['which']}")
        value = np.take_along_axis(vals, k[:, None], axis=1)[:, 0]
        vec = np.take_along_axis(vecs, k[:, None, None], axis=2)
        scales = np.max(np.abs(H.reshape(H.shape[0], -1)), axis=-1)
        self.store[a["out"]] = vec
        return {"values": value, "scales": scales}

    def op_extract(self, a):
        return self.put(a["out"], self.rows(a["of"]).stacked(a["names"]))

    def op_pick(self, a):
        v = self.rows(a["of"])
        flat = np.swapaxes(v, 1, 2).reshape(v.shape[0], -1)
        return {"values": flat[np.arange(flat.shape[0]), np.asarray(a["entries"])]}

    def op_signChange(self, a):
        x, y = (np.swapaxes(self.rows(a[k]), 1, 2).reshape(len(self.rows(a[k])), -1) for k in ("a", "b"))
        opposite = x * y < 0
        return {"values": np.where(opposite.any(axis=-1), np.argmax(opposite, axis=-1), -1)}

    def op_fetch(self, a):
        v = self.store[a["of"]]
        if isinstance(v, Points):
            return {"point": {k: v.block(k)[a["row"]] for k in NAMES}}
        return {"value": v[a["row"]]}

    def op_release(self, a):
        for h in a["handles"]:
            self.store.pop(h, None)
        return {}

    def op_stats(self, a):
        return {}


def load_ops(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def replay(ops, seed):
    """One pass over the log; returns seconds and seconds per op kind."""
    program = next(e["args"]["program"] for e in ops if e["op"] == "load")
    started = time.perf_counter()
    ref = Reference(program, seed)
    per_op = defaultdict(float)
    for entry in ops:
        t0 = time.perf_counter()
        if "error" in entry:
            raise Unknown(f"the log has a failed op ({entry['op']}: {entry['error']['message']})")
        ref.run(entry["op"], entry["args"])  # blocks: kernels answer NumPy arrays
        per_op[entry["op"]] += time.perf_counter() - t0
    return time.perf_counter() - started, dict(per_op)


def check(ops):
    """Every op and quantity understood, without running any numerics."""
    program = next((e["args"]["program"] for e in ops if e["op"] == "load"), None)
    if program is None:
        raise Unknown("no load op in the log")
    ref = Reference(program, 0)
    for k, entry in enumerate(ops):
        op, a = entry["op"], entry["args"]
        if not hasattr(ref, "op_" + op):
            raise Unknown(f"op {k}: {op}")
        quantities = [a.get("quantity"), a.get("upper"), a.get("lower")]
        for q in filter(None, quantities):
            if op == "evaluate":
                kind = q["kind"]
                if kind == "expr" and ref.meaning(q["root"]) is None:
                    raise Unknown(f"op {k}: expr root {q['root']}")
                if kind == "stack" and [ref.shape_of(r) for r in q["roots"]] != ref.stack_shapes:
                    raise Unknown(f"op {k}: stack roots {q['roots']}")
                if kind not in ("expr", "grad", "hess", "hvp", "stack"):
                    raise Unknown(f"op {k}: quantity {json.dumps(q)}")
            elif q["kind"] != "hess":
                raise Unknown(f"op {k}: {op} of {json.dumps(q)}")
    return len(ops)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ops", help="a DERIVLENS_RECORD log of `derivlens check` on the bench loss")
    p.add_argument("--check-only", action="store_true")
    a = p.parse_args()
    ops = load_ops(a.ops)
    try:
        if a.check_only:
            print(json.dumps({"ops": check(ops), "understood": True}))
            return
        check(ops)
        first, _ = replay(ops, 0)
        warm, per_op = replay(ops, 0)
    except Unknown as e:
        print(json.dumps({"error": f"reference does not understand the log: {e}"}))
        sys.exit(2)
    top = dict(sorted(((k, round(v, 4)) for k, v in per_op.items()), key=lambda kv: -kv[1]))
    print(json.dumps({"ops": len(ops), "first_s": first, "warm_s": warm, "warm_by_op": top, "jax": jax.__version__}))


if __name__ == "__main__":
    main()
