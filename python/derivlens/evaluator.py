"""The Python evaluator: the ops of src/numeric/evaluator/api.ts (this file mirrors it: change one,
change the other) over NumPy, JAX or PyTorch, served as JSON-RPC 2.0 over stdio with Content-Length
framing (what vscode-jsonrpc speaks). It decides nothing: the check driver (TypeScript) sends ops
naming handles, and gets scalars per row back.

A reader thread takes messages off stdin, so a cancel arrives while an op computes (the op stops at
its next chunk); a heartbeat goes out every second while an op runs; ops run one at a time."""

import json
import math
import os
import queue
import sys
import threading
import time
import traceback

import numpy as np

from .model import Model, Points, flat_batch
from .plan import PointEvaluator
from .sampling import Sampler, SamplingError, project

PROTOCOL_VERSION = 2
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800
# Same code as SAMPLING_FAILED in src/numeric/evaluator/python.ts.
SAMPLING_FAILED = -32001


class Cancelled(Exception):
    pass


def decode(x):
    """JSON arguments: {"$f": "NaN"} and its kin are the non-finite numbers (see evaluator/wire.ts)."""
    return json.loads(x, object_hook=lambda o: float(o["$f"]) if len(o) == 1 and "$f" in o else o)


def encode(x):
    """Answers as plain JSON, non-finite numbers as {"$f": …}."""
    if isinstance(x, dict):
        return {k: encode(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [encode(v) for v in x]
    if isinstance(x, np.ndarray):
        if np.isfinite(x).all():
            return x.tolist()
        return encode(x.tolist())
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else {"$f": "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")}
    if isinstance(x, np.integer):
        return int(x)
    return x


def like(x, other):
    """x with other's row shape, by its column-major entries (a vec(X) gradient against a matrix)."""
    if x.shape[1:] == other.shape[1:]:
        return x
    return np.swapaxes(flat_batch(x).reshape(x.shape[0], other.shape[2], other.shape[1]), 1, 2)


def norms(v, kind):
    """Row norms of (batch, rows, cols): ‖·‖₂ without overflow, max|·|, min|·| (NaN propagates)."""
    flat = v.reshape(v.shape[0], -1)
    if kind == "maxAbs":
        return np.abs(flat).max(axis=1, initial=0.0)
    if kind == "minAbs":
        return np.abs(flat).min(axis=1, initial=math.inf)
    if kind == "opNorm":
        return np.array([operator_norm(m) for m in v])
    peak = np.abs(flat).max(axis=1, initial=0.0)
    safe = np.where(np.isfinite(peak) & (peak > 0), peak, 1.0)
    with np.errstate(all="ignore"):
        out = safe * np.sqrt(np.sum((flat / safe[:, None]) ** 2, axis=1))
    return np.where(np.isfinite(peak), np.where(peak > 0, out, 0.0), peak)


def operator_norm(m):
    """|s|, ‖v‖₂, or the spectral norm (max |λ| when symmetric) of one matrix."""
    rows, cols = m.shape
    if not np.isfinite(m).all():
        return norms(m[None], "norm")[0]
    if rows == 1 or cols == 1:
        return norms(m[None], "norm")[0]
    if rows == cols and np.max(np.abs(m - m.T)) <= 1e-12 * max(np.max(np.abs(m)), 1e-300):
        vals = np.linalg.eigvalsh(0.5 * (m + m.T))
        return max(abs(vals[0]), abs(vals[-1]))
    return np.linalg.norm(m, 2)


class Evaluator:
    def __init__(self, backend, interrupt=lambda: None):
        self.backend = backend
        self.interrupt = interrupt
        self.model = None
        self.store = {}

    # ---- helpers -------------------------------------------------------------------------------

    def rows(self, ref):
        """A RowRef's rows: Points, or a host (batch, rows, cols) array."""
        x = self.store[ref["of"]]
        rows = ref.get("rows")
        if rows is None:
            return x
        return x.take(rows) if isinstance(x, Points) else x[np.asarray(rows, dtype=np.int64)]

    def spec(self, name, domain=0):
        return next(s for s in self.domains[domain] if s["name"] == name)

    def full(self, points, name):
        """(count, size) of one entry, fixed data repeated."""
        if name in points.data:
            return points.data[name]
        return np.broadcast_to(self.samplers[0].fixed[name], (points.count, self.size(name)))

    def centre_at(self, domain, data, i):
        """The centres of centred balls at row i of a batch's (partly moved) data, fixed data included."""
        sampler = self.samplers[domain]
        return sampler.centre_at({**sampler.fixed, **{k: v[i] for k, v in data.items()}})

    def size(self, name):
        s = self.spec(name)
        return s["rows"] * s["cols"]

    def stacked(self, points, names):
        return np.concatenate([self.full(points, n) for n in names], axis=1) if names else np.zeros((points.count, 0))

    # ---- ops -----------------------------------------------------------------------------------

    def op_load(self, a):
        p = a["program"]
        self.store.clear()
        self.model = Model(p, self.backend, self.interrupt)
        self.domains = [p["sampling"], *p.get("domains", [])]
        # Balls centred at an expression of givens evaluate their centre at the givens drawn so far.
        self.centre = PointEvaluator(self.model.program)
        self.samplers = [Sampler(specs, p["seed"], self.centre) for specs in self.domains]
        return {}

    def op_sample(self, a):
        domain = a.get("domain", 0)
        sampler = self.samplers[domain]
        drawn = []
        for ids in a["streams"]:
            try:
                drawn.append(sampler.draw(*ids))
            except SamplingError as e:
                raise RpcError(SAMPLING_FAILED, str(e), {**e.data, "domain": domain}) from None
            self.interrupt()
        names = [s["name"] for s in self.domains[domain] if s.get("fixed") is None]
        data = {n: np.stack([d[n] for d in drawn]) if drawn else np.zeros((0, self.size(n))) for n in names}
        self.store[a["out"]] = Points(len(drawn), data, domain)
        return {}

    def op_fill(self, a):
        self.store[a["out"]] = np.full((a["count"], a["r"], a["c"]), float(a["value"]))
        return {}

    def op_scalars(self, a):
        return {"values": self.rows(a["of"])[:, 0, 0]}

    def op_gather(self, a):
        parts = [self.rows(p) for p in a["parts"]]
        if isinstance(parts[0], Points):
            data = {k: np.concatenate([p.data[k] for p in parts]) for k in parts[0].data}
            self.store[a["out"]] = Points(sum(p.count for p in parts), data, parts[0].domain)
        else:
            self.store[a["out"]] = np.concatenate(parts)
        return {}

    def op_assign(self, a):
        base, src = self.rows(a["base"]), self.rows(a["from"])
        data = dict(base.data)
        for n in a["names"]:
            if n in data:
                data[n] = src.data[n]
        self.store[a["out"]] = Points(base.count, data, base.domain)
        return {}

    def op_directions(self, a):
        sampler = self.samplers[0]
        specs = [self.spec(n) for n in a["names"]]
        rows = []
        for ids in a["streams"]:
            parts = sampler.direction(ids, specs)
            rows.append(np.concatenate([parts[s["name"]] for s in specs]) if specs else np.zeros(0))
        n = sum(s["rows"] * s["cols"] for s in specs)
        self.store[a["out"]] = np.asarray(rows).reshape(len(rows), n, 1)
        return {}

    def op_move(self, a):
        base = self.rows(a["base"])
        delta = self.rows(a["delta"])[:, :, 0]
        scale = np.asarray(a["scale"], dtype=np.float64)[:, None]
        data = dict(base.data)
        weights = a.get("weights") or [1.0] * len(a["names"])
        off = 0
        for n, w in zip(a["names"], weights):
            size = self.size(n)
            moved = self.full(base, n) + (w * scale) * delta[:, off : off + size]
            if a["project"]:
                spec = self.spec(n, base.domain)
                moved = (
                    np.stack([project(x, spec, self.centre_at(base.domain, data, i)) for i, x in enumerate(moved)]) if len(moved) else moved
                )
            data[n] = moved
            off += size
        self.store[a["out"]] = Points(base.count, data, base.domain)
        return {}

    def op_evaluate(self, a):
        points = self.rows(a["points"])
        vectors = self.rows(a["vectors"])[:, :, 0] if a.get("vectors") else None
        self.store[a["out"]] = self.model.evaluate(a["quantity"], points, vectors)
        return {}

    def op_linear(self, a):
        total = None
        for t in a["terms"]:
            x = self.rows(t) if total is None else like(self.rows(t), total)
            coef = np.asarray(t["coef"], dtype=np.float64).reshape(-1, 1, 1)
            total = coef * x if total is None else total + coef * x
        self.store[a["out"]] = total
        return {}

    def op_mix(self, a):
        src = self.store[a["of"]]
        out = np.stack([sum(c * src[r] for r, c in zip(g, cs)) if g else np.zeros(src.shape[1:]) for g, cs in zip(a["groups"], a["coefs"])])
        if a.get("normalize"):
            n = norms(out, "norm")
            out = out / np.where(n > 0, n, 1.0)[:, None, None]
        self.store[a["out"]] = out
        return {}

    def op_normalize(self, a):
        x = self.rows(a["of"])
        n = norms(x, "norm")
        self.store[a["out"]] = np.where(n[:, None, None] > 0, x / np.where(n > 0, n, 1.0)[:, None, None], 0.0)
        return {"values": n}

    def op_orthogonalize(self, a):
        w = np.array(self.rows(a["of"]))
        basis = [self.store[h] for h in a["basis"]]
        # Twice is enough (Kahan–Parlett): one pass leaves rounding-size components behind.
        for _ in range(2):
            for q in basis:
                w -= np.einsum("bij,bij->b", q, w)[:, None, None] * q
        self.store[a["out"]] = w
        return {}

    def op_norms(self, a):
        return {"values": norms(self.rows(a["of"]), a["kind"])}

    def op_distances(self, a):
        pa = self.stacked(self.rows(a["a"]), a["names"])
        pb = self.stacked(self.rows(a["b"]), a["names"]) if a.get("b") else 0.0
        return {"values": norms((pa - pb)[:, :, None], "norm")}

    def op_exceed(self, a):
        x = self.rows(a["a"])
        gap = np.abs(x - like(self.rows(a["b"]), x))
        bound = like(self.rows(a["bound"]), x)
        with np.errstate(all="ignore"):
            ratio = np.where((gap == 0) & (bound == 0), 0.0, gap / bound)
        # max with NaN propagating, 0 for an empty row (as the CPU evaluator).
        flat = ratio.reshape(ratio.shape[0], -1)
        worst = flat.max(axis=1, initial=0.0)
        return {"values": np.where(np.isnan(flat).any(axis=1), np.nan, worst)}

    def op_dots(self, a):
        x = self.rows(a["a"])
        y = like(self.rows(a["b"]), x)
        return {"values": np.einsum("bij,bij->b", x, y)}

    def op_quad(self, a):
        points, q = self.rows(a["points"]), a["quantity"]
        v = self.rows(a["vectors"])[:, :, 0]
        if self.model.is_full_hessian(q):
            hv = self.model.evaluate({"kind": "hvp"}, points, v)[:, :, 0]
            return {"values": np.einsum("bi,bi->b", v, hv)}
        m = self.model.evaluate(q, points)
        if m.shape[1] == 1 and m.shape[2] == 1:
            return {"values": m[:, 0, 0] * np.einsum("bi,bi->b", v, v)}
        return {"values": np.einsum("bi,bij,bj->b", v, m, v)}

    def op_apply(self, a):
        m, v = self.rows(a["values"]), self.rows(a["vectors"])
        self.store[a["out"]] = m @ v
        return {}

    def op_eigen(self, a):
        model, b = self.model, self.backend
        upper, lower, sign = a["upper"], a.get("lower"), float(a["sign"])
        up, lo = model.roots_of(upper), model.roots_of(lower) if lower else []

        def reduce(vals):
            m = model.combine(upper, vals[: len(up)])
            if lower:
                m = m - model.combine(lower, vals[len(up) :])
            if sign != 1.0:
                m = sign * m
            return [b.to_numpy(t) for t in b.extreme_eigenpairs(m, a["which"])]

        chunks = model.run(up + lo, self.rows(a["points"]), reduce=reduce, label="matrix formation")
        values, vectors, scales = (np.concatenate([c[i] for c in chunks]) for i in range(3))
        # Defined up to sign: the largest entry (the first, on a tie) positive, as cpu.ts returns it.
        peak = np.abs(vectors).argmax(axis=1)
        vectors = vectors * np.where(vectors[np.arange(len(vectors)), peak] < 0, -1.0, 1.0)[:, None]
        self.store[a["out"]] = vectors[:, :, None]
        return {"values": values, "scales": scales}

    def op_extract(self, a):
        points = self.rows(a["of"])
        self.store[a["out"]] = self.stacked(points, a["names"])[:, :, None]
        return {}

    def op_pick(self, a):
        x = flat_batch(self.rows(a["of"]))
        return {"values": x[np.arange(x.shape[0]), np.asarray(a["entries"], dtype=np.int64)]}

    def op_signChange(self, a):  # noqa: N802 — the op's name in api.ts
        x, y = flat_batch(self.rows(a["a"])), flat_batch(like(self.rows(a["b"]), self.rows(a["a"])))
        opposite = ((x > 0) & (y < 0)) | ((x < 0) & (y > 0))
        return {"values": np.where(opposite.any(axis=1), opposite.argmax(axis=1), -1)}

    def op_fetch(self, a):
        x = self.store[a["of"]]
        row = a["row"]
        if isinstance(x, Points):
            return {"point": {s["name"]: self.full(x, s["name"])[row] for s in self.domains[x.domain]}}
        return {"value": flat_batch(x[row : row + 1])[0], "rows": x.shape[1], "cols": x.shape[2]}

    def op_release(self, a):
        for h in a["handles"]:
            self.store.pop(h, None)
        return {}

    def op_stats(self, _):
        return {"stats": self.model.stats if self.model else {}}

    def run(self, op, args):
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the Python evaluator has no op '{op}'")
        return handler(args)


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.data = data


class Connection:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.lock = threading.Lock()

    def read(self):
        length = None
        while True:
            line = self.reader.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            key, _, value = line.decode("ascii").partition(":")
            if key.lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise ValueError("message without Content-Length")
        return decode(self.reader.read(length).decode("utf-8"))

    def send(self, message):
        body = json.dumps(message, allow_nan=False).encode("utf-8")
        with self.lock:
            self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.writer.flush()


def main():
    conn = Connection(sys.stdin.buffer, sys.stdout.buffer)
    # Anything printed by a library must not corrupt the protocol stream.
    sys.stdout = sys.stderr
    try:
        from .backend import select_backend

        backend, notes = select_backend()
    except Exception as e:  # noqa: BLE001 — missing, or importable but broken (a CUDA driver mismatch, say)
        print(f"derivlens evaluator: no usable array library: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(3)
    for n in notes:
        print(f"derivlens evaluator: {n}", file=sys.stderr)
    cancelled = set()
    running = {"id": None}
    inbox = queue.Queue()

    def interrupt():
        if running["id"] in cancelled:
            raise Cancelled()

    evaluator = Evaluator(backend, interrupt)

    def reader():
        try:
            while True:
                msg = conn.read()
                if msg is None:
                    break
                if msg.get("method") == "$/cancelRequest":
                    cancelled.add(msg.get("params", {}).get("id"))
                    continue
                inbox.put(msg)
        except Exception as e:  # noqa: BLE001 — a broken stream ends the evaluator, like a closed one
            print(f"derivlens evaluator: unreadable message: {e}", file=sys.stderr)
        # The driver is gone: stop now, even inside a long op (nobody will read its answer).
        os._exit(0)

    def heartbeat():
        # A message at least once a second while an op runs, even inside one long batch: the
        # driver takes a silent evaluator for a hung one.
        while True:
            time.sleep(1.0)
            if running["id"] is not None:
                conn.send({"jsonrpc": "2.0", "method": "evaluator/heartbeat", "params": {}})

    threading.Thread(target=reader, daemon=True).start()
    threading.Thread(target=heartbeat, daemon=True).start()
    while True:
        msg = inbox.get()
        if "id" not in msg:
            continue
        rid, method = msg["id"], msg.get("method", "")
        running["id"] = rid
        try:
            interrupt()
            op = method.removeprefix("evaluator/")
            if op == "initialize":
                result = {
                    "protocolVersion": PROTOCOL_VERSION,
                    "backend": backend.name,
                    "device": backend.device,
                    "gpu": backend.gpu,
                    # Where Lanczos on Hessian-vector products beats forming Hessians (see EvaluatorInfo).
                    "iterativeEigenFrom": 1024 if backend.gpu else 2048,
                }
            else:
                result = evaluator.run(op, msg.get("params") or {})
            reply = {"result": encode(result)}
        except Cancelled:
            reply = {"error": {"code": REQUEST_CANCELLED, "message": "cancelled"}}
        except RpcError as e:
            reply = {"error": {"code": e.code, "message": str(e), **({"data": e.data} if e.data else {})}}
        except Exception as e:  # noqa: BLE001 — any other failure is reported to the driver, which fails the check
            traceback.print_exc(file=sys.stderr)
            reply = {"error": {"code": INTERNAL_ERROR, "message": f"evaluator error: {type(e).__name__}: {e}"}}
        running["id"] = None
        cancelled.discard(rid)
        conn.send({"jsonrpc": "2.0", "id": rid, **reply})
