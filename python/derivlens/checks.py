"""The claim checks, step for step the algorithms of src/numeric/checks.ts (same streams, same
decisions), with the work batched: every sample of a check goes through the plan as one batch
(chunked to fit memory), finite differences are one batch per chunk of points, Hessians are
eigen-decomposed as a stack on the device, and the restarts of a search advance in lockstep."""

import math
import os
import time

import numpy as np

from .fmt import json_number, to_exponential as te, to_precision as tp
from .model import to_matrix
from .sampling import project

STREAM_SAMPLE = 0
STREAM_SEARCH = 1
STREAM_PAIR = 2
STREAM_PAIR_OTHER = 3
ROUNDING_RTOL = 1e-9
# A search step is progress only when it beats rounding (see SIGNIFICANT in checks.ts).
SIGNIFICANT = 1e-13
SIGNIFICANT_RATIO = 1e-9
# Past this many variables, full-Hessian eigenvalue claims use Lanczos on Hessian-vector products.
LANCZOS_MAX_STEPS = 300
LANCZOS_RTOL = 1e-12


def lanczos_min_dim():
    return int(os.environ.get("DERIVLENS_LANCZOS_MIN_DIM", "1024"))


KINK_MARGIN = 1e-2
EPS = np.finfo(np.float64).eps
FD_STEPS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7, 1e-8, 1e-9]


def budget_plan(b):
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        b = int(b)
        return {"points": b, "restarts": min(16, max(2, math.ceil(b / 8))), "steps": 25, "pairs": 2 * b}
    return {
        "quick": {"points": 8, "restarts": 2, "steps": 10, "pairs": 16},
        "default": {"points": 32, "restarts": 4, "steps": 25, "pairs": 64},
        "thorough": {"points": 128, "restarts": 8, "steps": 60, "pairs": 256},
    }[b]


class OutOfTime(Exception):
    pass


class NonFinite(Exception):
    pass


