"""One database's benchmark: migrate, generate the dataset, measure. `make bench` runs it on SQLite
and on a throw-away PostgreSQL, then bench/report.py writes docs/benchmarks.md.

    CAREBOND_DATABASE_URL=... python bench/suite.py --people 1000000 --touchpoints 10000000

Each step is its own process, so the measurements start from a fresh interpreter.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def step(*command: str) -> None:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603
    if result.returncode:
        sys.exit(result.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=150)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    python = sys.executable
    bin_dir = Path(python).parent
    carebond = bin_dir / "carebond"
    step(str(carebond) if carebond.exists() else "carebond", "migrate", "--verbosity", "0")
    step(
        python,
        str(BENCH / "generate.py"),
        f"--people={args.people}",
        f"--touchpoints={args.touchpoints}",
        f"--seed={args.seed}",
    )
    step(
        python,
        str(BENCH / "run.py"),
        f"--queries={args.queries}",
        f"--iterations={args.iterations}",
        f"--seed={args.seed}",
    )


if __name__ == "__main__":
    main()
