"""Asking one person by hand (the API): the same invitation the rules' scan makes, with the
same rules (the organisation's frequency rule, one invitation per subject, a live record), in
the month's wave of the instrument, sent by the scan within minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction

from carebond.core import clock
from carebond.core.errors import InvalidInput
from carebond.people.models import Person, PersonKind
from carebond.surveys.distribution_actions import check_invite, month_wave
from carebond.surveys.models import Instrument, InstrumentKind, Invitation

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Who each kind of instrument asks (a custom survey: anyone).
ASKS = {
    InstrumentKind.PATIENT_EXPERIENCE: PersonKind.PATIENT,
    InstrumentKind.MOMENT: PersonKind.PATIENT,
    InstrumentKind.RECOVERY_FOLLOW_UP: PersonKind.PATIENT,
    InstrumentKind.STAFF_PULSE: PersonKind.STAFF,
    InstrumentKind.REFERRAL_SOURCE: PersonKind.REFERRAL_SOURCE,
}


@transaction.atomic
def check_invite_by_hand(
    person: Person, *, instrument: Instrument, acting_user: User
) -> Invitation:
    """One invitation now, about nothing in particular (its subject is the day: asked once a
    day by hand at most). Refused (RuleViolation) as ``check_invite`` refuses; nothing is
    written then, not even the month's wave. Audit: invitation.created."""
    wanted = ASKS.get(InstrumentKind(instrument.kind))
    if wanted is not None and person.kind != wanted:
        raise InvalidInput(
            f"{instrument.name} asks {PersonKind(wanted).label.lower()}s, and this is a "
            f"{PersonKind(person.kind).label.lower()}.",
            field="person",
        )
    today = clock.now().astimezone(ZoneInfo(instrument.organization.time_zone)).date()
    return check_invite(
        person,
        wave=month_wave(instrument, None, today),
        subject_key=f"manual:{instrument.key}:{today.isoformat()}",
        acting_user=acting_user,
    )