def euclid(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    return float(math.sqrt(float(np.dot(a, a))))


def diff_norm(a, b):
    return euclid(np.asarray(a).ravel() - np.asarray(b).ravel())


def nonfinite_word(a):
    return "NaN" if np.isnan(a).any() else "Inf"


def require_finite(a, what, where):
    a = np.asarray(a)
    if not np.isfinite(a).all():
        raise NonFinite(f"{nonfinite_word(a)} in {what} at {where}")
    return a


def quantity_name(q):
    return "expression" if q["kind"] == "expr" else "gradient" if q["kind"] == "grad" else "Hessian"


def to_json(m):
    """(rows, cols) matrix -> number, list, or row-major list of rows (as data.ts toJson)."""
    rows, cols = m.shape
    if rows == 1 and cols == 1:
        return json_number(m[0, 0])
    if rows == 1 or cols == 1:
        return [json_number(v) for v in m.T.ravel()]
    return [[json_number(v) for v in row] for row in m]


def canonical_sign(v):
    """Eigenvectors are defined up to sign: report the one whose largest entry is positive."""
    v = np.asarray(v, dtype=np.float64)
    k = int(np.argmax(np.abs(v))) if v.size else 0
    return -v if v.size and v[k] < 0 else v


class Env:
    def __init__(self, model, sampler, budget, tick, deadline):
        self.model = model
        self.sampler = sampler
        self.budget = budget
        self.tick = tick
        self.deadline = deadline

    def check_time(self):
        if time.monotonic() > self.deadline:
            raise OutOfTime()


class Checks:
    def __init__(self, env):
        self.env = env
        self.model = env.model
        self.sampler = env.sampler
        self.backend = env.model.backend

    # ---- shared pieces -------------------------------------------------------------------------

    def point_json(self, point, vars_only=False):
        return {
            s["name"]: to_json(to_matrix(point[s["name"]], s["rows"], s["cols"]))
            for s in self.model.specs
            if not vars_only or s["role"] == "var"
        }

    def chunks(self, total):
        """Sample indices in chunks sized so one chunk's points and values fit memory."""
        model = self.model
        per_point = 8 * (
            sum(s["rows"] * s["cols"] for s in model.specs if s.get("fixed") is None) + 2 * model.dimension * model.dimension + 1
        )
        size = max(1, min(total, int(model.batch_bytes // per_point), 1024))
        return [range(s, min(total, s + size)) for s in range(0, total, size)]

    def flat_direction(self, ids, n, specs=None):
        parts = self.sampler.direction(ids, specs)
        out = np.zeros(n)
        off = 0
        for d in parts.values():
            out[off : off + d.size] = d
            off += d.size
        return out

    def project_vars(self, point, x, specs=None):
        specs = self.model.var_specs if specs is None else specs
        p = self.model.with_vars(point, x, specs)
        for s in specs:
            p[s["name"]] = project(p[s["name"]], s, self.sampler.centre_at(p))
        return p

    def is_full_hessian(self, q):
        k = len(self.model.var_specs)
        return q["kind"] == "hess" and q["rows"] == list(range(k)) and q["cols"] == list(range(k))

    def quadratic_forms(self, q, points, vectors):
        """vᵀQv at each (point, v): for the full Hessian vᵀ(∇²L v) from the Hessian-vector
        product roots (about a gradient's cost), else from Q itself — as quadraticForm in checks.ts."""
        model = self.model
        if not points:
            return np.zeros(0)
        if self.is_full_hessian(q):
            v = np.stack(vectors)
            return np.einsum("bi,bi->b", v, model.hess_vec(points, v))
        m = model.evaluate(q, points)
        out = np.empty(len(points))
        for i, v in enumerate(vectors):
            if m.shape[1] == 1 and m.shape[2] == 1:
                out[i] = m[i, 0, 0] * float(np.dot(v, v))
            else:
                out[i] = float(v @ m[i] @ v)
        return out

    def loss_error(self, loss, where):
        return NonFinite(f"{'NaN' if math.isnan(loss) else 'Inf'} in the loss at {where}: the domain includes points where L is undefined")

    # ---- identities ----------------------------------------------------------------------------

    def fd_batch(self, q, points):
        """Richardson central-difference Jacobians (fd.ts fdJacobian) for a batch of points."""
        model = self.model
        k = len(model.var_specs)
        if q["kind"] == "grad" and len(q["wrt"]) != k:
            return None
        if q["kind"] == "hess" and (len(q["rows"]) != k or len(q["cols"]) != k):
            return None
        if q["kind"] not in ("grad", "hess"):
            return None
        n = model.dimension
        shifted = []
        steps = []
        for p in points:
            x = model.flatten(p)
            hs = 1e-3 * np.maximum(1.0, np.abs(x))
            steps.append(hs)
            for j in range(n):
                for h in (hs[j], hs[j] / 2):
                    for sgn in (1.0, -1.0):
                        y = x.copy()
                        y[j] += sgn * h
                        shifted.append(model.with_vars(p, y))
        f = model.loss(shifted)[:, None] if q["kind"] == "grad" else model.grad(shifted)
        m = f.shape[1]
        f = f.reshape(len(points), n, 2, 2, m)
        out = []
        for i in range(len(points)):
            hs = steps[i]
            coarse = (f[i, :, 0, 0] - f[i, :, 0, 1]) / (2 * hs[:, None])
            fine = (f[i, :, 1, 0] - f[i, :, 1, 1]) / (2 * (hs[:, None] / 2))
            value = ((4 * fine - coarse) / 3).ravel()  # [j, i] rows -> column-major m×n
            out.append((value, math.sqrt(float(np.sum((fine - coarse) ** 2)))))
        return out

    def near_kinks(self, points):
        kinks = self.model.params.get("kinks") or []
        flags = np.zeros(len(points), dtype=bool)
        if not kinks:
            return flags
        scales = np.array([max(1.0, euclid(self.model.flatten(p))) for p in points])
        vals = self.model.run(kinks, points)
        values = [np.concatenate([c[i] for c in vals]) for i in range(len(kinks))]
        for v in values:
            flags |= (np.abs(v.reshape(len(points), -1)) < KINK_MARGIN * scales[:, None]).any(axis=1)
        return flags

    def identity(self, index, lhs, rhs, partial):
        env, model, budget = self.env, self.model, self.env.budget
        worst = 0.0
        worst_fd = 0.0
        tol_used = ROUNDING_RTOL
        fd_points = 0
        near = 0
        errors = []
        P = budget["points"]
        for chunk in self.chunks(P):
            env.check_time()
            env.tick(chunk.start, P)
            points = [self.sampler.draw(index, STREAM_SAMPLE, i) for i in chunk]
            losses = model.loss(points)
            kinked = self.near_kinks(points)
            L = model.evaluate(lhs, points)
            R = model.evaluate(rhs, points)
            fds = self.fd_batch(lhs, points)
            for c, i in enumerate(chunk):
                where = f"sample {i + 1}"
                if not math.isfinite(losses[c]):
                    raise self.loss_error(losses[c], where)
                if kinked[c]:
                    near += 1
                    continue
                l = require_finite(L[c], f"the left side ({quantity_name(lhs)})", where)
                r = require_finite(R[c], "the right side", where)
                lf, rf = l.T.ravel(), r.T.ravel()
                scale = max(euclid(lf), euclid(rf))
                gap = diff_norm(lf, rf)
                tol = ROUNDING_RTOL * scale + 1e-300
                fd_gap = None
                fd = fds[c] if fds else None
                if fd:
                    value, error = fd
                    if not np.isfinite(value).all():
                        raise NonFinite(f"NaN/Inf in the finite-difference estimate at {where}")
                    fd_points += 1
                    fd_tol = 10 * error + 1e3 * EPS * max(euclid(value), 1)
                    fd_gap = diff_norm(value, rf)
                    engine_gap = diff_norm(value, lf)
                    if engine_gap > fd_tol and engine_gap > tol:
                        return {
                            "index": index,
                            "verdict": "inconclusive",
                            "summary": f"the symbolic derivative and finite differences disagree at {where} (gap {te(engine_gap, 2)} > FD error estimate {te(fd_tol, 2)}); the function may not be smooth there",
                            "evidence": {"points": i + 1, "symbolicVsFd": engine_gap, "fdErrorEstimate": error},
                        }
                    tol = max(tol, fd_tol)
                    worst_fd = max(worst_fd, fd_gap / max(scale, 1e-300))
                rel = gap / max(scale, 1e-300)
                errors.append(rel)
                tol_used = max(tol_used, tol / max(scale, 1e-300))
                worst = max(worst, rel)
                partial.update({"points": i + 1, "maxRelativeError": worst})
                if gap > tol and (fd_gap is None or fd_gap > tol):
                    rtol = tol / max(scale, 1e-300)
                    values = {"lhs": to_json(l), "rhs": to_json(r), "relativeError": rel, "tolerance": rtol}
                    if fd:
                        values["finiteDifference"] = to_json(fd[0].reshape(l.shape[1], l.shape[0]).T)
                    evidence = {"points": i + 1, "relativeError": rel, "tolerance": rtol}
                    if fd:
                        evidence["fdRelativeError"] = (fd_gap or 0) / max(scale, 1e-300)
                    return {
                        "index": index,
                        "verdict": "refuted",
                        "summary": f"the two sides differ at {where}: relative error {te(rel, 3)} (tolerance {te(rtol, 1)}{', confirmed by finite differences' if fd else ''})",
                        "evidence": evidence,
                        "counterexample": {"point": self.point_json(points[c]), "values": values},
                        "plots": [self.fd_step_plot(lhs, points[c])] if fd else [],
                    }
        compared = P - near
        kink_note = f"; {near} point{'' if near == 1 else 's'} near a kink of relu/abs skipped" if near else ""
        if compared == 0:
            return {
                "index": index,
                "verdict": "inconclusive",
                "summary": "every sampled point lies near a kink of relu/abs, where the derivative is undefined",
                "evidence": {"points": 0, "nearKinks": near},
            }
        plots = [
            {
                "title": "Relative error per sample",
                "xLabel": "sample",
                "yLabel": "relative error",
                "logY": True,
                "series": [{"label": "lhs vs rhs", "x": list(range(1, len(errors) + 1)), "y": [max(e, 1e-18) for e in errors]}],
            }
        ]
        if fd_points > 0:
            plots.append(self.fd_step_plot(lhs, self.sampler.draw(index, STREAM_SAMPLE, 0)))
        evidence = {"points": compared, "maxRelativeError": worst, "tolerance": tol_used}
        if fd_points:
            evidence.update({"fdPoints": fd_points, "fdMaxRelativeError": worst_fd})
        if near:
            evidence["nearKinks"] = near
        fd_text = f"; finite differences agree to {te(worst_fd, 2)}" if fd_points else ""
        return {
            "index": index,
            "verdict": "holds",
            "summary": f"equal at {compared} sampled points (max relative error {te(worst, 2)}, tolerance {te(tol_used, 1)}{fd_text}{kink_note})",
            "evidence": evidence,
            "plots": plots,
        }

    def fd_step_plot(self, q, point):
        model = self.model
        exact = model.evaluate(q, [point])[0].T.ravel()
        x = model.flatten(point)
        n = x.size
        shifted = []
        for h in FD_STEPS:
            for j in range(n):
                for sgn in (1.0, -1.0):
                    y = x.copy()
                    y[j] += sgn * h
                    shifted.append(model.with_vars(point, y))
        f = model.loss(shifted)[:, None] if q["kind"] == "grad" else model.grad(shifted)
        f = f.reshape(len(FD_STEPS), n, 2, -1)
        errs = []
        for s, h in enumerate(FD_STEPS):
            cols = ((f[s, :, 0] - f[s, :, 1]) / (2 * h)).ravel()
            errs.append(diff_norm(cols, exact) / max(euclid(exact), 1e-300))
        return {
            "title": "Finite-difference error vs step",
            "xLabel": "step h",
            "yLabel": "relative error",
            "logX": True,
            "logY": True,
            "series": [{"label": "central difference", "x": FD_STEPS, "y": [max(e, 1e-18) for e in errs]}],
        }

    # ---- eigenvalue bounds ---------------------------------------------------------------------

    def min_eigen(self, matrix_of, points):
        """λ_min, its eigenvector, max |entry| and finiteness per point; the eigensolve runs on
        the device over the stacked matrices and only the smallest pair comes back."""
        b = self.backend

        def reduce(m):
            return [b.to_numpy(t) for t in b.min_eigenpairs(m)] + [m.shape[1]]

        chunks = matrix_of(points, reduce)
        lam = np.concatenate([c[0] for c in chunks])
        vec = np.concatenate([c[1] for c in chunks])
        scale = np.concatenate([c[2] for c in chunks])
        finite = np.concatenate([c[3] for c in chunks])
        has_nan = np.concatenate([c[4] for c in chunks])
        rows = chunks[0][5]
        return lam, vec, scale, finite, has_nan, rows

    def lockstep(self, state, steps, done, total, alive):
        """The search steps of all restarts together: yields (step, live restarts) until the steps
        run out or no restart is left, checking the time budget and reporting progress each step."""
        for s in range(steps):
            live = [st for st in state if alive(st)]
            if not live:
                return
            self.env.check_time()
            self.env.tick(done + s, total)
            yield s, live

    def spsa_probes(self, live, index, step, n, k, specs):
        """For each live restart: its point and the point moved by h along k seeded directions
        (spsaGradient in checks.ts); remembers x, the directions and h on the restart."""
        model = self.model
        probes = []
        for st in live:
            x = model.flatten(st["cur"]["point"], specs)
            h = 1e-4 * max(1.0, euclid(x))  # spsaStep in checks.ts
            dirs = [self.flat_direction([index, STREAM_SEARCH, st["r"], step, d], n, specs) for d in range(k)]
            st.update(x=x, dirs=dirs, h=h)
            probes.append(st["cur"]["point"])
            probes.extend(model.with_vars(st["cur"]["point"], x + h * dd, specs) for dd in dirs)
        return probes

    @staticmethod
    def spsa_gradient(st, q, n):
        """Unit descent direction from q at the probes (forward differences; non-finite slopes skipped)."""
        g = np.zeros(n)
        for d, direction in enumerate(st["dirs"]):
            slope = (q[d + 1] - q[0]) / st["h"]
            if math.isfinite(slope):
                g += slope * direction
        gn = euclid(g)
        return g / gn if gn > 0 else g

    def lanczos_eigen(self, points, sign):
        """λ_min of sign·∇²L at each point by Lanczos on Hessian-vector products, all points in
        one batch, with full reorthogonalisation: for large d no Hessian is ever formed (memory
        O(k·d) per point, cost about k gradients). Same return shape as min_eigen; the scale is
        the largest |Ritz value| (≈ ‖H‖₂, which bounds every entry)."""
        model = self.model
        B, N = len(points), model.dimension
        if B == 0:
            return (np.zeros(0), np.zeros((0, N)), np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), N)
        k_max = min(N, LANCZOS_MAX_STEPS)
        # A fixed start (all-ones direction): Lanczos is deterministic for a given point.
        q = np.full((B, N), 1 / math.sqrt(N))
        Q = np.zeros((B, k_max, N))
        alpha = np.zeros((B, k_max))
        beta = np.zeros((B, k_max))
        finite = np.ones(B, dtype=bool)
        has_nan = np.zeros(B, dtype=bool)
        steps = k_max
        for j in range(k_max):
            Q[:, j] = q
            w = sign * model.hess_vec(points, q)
            bad = ~np.isfinite(w).all(axis=1)
            has_nan |= np.isnan(w).any(axis=1)
            finite &= ~bad
            w[bad] = 0.0
            alpha[:, j] = np.einsum("bi,bi->b", w, q)
            # Full reorthogonalisation, twice ("twice is enough"), against every earlier vector.
            for _ in range(2):
                w -= np.einsum("bj,bji->bi", np.einsum("bji,bi->bj", Q[:, : j + 1], w), Q[:, : j + 1])
            beta[:, j] = np.sqrt(np.einsum("bi,bi->b", w, w))
            if j + 1 == k_max:
                break
            if (j + 1) % 8 == 0 or (beta[:, j] <= 1e-14 * np.abs(alpha[:, : j + 1]).max(axis=1)).all():
                theta, y = self._ritz(alpha[:, : j + 1], beta[:, :j])
                scale = np.abs(theta).max(axis=1)
                residual = beta[:, j] * np.abs(y[:, -1, 0])
                if (residual <= LANCZOS_RTOL * np.maximum(scale, 1e-300)).all():
                    steps = j + 1
                    break
            q = np.where(beta[:, j : j + 1] > 0, w / np.maximum(beta[:, j : j + 1], 1e-300), 0.0)
        theta, y = self._ritz(alpha[:, :steps], beta[:, : steps - 1])
        vectors = np.einsum("bj,bji->bi", y[:, :, 0], Q[:, :steps])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-300)
        return theta[:, 0], vectors, np.abs(theta).max(axis=1), finite, has_nan, N

    @staticmethod
    def _ritz(alpha, beta):
        """Eigenpairs (ascending) of the tridiagonal Lanczos matrices, batched."""
        B, k = alpha.shape
        T = np.zeros((B, k, k))
        idx = np.arange(k)
        T[:, idx, idx] = alpha
        if k > 1:
            T[:, idx[:-1], idx[1:]] = beta[:, : k - 1]
            T[:, idx[1:], idx[:-1]] = beta[:, : k - 1]
        return np.linalg.eigh(T)

    def eigen_bound(self, index, eigen_of, quadratic, strict, what, partial):
        env, model, budget, sampler = self.env, self.model, self.env.budget, self.sampler
        P = budget["points"]
        total = P + budget["restarts"] * budget["steps"]
        samples = []  # (lambda, sample index, vector, scale)
        trace = []
        rows = 0
        for chunk in self.chunks(P):
            env.check_time()
            env.tick(chunk.start, total)
            points = [sampler.draw(index, STREAM_SAMPLE, i) for i in chunk]
            losses = model.loss(points)
            lam, vec, scale, finite, has_nan, rows = eigen_of(points)
            for c, i in enumerate(chunk):
                where = f"sample {i + 1}"
                if not math.isfinite(losses[c]):
                    raise self.loss_error(losses[c], where)
                if not finite[c]:
                    raise NonFinite(f"{'NaN' if has_nan[c] else 'Inf'} in the matrix at {where}")
                samples.append({"lambda": float(lam[c]), "i": i, "vector": vec[c], "scale": float(scale[c])})
                trace.append(float(lam[c]))
                partial["points"] = i + 1
                partial["minEigenvalue"] = min(trace)
        samples.sort(key=lambda s: s["lambda"])
        specs = model.search_specs
        restarts = min(budget["restarts"], len(samples))
        state = []
        for r in range(restarts):
            cur = dict(samples[r])
            cur["point"] = sampler.draw(index, STREAM_SAMPLE, cur["i"])
            step = 0.1 * max(1.0, euclid(model.flatten(cur["point"], specs)) / math.sqrt(len(specs) or 1))
            state.append(
                {"r": r, "cur": cur, "step": step, "trace": {"x": [0], "y": [cur["lambda"]]}, "active": len(specs) > 0, "error": None}
            )
        n = sum(s["rows"] * s["cols"] for s in specs)
        k = min(n, 8)
        for s, live in self.lockstep(state, budget["steps"], P, total, lambda st: st["active"]):
            # SPSA: q at x and at x + h·dir for k seeded directions, all restarts in one batch.
            probes = self.spsa_probes(live, index, s, n, k, specs)
            qs = quadratic(probes, [st["cur"]["vector"] for st in live for _ in range(k + 1)])
            cands, cand_vecs = [], []
            for j, st in enumerate(live):
                g = self.spsa_gradient(st, qs[j * (k + 1) : (j + 1) * (k + 1)], n)
                st["cands"] = [self.project_vars(st["cur"]["point"], st["x"] - (st["step"] / 2**t) * g, specs) for t in range(4)]
                cands.extend(st["cands"])
                cand_vecs.extend([st["cur"]["vector"]] * 4)
            # Rayleigh: λ_min(M) <= vᵀMv, so only candidates with a lower vᵀMv need an eigensolve.
            rq = quadratic(cands, cand_vecs)
            where = f"search step {s + 1}"
            for j, st in enumerate(live):
                st["rq"] = rq[4 * j : 4 * j + 4]
                st["bar"] = st["cur"]["lambda"] - SIGNIFICANT * st["cur"]["scale"]
                st["t"] = 0
                st["moved"] = False
            # Candidates are tried in order (step, step/2, …) as in checks.ts; each round
            # eigen-solves the next Rayleigh-passing candidate of every undecided restart at once.
            undecided = list(live)
            while undecided:
                asks = []
                for st in undecided:
                    while st["t"] < 4 and not st["rq"][st["t"]] < st["bar"]:
                        st["step"] /= 2
                        st["t"] += 1
                    if st["t"] < 4:
                        asks.append(st)
                if not asks:
                    break
                lam, vec, scale, finite, has_nan, _rows = eigen_of([st["cands"][st["t"]] for st in asks])
                undecided = []
                for e, st in enumerate(asks):
                    if not finite[e]:
                        st["error"] = NonFinite(f"{'NaN' if has_nan[e] else 'Inf'} in the matrix at {where}")
                        st["active"] = False
                    elif lam[e] < st["bar"]:
                        st["cur"] = {"lambda": float(lam[e]), "vector": vec[e], "scale": float(scale[e]), "point": st["cands"][st["t"]]}
                        st["moved"] = True
                    else:
                        st["step"] /= 2
                        st["t"] += 1
                        undecided.append(st)
            for st in live:
                moved = st["moved"]
                if st["error"]:
                    continue
                if moved:
                    st["step"] *= 1.5
                st["trace"]["x"].append(s + 1)
                st["trace"]["y"].append(st["cur"]["lambda"])
                if st["step"] < 1e-12:
                    st["active"] = False
        best = dict(samples[0])
        best["point"] = sampler.draw(index, STREAM_SAMPLE, best["i"])
        search_traces = []
        for st in state:
            if st["error"]:
                raise st["error"]
            search_traces.append(st["trace"])
            if st["cur"]["lambda"] < best["lambda"]:
                best = st["cur"]
            partial["minEigenvalue"] = min(float(partial["minEigenvalue"]), best["lambda"])
        lam = best["lambda"]
        tol = 1e-9 * max(best["scale"], 1e-300) * rows
        plots = [
            {
                "title": "λ_min over samples",
                "xLabel": "sample",
                "yLabel": "λ_min",
                "series": [{"label": "random samples", "x": list(range(1, len(trace) + 1)), "y": trace}],
                "reference": {"label": "bound 0", "y": 0},
            },
            {
                "title": "λ_min during adversarial descent",
                "xLabel": "step",
                "yLabel": "λ_min",
                "series": [{"label": f"restart {i + 1}", **t} for i, t in enumerate(search_traces)],
                "reference": {"label": "bound 0", "y": 0},
            },
        ]
        evidence = {"points": P, "restarts": len(search_traces), "steps": budget["steps"], "minEigenvalue": lam, "tolerance": tol}
        broken = lam <= tol if strict else lam < -tol
        if broken:
            cx = {
                "point": self.point_json(best["point"]),
                "values": {"minEigenvalue": lam},
                "eigenvector": [json_number(v) for v in canonical_sign(best["vector"])],
            }
            return {
                "index": index,
                "verdict": "refuted",
                "summary": f"{what} fails: λ_min = {tp(lam, 6)} at the counterexample",
                "evidence": evidence,
                "counterexample": cx,
                "plots": plots,
            }
        return {
            "index": index,
            "verdict": "holds",
            "summary": f"{what}: smallest λ_min found {tp(lam, 6)} over {P} samples and {len(search_traces)} descents",
            "evidence": evidence,
            "plots": plots,
        }

    # ---- scalar inequalities ---------------------------------------------------------------------

    def scalar_order(self, index, lower, upper, op, partial):
        env, model, budget, sampler = self.env, self.model, self.env.budget, self.sampler
        P = budget["points"]
        total = P + budget["restarts"] * budget["steps"]

        def gaps(points, wheres):
            lo = model.evaluate(lower, points)[:, 0, 0] if points else np.zeros(0)
            hi = model.evaluate(upper, points)[:, 0, 0] if points else np.zeros(0)
            out = []
            for c, where in enumerate(wheres):
                if not math.isfinite(lo[c]):
                    raise NonFinite(f"{'NaN' if math.isnan(lo[c]) else 'Inf'} in the smaller side at {where}")
                if not math.isfinite(hi[c]):
                    raise NonFinite(f"{'NaN' if math.isnan(hi[c]) else 'Inf'} in the larger side at {where}")
                out.append({"gap": float(hi[c] - lo[c]), "lo": float(lo[c]), "hi": float(hi[c])})
            return out

        samples = []
        for chunk in self.chunks(P):
            env.check_time()
            env.tick(chunk.start, total)
            points = [sampler.draw(index, STREAM_SAMPLE, i) for i in chunk]
            losses = model.loss(points)
            lo = model.evaluate(lower, points)[:, 0, 0]
            hi = model.evaluate(upper, points)[:, 0, 0]
            for c, i in enumerate(chunk):
                where = f"sample {i + 1}"
                if not math.isfinite(losses[c]):
                    raise self.loss_error(losses[c], where)
                for v, side in ((lo[c], "smaller"), (hi[c], "larger")):
                    if not math.isfinite(v):
                        raise NonFinite(f"{'NaN' if math.isnan(v) else 'Inf'} in the {side} side at {where}")
                samples.append({"point": points[c], "gap": float(hi[c] - lo[c]), "lo": float(lo[c]), "hi": float(hi[c])})
                partial["points"] = i + 1
        samples.sort(key=lambda s: s["gap"])
        best = samples[0]
        specs = model.search_specs
        n = sum(s["rows"] * s["cols"] for s in specs)
        k = min(n, 8)
        restarts = min(budget["restarts"], len(samples)) if specs else 0
        # Restarts are independent, so they advance in lockstep; an error in restart r is raised
        # only after every earlier restart finished, as in the sequential CPU worker.
        state = [
            {
                "r": r,
                "cur": samples[r],
                "step": 0.1 * max(1.0, euclid(model.flatten(samples[r]["point"], specs)) / math.sqrt(len(specs))),
                "active": True,
                "error": None,
            }
            for r in range(restarts)
        ]
        for s, live in self.lockstep(state, budget["steps"], P, total, lambda st: st["active"]):
            probes = self.spsa_probes(live, index, s, n, k, specs)
            lo = model.evaluate(lower, probes)[:, 0, 0]
            hi = model.evaluate(upper, probes)[:, 0, 0]
            cands = []
            for j, st in enumerate(live):
                seg = slice(j * (k + 1), (j + 1) * (k + 1))
                bad = [(v, side) for a, b in zip(lo[seg], hi[seg]) for v, side in ((a, "smaller"), (b, "larger")) if not math.isfinite(v)]
                if bad:
                    v, side = bad[0]
                    st["error"] = NonFinite(f"{'NaN' if math.isnan(v) else 'Inf'} in the {side} side at search")
                    st["active"] = False
                    continue
                g = self.spsa_gradient(st, hi[seg] - lo[seg], n)
                st["cand"] = self.project_vars(st["cur"]["point"], st["x"] - st["step"] * g, specs)
                cands.append(st)
            try_points = [st["cand"] for st in cands]
            clo = model.evaluate(lower, try_points)[:, 0, 0] if try_points else []
            chi = model.evaluate(upper, try_points)[:, 0, 0] if try_points else []
            for j, st in enumerate(cands):
                where = f"search step {s + 1}"
                bad = [(v, side) for v, side in ((clo[j], "smaller"), (chi[j], "larger")) if not math.isfinite(v)]
                if bad:
                    v, side = bad[0]
                    st["error"] = NonFinite(f"{'NaN' if math.isnan(v) else 'Inf'} in the {side} side at {where}")
                    st["active"] = False
                    continue
                gap = float(chi[j] - clo[j])
                if gap < st["cur"]["gap"] - SIGNIFICANT * max(abs(st["cur"]["lo"]), abs(st["cur"]["hi"])):
                    st["cur"] = {"point": st["cand"], "gap": gap, "lo": float(clo[j]), "hi": float(chi[j])}
                    st["step"] *= 1.5
                else:
                    st["step"] /= 2
                if st["step"] < 1e-12:
                    st["active"] = False
        for st in state:
            if st["error"]:
                raise st["error"]
            if st["cur"]["gap"] < best["gap"]:
                best = st["cur"]
        tol = ROUNDING_RTOL * max(abs(best["lo"]), abs(best["hi"])) + 1e-300
        lhs_v, rhs_v = (best["lo"], best["hi"]) if op == "<=" else (best["hi"], best["lo"])
        evidence = {"points": P, "restarts": budget["restarts"], "smallestSlack": best["gap"], "tolerance": tol}
        if best["gap"] < -tol:
            return {
                "index": index,
                "verdict": "refuted",
                "summary": f"violated: lhs = {tp(lhs_v, 8)}, rhs = {tp(rhs_v, 8)}",
                "evidence": evidence,
                "counterexample": {"point": self.point_json(best["point"]), "values": {"lhs": lhs_v, "rhs": rhs_v}},
            }
        return {
            "index": index,
            "verdict": "holds",
            "summary": f"smallest slack found {tp(best['gap'], 4)} (lhs {tp(lhs_v, 6)}, rhs {tp(rhs_v, 6)})",
            "evidence": evidence,
        }

    # ---- Lipschitz constants ---------------------------------------------------------------------

    def operator_norms(self, diffs):
        """|s|, ‖v‖₂ or the spectral norm (max |λ| when symmetric) of each difference."""
        out = np.empty(len(diffs))
        for i, m in enumerate(diffs):
            rows, cols = m.shape
            if rows == 1 or cols == 1:
                out[i] = euclid(m)
                continue
            if rows == cols:
                asym = float(np.max(np.abs(m - m.T)))
                size = float(np.max(np.abs(m)))
                if asym <= 1e-12 * max(size, 1e-300):
                    vals = np.linalg.eigvalsh(0.5 * (m + m.T))
                    out[i] = max(abs(vals[0]), abs(vals[-1]))
                    continue
            out[i] = float(np.linalg.norm(m, 2))
        return out

    def ratios(self, of, pairs, wheres):
        """Lipschitz ratio per (p, q) pair; NonFinite for the first non-finite value, in order."""
        model = self.model
        dists = [diff_norm(model.flatten(p), model.flatten(q)) for p, q in pairs]
        todo = [j for j, d in enumerate(dists) if d != 0]
        vals = model.evaluate(of, [pt for j in todo for pt in pairs[j]]) if todo else None
        out = [None] * len(pairs)
        for j, d in enumerate(dists):
            if d == 0:
                out[j] = {"ratio": 0.0, "dist": d}
        norms = {}
        if todo:
            diffs = []
            for t, j in enumerate(todo):
                a, b = vals[2 * t], vals[2 * t + 1]
                for v in (a, b):
                    if not np.isfinite(v).all():
                        out[j] = NonFinite(f"{nonfinite_word(v)} in the {quantity_name(of)} at {wheres[j]}")
                        break
                else:
                    diffs.append((j, a - b))
            ns = self.operator_norms([d for _, d in diffs])
            norms = {j: ns[t] for t, (j, _) in enumerate(diffs)}
        for j in todo:
            if out[j] is None:
                out[j] = {"ratio": float(norms[j] / dists[j]), "dist": dists[j]}
        return out

    def lipschitz(self, index, of, bound_q, partial):
        env, model, budget, sampler = self.env, self.model, self.env.budget, self.sampler
        total = budget["pairs"] + budget["restarts"] * budget["steps"]
        first = sampler.draw(index, STREAM_PAIR, 0)
        bound = float(require_finite(model.evaluate(bound_q, [first])[0], "the bound", "sample 1")[0, 0])
        pairs = []
        n = model.dimension
        for chunk in self.chunks(budget["pairs"]):
            env.check_time()
            env.tick(chunk.start, total)
            batch = []
            for i in chunk:
                p = sampler.draw(index, STREAM_PAIR, i)
                if i % 2 == 0:
                    other = sampler.draw(index, STREAM_PAIR_OTHER, i)
                    q = model.with_vars(p, model.flatten(other))
                else:
                    d = self.flat_direction([index, STREAM_PAIR_OTHER, i], n)
                    r = 10 ** (-1 - 3 * ((i >> 1) % 7) / 6) * max(1.0, euclid(model.flatten(p)))
                    q = self.project_vars(p, model.flatten(p) + r * d)
                batch.append((p, q))
            losses = model.loss([pt for pair in batch for pt in pair])
            wheres = [f"pair {i + 1}" for i in chunk]
            rs = self.ratios(of, batch, wheres)
            for c, i in enumerate(chunk):
                for l in losses[2 * c : 2 * c + 2]:
                    if not math.isfinite(l):
                        raise self.loss_error(l, wheres[c])
                if isinstance(rs[c], Exception):
                    raise rs[c]
                pairs.append({"p": batch[c][0], "q": batch[c][1], **rs[c]})
                partial["pairs"] = i + 1
                partial["bestRatio"] = max(x["ratio"] for x in pairs)
        scatter = {"x": [x["dist"] for x in pairs], "y": [x["ratio"] for x in pairs]}
        pairs.sort(key=lambda x: -x["ratio"])
        best = pairs[0]
        givens = [g for g in model.search_specs if g["role"] == "given"]
        gsize = sum(g["rows"] * g["cols"] for g in givens)
        gnames = {g["name"] for g in givens}
        state = [
            {"r": r, "cur": pairs[r], "step": 0.1 * max(pairs[r]["dist"], 1e-6), "error": None}
            for r in range(min(budget["restarts"], len(pairs)))
        ]
        for s, live in self.lockstep(state, budget["steps"], budget["pairs"], total, lambda st: st["error"] is None):
            batch = []
            for st in live:
                r = st["r"]
                step = st["step"]
                dp = self.flat_direction([index, STREAM_SEARCH, r, s, 0], n)
                dq = self.flat_direction([index, STREAM_SEARCH, r, s, 1], n)
                cur = st["cur"]
                p = self.project_vars(cur["p"], model.flatten(cur["p"]) + step * dp)
                q = self.project_vars(cur["q"], model.flatten(cur["q"]) + step * dq)
                if givens:
                    # The data moves too, identically for both points of the pair.
                    dg = self.flat_direction([index, STREAM_SEARCH, r, s, 2], gsize, givens)
                    data = self.project_vars(p, model.flatten(p, givens) + step * dg, givens)
                    p = {k2: (data[k2] if k2 in gnames else v) for k2, v in p.items()}
                    q = {k2: (data[k2] if k2 in gnames else v) for k2, v in q.items()}
                batch.append((p, q))
            rs = self.ratios(of, batch, [f"ascent step {s + 1}"] * len(batch))
            for st, (p, q), rr in zip(live, batch, rs):
                if isinstance(rr, Exception):
                    st["error"] = rr
                    continue
                if rr["ratio"] > st["cur"]["ratio"] * (1 + SIGNIFICANT_RATIO):
                    st["cur"] = {"p": p, "q": q, **rr}
                    st["step"] *= 1.5
                else:
                    st["step"] /= 2
        for st in state:
            if st["error"]:
                raise st["error"]
            if st["cur"]["ratio"] > best["ratio"]:
                best = st["cur"]
        partial["bestRatio"] = best["ratio"]
        slack = bound / best["ratio"] if best["ratio"] != 0 else math.inf
        evidence = {
            "pairs": budget["pairs"],
            "restarts": budget["restarts"],
            "bestRatio": best["ratio"],
            "bound": bound,
            "slack": slack,
            "distance": best["dist"],
        }
        plots = [
            {
                "title": "Lipschitz ratio vs distance",
                "xLabel": "‖x − y‖",
                "yLabel": "ratio",
                "logX": True,
                "logY": True,
                "series": [{"label": "pairs", **scatter}],
                "reference": {"label": f"claimed bound {tp(bound, 4)}", "y": bound},
            }
        ]
        if not math.isfinite(bound):
            return {
                "index": index,
                "verdict": "inconclusive",
                "summary": f"the bound evaluates to {bound}",
                "evidence": evidence,
                "plots": plots,
            }
        if best["ratio"] > bound * (1 + ROUNDING_RTOL):
            return {
                "index": index,
                "verdict": "refuted",
                "summary": f"ratio {tp(best['ratio'], 6)} exceeds the bound {tp(bound, 6)} (by {tp(best['ratio'] / bound, 3)}×)",
                "evidence": evidence,
                "plots": plots,
                "counterexample": {
                    "point": self.point_json(best["p"]),
                    "other": self.point_json(best["q"], True),
                    "values": {"ratio": best["ratio"], "bound": bound, "distance": best["dist"]},
                },
            }
        return {
            "index": index,
            "verdict": "holds",
            "summary": f"largest ratio found {tp(best['ratio'], 6)} ≤ bound {tp(bound, 6)} (slack {tp(slack, 3)}×)",
            "evidence": evidence,
            "plots": plots,
        }

    # ---- dispatch ------------------------------------------------------------------------------

    def matrix_of(self, upper, lower=None, sign=1.0):
        """A function evaluating sign·upper (− lower) over points, reduced per chunk on the device."""
        model = self.model
        up_roots = model.quantity_roots(upper)
        lo_roots = model.quantity_roots(lower) if lower else []

        def run(points, reduce):
            def combine(vals):
                m = model.combine(upper, vals[: len(up_roots)])
                if lower:
                    m = m - model.combine(lower, vals[len(up_roots) :])
                elif sign != 1.0:
                    m = sign * m
                return reduce(m)

            return model.run(up_roots + lo_roots, points, reduce=combine, label="matrix formation")

        return run

    def run_claim(self, claim):
        partial = {}
        try:
            kind = claim["kind"]
            index = claim["index"]
            if kind == "identity":
                return self.identity(index, claim["lhs"], claim["rhs"], partial)
            if kind == "definite":
                which = claim["which"]
                sign = 1.0 if which in ("psd", "pd") else -1.0
                quad = lambda pts, vs: sign * self.quadratic_forms(claim["subject"], pts, vs)
                if self.is_full_hessian(claim["subject"]) and self.model.dimension >= lanczos_min_dim():
                    eigen_of = lambda pts: self.lanczos_eigen(pts, sign)
                else:
                    eigen_of = lambda pts: self.min_eigen(self.matrix_of(claim["subject"], sign=sign), pts)
                return self.eigen_bound(index, eigen_of, quad, which in ("pd", "nd"), which, partial)
            if kind == "order":
                upper, lower = (claim["rhs"], claim["lhs"]) if claim["op"] == "<=" else (claim["lhs"], claim["rhs"])
                rows, cols = self.model.shape_of(lower)
                if rows == 1 and cols == 1:
                    return self.scalar_order(index, lower, upper, claim["op"], partial)
                quad = lambda pts, vs: self.quadratic_forms(upper, pts, vs) - self.quadratic_forms(lower, pts, vs)
                what = "lhs - rhs ⪰ 0" if claim["op"] == ">=" else "rhs - lhs ⪰ 0"
                return self.eigen_bound(index, lambda pts: self.min_eigen(self.matrix_of(upper, lower), pts), quad, False, what, partial)
            if kind == "lipschitz":
                return self.lipschitz(index, claim["of"], claim["bound"], partial)
            raise ValueError(f"unknown claim kind {kind!r}")
        except OutOfTime:
            return {
                "index": claim["index"],
                "verdict": "inconclusive",
                "summary": "cut off by the time budget before the search finished",
                "evidence": {**partial, "reason": "time budget"},
            }
        except NonFinite as e:
            return {
                "index": claim["index"],
                "verdict": "inconclusive",
                "summary": f"numeric failure: {e}",
                "evidence": {**partial, "reason": str(e)},
            }
