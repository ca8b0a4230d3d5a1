"""Entry point of the DerivLens Python worker: `python python/worker.py` (no build step)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    try:
        from derivlens.worker import main
    except ImportError as e:
        print(f"derivlens worker: cannot start: {e}", file=sys.stderr)
        sys.exit(3)
    main()
