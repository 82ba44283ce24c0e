"""FHIR import benchmark on an empty database: the shared Synthea set, its re-import, and a
1,000-patient set made by multiplying the shared patient bundles with fresh ids.

    CAREBOND_DATABASE_URL=... python bench/fhir.py [--patients 1000]

Every import runs as `carebond import-fhir` in its own process (the product's real path); its
throughput comes from the run's own record (resources read / (finished_at - started_at)), its
peak memory from the child's maximum resident set size. The plain-parse baseline reads and
parses the same files with orjson and nothing else. Writes bench/results/<database>-fhir.json.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, database_label, database_version, machine, results_path, setup_django

DATA = (
    Path(os.environ.get("CAREBOND_FHIR_DATA") or ROOT.parent / "shared" / "data" / "fhir")
    / "synthea"
)
WORK = ROOT / "var" / "bench" / "fhir"
SOURCE = "urn:carebond:bench:synthea"
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Identifier values that would make copies of one patient the same person (SSN, licence,
# passport): each copy gets its own.
PERSONAL_IDS = re.compile(rb'("value"\s*:\s*")(999-\d\d-\d{4}|S999\d+|X\d+X)(")')
TARGETS = {"sqlite": 2000, "postgresql": 1500}
MAX_SECONDS_1000 = 600


def is_provider_file(path: Path) -> bool:
    return path.name.startswith(("hospitalInformation", "practitionerInformation"))


def orjson_baseline(files: list[Path]) -> dict[str, Any]:
    """Read and parse every file, counting entries: the floor any importer stands on."""
    started = time.perf_counter()
    resources = 0
    for path in files:
        document = orjson.loads(path.read_bytes())
        resources += len(document.get("entry", []))
    seconds = time.perf_counter() - started
    return {
        "resources": resources,
        "seconds": round(seconds, 3),
        "per_second": round(resources / seconds),
    }


def multiply(patients: int, folder: Path) -> tuple[list[Path], int]:
    """Copies of the shared patient bundles with fresh ids (deterministic), gzip-compressed;
    the provider bundles are shared, as in one Synthea run."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in DATA.glob("*.json") if not is_provider_file(p))
    providers = {
        m.group(0)
        for p in DATA.glob("*.json")
        if is_provider_file(p)
        for m in UUID.finditer(p.read_bytes())
    }
    written: list[Path] = []
    copy = 0
    while len(written) < patients:
        for path in sources:
            if len(written) >= patients:
                break
            data = path.read_bytes()

            def fresh(match: re.Match[bytes], copy: int = copy) -> bytes:
                old = match.group(0)
                if old in providers:
                    return old  # organisations, locations and practitioners stay shared
                return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{copy}:{old.decode()}")).encode()

            data = UUID.sub(fresh, data)

            def own(match: re.Match[bytes], copy: int = copy) -> bytes:
                return match.group(1) + match.group(2) + f"-{copy}".encode() + match.group(3)

            data = PERSONAL_IDS.sub(own, data)
            target = folder / f"copy{copy:03d}-{path.stem}.json.gz"
            target.write_bytes(gzip.compress(data, compresslevel=1))
            written.append(target)
        copy += 1
    for path in DATA.glob("*.json"):
        if is_provider_file(path):
            target = folder / path.name
            target.write_bytes(path.read_bytes())
    return written, sum(p.stat().st_size for p in folder.iterdir())


def run_import(paths: list[Path]) -> dict[str, Any]:
    """`carebond import-fhir` in a child process; the numbers come from the run it recorded."""
    carebond = Path(sys.executable).parent / "carebond"
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603
        [str(carebond), "import-fhir", *map(str, paths), "--quiet", "--source", SOURCE],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(
            "import-fhir failed:\n" + (child.stderr.read().decode()[-3000:] if child.stderr else "")
        )
    from carebond.interop.models import ImportRun

    run = ImportRun.objects.order_by("-started_at").first()
    assert run is not None
    assert run.finished_at is not None
    seconds = (run.finished_at - run.started_at).total_seconds()
    totals: dict[str, int] = {}
    for counts in run.counts.values():
        for outcome, n in counts.items():
            totals[outcome] = totals.get(outcome, 0) + n
    return {
        "resources": run.resources_read,
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "per_second": round(run.resources_read / seconds),
        "outcomes": totals,
        "bundles_rejected": run.bundles_rejected,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def table_counts() -> dict[str, int]:
    from carebond.people.models import HistoryItem, Person
    from carebond.touchpoints.models import Touchpoint

    return {
        "patients": Person.objects.filter(kind="patient").count(),
        "referral_sources": Person.objects.filter(kind="referral_source").count(),
        "visits": Touchpoint.objects.count(),
        "history_items": HistoryItem.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    from carebond.core.models import Organization

    call_command("migrate", verbosity=0)
    if Organization.objects.exists():
        sys.exit("bench/fhir.py needs an empty database (it imports into a fresh organisation).")
    Organization.objects.create(slug="fhir-bench", name="FHIR benchmark clinic")
    files = sorted(DATA.glob("*.json"))
    label = database_label()
    print(f"[{label}] plain orjson parse of {len(files)} files", flush=True)
    baseline = orjson_baseline(files)
    print(f"[{label}] import of the shared Synthea set", flush=True)
    synthea = run_import([DATA])
    synthea["vs_orjson_parse"] = round(baseline["per_second"] / synthea["per_second"], 1)
    after_synthea = table_counts()
    print(f"[{label}] the same files again (nothing changes)", flush=True)
    again = run_import([DATA])
    assert table_counts() == after_synthea, "re-import changed the tables"
    print(f"[{label}] multiplying to {args.patients} patients", flush=True)
    generated, size = multiply(args.patients, WORK / label)
    print(f"[{label}] import of {len(generated)} generated patient bundles", flush=True)
    thousand = run_import([WORK / label])
    thousand["bytes_on_disk_gzip"] = size
    results = {
        "database": database_version(),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "orjson_parse": baseline,
        "synthea_import": synthea,
        "synthea_reimport": again,
        "after_synthea": after_synthea,
        "generated": {"patients": len(generated), **thousand},
        "after_generated": table_counts(),
        "targets": {
            "synthea_per_second": TARGETS[label],
            "generated_max_seconds": MAX_SECONDS_1000,
        },
        "met": {
            "synthea_per_second": synthea["per_second"] >= TARGETS[label],
            "generated_under_10_minutes": thousand["seconds"] < MAX_SECONDS_1000,
        },
    }
    path = results_path(label, "-fhir")
    path.write_text(
        orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    )
    print(orjson.dumps(results["met"]).decode(), f"-> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
