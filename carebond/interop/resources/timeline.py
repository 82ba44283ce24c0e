"""What Encounter and Communication share: both are touchpoints on a person's timeline."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from carebond.people.models import PersonStatus
from carebond.touchpoints.models import Touchpoint


def touchpoint_rows(organization_id: int, kinds: Sequence[str]) -> QuerySet[Touchpoint]:
    """Touchpoints of these kinds, with what ``to_fhir`` reads of the person, staff and place."""
    return (
        Touchpoint.objects.filter(organization_id=organization_id, kind__in=kinds)
        .exclude(person__status=PersonStatus.MERGED)
        .select_related("person__referral_profile", "staff__referral_profile", "location")
        .order_by("pk")
    )
