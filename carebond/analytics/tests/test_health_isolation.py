"""The patient's health score tailors outreach only: scheduling, the waitlist and eligibility
can never read it. Tried four ways: the layers forbid the import, no domain module names the
analytics app even as a string, no domain model holds a score, and the waitlist offers a freed
time to the same patients in the same order whatever their health says."""

from __future__ import annotations

import ast
import tomllib
from datetime import date
from pathlib import Path

from django.apps import apps
from django.utils import timezone

from carebond.accounts.models import User
from carebond.analytics.health_actions import check_override_health, check_record_at_risk_action
from carebond.analytics.health_selectors import get_patient_health
from carebond.analytics.tests.history import drifting_patient
from carebond.people.actions import check_record_consent
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import (
    booking_rules_broken,
    check_book_appointment,
    check_cancel_appointment,
    is_established,
)
from carebond.scheduling.models import WaitlistOpening
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.scheduling.waitlist_actions import check_add_to_waitlist, eligible_entries

ROOT = Path(__file__).resolve().parents[3]
# The apps whose rules decide who is booked, offered a time or eligible, and those below them.
RULE_APPS = ("scheduling", "surveys", "messaging", "billing", "value_maps", "people", "touchpoints")


def test_the_layers_put_analytics_above_every_app_with_rules_and_let_nothing_past() -> None:
    # given the import contract that lint-imports enforces (tests/test_boundaries.py runs it)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]

    def level(module: str) -> int:
        return next(i for i, layer in enumerate(layers) if module in layer.split(" "))

    # then analytics sits above each of them (a lower layer may never import a higher one)
    for app in RULE_APPS:
        assert level("carebond.analytics") < level(f"carebond.{app}"), app
    # and no exception lets a module of theirs (tests aside) import it
    for ignored in config["contracts"][0].get("ignore_imports", []):
        importer, imported = (part.strip() for part in ignored.split("->"))
        assert ".tests" in importer or "analytics" not in imported, ignored


def _mentions_of_analytics(path: Path) -> list[str]:
    text = path.read_text()
    if "analytics" not in text and "health_selectors" not in text:
        return []
    tree = ast.parse(text)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and "analytics" in node.module:
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
        elif isinstance(node, ast.Import):
            found += [f"{path.name}:{node.lineno}" for a in node.names if "analytics" in a.name]
        elif (
            # importlib.import_module("carebond.analytics...") would dodge the layers
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and ("carebond.analytics" in node.value or "health_selectors" in node.value)
        ):
            found.append(f"{path.name}:{node.lineno} names {node.value!r}")
    return found


def test_no_module_of_scheduling_waitlist_or_eligibility_names_the_analytics_app() -> None:
    offending = []
    for app in RULE_APPS:
        for path in sorted((ROOT / "carebond" / app).rglob("*.py")):
            if "tests" not in path.parts and "migrations" not in path.parts:
                offending += _mentions_of_analytics(path)
    assert offending == []


def test_a_planted_lookup_of_the_score_is_caught(tmp_path: Path) -> None:
    # given a waitlist rule that would sneak the score in by name
    planted = tmp_path / "waitlist_rules.py"
    planted.write_text(
        "import importlib\nscore = importlib.import_module('carebond.analytics.health_selectors')\n"
    )
    # then it is named
    assert _mentions_of_analytics(planted) == [
        "waitlist_rules.py:2 names 'carebond.analytics.health_selectors'"
    ]


def test_no_model_of_those_apps_holds_a_health_score() -> None:
    analytics_models = set(apps.get_app_config("analytics").get_models())
    for app in RULE_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                related = getattr(field, "related_model", None)
                assert related not in analytics_models, f"{model.__name__}.{field.name}"
                assert "health" not in field.name.split("_"), f"{model.__name__}.{field.name}"


def _waiting(patient: Person, clinic: Clinic) -> None:
    """On the waitlist for a follow-up, with consent to appointment texts."""
    check_record_consent(
        patient,
        channel="sms",
        purpose="appointment",
        status="granted",
        method="verbal",
        acting_user=None,
    )
    check_add_to_waitlist(patient, appointment_type=clinic.follow_up, acting_user=None)


def test_the_waitlist_and_eligibility_answer_the_same_whatever_the_health(
    clinic: Clinic, manager_a: User
) -> None:
    # given two patients waiting: Ana (no history) first, Omar (drifting away) second, and a
    # follow-up on Tuesday at 10:00 freed by the clinic
    tuesday = date(2026, 3, 3)
    first = make_patient(
        clinic.organization, "Ana", "Waiting", phone="+13125550141", time_zone="America/Chicago"
    )
    _waiting(first, clinic)
    _waiting(drifting_patient(clinic, "Omar", phone="+13125550142"), clinic)
    visit = check_book_appointment(
        make_patient(clinic.organization, "Booked", "Before"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(tuesday, 10),
        acting_user=None,
    )
    check_cancel_appointment(visit, cancelled_by="clinic", reason="Away", acting_user=None)
    opening = WaitlistOpening.objects.get(starts_at=at(tuesday, 10))
    now = timezone.now()

    def answers() -> list[tuple[str, list[str], bool]]:
        return [
            (
                entry.patient.given_name,
                booking_rules_broken(
                    entry.patient, clinic.follow_up, opening.starts_at, clinic.location, now=now
                ),
                is_established(entry.patient, "Family medicine", now=now),
            )
            for entry in eligible_entries(opening, now=now)
        ]

    before = answers()
    # when their health is read and then overridden to the extremes, and outreach recorded
    entries = list(eligible_entries(opening, now=now))
    ana, omar = (entry.patient for entry in entries)
    assert get_patient_health(user=manager_a, public_id=omar.public_id).health.band is not None
    for patient, score in ((ana, 0), (omar, 100)):
        check_override_health(
            patient,
            part="overall",
            score=score,
            comment="Testing that scheduling never sees this",
            expires_on=None,
            acting_user=manager_a,
        )
        check_record_at_risk_action(patient, taken=True, acting_user=manager_a)
    # then the waitlist offers the time to the same patients, in the same order, and the
    # booking rules and the established-patient rule answer the same
    assert before == [("Ana", [], False), ("Omar", [], True)]
    assert answers() == before
