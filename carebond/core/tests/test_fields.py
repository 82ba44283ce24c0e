"""Encrypted free text: unreadable at rest, and keys can be rotated without losing anything."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.people.actions import check_add_personal_note
from carebond.people.models import PersonalNote
from carebond.people.tests.factories import make_patient
from config.env import derived_key

pytestmark = pytest.mark.django_db
OLD, NEW = derived_key("old key"), derived_key("new key")


def stored_text(note: PersonalNote) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM people_personalnote WHERE id = %s", [note.pk])
        return str(cursor.fetchone()[0])


def test_rotation_moves_every_value_to_the_newest_key(
    settings: SettingsWrapper, org_a: Organization, admin_a: User
) -> None:
    # given a note written under the old key
    settings.FIELD_KEYS = [OLD]
    note = check_add_personal_note(
        make_patient(org_a), text="Allergic to cats", acting_user=admin_a
    )
    written = stored_text(note)
    # when the new key is put first and the rotation runs
    settings.FIELD_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "people.PersonalNote.text: 1 values re-encrypted" in out.getvalue()
    assert stored_text(note) != written
    # then the old key can go, and the note still reads
    settings.FIELD_KEYS = [NEW]
    assert PersonalNote.objects.get(pk=note.pk).text == "Allergic to cats"


def test_a_missing_key_is_a_clear_error(
    settings: SettingsWrapper, org_a: Organization, admin_a: User
) -> None:
    settings.FIELD_KEYS = [OLD]
    note = check_add_personal_note(make_patient(org_a), text="Night shifts", acting_user=admin_a)
    settings.FIELD_KEYS = [NEW]
    with pytest.raises(ImproperlyConfigured, match="key that wrote it is not in"):
        PersonalNote.objects.get(pk=note.pk)
