"""Batched evaluation of the request's quantities: the counterpart of `Program` in
src/numeric/evaluator/cpu.ts.

A batch of points is a dict name -> host array (batch, rows*cols) of column-major rows, for every
spec not fixed by --data; fixed data is converted once and shared by every point. Evaluation moves
chunks of points to the device as (batch, rows, cols) arrays and runs one plan over them, in chunks
that fit the backend's memory."""

import time

import numpy as np

from .plan import Plan, Program, dims


def to_matrix(flat, rows, cols):
    return np.asarray(flat).reshape(cols, rows).T


def flat_batch(values):
    """(batch, rows, cols) -> (batch, rows*cols) column-major."""
    return np.ascontiguousarray(np.swapaxes(values, 1, 2)).reshape(values.shape[0], -1)


class Model:
    def __init__(self, program, backend, interrupt=lambda: None):
        self.p = program
        self.backend = backend
        self.interrupt = interrupt
        self.program = Program(program["ir"], backend)
        self.specs = program["sampling"]
        self.var_specs = [s for s in self.specs if s["role"] == "var"]
        self.sizes = [s["rows"] * s["cols"] for s in self.var_specs]
        self.dimension = sum(self.sizes)
        self.plans = {}
        # Rounding-error bound roots (quantity kind "bound"): root -> the root bounding its rounding error.
        self.bound_of = {b["of"]: b["bound"] for b in program.get("bounds", [])}
        self.fixed = {
            s["name"]: backend.asarray(to_matrix(np.asarray(s["fixed"], dtype=np.float64), s["rows"], s["cols"])[None])
            for s in self.specs
            if s.get("fixed") is not None
        }
        self.batch_bytes = backend.free_bytes()
        # Seconds and flops spent per labelled kind of evaluation (reported as the check's stats).
        self.stats = {}

    def plan(self, roots):
        key = tuple(roots)
        p = self.plans.get(key)
        if p is None:
            p = self.plans[key] = Plan(self.program, roots)
        return p

    def chunk_size(self, plan):
        """Points per batch so that every cached IR value of the batch fits the memory budget."""
        size = max(1, int(self.batch_bytes // (8 * 2 * plan.numel + 1)))
        # Backends that compile per batch size pad to powers of two: choose one, so nothing is padded.
        return 1 << (size.bit_length() - 1) if self.backend.pad_batch else size

    def record(self, label, seconds, flops=0, points=0):
        entry = self.stats.setdefault(label, {"seconds": 0.0, "flops": 0, "points": 0})
        entry["seconds"] += seconds
        entry["flops"] += flops
        entry["points"] += points

    def run(self, roots, points, reduce=None, extra=None, label=None):
        """Evaluates the roots at every point of a `Points` batch; `reduce(values)` may shrink each
        chunk's result on the device (an eigensolve, say) before it comes back. `extra` holds further
        inputs as host arrays (batch, rows, cols)."""
        b = self.backend
        plan = self.plan(roots)
        count = points.count
        step = self.chunk_size(plan)
        outs = []
        for start in range(0, count, step):
            self.interrupt()
            stop = min(count, start + step)
            n = stop - start
            padded = 1 << (n - 1).bit_length() if b.pad_batch else n
            inputs = dict(self.fixed)
            # A point's own value wins over fixed data: a var fixed by --data (or at a counterexample)
            # is still moved by finite differences and searches.
            for s in self.specs:
                if s["name"] in points.data:
                    rows = pad(points.data[s["name"]][start:stop], padded)
                    inputs[s["name"]] = b.asarray(np.swapaxes(rows.reshape(padded, s["cols"], s["rows"]), 1, 2))
            for k, v in (extra or {}).items():
                inputs[k] = b.asarray(pad(v[start:stop], padded))
            started = time.perf_counter()
            vals = [b.broadcast(v, padded) if v.shape[0] != padded else v for v in plan.run(inputs)]
            vals = [v[:n] for v in vals]
            if label:
                b.sync(vals)
                self.record(label, time.perf_counter() - started, plan.flops * n, n)
                started = time.perf_counter()
            outs.append(reduce(vals) if reduce else [b.to_numpy(v) for v in vals])
            if label and reduce:
                self.record("eigensolve", time.perf_counter() - started)
        return outs

    def roots_of(self, q):
        kind = q["kind"]
        if kind == "bound":
            return [self.bound_of[r] for r in self.roots_of(q["of"])]
        if kind == "expr":
            return [q["root"]]
        if kind == "stack":
            return list(q["roots"])
        if kind == "grad":
            return [self.p["grads"][i] for i in q["wrt"]]
        if kind == "hvp":
            return list(self.p["hvp"])
        return [self.p["hess"][a][c] for a in q["rows"] for c in q["cols"]]

    def combine(self, q, vals):
        """Device values of roots_of(q) -> (batch, rows, cols) device array."""
        b = self.backend
        if q["kind"] == "bound":
            return self.combine(q["of"], vals)
        if q["kind"] == "expr":
            return vals[0]
        if q["kind"] == "hess":
            bands = [b.concat(vals[i : i + len(q["cols"])], 2) for i in range(0, len(vals), len(q["cols"]))]
            return b.concat(bands, 1)
        parts = [b.swap(v).reshape(v.shape[0], -1, 1) for v in vals]
        return b.concat(parts, 1) if len(parts) > 1 else parts[0]

    def direction_inputs(self, vectors):
        """v (batch, dimension) split into the `$v<k>` inputs of the Hessian-vector product roots."""
        out, off = {}, 0
        for k, size in enumerate(self.sizes):
            out[f"$v{k}"] = np.asarray(vectors)[:, off : off + size, None]
            off += size
        return out

    def evaluate(self, q, points, vectors=None, reduce=None, label=None):
        """Quantity q at every point as host (batch, rows, cols), or reduce's results per chunk;
        `vectors` (batch, n) feed hvp's `$v<k>` inputs or a stack's named inputs."""
        extra = None
        if q["kind"] == "hvp":
            extra = self.direction_inputs(vectors)
        elif q.get("inputs"):
            extra, off = {}, 0
            for spec in q["inputs"]:
                extra[spec["name"]] = np.asarray(vectors)[:, off : off + spec["size"], None]
                off += spec["size"]
        finish = (lambda vals: reduce(self.combine(q, vals))) if reduce else (lambda vals: self.backend.to_numpy(self.combine(q, vals)))
        chunks = self.run(self.roots_of(q), points, reduce=finish, extra=extra, label=label)
        return chunks if reduce else np.concatenate(chunks)

    def is_full_hessian(self, q):
        k = len(self.var_specs)
        return q["kind"] == "hess" and q["rows"] == list(range(k)) and q["cols"] == list(range(k))

    def shape_of(self, q):
        if q["kind"] == "bound":
            return self.shape_of(q["of"])
        if q["kind"] == "expr":
            return dims(self.program.nodes[q["root"]])
        if q["kind"] == "hess":
            return sum(self.sizes[i] for i in q["rows"]), sum(self.sizes[i] for i in q["cols"])
        return sum(dims(self.program.nodes[r])[0] * dims(self.program.nodes[r])[1] for r in self.roots_of(q)), 1


class Points:
    """A batch of points: count rows, and per spec not fixed by --data a (count, rows*cols) host array."""

    def __init__(self, count, data, domain=0):
        self.count = count
        self.data = data
        self.domain = domain

    def take(self, rows):
        return Points(len(rows), {k: v[rows] for k, v in self.data.items()}, self.domain)


def pad(rows, padded):
    """Repeats the last row so a batch has the padded size (compiled backends)."""
    if rows.shape[0] == padded:
        return rows
    return np.concatenate([rows, np.repeat(rows[-1:], padded - rows.shape[0], axis=0)])
