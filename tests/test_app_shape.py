"""Every app has the same shape (docs/adding-an-app.md): access, actions, selectors and tests,
and api/views when it serves pages or an API. The exceptions are named here, with why."""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "carebond"
EVERY_APP = ("access", "actions", "selectors", "tests")
WITH_ROUTES = ("views",)
EXEMPT: dict[tuple[str, str], str] = {
    ("core", "actions"): "core sits below the audit trail; its models' audited writes live in "
    "accounts.actions",
    ("demo", "access"): "the demo generator serves nothing; it writes through other apps' actions",
    ("demo", "actions"): "the demo generator writes through other apps' actions",
    ("demo", "selectors"): "the demo generator reads nothing back",
    ("demo", "tests"): "the demo is tested end to end in tests/test_demo.py",
    ("testing", "access"): "test support, not an app",
    ("testing", "actions"): "test support, not an app",
    ("testing", "selectors"): "test support, not an app",
    ("testing", "tests"): "test support, not an app",
}


def _has(app: Path, name: str) -> bool:
    """A module, a package, or (once an app is split by topic) modules ending in _<name>."""
    return (
        (app / f"{name}.py").exists()
        or (app / name / "__init__.py").exists()
        or any(app.glob(f"*_{name}.py"))
        or any(app.glob(f"*/{name}.py"))
    )


def missing_modules(source: Path) -> list[str]:
    missing = []
    for app in sorted(p for p in source.iterdir() if (p / "__init__.py").exists()):
        needed = list(EVERY_APP)
        if _has(app, "urls"):
            needed += WITH_ROUTES
        missing += [
            f"carebond/{app.name} has no {name}"
            for name in needed
            if (app.name, name) not in EXEMPT and not _has(app, name)
        ]
    return missing


def test_every_app_has_the_shape_of_an_app() -> None:
    assert missing_modules(SOURCE) == []


def test_every_exemption_is_still_needed() -> None:
    # an app that grew the module no longer needs its exemption: remove it
    stale = [f"{app}/{name}" for app, name in EXEMPT if _has(SOURCE / app, name)]
    assert stale == []


def test_a_planted_app_missing_its_selectors_is_named(tmp_path: Path) -> None:
    # given an app with pages but no selectors
    app = tmp_path / "referrals"
    (app / "tests").mkdir(parents=True)
    for name in ("__init__", "access", "actions", "urls", "views", "tests/__init__"):
        (app / f"{name}.py").write_text("")
    # then the rule names what it lacks
    assert missing_modules(tmp_path) == ["carebond/referrals has no selectors"]
