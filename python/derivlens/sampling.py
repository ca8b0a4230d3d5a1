"""Draws givens and vars from their constraints and projects search iterates back, exactly as
src/numeric/sampling.ts does (same streams, same order of draws), on host NumPy arrays."""

import math

import numpy as np

from .rng import Stream, stream_key

BOUNDARY_FRACTION = 0.25
FEASIBILITY_TOL = 1e-9


class SamplingError(Exception):
    """The domain of `name` cannot be sampled; `reason` is "simplex" (an impossible sum) or
    "tries". The driver words the message (samplingFailure in src/numeric/sampling.ts)."""

    def __init__(self, name, reason):
        super().__init__(f"{name}: {reason}")
        self.data = {"name": name, "reason": reason}


def parse(constraints):
    p = {}
    for c in constraints:
        kind = c["kind"]
        if kind == "normBall":
            if not ("ball" in p and p["ball"][1] <= c["radius"]):
                p["ball"] = (c["norm"], c["radius"])
        elif kind == "lower":
            p["lower"] = max(p.get("lower", -math.inf), c["bound"])
        elif kind == "upper":
            p["upper"] = min(p.get("upper", math.inf), c["bound"])
        else:
            p["sum"] = c["value"]
    return p


def column_major(x, rows, cols):
    """Flat column-major storage -> rows x cols matrix."""
    return x.reshape(cols, rows).T


# Same rule as EXACT_SPECTRAL_SIDE in sampling.ts: larger matrices are projected by radial scaling.
EXACT_SPECTRAL_SIDE = 64


def spectral_norm(flat, rows, cols):
    if rows == 1 or cols == 1:
        return float(np.sqrt(np.dot(flat, flat)))
    return float(np.linalg.norm(column_major(flat, rows, cols), 2))


def norm(x, spec, kind):
    if kind == "1":
        return float(np.sum(np.abs(x)))
    if kind == "spectral":
        return spectral_norm(x, spec["rows"], spec["cols"])
    return float(np.sqrt(np.dot(x, x)))


def feasible(x, spec):
    for c in spec["constraints"]:
        kind = c["kind"]
        if kind == "normBall":
            ok = norm(x, spec, c["norm"]) <= c["radius"] * (1 + FEASIBILITY_TOL) + FEASIBILITY_TOL
        elif kind == "lower":
            ok = bool(np.all(x >= c["bound"] - FEASIBILITY_TOL))
        elif kind == "upper":
            ok = bool(np.all(x <= c["bound"] + FEASIBILITY_TOL))
        else:
            ok = abs(float(np.sum(x)) - c["value"]) <= FEASIBILITY_TOL * max(1, abs(c["value"])) * x.size
        if not ok:
            return False
    return True


def draw_once(spec, p, rng):
    size = spec["rows"] * spec["cols"]
    if "sum" in p:
        if "lower" in p:
            mass = p["sum"] - size * p["lower"]
            if mass < 0:
                raise SamplingError(spec["name"], "simplex")
            e = rng.exponentials(size)
            return p["lower"] + (mass * e) / _sequential_sum(e)
        x = rng.normals(size)
        return x + (p["sum"] - _sequential_sum(x)) / size
    if "ball" in p:
        kind, radius = p["ball"]
        if kind == "1":
            u = rng.uniforms(2 * size)
            x = -np.log(1.0 - u[0::2]) * np.where(u[1::2] < 0.5, -1.0, 1.0)
        else:
            x = rng.normals(size)
        mode = rng.uniform()
        dims = min(spec["rows"], spec["cols"]) if kind == "spectral" else size
        if mode < BOUNDARY_FRACTION:
            t = 1.0
        elif mode < 2 * BOUNDARY_FRACTION:
            t = rng.uniform()
        else:
            t = rng.uniform() ** (1 / dims)
        current = norm(x, spec, kind)
        scale = (radius * t) / current if current > 0 else 0.0
        return x * scale
    lo, hi = p.get("lower"), p.get("upper")
    if lo is not None and hi is not None:
        return lo + (hi - lo) * rng.uniforms(size)
    if lo is not None:
        return lo + rng.exponentials(size)
    if hi is not None:
        return hi - rng.exponentials(size)
    return rng.normals(size)


