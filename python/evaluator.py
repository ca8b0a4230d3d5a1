"""Entry point of the DerivLens Python evaluator: `python python/evaluator.py` (no build step).
The check worker (dist/worker.js --evaluator python) starts it and drives it over stdio."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    try:
        from derivlens.evaluator import main
    except ImportError as e:
        print(f"derivlens evaluator: cannot start: {e}", file=sys.stderr)
        sys.exit(3)
    main()
