"""The shared FHIR test data (../shared/data/fhir), and small real subsets of it for fast tests.

Nothing here is written by us: subsets keep the files' own resources byte for byte, only fewer
of them (the provider bundles cut down to the organisations, locations and practitioners the
chosen patients' bundles point at).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

REPOSITORY = Path(__file__).resolve().parents[2]


def _shared_data() -> Path:
    """The team's shared data folder sits next to the repository. A clone made elsewhere (a
    fresh clone in a temporary folder) finds it next to the repository it was cloned from.
    CAREBOND_FHIR_DATA overrides both."""
    if os.environ.get("CAREBOND_FHIR_DATA"):
        return Path(os.environ["CAREBOND_FHIR_DATA"])
    candidates = [REPOSITORY.parent / "shared" / "data" / "fhir"]
    origin = _origin_of_clone()
    if origin is not None:
        candidates.append(origin.parent / "shared" / "data" / "fhir")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _origin_of_clone() -> Path | None:
    """The folder this checkout was cloned from, when that was a local path."""
    try:
        config = (REPOSITORY / ".git" / "config").read_text()
    except OSError:
        return None
    match = re.search(r'\[remote "origin"\][^\[]*?url = (\S+)', config)
    if match is None or "://" in match.group(1):
        return None
    return Path(match.group(1).removeprefix("file:")).resolve()


DATA = _shared_data()
SYNTHEA = DATA / "synthea"
EXAMPLES = DATA / "examples"
_CONDITIONAL = re.compile(rb'"reference"\s*:\s*"(\w+)\?identifier=([^"|]+)\|([^"]+)"')


def synthea_patient_files() -> list[Path]:
    """Patient bundles, smallest first."""
    files = [
        p
        for p in SYNTHEA.glob("*.json")
        if not p.name.startswith(("hospitalInformation", "practitionerInformation"))
    ]
    return sorted(files, key=lambda p: (p.stat().st_size, p.name))


def provider_files() -> list[Path]:
    return sorted(SYNTHEA.glob("hospitalInformation*.json")) + sorted(
        SYNTHEA.glob("practitionerInformation*.json")
    )


def synthea_subset(folder: Path, patients: int = 2) -> list[Path]:
    """Copy the ``patients`` smallest patient bundles and the providers they reference."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = synthea_patient_files()[:patients]
    wanted: set[tuple[str, str, str]] = set()
    written = []
    for path in chosen:
        data = path.read_bytes()
        wanted |= {(t.decode(), s.decode(), v.decode()) for t, s, v in _CONDITIONAL.findall(data)}
        target = folder / path.name
        target.write_bytes(data)
        written.append(target)
    for path in provider_files():
        bundle = orjson.loads(path.read_bytes())
        keep_ids = set()
        entries = []
        for entry in bundle["entry"]:
            resource = entry["resource"]
            keys = {
                (resource["resourceType"], i.get("system", ""), i.get("value", ""))
                for i in resource.get("identifier", [])
            }
            if keys & wanted:
                entries.append(entry)
                keep_ids |= {(k[1], k[2]) for k in keys}
        for entry in bundle["entry"]:  # the roles of the practitioners kept
            resource = entry["resource"]
            if resource["resourceType"] == "PractitionerRole":
                identifier = resource.get("practitioner", {}).get("identifier", {})
                if (identifier.get("system"), identifier.get("value")) in keep_ids:
                    entries.append(entry)
        bundle["entry"] = entries
        target = folder / path.name
        target.write_bytes(orjson.dumps(bundle))
        written.append(target)
    return written


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def write(path: Path, document: Any) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path
