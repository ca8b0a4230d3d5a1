"""Executes the wire IR (src/symbolic/wire.ts) on a batch: every value is an array of shape
(batch, rows, cols), or (1, rows, cols) for what does not depend on the point. The IR arrives
already planned (re-associated) by the client, so this is a direct, kernel-per-node evaluation."""

import numpy as np

from .kernels import KERNELS


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
        kind = self.program.nodes[n]["kind"]
        kernel = KERNELS.get(kind)
        if kernel is None:
            raise InternalError(f"no Python kernel for op {kind!r} (python/derivlens/kernels.py)")
        return kernel(KernelContext(self, n, inputs, env, indices))

    def _constant(self, key, make):
        cache = self.program.constants
        if key not in cache:
            cache[key] = self.program.backend.constant(make())
        return cache[key]


class PointEvaluator:
    """The value of one root at one point (flat column-major values by name), as a flat column-major
    vector: a ball's centre at the givens drawn so far, say (sampling.Sampler's `centre`)."""

    def __init__(self, program):
        self.program = program
        self.shapes = {w["attrs"]["name"]: dims(w) for w in program.nodes if w["kind"] in ("given", "var")}
        self.plans = {}

    def __call__(self, root, point):
        plan = self.plans.get(root)
        if plan is None:
            plan = self.plans[root] = Plan(self.program, [root])
        b = self.program.backend
        inputs = {}
        for name, value in point.items():
            if name in self.shapes:
                rows, cols = self.shapes[name]
                inputs[name] = b.asarray(np.asarray(value, dtype=np.float64).reshape(cols, rows).T[None])
        out = b.to_numpy(plan.run(inputs)[0])[0]
        return np.ascontiguousarray(out.T).reshape(-1)


class KernelContext:
    """What a kernel of kernels.py sees of its node: attributes, shape, its operands' values, the
    backend, index values, the plan's constant cache, and (for index sums) the body per index."""

    def __init__(self, plan, n, inputs, env, indices):
        self.plan = plan
        self.n = n
        self.node = plan.program.nodes[n]
        self.attrs = self.node.get("attrs", {})
        self.rows, self.cols = dims(self.node)
        self.b = plan.program.backend
        self.xp = self.b.xp
        self.inputs = inputs
        self.env = env
        self.indices = indices
        self.operands = plan.program.operands(n)
        args = [plan.program.nodes[a] for a in self.node["args"]]
        self.arg_kinds = [a["kind"] for a in args]
        self.arg_dims = [dims(a) for a in args]

    def arg(self, i):
        """The value of operand i (for a product with diag(v), v)."""
        return self.env[self.operands[i]]

    def ref(self, r):
        if r["kind"] == "lit":
            return int(r["value"])
        if r["name"] not in self.indices:
            raise InternalError(f"index {r['name']} used outside its sum")
        return self.indices[r["name"]]

    def constant(self, key, make):
        return self.plan._constant(key, make)

    def error(self, message):
        return InternalError(message)

    def body_values(self):
        """An index sum's body evaluated for each value of its index, in order."""
        name = self.attrs["index"]
        for j in range(int(self.attrs["lower"]), int(self.attrs["upper"]) + 1):
            inner = dict(self.indices)
            inner[name] = j
            local = _Overlay(self.env)
            for m in self.plan.bodies[self.n]:
                local[m] = self.plan._kernel(m, self.inputs, local, inner)
            yield local[self.node["args"][0]]


class _Overlay(dict):
    """Values local to one index binding, falling back to the enclosing ones."""

    def __init__(self, outer):
        super().__init__()
        self.outer = outer

    def __missing__(self, key):
        return self.outer[key]
