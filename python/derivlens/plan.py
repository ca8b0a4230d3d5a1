"""Executes the wire IR (src/symbolic/wire.ts) on a batch: every value is an array of shape
(batch, rows, cols), or (1, rows, cols) for what does not depend on the point. The IR arrives
already planned (re-associated) by the client, so this is a direct, kernel-per-node evaluation."""

import numpy as np


class InternalError(Exception):
    pass


def free_indices(nodes):
    """Summation indices each node depends on (mirrors Graph.intern in ir.ts)."""
    out = []
    for w in nodes:
        free = set()
        for a in w["args"]:
            free |= out[a]
        attrs = w.get("attrs", {})
        if w["kind"] == "indexValue":
            free = {attrs["index"]}
        for key in ("index", "row", "col"):
            r = attrs.get(key)
            if isinstance(r, dict) and r.get("kind") == "index":
                free = free | {r["name"]}
        if w["kind"] == "indexSum":
            free = free - {attrs["index"]}
        out.append(frozenset(free))
    return out


def dims(w):
    return w["rows"]["value"], w["cols"]["value"]


class Program:
    """The deserialised IR of one request, shared by every plan compiled from it."""

    def __init__(self, wire, backend):
        self.nodes = wire["nodes"]
        self.backend = backend
        self.free = free_indices(self.nodes)
        self.constants = {}

    def operands(self, n):
        """What evaluating node n reads: a product with diag(v) reads v, never the n×n matrix."""
        w = self.nodes[n]
        if w["kind"] != "matmul":
            return w["args"]
        return [self.nodes[a]["args"][0] if self.nodes[a]["kind"] == "diag" else a for a in w["args"]]

    def reachable(self, roots, into_sums=True):
        """Nodes evaluating the roots computes, in wire (topological) order; with into_sums False,
        a nested index sum is included but not what lies inside it."""
        seen = set()
        stack = list(roots)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if into_sums or self.nodes[n]["kind"] != "indexSum":
                stack.extend(self.operands(n))
        return sorted(seen)

    def numel(self, roots):
        return sum(dims(self.nodes[n])[0] * dims(self.nodes[n])[1] for n in self.reachable(roots))


