"""Boundaries between apps, enforced: the layers (import-linter, in `make lint` too), no app
reaching into another's pages or API, and domain apps meeting only through actions and
selectors. Each rule is shown failing on a planted offender, which it names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "carebond"
# Apps below the domain apps or above them; every other app under carebond/ is a domain app.
PLATFORM_APPS = {"core", "audit", "accounts", "people", "touchpoints"}
TOP_APPS = {"interop", "analytics", "demo", "testing"}
INTERFACE_MODULES = {"views", "api", "urls"}
SHARED_BETWEEN_DOMAIN_APPS = {"actions", "selectors"}


def _runtime_imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import that runs (not those only for type checking)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.count(".") >= 2:
                yield node.lineno, node.module
            else:  # "from carebond.people import views": the module is the name imported
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"


def _is_interface(module: str) -> bool:
    return module in INTERFACE_MODULES or module.endswith("_views")


def boundary_violations(source: Path) -> list[str]:
    apps = {p.name for p in source.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    domain_apps = apps - PLATFORM_APPS - TOP_APPS
    violations = []
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source)
        if len(relative.parts) < 2 or "tests" in relative.parts or "migrations" in relative.parts:
            continue
        app = relative.parts[0]
        where = f"carebond/{relative}"
        for line, module in _runtime_imports(path):
            parts = module.split(".")
            if parts[0] != "carebond" or len(parts) < 3 or parts[1] in (app, "testing"):
                continue
            other, inner = parts[1], parts[2]
            if _is_interface(inner):
                violations.append(f"{where}:{line} imports {module}: another app's pages or API")
            elif (
                app in domain_apps
                and other in domain_apps
                and inner not in SHARED_BETWEEN_DOMAIN_APPS
                and not inner.endswith(("_actions", "_selectors"))
            ):
                violations.append(
                    f"{where}:{line} imports {module}: domain apps meet through actions and "
                    "selectors only"
                )
    return violations


def test_no_app_reaches_into_another_apps_pages_or_api() -> None:
    assert boundary_violations(SOURCE) == []


def _copy_tree(destination: Path) -> Path:
    for package in ("carebond", "config"):
        shutil.copytree(
            ROOT / package,
            destination / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "*.html"),
        )
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination / "carebond"


def test_a_planted_reach_into_another_app_is_named(tmp_path: Path) -> None:
    # given a copy of the code where one domain app uses another's page and its models
    source = _copy_tree(tmp_path)
    (source / "referrals").mkdir()
    (source / "referrals" / "__init__.py").write_text("")
    (source / "referrals" / "actions.py").write_text(
        "from carebond.value_maps.views import studies\nfrom carebond.value_maps import models\n"
    )
    # then both are named, with their line
    assert boundary_violations(source) == [
        "carebond/referrals/actions.py:1 imports carebond.value_maps.views: another app's "
        "pages or API",
        "carebond/referrals/actions.py:2 imports carebond.value_maps.models: domain apps meet "
        "through actions and selectors only",
    ]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_planted_import_against_the_layers_is_named(tmp_path: Path) -> None:
    # given a copy of the code where core imports the people app
    source = _copy_tree(tmp_path)
    (source / "core" / "planted.py").write_text("from carebond.people import models\n")
    # when the layers are checked
    result = _lint_imports(tmp_path)
    # then the contract breaks and names the import
    assert result.returncode == 1
    assert "carebond.core.planted -> carebond.people.models" in result.stdout
