"""Reference for `npm run bench`: the checks DerivLens's default budget runs on softmax regression
(gradient identity with finite differences, PSD search, Lipschitz-of-gradient search), written
directly in JAX (float64, CPU), with the same numbers of evaluations. Prints JSON timings."""

import argparse, json, time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

POINTS, RESTARTS, STEPS, PAIRS, DIRS = 32, 4, 25, 64, 8


def problem(n, d, seed):
    rng = np.random.default_rng(seed)
    R = 2.0

    def sample():
        A = rng.standard_normal((n, d))
        A *= R * rng.uniform() / np.linalg.norm(A, 2)
        b = rng.exponential(size=n)
        b /= b.sum()
        w = rng.uniform(2, 3, size=n)
        x = rng.standard_normal(d)
        x *= R * rng.uniform() ** (1 / d) / np.linalg.norm(x)
        return A, b, w, x

    return sample


def loss(x, A, b, w):
    u = jnp.exp(A @ x)
    f = u / jnp.sum(u)
    return 0.5 * jnp.sum((f - b) ** 2) + 0.5 * jnp.sum((w * (A @ x)) ** 2)


def claimed_grad(x, A, b, w):
    u = jnp.exp(A @ x)
    f = u / jnp.sum(u)
    return A.T @ (f * (f - b) - jnp.dot(f, f - b) * f) + A.T @ (w**2 * (A @ x))


grad = jax.jit(jax.grad(loss))
hess = jax.jit(jax.hessian(loss))
claimed = jax.jit(claimed_grad)
eigvalsh = jax.jit(jnp.linalg.eigh)
loss_batch = jax.jit(jax.vmap(loss, in_axes=(0, None, None, None)))
grad_batch = jax.jit(jax.vmap(grad, in_axes=(0, None, None, None)))


def run(n, d, seed):
    sample = problem(n, d, seed)
    rng = np.random.default_rng(seed + 1)
    # Gradient identity at POINTS points, with Richardson central differences (4d loss evaluations).
    for _ in range(POINTS):
        A, b, w, x = sample()
        g = grad(x, A, b, w)
        c = claimed(x, A, b, w)
        eye = jnp.eye(d)
        h = 1e-3 * jnp.maximum(1, jnp.abs(x))
        xs = jnp.concatenate([x + eye * h[:, None], x - eye * h[:, None], x + eye * h[:, None] / 2, x - eye * h[:, None] / 2])
        vals = loss_batch(xs, A, b, w)
        jax.block_until_ready((g, c, vals))
    # PSD: λ_min at POINTS points, then RESTARTS × STEPS descent steps of DIRS two-sided Hessian
    # probes plus one candidate each.
    for _ in range(POINTS):
        A, b, w, x = sample()
        jax.block_until_ready(eigvalsh(hess(x, A, b, w)))
    A, b, w, x = sample()
    for _ in range(RESTARTS * STEPS):
        vals, vecs = eigvalsh(hess(x, A, b, w))
        v = vecs[:, 0]
        for _ in range(DIRS):
            u = rng.standard_normal(d) * 1e-4
            jax.block_until_ready((v @ hess(x + u, A, b, w) @ v, v @ hess(x - u, A, b, w) @ v))
    # Lipschitz of the gradient: PAIRS pairs, then RESTARTS × STEPS ascent steps (two gradients each).
    for _ in range(PAIRS):
        A, b, w, x = sample()
        _, _, _, y = sample()
        jax.block_until_ready(grad_batch(jnp.stack([x, y]), A, b, w))
    for _ in range(RESTARTS * STEPS):
        jax.block_until_ready(grad_batch(jnp.stack([x + 1e-3, x - 1e-3]), A, b, w))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--d", type=int, required=True)
    a = p.parse_args()
    t0 = time.perf_counter()
    run(a.n, a.d, 0)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    run(a.n, a.d, 1)
    warm = time.perf_counter() - t0
    print(json.dumps({"n": a.n, "d": a.d, "first_s": first, "warm_s": warm, "jax": jax.__version__}))
