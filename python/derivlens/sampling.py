"""Draws givens and vars from their constraints and projects search iterates back, exactly as
src/numeric/sampling.ts does (same streams, same order of draws), on host NumPy arrays: a port of
that file, kept in step with it (the RNG and sampler parity tests compare the two)."""

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
                p["ball"] = (c["norm"], c["radius"], c.get("center"))
        elif kind == "lower":
            p["lower"] = max(p.get("lower", -math.inf), c["bound"])
        elif kind == "upper":
            p["upper"] = min(p.get("upper", math.inf), c["bound"])
        elif kind == "sum":
            p["sum"] = c["value"]
        else:
            p["matrix"] = "psd" if kind == "psd" or p.get("matrix") == "psd" else "sym"
    return p


def column_major(x, rows, cols):
    """Flat column-major storage -> rows x cols matrix."""
    return x.reshape(cols, rows).T


# Same rule as EXACT_SPECTRAL_SIDE in sampling.ts: larger matrices are projected by radial scaling.
EXACT_SPECTRAL_SIDE = 256


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


def member_spec(spec):
    """A member's spec: a family's member (rows/blocks x cols), or the spec itself."""
    blocks = spec.get("blocks", 1)
    return spec if blocks == 1 else {**spec, "rows": spec["rows"] // blocks, "blocks": 1}


def get_member(x, spec, i):
    """Member i of a family stacked by rows (flat column-major storage)."""
    blocks = spec.get("blocks", 1)
    if blocks == 1:
        return x
    r = spec["rows"] // blocks
    return column_major(x, spec["rows"], spec["cols"])[i * r : (i + 1) * r, :].T.reshape(-1)


def set_member(x, spec, i, m):
    blocks = spec.get("blocks", 1)
    if blocks == 1:
        x[:] = m
        return
    r = spec["rows"] // blocks
    full = column_major(x, spec["rows"], spec["cols"]).copy()
    full[i * r : (i + 1) * r, :] = column_major(m, r, spec["cols"])
    x[:] = full.T.reshape(-1)


def asymmetry(x, n):
    m = column_major(x, n, n)
    return float(np.max(np.abs(m - m.T))) if n > 0 else 0.0


def centre_value(centre, root):
    if centre is None:
        raise ValueError(f"a centred ball (centre: IR root {root}) needs the centre's value")
    return centre(root)


def feasible(x, spec, centre=None):
    """Does x satisfy every constraint (up to rounding)? Per member for a family; `centre(root)` gives
    the centre of a centred ball."""
    member = member_spec(spec)
    for b in range(spec.get("blocks", 1)):
        m = get_member(x, spec, b)
        for c in spec["constraints"]:
            kind = c["kind"]
            if kind == "normBall":
                dev = m if c.get("center") is None else m - centre_value(centre, c["center"])
                ok = norm(dev, member, c["norm"]) <= c["radius"] * (1 + FEASIBILITY_TOL) + FEASIBILITY_TOL
            elif kind == "lower":
                ok = bool(np.all(m >= c["bound"] - FEASIBILITY_TOL))
            elif kind == "upper":
                ok = bool(np.all(m <= c["bound"] + FEASIBILITY_TOL))
            elif kind == "sum":
                ok = abs(float(np.sum(m)) - c["value"]) <= FEASIBILITY_TOL * max(1, abs(c["value"])) * m.size
            else:
                n = member["rows"]
                tol = FEASIBILITY_TOL * max(1.0, float(np.max(np.abs(m))) if m.size else 0.0)
                sym = column_major(m, n, n)
                ok = asymmetry(m, n) <= tol and (kind == "sym" or float(np.linalg.eigvalsh(0.5 * (sym + sym.T))[0]) >= -tol * n)
            if not ok:
                return False
    return True


def draw_structured(kind, n, rng):
    """A random symmetric (G + Gᵀ)/2 or PSD G Gᵀ/n matrix (flat column-major), G standard normal."""
    g = column_major(rng.normals(n * n), n, n)
    x = (g + g.T) / 2 if kind == "sym" else np.array([[_sequential_sum(g[i] * g[j]) for j in range(n)] for i in range(n)]) / n
    return x.T.reshape(-1)


def into_ball(x, spec, ball, rng):
    """Rescales x (a draw centred at 0) into the ball: a quarter on the boundary, a quarter uniform
    in radius, half uniform in volume."""
    kind, radius = ball[0], ball[1]
    mode = rng.uniform()
    dims = min(spec["rows"], spec["cols"]) if kind == "spectral" else x.size
    if mode < BOUNDARY_FRACTION:
        t = 1.0
    elif mode < 2 * BOUNDARY_FRACTION:
        t = rng.uniform()
    else:
        t = rng.uniform() ** (1 / dims)
    current = norm(x, spec, kind)
    scale = (radius * t) / current if current > 0 else 0.0
    return x * scale


def draw_once(spec, p, rng, centre=None):
    """One member-shaped draw; `centre` is the ball's centre value when it has one."""
    x = draw_deviation(spec, p, rng)
    return x if centre is None else x + centre


def draw_deviation(spec, p, rng):
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
    if "matrix" in p:
        # Scaling keeps symmetry and semidefiniteness, so a ball is reached by rescaling too.
        m = draw_structured(p["matrix"], spec["rows"], rng)
        return into_ball(m, spec, p["ball"], rng) if "ball" in p else m
    if "ball" in p:
        if p["ball"][0] == "1":
            u = rng.uniforms(2 * size)
            x = -np.log(1.0 - u[0::2]) * np.where(u[1::2] < 0.5, -1.0, 1.0)
        else:
            x = rng.normals(size)
        return into_ball(x, spec, p["ball"], rng)
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


def project(x, spec, centre=None):
    """Projection onto the constraint set, per member for a family; `centre(root)` gives the centre
    of a centred ball (required when the spec has one)."""
    p = parse(spec["constraints"])
    member = member_spec(spec)
    out = np.array(x, dtype=np.float64, copy=True)
    for b in range(spec.get("blocks", 1)):
        set_member(out, spec, b, project_member(get_member(np.asarray(x, dtype=np.float64), spec, b), member, p, centre))
    return out


def project_member(x, spec, p, centre=None):
    y = np.array(x, dtype=np.float64, copy=True)
    if "sum" in p and "lower" in p:
        return project_simplex(y, p["sum"], p["lower"])
    if "sum" in p:
        y = y + (p["sum"] - float(np.sum(y))) / y.size
    if "lower" in p or "upper" in p:
        y = np.minimum(p.get("upper", math.inf), np.maximum(p.get("lower", -math.inf), y))
    if "matrix" in p:
        y = project_structured(y, spec["rows"], p["matrix"])
    if "ball" in p:
        c = None if p["ball"][2] is None else centre_value(centre, p["ball"][2])
        # Around a centre c: project x − c onto the ball at 0, then add c back.
        dev = project_ball(y if c is None else y - c, spec, p["ball"][0], p["ball"][1])
        return dev if c is None else c + dev
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


def project_structured(y, n, kind):
    """The symmetric part, and for PSD its negative eigenvalues set to 0 (nearest PSD matrix in F)."""
    m = column_major(y, n, n)
    m = (m + m.T) / 2
    if kind == "psd":
        vals, vecs = np.linalg.eigh(m)
        if vals[0] < 0:
            m = (vecs * np.maximum(vals, 0.0)) @ vecs.T
    return m.T.reshape(-1)


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
    def __init__(self, specs, seed, centre=None):
        """`centre(root, point)`: the value (flat column-major) of IR root `root` at a point holding
        the givens drawn so far; needed only when a spec has a centred ball."""
        self.specs = specs
        self.seed = seed
        self.centre = centre
        self.parsed = [parse(s["constraints"]) for s in specs]
        # Fixed data is converted once (it can be millions of numbers) and shared, never copied.
        self.fixed = {s["name"]: np.asarray(s["fixed"], dtype=np.float64) for s in specs if s.get("fixed") is not None}
        self.vars = [s for s in specs if s["role"] == "var"]

    def centre_at(self, point):
        """The centres of centred balls at a point: centre_at(point)(root)."""
        return lambda root: centre_value(None if self.centre is None else (lambda r: self.centre(r, point)), root)

    def draw(self, *ids):
        """One point: name -> flat column-major float64 vector."""
        out = {}
        for k, spec in enumerate(self.specs):
            if spec["name"] in self.fixed:
                out[spec["name"]] = self.fixed[spec["name"]]
                continue
            rng = Stream(stream_key(self.seed, *ids, k))
            p = self.parsed[k]
            centres = self.centre_at(out)
            centre = None if "ball" not in p or p["ball"][2] is None else centres(p["ball"][2])
            member = member_spec(spec)
            x = np.zeros(spec["rows"] * spec["cols"])
            # Members of a family are drawn one after the other from the same stream.
            for b in range(spec.get("blocks", 1)):
                for _ in range(50):
                    m = draw_once(member, p, rng, centre)
                    if feasible(m, member, centres):
                        set_member(x, spec, b, m)
                        break
                else:
                    raise SamplingError(spec["name"], "tries")
            out[spec["name"]] = x
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
