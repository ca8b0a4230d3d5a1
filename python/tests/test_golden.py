"""Golden vectors (test/golden/*.jsonl): ops the check driver sent, with the CPU evaluator's
answers. The Python evaluator must reproduce every answer on every installed backend — no Node
needed: `python3 -m pytest python/`."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from derivlens.backend import select_backend  # noqa: E402
from replay import load, replay  # noqa: E402

GOLDEN = sorted((HERE.parent.parent / "test" / "golden").glob("*.jsonl"))
# JAX compiles every plan for every batch size: a few files keep this run short.
JAX_FILES = {"large_d.jsonl", "nonfinite.jsonl", "sampling.jsonl", "gmm_score.jsonl"}


def installed(module):
    return importlib.util.find_spec(module) is not None


CASES = [("numpy", f) for f in GOLDEN]
CASES += [("torch", f) for f in GOLDEN if installed("torch")]
CASES += [("jax", f) for f in GOLDEN if installed("jax") and f.name in JAX_FILES]


def test_golden_files_exist():
    assert len(GOLDEN) >= 6, f"golden vectors missing under {GOLDEN}"


@pytest.mark.parametrize(("backend", "path"), CASES, ids=[f"{b}-{p.stem}" for b, p in CASES])
def test_replay_matches(backend, path):
    os.environ.pop("DERIVLENS_BATCH_BYTES", None)
    engine, _ = select_backend(backend)
    ops = load(path)
    diffs, _seconds, _evaluator = replay(ops, engine)
    assert diffs == [], f"{path.name} on {engine.name}: {diffs[:5]}"


def test_a_changed_answer_is_caught():
    """The comparison is not vacuous: a perturbed recorded answer is reported."""
    engine, _ = select_backend("numpy")
    ops = load(GOLDEN[0])
    k = next(i for i, e in enumerate(ops) if e.get("answer", {}).get("values"))
    values = list(ops[k]["answer"]["values"])
    values[0] = values[0] * (1 + 1e-6) + 1e-6
    ops[k] = {**ops[k], "answer": {**ops[k]["answer"], "values": values}}
    diffs, _, _ = replay(ops, engine)
    assert [d[0] for d in diffs] == [k]
