"""Hand-written reference for the large case of `npm run bench`: softmax regression
L(x) = ½‖softmax(Ax) − b‖² + ½‖diag(w)Ax‖² with fixed data (n×d), the same work as DerivLens's
budget N on `hess L psd` and `lipschitz(grad L) <= 12 R^2`:

  PSD:       N Hessians (Aᵀ M A, formed explicitly) + eigh; then 16 restarts × 25 steps of
             13 Hessian-vector products and one Hessian + eigh each;
  Lipschitz: 2N pairs (2 losses, 2 gradients each); 16 × 25 ascent steps of 2 gradients.

JAX (x64, jit, vmap) on the default device, or PyTorch with --framework torch. Prints JSON: total
and Hessian-formation seconds, nominal Hessian flops (2·n·d² per Hessian) and a same-run f64 GEMM
rate as the machine's reference peak."""

import argparse
import json
import time

import numpy as np

RESTARTS, STEPS, PROBES = 16, 25, 13


def data(n, d, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    A *= 2.0 / np.linalg.norm(A, 2)
    b = rng.exponential(size=n)
    b /= b.sum()
    w = rng.uniform(2, 3, size=n)
    return A, b, w


def gemm_rate(xp, make, sync, size=4096):
    a = make(np.random.default_rng(0).standard_normal((size, size)))
    sync(a @ a)
    t0 = time.perf_counter()
    for _ in range(3):
        c = a @ a
    sync(c)
    return 3 * 2 * size**3 / (time.perf_counter() - t0)


def run_jax(A, b, w, points, chunk):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    A, b, w = jnp.asarray(A), jnp.asarray(b), jnp.asarray(w)
    n, d = A.shape

    def parts(x):
        z = A @ x
        f = jax.nn.softmax(z)
        c = 2 * f - b
        s = jnp.dot(f, f - b)
        return z, f, c, s

    def loss(x):
        z, f, _, _ = parts(x)
        return 0.5 * jnp.sum((f - b) ** 2) + 0.5 * jnp.sum((w * z) ** 2)

    def grad(x):
        z, f, _, s = parts(x)
        return A.T @ (f * (f - b) - s * f) + A.T @ (w**2 * z)

    def hess(x):
        _, f, c, s = parts(x)
        P = f[:, None] * A - jnp.outer(f, f @ A)
        MA = (w**2)[:, None] * A + c[:, None] * P - jnp.outer(f, c @ P) - s * P
        return A.T @ MA

    def hvp(x, v):
        _, f, c, s = parts(x)
        a = A @ v
        p = f * a - f * jnp.dot(f, a)
        return A.T @ (w**2 * a + c * p - f * jnp.dot(c, p) - s * p)

    hess_b = jax.jit(jax.vmap(hess))
    eigh_b = jax.jit(jnp.linalg.eigh)
    hvp_b = jax.jit(jax.vmap(hvp))
    grad_b = jax.jit(jax.vmap(grad))
    loss_b = jax.jit(jax.vmap(loss))
    key = jax.random.PRNGKey(0)

    def ball(key, m):
        x = jax.random.normal(key, (m, d))
        r = 2.0 * jax.random.uniform(jax.random.fold_in(key, 1), (m, 1)) ** (1 / d)
        return x * r / jnp.linalg.norm(x, axis=1, keepdims=True)

    def work():
        formation = 0.0
        t0 = time.perf_counter()
        xs = ball(key, points)
        for s in range(0, points, chunk):
            t1 = time.perf_counter()
            H = jax.block_until_ready(hess_b(xs[s : s + chunk]))
            formation += time.perf_counter() - t1
            jax.block_until_ready(eigh_b(H)[0][:, 0])
            jax.block_until_ready(loss_b(xs[s : s + chunk]))
        cur = xs[:RESTARTS]
        for _ in range(STEPS):
            probes = jnp.repeat(cur, PROBES, axis=0)
            jax.block_until_ready(hvp_b(probes, probes))
            H = hess_b(cur)
            jax.block_until_ready(eigh_b(H)[0])
            cur = cur * 0.999
        ys = ball(jax.random.fold_in(key, 2), 2 * points)
        zs = ball(jax.random.fold_in(key, 3), 2 * points)
        for s in range(0, 2 * points, 4 * chunk):
            jax.block_until_ready(
                (loss_b(ys[s : s + 4 * chunk]), loss_b(zs[s : s + 4 * chunk]), grad_b(ys[s : s + 4 * chunk]), grad_b(zs[s : s + 4 * chunk]))
            )
        pairs = jnp.concatenate([ys[: 2 * RESTARTS]])
        for _ in range(STEPS):
            jax.block_until_ready(grad_b(pairs))
        return time.perf_counter() - t0, formation

    first, _ = work()  # includes compilation, as a DerivLens check does
    total, formation = work()
    peak = gemm_rate(jnp, jnp.asarray, jax.block_until_ready)
    return {
        "framework": f"jax {jax.__version__}",
        "device": str(jax.devices()[0]),
        "first_s": first,
        "total_s": total,
        "hessian_s": formation,
        "gemm_flops": peak,
    }


def run_torch(A, b, w, points, chunk):
    import torch

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    T = lambda a: torch.as_tensor(a, dtype=torch.float64, device=dev)
    A, b, w = T(A), T(b), T(w)
    n, d = A.shape
    sync = (lambda *_: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda *_: None)

    def parts(x):
        z = x @ A.T
        f = torch.softmax(z, dim=1)
        c = 2 * f - b
        s = (f * (f - b)).sum(1, keepdim=True)
        return z, f, c, s

    def hess(x):
        _, f, c, s = parts(x)
        P = f[:, :, None] * A - f[:, :, None] * (f @ A)[:, None, :]
        MA = (
            (w**2)[None, :, None] * A + c[:, :, None] * P - f[:, :, None] * torch.einsum("bn,bnd->bd", c, P)[:, None, :] - s[:, :, None] * P
        )
        return torch.einsum("nk,bnd->bkd", A, MA)

    def hvp(x, v):
        _, f, c, s = parts(x)
        a = v @ A.T
        p = f * a - f * (f * a).sum(1, keepdim=True)
        return (w**2 * a + c * p - f * (c * p).sum(1, keepdim=True) - s * p) @ A

    def grad(x):
        z, f, _, s = parts(x)
        return (f * (f - b) - s * f + w**2 * z) @ A

    def loss(x):
        z, f, _, _ = parts(x)
        return 0.5 * ((f - b) ** 2).sum(1) + 0.5 * ((w * z) ** 2).sum(1)

    gen = torch.Generator(device=dev).manual_seed(0)

    def ball(m):
        x = torch.randn(m, d, generator=gen, device=dev, dtype=torch.float64)
        r = 2.0 * torch.rand(m, 1, generator=gen, device=dev, dtype=torch.float64) ** (1 / d)
        return x * r / x.norm(dim=1, keepdim=True)

    def work():
        formation = 0.0
        t0 = time.perf_counter()
        xs = ball(points)
        for s in range(0, points, chunk):
            sync()
            t1 = time.perf_counter()
            H = hess(xs[s : s + chunk])
            sync()
            formation += time.perf_counter() - t1
            torch.linalg.eigh(H)[0][:, 0].cpu()
            loss(xs[s : s + chunk]).cpu()
        cur = xs[:RESTARTS]
        for _ in range(STEPS):
            probes = cur.repeat_interleave(PROBES, 0)
            hvp(probes, probes).cpu()
            torch.linalg.eigh(hess(cur))[0].cpu()
            cur = cur * 0.999
        ys, zs = ball(2 * points), ball(2 * points)
        for s in range(0, 2 * points, 4 * chunk):
            for t in (ys[s : s + 4 * chunk], zs[s : s + 4 * chunk]):
                loss(t).cpu(), grad(t).cpu()
        for _ in range(STEPS):
            grad(ys[: 2 * RESTARTS]).cpu()
        return time.perf_counter() - t0, formation

    first, _ = work()
    total, formation = work()
    peak = gemm_rate(torch, T, sync)
    return {
        "framework": f"torch {torch.__version__}",
        "device": str(torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"),
        "first_s": first,
        "total_s": total,
        "hessian_s": formation,
        "gemm_flops": peak,
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--d", type=int, default=256)
    p.add_argument("--points", type=int, default=4096)
    p.add_argument("--chunk", type=int, default=32)
    p.add_argument("--framework", choices=["jax", "torch"], default="jax")
    p.add_argument("--write-data", help="write the data as DerivLens --data JSON to this path and exit")
    a = p.parse_args()
    A, b, w = data(a.n, a.d, 0)
    if a.write_data:
        with open(a.write_data, "w") as f:
            json.dump({"A": A.tolist(), "b": b.tolist(), "w": w.tolist()}, f)
        raise SystemExit(0)
    out = (run_jax if a.framework == "jax" else run_torch)(A, b, w, a.points, a.chunk)
    out.update(n=a.n, d=a.d, points=a.points, hessian_flops=a.points * 2 * a.n * a.d * a.d)
    print(json.dumps(out))
