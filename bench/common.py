"""What the benchmark scripts share: Django set-up, where results go, percentiles, the machine."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
BENCH_ORG_SLUG = "bench"


def setup_django() -> None:
    """Configure Django from the environment (dev settings unless told otherwise)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def database_label() -> str:
    """'sqlite' or 'postgresql': the name of the results file for the current database."""
    from django.db import connection

    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: every reported number was measured)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def summary(values_ms: list[float]) -> dict[str, float | int]:
    return {
        "n": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 3),
        "p95_ms": round(percentile(values_ms, 95), 3),
        "p99_ms": round(percentile(values_ms, 99), 3),
        "max_ms": round(max(values_ms), 3) if values_ms else float("nan"),
    }


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory_kib = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def results_path(label: str, suffix: str = "") -> Path:
    return RESULTS_DIR / f"{label}{suffix}.json"


def read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def bench_account(organization: Any, username: str, role: str, last_name: str) -> Any:
    """The benchmark's own staff account (made once, with a random password nobody needs)."""
    import random

    from carebond.accounts.actions import do_create_user
    from carebond.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        user = do_create_user(
            organization,
            username=username,
            role=role,
            password="bench-" + random.SystemRandom().randbytes(12).hex(),
            first_name="Bench",
            last_name=last_name,
            acting_user=None,
        )
    return user
