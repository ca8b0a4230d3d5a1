"""Array backends: PyTorch (CUDA when present), JAX (x64) or NumPy, all in float64: the batched
evaluation and eigensolves of the evaluator run on them."""

import os
import platform

import numpy as np


class NumpyBackend:
    name = "python-numpy"

    def __init__(self):
        np.seterr(all="ignore")
        self.xp = np
        self.device = f"CPU (NumPy {np.__version__}, Python {platform.python_version()})"
        self.gpu = False

    def asarray(self, a):
        return np.asarray(a, dtype=np.float64)

    def to_numpy(self, a):
        return np.asarray(a)

    def constant(self, a):
        """A value fixed by the IR (I, 1, e_k, …), cached across evaluations."""
        return np.asarray(a, dtype=np.float64)

    def sum_all(self, x):
        return x.sum(axis=(1, 2), keepdims=True)

    def matmul(self, a, b):
        """Batched product; a factor shared by the whole batch (data) is contracted as one large
        GEMM instead of being broadcast to every point."""
        if self.xp is not np and a.shape[0] == 1 and b.shape[0] > 1:
            return self.xp.einsum("ij,bjk->bik", a[0], b)
        if self.xp is not np and b.shape[0] == 1 and a.shape[0] > 1:
            return self.xp.einsum("bij,jk->bik", a, b[0])
        return a @ b

    def max_all(self, x):
        return x.max(axis=(1, 2), keepdims=True)

    def finite(self, x):
        """Per matrix of the stack: are all its entries finite?"""
        return self.xp.isfinite(x).all(axis=(1, 2))

    def det(self, x):
        return self.xp.linalg.det(x)

    def slogdet(self, x):
        sign, logabs = self.xp.linalg.slogdet(x)
        return sign, logabs

    def inv(self, x):
        """Inverses of a stack; a singular matrix gets NaN entries, never an exception (LAPACK via
        NumPy raises on one, so the stack is retried matrix by matrix)."""
        try:
            return np.linalg.inv(x)
        except np.linalg.LinAlgError:
            out = np.full(x.shape, np.nan)
            for i in range(x.shape[0]):
                try:
                    out[i] = np.linalg.inv(x[i])
                except np.linalg.LinAlgError:
                    pass
            return out

    def swap(self, x):
        return x.swapaxes(-1, -2)

    def diagonal(self, x):
        return self.xp.diagonal(x, axis1=1, axis2=2)[..., None]

    def concat(self, parts, axis):
        return self.xp.concatenate(parts, axis=axis)

    def broadcast(self, x, batch):
        return self.xp.broadcast_to(x, (batch,) + tuple(x.shape[1:]))

    def eigh(self, a):
        """Ascending eigenvalues and eigenvectors (columns) of a stack of symmetric matrices."""
        s = 0.5 * (a + self.swap(a))
        return self.xp.linalg.eigh(s)

    def extreme_eigenpairs(self, m, which="min"):
        """Per matrix of the stack: the smallest, largest or largest-in-magnitude eigenvalue (signed),
        its eigenvector and the largest |entry| — NaN (Inf) there when the matrix holds a NaN (an
        Inf), whose eigenpair is then meaningless: non-finite matrices are zeroed before the eigensolve."""
        xp = self.xp
        finite = xp.isfinite(m).all(axis=(1, 2))
        vals, vecs = self.eigh(xp.where(finite[:, None, None], m, 0.0))
        return pick_extreme(xp, vals, vecs, which) + (xp.abs(m).max(axis=(1, 2)),)

    def free_bytes(self):
        """Bytes one batch's values may take: DERIVLENS_BATCH_BYTES, else a quarter of physical
        memory (at most 8 GiB), since the estimate counts every intermediate as live at once."""
        if "DERIVLENS_BATCH_BYTES" in os.environ:
            return int(os.environ["DERIVLENS_BATCH_BYTES"])
        try:
            physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            physical = 4 << 30
        return int(min(physical // 4, 8 << 30))

    def sync(self, values):
        """Waits until the values are computed (for timings; asynchronous backends only)."""

    def jit(self, fn):
        return fn

    # Batch sizes are padded to a power of two when compiling per shape (JAX).
    pad_batch = False


class JaxBackend(NumpyBackend):
    name = "python-jax"
    pad_batch = True

    def __init__(self):
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        self.jax = jax
        self.xp = jnp
        dev = jax.devices()[0]
        self.gpu = dev.platform == "gpu"
        self.device = f"{'CUDA ' + dev.device_kind if self.gpu else 'CPU'} (JAX {jax.__version__}, x64)"
        np.seterr(all="ignore")

    def asarray(self, a):
        return self.xp.asarray(a, dtype=self.xp.float64)

    def to_numpy(self, a):
        return np.asarray(a)

    def inv(self, x):
        # jax.numpy gives some non-finite entries for a singular matrix instead of raising; make them all NaN.
        out = self.xp.linalg.inv(x)
        return self.xp.where(self.finite(out)[:, None, None], out, self.xp.nan)

    def jit(self, fn):
        # One compiled program per plan and batch size; batches are padded to powers of two
        # (pad_batch) so a check compiles a handful of shapes, not one per batch.
        return self.jax.jit(fn)

    def sync(self, values):
        self.jax.block_until_ready(values)

    def extreme_eigenpairs(self, m, which="min"):
        if not hasattr(self, "_eigenpairs"):
            self._eigenpairs = self.jax.jit(super().extreme_eigenpairs, static_argnums=1)
        return self._eigenpairs(m, which)

    def free_bytes(self):
        if self.gpu:
            stats = self.jax.devices()[0].memory_stats() or {}
            if "bytes_limit" in stats:
                return int(0.5 * (stats["bytes_limit"] - stats.get("bytes_in_use", 0)))
        return super().free_bytes()


class TorchBackend(NumpyBackend):
    name = "python-torch"

    def __init__(self):
        import torch

        self.torch = torch
        self.xp = torch
        self.gpu = torch.cuda.is_available()
        self.dev = torch.device("cuda" if self.gpu else "cpu")
        kind = torch.cuda.get_device_name(0) if self.gpu else "CPU"
        self.device = f"{'CUDA ' if self.gpu else ''}{kind} (PyTorch {torch.__version__}, float64)"
        torch.set_default_dtype(torch.float64)
        np.seterr(all="ignore")

    def asarray(self, a):
        if isinstance(a, self.torch.Tensor):
            return a.to(self.dev, self.torch.float64)
        return self.torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.dev)

    def to_numpy(self, a):
        return a.detach().cpu().numpy() if isinstance(a, self.torch.Tensor) else np.asarray(a)

    def constant(self, a):
        return self.asarray(a)

    def sum_all(self, x):
        return x.sum(dim=(1, 2), keepdim=True)

    def max_all(self, x):
        return x.amax(dim=(1, 2), keepdim=True)

    def finite(self, x):
        return self.torch.isfinite(x).flatten(1).all(dim=1)

    def inv(self, x):
        # inv_ex reports singular matrices in `info` instead of raising.
        out, info = self.torch.linalg.inv_ex(x)
        return self.torch.where((info != 0)[:, None, None], self.torch.full_like(out, float("nan")), out)

    def swap(self, x):
        return x.transpose(-1, -2)

    def diagonal(self, x):
        return self.torch.diagonal(x, dim1=1, dim2=2).unsqueeze(-1)

    def concat(self, parts, axis):
        return self.torch.cat(parts, dim=axis)

    def broadcast(self, x, batch):
        return x.expand((batch,) + tuple(x.shape[1:]))

    def eigh(self, a):
        return self.torch.linalg.eigh(0.5 * (a + self.swap(a)))

    def extreme_eigenpairs(self, m, which="min"):
        t = self.torch
        finite = t.isfinite(m).flatten(1).all(dim=1)
        vals, vecs = self.eigh(t.where(finite[:, None, None], m, t.zeros_like(m)))
        return pick_extreme(t, vals, vecs, which) + (m.abs().flatten(1).amax(dim=1),)

    def sync(self, values):
        if self.gpu:
            self.torch.cuda.synchronize()

    def free_bytes(self):
        if self.gpu:
            free, _total = self.torch.cuda.mem_get_info()
            return int(0.5 * free)
        return super().free_bytes()


def pick_extreme(xp, vals, vecs, which):
    """(eigenvalue, eigenvector) per matrix from ascending eigh output: the first, the last, or the
    one of larger magnitude (the last on a tie, as the CPU evaluator)."""
    if which == "min":
        return vals[:, 0], vecs[:, :, 0]
    if which == "max":
        return vals[:, -1], vecs[:, :, -1]
    first = xp.abs(vals[:, 0]) > xp.abs(vals[:, -1])
    return xp.where(first, vals[:, 0], vals[:, -1]), xp.where(first[:, None], vecs[:, :, 0], vecs[:, :, -1])


def select_backend(preference=None):
    """torch, then jax, then numpy (DERIVLENS_PY_BACKEND forces one); returns (backend, notes)."""
    preference = preference or os.environ.get("DERIVLENS_PY_BACKEND", "auto")
    order = {"auto": ["torch", "jax", "numpy"], "torch": ["torch"], "jax": ["jax"], "numpy": ["numpy"]}.get(preference)
    if order is None:
        raise ValueError(f"unknown backend {preference!r}: use torch, jax, numpy or auto")
    notes = []
    for name in order:
        try:
            if name == "torch":
                return TorchBackend(), notes
            if name == "jax":
                return JaxBackend(), notes
            return NumpyBackend(), notes
        except ImportError as e:
            notes.append(f"{name}: {e}")
    raise ImportError("; ".join(notes))
