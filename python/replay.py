"""Replays recorded derivlens/check requests against the Python worker in-process — for machines
with a GPU but no Node. Record on any machine with DERIVLENS_RECORD=requests.jsonl (the CLI and the
extension append every check request they send), copy the file over, then:

    python3 python/replay.py requests.jsonl [--backend torch|jax|numpy] [--repeat N]

Prints, per request, the backend and device, wall time per repetition, verdicts and the
stats (matrix formation seconds, flops) as JSON lines."""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from derivlens.backend import select_backend  # noqa: E402
from derivlens.worker import clean, run_check  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("requests")
    p.add_argument("--backend", default=None)
    p.add_argument("--repeat", type=int, default=2, help="runs per request (the first includes compilation)")
    a = p.parse_args()
    backend, _ = select_backend(a.backend)
    with open(a.requests) as f:
        requests = [json.loads(line) for line in f if line.strip()]
    for k, params in enumerate(requests):
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            result = run_check(params, backend)
            times.append(time.perf_counter() - t0)
        out = {
            "request": k,
            "backend": backend.name,
            "device": backend.device,
            "seconds": times,
            "verdicts": [c["verdict"] for c in result["claims"]],
            "stats": result.get("stats", {}),
        }
        print(json.dumps(clean(out)), flush=True)


if __name__ == "__main__":
    main()
