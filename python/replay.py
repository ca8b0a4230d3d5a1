"""Replays recorded evaluator ops (a DERIVLENS_RECORD log, or a golden vector file of test/golden/)
against the Python evaluator in-process, compares every answer with the recorded one, and times
the run — for machines with a GPU but no Node:

    python3 python/replay.py ops.jsonl [--backend torch|jax|numpy] [--repeat N]

Record on any machine with `DERIVLENS_RECORD=ops.jsonl npx derivlens check FILE --backend cpu`
(or `--backend python`), copy the file over, replay. Prints one JSON line per repetition: backend,
device, seconds, ops, the largest deviation from the recorded answers and the evaluator's stats."""

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from derivlens.backend import select_backend  # noqa: E402
from derivlens.evaluator import Evaluator, RpcError, decode, encode  # noqa: E402

# Answers agree when |a − b| <= RTOL·max(|a|, |b|) + ATOL + CANCEL·S: float64 evaluations of the
# same ops in another order (BLAS, XLA) differ at rounding level, ~1e-15 of the values' scale, and a
# difference of large terms (a finite difference f(x+h) − f(x−h) over 2h) keeps the rounding of its
# terms: S is Σ|coef|·max|term| of the linear combination the answer reads (√size for a norm).
RTOL = 1e-9
ATOL = 1e-11
# The terms are themselves computed (gradients at nearby points, whose own rounding follows their
# intermediate sums, not their values): measured up to 2.4e-10 on a ±2.5e3-weighted difference.
CANCEL = 256 * np.finfo(np.float64).eps
EXCEED_ATOL = 1.0


def load(path):
    with open(path) as f:
        return [decode(line) for line in f if line.strip()]


def numbers(x):
    """Flattens an answer into a float array (dicts in key order)."""
    if isinstance(x, dict):
        return np.concatenate([numbers(x[k]) for k in sorted(x)]) if x else np.zeros(0)
    if isinstance(x, (list, tuple)):
        return np.concatenate([numbers(v) for v in x]) if x else np.zeros(0)
    return np.asarray(x, dtype=np.float64).reshape(-1)


def deviation(recorded, got, atol=ATOL):
    """Largest violation of the tolerance (0 when within it); inf when shapes or finiteness differ."""
    a, b = numbers(recorded), numbers(got)
    if a.shape != b.shape:
        return math.inf
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if not (np.isfinite(a) == np.isfinite(b)).all():
        return math.inf
    with np.errstate(invalid="ignore"):
        excess = np.abs(a - b) - (RTOL * np.maximum(np.abs(a), np.abs(b)) + atol)
    excess = np.where(same | ~np.isfinite(a), 0.0, excess)
    return float(max(0.0, excess.max(initial=0.0)))


def combination_scale(evaluator, cancel, op, args):
    """S = Σ|coef|·max|term| (terms' own S counted in) of a linear/mix op, per row, max over rows,
    times √(row size) since norms add the rows' entries."""

    def size(h, rows=None):
        x = evaluator.store[h]
        x = x if rows is None else x[np.asarray(rows, dtype=np.int64)]
        return np.maximum(np.abs(x).reshape(x.shape[0], -1).max(axis=1, initial=0.0), cancel.get(h, 0.0)), x[0].size

    if op == "linear":
        total, n = 0.0, 1
        for t in args["terms"]:
            m, n = size(t["of"], t.get("rows"))
            total = total + np.abs(np.asarray(t["coef"], dtype=np.float64)) * m
    else:
        m, n = size(args["of"])
        total = np.array([sum(abs(c) * m[r] for r, c in zip(g, cs)) for g, cs in zip(args["groups"], args["coefs"])])
    return float(np.max(total, initial=0.0)) * math.sqrt(n)


def replay(ops, backend):
    """Runs the ops; returns the differences (op number, op, deviation or error text) and seconds."""
    evaluator = Evaluator(backend)
    cancel = {}  # handle -> S of a linear combination (see CANCEL)
    diffs = []
    started = time.perf_counter()
    for k, entry in enumerate(ops):
        op, args = entry["op"], entry["args"]
        sources = [v["of"] for v in args.values() if isinstance(v, dict) and isinstance(v.get("of"), int)]
        try:
            if op in ("linear", "mix"):
                cancel[args["out"]] = combination_scale(evaluator, cancel, op, args)
            got = encode(evaluator.run(op, args))
        except RpcError as e:
            if not (entry.get("error") or {}).get("sampling"):
                diffs.append((k, op, f"unexpected error: {e}"))
            continue
        if "error" in entry:
            diffs.append((k, op, f"expected an error ({entry['error']['message']}), got an answer"))
            continue
        if op == "stats":
            continue  # timings, not numbers of the check
        recorded, got = decode(json.dumps(entry["answer"])), decode(json.dumps(got))
        atol = ATOL + CANCEL * max([cancel.get(h, 0.0) for h in sources] + [0.0])
        if op == "exceed":
            # A gap over its rounding-error bound: the gap itself is known only to within that bound.
            atol = EXCEED_ATOL
        dev = deviation(recorded, got, atol)
        if dev > 0:
            diffs.append((k, op, dev))
    return diffs, time.perf_counter() - started, evaluator


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ops")
    p.add_argument("--backend", default=None)
    p.add_argument("--repeat", type=int, default=2, help="runs (the first includes compilation)")
    a = p.parse_args()
    backend, _ = select_backend(a.backend)
    ops = load(a.ops)
    for r in range(a.repeat):
        diffs, seconds, evaluator = replay(ops, backend)
        out = {
            "run": r,
            "backend": backend.name,
            "device": backend.device,
            "seconds": seconds,
            "ops": len(ops),
            "differences": len(diffs),
            "worst": [[k, op, str(d)] for k, op, d in diffs[:5]],
            "stats": evaluator.model.stats if evaluator.model else {},
        }
        print(json.dumps(encode(out)), flush=True)


if __name__ == "__main__":
    main()