class Plan:
    def __init__(self, program, roots):
        self.program = program
        self.roots = list(roots)
        order = program.reachable(roots)
        self.fixed_order = [n for n in order if not program.free[n]]
        # The nodes re-evaluated for every value of an index sum's index.
        self.bodies = {}
        for n in order:
            w = program.nodes[n]
            if w["kind"] == "indexSum":
                body = program.reachable([w["args"][0]], into_sums=False)
                self.bodies[n] = [m for m in body if program.free[m]]
        self.numel = program.numel(roots)
        self.flops = sum(self._flops(n) for n in order)
        self._run = program.backend.jit(self._evaluate)

    def _flops(self, n):
        """Floating-point operations of one node for one point (index sums counted once)."""
        w = self.program.nodes[n]
        rows, cols = dims(w)
        if w["kind"] == "matmul":
            left, right = (self.program.nodes[a] for a in w["args"])
            if left["kind"] == "diag" or right["kind"] == "diag":
                return rows * cols
            return 2 * rows * dims(left)[1] * cols
        if w["kind"] in ("var", "given", "const", "num", "identity", "ones", "zeros", "vec", "unvec", "transpose"):
            return 0
        return rows * cols

    def run(self, inputs):
        return self._run(inputs)

    def _evaluate(self, inputs):
        values = {}
        for n in self.fixed_order:
            values[n] = self._kernel(n, inputs, values, {})
        return [values[r] for r in self.roots]

    def _kernel(self, n, inputs, env, indices):
        b = self.program.backend
        xp = b.xp
        w = self.program.nodes[n]
        kind = w["kind"]
        attrs = w.get("attrs", {})
        rows, cols = dims(w)
        args = w["args"]

        def arg(i):
            return env[args[i]]

        def ref(r):
            if r["kind"] == "lit":
                return int(r["value"])
            if r["name"] not in indices:
                raise InternalError(f"index {r['name']} used outside its sum")
            return indices[r["name"]]

        if kind in ("var", "given"):
            if attrs["name"] not in inputs:
                raise InternalError(f"no value for '{attrs['name']}'")
            return inputs[attrs["name"]]
        if kind in ("const", "num"):
            return self._constant(("num", attrs["value"]), lambda: np.full((1, 1, 1), attrs["value"]))
        if kind == "identity":
            return self._constant(("eye", rows), lambda: np.eye(rows)[None])
        if kind == "ones":
            return self._constant(("ones", rows, cols), lambda: np.ones((1, rows, cols)))
        if kind == "zeros":
            return self._constant(("zeros", rows, cols), lambda: np.zeros((1, rows, cols)))
        if kind == "unit":
            k = ref(attrs["index"]) - 1
            return self._constant(("unit", rows, k), lambda: np.eye(rows)[None, :, k : k + 1])
        if kind == "indexValue":
            v = ref({"kind": "index", "name": attrs["index"]})
            return self._constant(("num", float(v)), lambda: np.full((1, 1, 1), float(v)))
        if kind == "commutation":
            m, nn = attrs["m"]["value"], attrs["n"]["value"]

            def commutation():
                out = np.zeros((rows, rows))
                for i in range(m):
                    for j in range(nn):
                        out[j + i * nn, i + j * m] = 1.0
                return out[None]

            return self._constant(("K", m, nn), commutation)
        if kind == "add":
            return arg(0) + arg(1)
        if kind == "hadamard":
            return arg(0) * arg(1)
        if kind == "divide":
            return arg(0) / arg(1)
        if kind == "scale":
            return arg(0) * arg(1)
        if kind == "matmul":
            left, right = (self.program.nodes[a] for a in args)
            # diag(v)·X and X·diag(v) scale rows / columns: no dense diagonal matrix.
            if left["kind"] == "diag":
                return env[left["args"][0]] * arg(1)
            if right["kind"] == "diag":
                return arg(0) * b.swap(env[right["args"][0]])
            if dims(left)[1] == 1:
                # An outer product u vᵀ: a broadcast multiply, which compilers fuse into its uses.
                return arg(0) * arg(1)
            return b.matmul(arg(0), arg(1))
        if kind == "transpose":
            return b.swap(arg(0))
        if kind == "kron":
            x, y = arg(0), arg(1)
            ar, ac = x.shape[1], x.shape[2]
            br, bc = y.shape[1], y.shape[2]
            batch = max(x.shape[0], y.shape[0])
            out = x[:, :, None, :, None] * y[:, None, :, None, :]
            return out.reshape(batch, ar * br, ac * bc)
        if kind == "fn":
            return b.unary(attrs["fn"])(arg(0))
        if kind == "pow":
            return arg(0) ** arg(1)
        if kind == "inner":
            return b.sum_all(arg(0) * arg(1))
        if kind == "sum":
            return b.sum_all(arg(0))
        if kind == "trace":
            return b.sum_all(b.diagonal(arg(0)))
        if kind == "diag":
            return arg(0) * self._constant(("eye", rows), lambda: np.eye(rows)[None])
        if kind == "diagvec":
            return b.diagonal(arg(0))
        if kind == "vec":
            x = arg(0)
            return b.swap(x).reshape(x.shape[0], rows * cols, 1)
        if kind == "unvec":
            x = arg(0)
            return b.swap(x.reshape(x.shape[0], cols, rows))
        if kind == "norm":
            return xp.sqrt(b.sum_all(arg(0) * arg(0)))
        if kind == "slice":
            x = arg(0)
            r0 = ref(attrs["row"]) - 1 if attrs.get("row") else 0
            c0 = ref(attrs["col"]) - 1 if attrs.get("col") else 0
            return x[:, r0 : r0 + rows, c0 : c0 + cols]
        if kind == "indexSum":
            name = attrs["index"]
            total = None
            for j in range(int(attrs["lower"]), int(attrs["upper"]) + 1):
                inner = dict(indices)
                inner[name] = j
                local = _Overlay(env)
                for m in self.bodies[n]:
                    local[m] = self._kernel(m, inputs, local, inner)
                v = local[args[0]]
                total = v if total is None else total + v
            if total is None:
                return self._constant(("zeros", rows, cols), lambda: np.zeros((1, rows, cols)))
            return total
        if kind == "softmax":
            z = arg(0)
            e = xp.exp(z - b.max_all(z))
            return e / b.sum_all(e)
        if kind == "normalize":
            u = arg(0)
            return u / b.sum_all(u)
        raise InternalError(f"unknown IR node kind {kind!r}")

    def _constant(self, key, make):
        cache = self.program.constants
        if key not in cache:
            cache[key] = self.program.backend.constant(make())
        return cache[key]


class _Overlay(dict):
    """Values local to one index binding, falling back to the enclosing ones."""

    def __init__(self, outer):
        super().__init__()
        self.outer = outer

    def __missing__(self, key):
        return self.outer[key]