def _sequential_sum(x):
    """Left-to-right sum, as the CPU worker's loop adds (keeps the simplex draw bit-identical)."""
    return float(np.add.accumulate(x)[-1]) if x.size else 0.0


def project(x, spec):
    p = parse(spec["constraints"])
    y = np.array(x, dtype=np.float64, copy=True)
    if "sum" in p and "lower" in p:
        return project_simplex(y, p["sum"], p["lower"])
    if "sum" in p:
        y = y + (p["sum"] - float(np.sum(y))) / y.size
    if "lower" in p or "upper" in p:
        y = np.minimum(p.get("upper", math.inf), np.maximum(p.get("lower", -math.inf), y))
    if "ball" in p:
        return project_ball(y, spec, *p["ball"])
    return y


def project_ball(y, spec, kind, radius):
    """Euclidean projection onto a norm ball, as projectBall in sampling.ts: radial scaling (2, F),
    singular values clipped at r (spectral, through the smaller Gram matrix), soft thresholding (1)."""
    current = norm(y, spec, kind)
    if not current > radius:
        return y
    rows, cols = spec["rows"], spec["cols"]
    if kind == "1":
        a = np.sort(np.abs(y))[::-1]
        t = (np.cumsum(a) - radius) / np.arange(1, a.size + 1)
        ok = np.nonzero(a - t > 0)[0]
        theta = t[ok[-1]] if ok.size else 0.0
        return np.sign(y) * np.maximum(0.0, np.abs(y) - theta)
    if kind != "spectral" or rows == 1 or cols == 1 or min(rows, cols) > EXACT_SPECTRAL_SIDE:
        return y * (radius / current)
    m = column_major(y, rows, cols)
    on_cols = cols <= rows
    values, vectors = np.linalg.eigh(m.T @ m if on_cols else m @ m.T)
    with np.errstate(divide="ignore"):
        shrink = np.minimum(1.0, radius / np.sqrt(np.maximum(values, 0.0)))
    p = (vectors * shrink) @ vectors.T
    out = m @ p if on_cols else p @ m
    return out.T.reshape(-1)


def project_simplex(y, s, lo):
    n = y.size
    mass = s - n * lo
    v = np.sort(y - lo)[::-1]
    cum = np.cumsum(v)
    t = (cum - mass) / np.arange(1, n + 1)
    ok = np.nonzero(v - t > 0)[0]
    theta = t[ok[-1]] if ok.size else 0.0
    return lo + np.maximum(0.0, y - lo - theta)


class Sampler:
    def __init__(self, specs, seed):
        self.specs = specs
        self.seed = seed
        self.parsed = [parse(s["constraints"]) for s in specs]
        # Fixed data is converted once (it can be millions of numbers) and shared, never copied.
        self.fixed = {s["name"]: np.asarray(s["fixed"], dtype=np.float64) for s in specs if s.get("fixed") is not None}
        self.vars = [s for s in specs if s["role"] == "var"]

    def draw(self, *ids):
        """One point: name -> flat column-major float64 vector."""
        out = {}
        for k, spec in enumerate(self.specs):
            if spec["name"] in self.fixed:
                out[spec["name"]] = self.fixed[spec["name"]]
                continue
            rng = Stream(stream_key(self.seed, *ids, k))
            for _ in range(50):
                x = draw_once(spec, self.parsed[k], rng)
                if feasible(x, spec):
                    out[spec["name"]] = x
                    break
            else:
                raise SamplingError(spec["name"], "tries")
        return out

    def direction(self, ids, specs=None):
        """Random ±1 entries (32 per bits() draw) over the specs, scaled to unit total norm."""
        specs = self.vars if specs is None else specs
        names = {s["name"] for s in specs}
        out = {}
        total = 0
        for k, spec in enumerate(self.specs):
            if spec["name"] not in names:
                continue
            rng = Stream(stream_key(self.seed, *ids, k))
            size = spec["rows"] * spec["cols"]
            words = rng.bits((size + 31) // 32)
            bits = (words[:, None] >> np.arange(32, dtype=np.uint32)[None, :]) & np.uint32(1)
            d = np.where(bits.reshape(-1)[:size] == 1, 1.0, -1.0)
            total += size
            out[spec["name"]] = d
        scale = 1 / math.sqrt(total) if total > 0 else 0.0
        return {k: v * scale for k, v in out.items()}
