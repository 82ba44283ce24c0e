"""Architecture rules that hold for every URL, API operation and source file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from carebond.core.permissions import AccessPolicy
from config.api import api

SOURCE = Path(__file__).resolve().parent.parent / "carebond"


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _is_ninja_operation_view(pattern: URLPattern) -> bool:
    # Operations are checked through their routers (next test); ninja names their views so.
    return "PathView.get_view" in getattr(pattern.callback, "__qualname__", "")


def _is_api_root_redirect(pattern: URLPattern) -> bool:
    # ninja's /api/v1/ root only redirects to the (public) docs page.
    callback = pattern.callback
    return isinstance(callback, partial) and callback.func.__name__ == "default_home"


def test_every_page_declares_an_access_policy() -> None:
    # given every URL the project serves, except the API's own operations (checked below)
    missing = [
        route
        for route, pattern in _walk(get_resolver().url_patterns)
        if not _is_ninja_operation_view(pattern)
        and not _is_api_root_redirect(pattern)
        and not isinstance(getattr(pattern.callback, "access_policy", None), AccessPolicy)
    ]
    # then each one declared who may use it
    assert missing == []


def test_every_api_operation_declares_an_access_policy() -> None:
    # given every operation of every router mounted on the API
    operations = [
        (prefix + path, operation)
        for prefix, router in api._routers
        for path, path_view in router.path_operations.items()
        for operation in path_view.operations
    ]
    assert len(operations) >= 5
    # then each authenticates through callbacks that carry an access policy
    missing = [
        f"{'/'.join(op.methods)} {path}"
        for path, op in operations
        if not op.auth_callbacks
        or not all(
            isinstance(getattr(cb, "policy", None), AccessPolicy) for cb in op.auth_callbacks
        )
    ]
    assert missing == []


def _python_files() -> Iterator[Path]:
    yield from (p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)


def test_audit_events_have_no_update_or_delete_path_in_code() -> None:
    offending = [
        str(path)
        for path in _python_files()
        if "tests" not in path.parts
        and re.search(r"AuditEvent\.objects[^\n]*\.(update|delete)\(", path.read_text())
    ]
    assert offending == []


def test_record_audit_is_called_only_from_actions() -> None:
    # given the one write layer rule: audit rows are written by actions (and the recorder itself)
    # (an app's actions may be split into <topic>_actions.py modules)
    offending = [
        str(path.relative_to(SOURCE))
        for path in _python_files()
        if not (path.name == "recording.py" or path.name.endswith("actions.py"))
        and "tests" not in path.parts
        and re.search(r"record_audit(_many)?\(", path.read_text())
    ]
    assert offending == []


def test_views_and_apis_do_not_query_models_directly() -> None:
    offending = [
        str(path.relative_to(SOURCE))
        for path in _python_files()
        if (path.name in {"views.py", "api.py"} or path.name.endswith("_views.py"))
        and "tests" not in path.parts
        and re.search(r"\b[A-Z]\w+\.objects\b", path.read_text())
    ]
    assert offending == []


def test_no_signals() -> None:
    offending = [
        str(path.relative_to(SOURCE))
        for path in _python_files()
        if re.search(r"@receiver|post_save\.connect|pre_save\.connect", path.read_text())
    ]
    assert offending == []


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
