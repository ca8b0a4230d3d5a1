"""The request's plans and the packing of a point: the batched counterpart of src/numeric/model.ts.

A point is a dict name -> flat column-major float64 vector (host NumPy), exactly the CPU worker's
layout; evaluation stacks many points into (batch, rows, cols) device arrays and runs one plan over
them, split into chunks that fit the backend's memory."""

import time

import numpy as np

from .plan import Plan, Program, dims


def to_matrix(flat, rows, cols):
    return np.asarray(flat).reshape(cols, rows).T


def flat_batch(values):
    """(batch, rows, cols) -> (batch, rows*cols) column-major."""
    return np.ascontiguousarray(np.swapaxes(values, 1, 2)).reshape(values.shape[0], -1)


class Model:
    def __init__(self, params, backend):
        self.params = params
        self.backend = backend
        self.program = Program(params["ir"], backend)
        self.specs = params["sampling"]
        self.var_specs = [s for s in self.specs if s["role"] == "var"]
        self.search_specs = [s for s in self.specs if s["role"] == "var" or s.get("fixed") is None]
        self.sizes = [s["rows"] * s["cols"] for s in self.var_specs]
        self.dimension = sum(self.sizes)
        self.plans = {}
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

    def chunk_size(self, plan, extra_per_point=0):
        """Points per batch so that every cached IR value of the batch fits the memory budget."""
        per_point = 8 * (2 * plan.numel + extra_per_point) + 1
        size = max(1, int(self.batch_bytes // per_point))
        # Backends that compile per batch size pad to powers of two: choose one, so nothing is padded.
        return 1 << (size.bit_length() - 1) if self.backend.pad_batch else size

    def _inputs(self, points, extra=None):
        b = self.backend
        inputs = dict(self.fixed)
        if extra:
            inputs.update(extra)
        for s in self.specs:
            if s["name"] in inputs:
                continue
            stack = np.stack([p[s["name"]] for p in points]).reshape(len(points), s["cols"], s["rows"])
            inputs[s["name"]] = b.asarray(np.swapaxes(stack, 1, 2))
        return inputs

    def record(self, label, seconds, flops=0, points=0):
        entry = self.stats.setdefault(label, {"seconds": 0.0, "flops": 0, "points": 0})
        entry["seconds"] += seconds
        entry["flops"] += flops
        entry["points"] += points

    def run(self, roots, points, reduce=None, extra=None, label=None):
        """Evaluates the roots at every point; `reduce(values)` may shrink each chunk's result on the
        device (an eigensolve, say) before it is concatenated. `extra` holds further inputs as
        host arrays with one row per point."""
        plan = self.plan(roots)
        step = self.chunk_size(plan)
        outs = []
        for start in range(0, len(points), step):
            chunk = points[start : start + step]
            count = len(chunk)
            more = {k: v[start : start + step] for k, v in (extra or {}).items()}
            if self.backend.pad_batch:
                padded = 1 << (count - 1).bit_length()
                chunk = chunk + [chunk[-1]] * (padded - count)
                more = {k: np.concatenate([v, np.repeat(v[-1:], padded - count, axis=0)]) for k, v in more.items()}
            more = {k: self.backend.asarray(v) for k, v in more.items()}
            inputs = self._inputs(chunk, more)
            started = time.perf_counter()
            vals = [self.backend.broadcast(v, len(chunk)) if v.shape[0] != len(chunk) else v for v in plan.run(inputs)]
            vals = [v[:count] for v in vals]
            if label:
                self.backend.sync(vals)
                self.record(label, time.perf_counter() - started, plan.flops * count, count)
                started = time.perf_counter()
            outs.append(reduce(vals) if reduce else [self.backend.to_numpy(v) for v in vals])
            if label and reduce:
                self.record("eigensolve", time.perf_counter() - started)
        return outs

    def _joined(self, roots, points):
        chunks = self.run(roots, points)
        return [np.concatenate([c[i] for c in chunks]) for i in range(len(roots))]

    def loss(self, points):
        return self._joined([self.params["loss"]], points)[0][:, 0, 0]

    def grad(self, points, wrt=None):
        wrt = list(range(len(self.var_specs))) if wrt is None else wrt
        parts = self._joined([self.params["grads"][i] for i in wrt], points)
        return np.concatenate([flat_batch(p) for p in parts], axis=1)

    def direction_inputs(self, vectors):
        """v (batch, dimension) split into the `$v<k>` inputs of the Hessian-vector product roots."""
        out = {}
        off = 0
        for k, size in enumerate(self.sizes):
            out[f"$v{k}"] = np.asarray(vectors)[:, off : off + size, None]
            off += size
        return out

    def hess_vec(self, points, vectors):
        """∇²L·v at each (point, v), stacked over all vars: (batch, dimension)."""
        chunks = self.run(self.params["hvp"], points, extra=self.direction_inputs(vectors))
        parts = [np.concatenate([c[i] for c in chunks]) for i in range(len(self.params["hvp"]))]
        return np.concatenate([p[:, :, 0] for p in parts], axis=1)

    def hess_roots(self, rows, cols):
        return [self.params["hess"][a][c] for a in rows for c in cols]

    def assemble(self, blocks, rows, cols):
        """Hessian blocks (vec(var_a) x vec(var_b) matrices) into one matrix, on the device."""
        b = self.backend
        k = 0
        bands = []
        for _a in rows:
            line = []
            for _c in cols:
                line.append(blocks[k])
                k += 1
            bands.append(b.concat(line, 2) if len(line) > 1 else line[0])
        return b.concat(bands, 1) if len(bands) > 1 else bands[0]

    def quantity_roots(self, q):
        if q["kind"] == "expr":
            return [q["root"]]
        if q["kind"] == "grad":
            return [self.params["grads"][i] for i in q["wrt"]]
        return self.hess_roots(q["rows"], q["cols"])

    def combine(self, q, vals):
        """Device values of quantity_roots(q) -> (batch, rows, cols) device array."""
        b = self.backend
        if q["kind"] == "expr":
            return vals[0]
        if q["kind"] == "grad":
            parts = [b.swap(v).reshape(v.shape[0], -1, 1) for v in vals]
            return b.concat(parts, 1) if len(parts) > 1 else parts[0]
        return self.assemble(vals, q["rows"], q["cols"])

    def evaluate(self, q, points, reduce=None):
        """Quantity q at every point, as host (batch, rows, cols), or reduce's results per chunk."""
        chunks = self.run(
            self.quantity_roots(q),
            points,
            reduce=(lambda vals: reduce(self.combine(q, vals))) if reduce else (lambda vals: self.backend.to_numpy(self.combine(q, vals))),
        )
        return chunks if reduce else np.concatenate(chunks)

    def shape_of(self, q):
        if q["kind"] == "expr":
            return dims(self.program.nodes[q["root"]])
        if q["kind"] == "grad":
            return sum(self.sizes[i] for i in q["wrt"]), 1
        return sum(self.sizes[i] for i in q["rows"]), sum(self.sizes[i] for i in q["cols"])

    def flatten(self, point, specs=None):
        specs = self.var_specs if specs is None else specs
        return np.concatenate([point[s["name"]] for s in specs]) if specs else np.zeros(0)

    def with_vars(self, point, x, specs=None):
        specs = self.var_specs if specs is None else specs
        out = dict(point)
        off = 0
        for s in specs:
            size = s["rows"] * s["cols"]
            out[s["name"]] = np.array(x[off : off + size])
            off += size
        return out
