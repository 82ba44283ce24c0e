""" "You said, we did" reads: the themes an action can take, how often a theme was mentioned
and how often unhappily, the actions with their measurement, the managers' home panel and the
public page of a location.

A theme's mentions are counted per comment (``Comment.themes``: one entry per theme a comment
carries, labelled with the sentiment of the clauses that carry it). A done action is measured
on the comments received after the day it was marked done, against the baseline stored when it
was created: the share of mentions that were negative, compared with a two-proportion z test
(docs/methods.md §3.4). Below the organisation's anonymity minimum (5 by default) on either side
there is no comparison, and the public page shows no number at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Location, Organization
from carebond.core.permissions import Role
from carebond.people.models import Person, PersonStatus
from carebond.surveys import scoring
from carebond.surveys.access import SURVEY_MANAGERS, SURVEY_READERS, access_action
from carebond.surveys.instrument_actions import survey_settings
from carebond.surveys.models import ActionStatus, Comment, FeedbackAction

if TYPE_CHECKING:
    from datetime import datetime

# The themes every organisation can act on, whether or not a comment has raised them yet
# (English, Spanish). Themes the comment analysis finds beyond these are offered too.
THEMES: dict[str, tuple[str, str]] = {
    "wait_time": ("Wait time", "Tiempo de espera"),
    "access_scheduling": ("Access and scheduling", "Acceso y citas"),
    "communication": ("Communication", "Comunicación"),
    "courtesy_respect": ("Courtesy and respect", "Cortesía y respeto"),
    "billing_cost": ("Billing and cost", "Facturación y costos"),
    "environment": ("Environment and cleanliness", "Instalaciones y limpieza"),
    "clinical_care": ("Clinical care", "Atención clínica"),
    "staff_praise": ("Staff praise", "Elogios al personal"),
}
THEME_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
BASELINE_DAYS = 90
OWNER_ROLES = (Role.ADMIN, Role.MANAGER)
DUE_SOON_DAYS = 7


def _managers_only(user: User) -> None:
    if not SURVEY_MANAGERS.allows(user.role):
        raise NotFound("No such page.")


def _readers_only(user: User) -> None:
    if not SURVEY_READERS.allows(user.role):
        raise NotFound("No such action.")


def local_today(organization: Organization) -> date:
    return clock.now().astimezone(ZoneInfo(organization.time_zone)).date()


def local_day(organization: Organization, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(organization.time_zone)).date()


# --- themes -----------------------------------------------------------------------------------


def theme_names(organization_id: int) -> dict[str, tuple[str, str]]:
    """Every theme an action may take: the fixed list, and the keys the organisation's
    comments carry (named as the comment analysis names them)."""
    names = dict(THEMES)
    seen: set[str] = set()
    for keys in (
        Comment.objects.filter(organization_id=organization_id)
        .exclude(theme_keys="")
        .values_list("theme_keys", flat=True)
        .distinct()
    ):
        seen.update(key for key in keys.split() if THEME_KEY.match(key))
    for key in sorted(seen - set(names)):
        themes = (
            Comment.objects.filter(organization_id=organization_id, theme_keys__contains=f" {key} ")
            .values_list("themes", flat=True)
            .first()
        )
        entry: dict[str, Any] = next((t for t in themes or [] if t.get("key") == key), {})
        name = entry.get("name") or key.replace("_", " ").capitalize()
        names[key] = (name, entry.get("name_es") or name)
    return names


def theme_choices(*, user: User) -> list[tuple[str, str]]:
    _readers_only(user)
    return sorted(
        ((key, english) for key, (english, _) in theme_names(user.organization_id).items()),
        key=lambda choice: choice[1],
    )


def check_theme(organization_id: int, theme: str) -> tuple[str, str]:
    """The theme's names, or InvalidInput (field ``theme``) for a key no one can act on."""
    names = theme_names(organization_id) if THEME_KEY.match(theme) else {}
    if theme not in names:
        raise InvalidInput(
            "Choose a theme from the list (the fixed themes and those comments raised).",
            field="theme",
        )
    return names[theme]


# --- mentions ---------------------------------------------------------------------------------


def label_in(themes: Iterable[dict[str, Any]], key: str) -> str:
    """The sentiment of the theme ``key`` in one comment's ``themes`` ("" when absent)."""
    return next((str(t.get("label", "")) for t in themes if t.get("key") == key), "")


@dataclass(frozen=True)
class Mentions:
    since: date
    until: date
    comments: int
    negative: int

    def as_baseline(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "comments": self.comments,
            "negative": self.negative,
        }


def _mentioning(organization_id: int, theme: str, location_id: int | None) -> Any:
    found = Comment.objects.filter(
        organization_id=organization_id, theme_keys__contains=f" {theme} "
    )
    if location_id is not None:
        found = found.filter(location_id=location_id)
    return found


def count_mentions(
    organization_id: int, theme: str, *, since: date, until: date, location_id: int | None
) -> Mentions:
    """Comments received in [since, until] that mention the theme, and how many of those
    mentions were negative. Counts only: no comment text is read."""
    labels = _mentioning(organization_id, theme, location_id).filter(
        received_on__gte=since, received_on__lte=until
    )
    rows = list(labels.values_list("themes", flat=True))
    negative = sum(1 for themes in rows if label_in(themes, theme) == "negative")
    return Mentions(since, until, len(rows), negative)


def stored_baseline(action: FeedbackAction) -> Mentions:
    """The baseline kept with the action (an action stored without one counts as no mention
    on the day it was made)."""
    kept = action.baseline or {}
    made = kept.get("until") or (action.created_at.date().isoformat())
    return Mentions(
        date.fromisoformat(kept.get("since") or made),
        date.fromisoformat(made),
        int(kept.get("comments") or 0),
        int(kept.get("negative") or 0),
    )


def baseline_window(organization: Organization) -> tuple[date, date]:
    """The 90 days up to today (the organisation's day)."""
    today = local_today(organization)
    return today - timedelta(days=BASELINE_DAYS - 1), today


def respondents_who_raised(action: FeedbackAction) -> list[Person]:
    """The identified respondents whose comment raised the action's theme in its baseline
    period (at its location when it has one) and did not praise it: the people to tell what
    changed. Anonymous comments have no one behind them and are never among them."""
    baseline = stored_baseline(action)
    rows = (
        _mentioning(action.organization_id, action.theme, action.location_id)
        .filter(
            received_on__gte=baseline.since,
            received_on__lte=baseline.until,
            anonymous=False,
            response__isnull=False,
        )
        .values_list("response__person_id", "themes")
    )
    people = {person for person, themes in rows if label_in(themes, action.theme) != "positive"}
    return list(
        Person.objects.filter(
            organization_id=action.organization_id, pk__in=people, status=PersonStatus.ACTIVE
        )
        .select_related("organization")
        .order_by("id")
    )


# --- measurement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """A done action's theme after the change against its baseline. ``comparison`` is None
    when either side has fewer mentions than ``k``; ``reason`` then says why."""

    before: Mentions
    after: Mentions
    k: int
    comparison: scoring.Comparison | None
    reason: str

    @property
    def before_share(self) -> float | None:
        if self.before.comments < self.k:
            return None
        return 100 * self.before.negative / self.before.comments

    @property
    def after_share(self) -> float | None:
        if self.after.comments < self.k:
            return None
        return 100 * self.after.negative / self.after.comments

    @property
    def verdict(self) -> str:
        """better (fewer unhappy mentions, beyond noise), worse, or noise; "" with no test."""
        if self.comparison is None:
            return ""
        if not self.comparison.significant:
            return "noise"
        return "better" if self.comparison.change < 0 else "worse"


def _measurement(action: FeedbackAction, after: Mentions, k: int) -> Measurement:
    before = stored_baseline(action)
    comparison, reason = None, ""
    if after.comments < k:
        reason = (
            f"Not enough comments yet: {after.comments} mentioned this theme since the change "
            f"({k} are needed)."
        )
    elif before.comments < k:
        reason = (
            f"Fewer than {k} comments mentioned this theme in the baseline period: there is "
            "nothing to compare with."
        )
    else:
        comparison = scoring.compare_proportions(
            before.negative, before.comments, after.negative, after.comments
        )
    return Measurement(before, after, k, comparison, reason)


def measure_actions(
    organization: Organization, actions: list[FeedbackAction]
) -> dict[int, Measurement]:
    """The measurement of each done action, from one read of the comments since the earliest
    of their changes. The comments counted are those received after the day it was marked done
    (anonymous ones keep only their week, so they count from the first week after it)."""
    done = [a for a in actions if a.status == ActionStatus.DONE and a.done_at is not None]
    if not done:
        return {}
    today = local_today(organization)
    starts = {a.id: local_day(organization, a.done_at) + timedelta(days=1) for a in done}  # type: ignore[arg-type]
    themes = Q()
    for action in done:
        themes |= Q(theme_keys__contains=f" {action.theme} ")
    rows = list(
        Comment.objects.filter(
            themes,
            organization_id=organization.id,
            received_on__gte=min(starts.values()),
            received_on__lte=today,
        ).values_list("themes", "location_id", "received_on")
    )
    k = survey_settings(organization.id).k_metric
    measured = {}
    for action in done:
        start = starts[action.id]
        labels = [
            label_in(found, action.theme)
            for found, location_id, received_on in rows
            if received_on >= start
            and (action.location_id is None or location_id == action.location_id)
        ]
        labels = [label for label in labels if label]
        after = Mentions(start, today, len(labels), labels.count("negative"))
        measured[action.id] = _measurement(action, after, k)
    return measured


# --- the managers' pages ----------------------------------------------------------------------


def public_path(action: FeedbackAction, organization: Organization) -> str:
    """The public page the action is published on: its location's, or the organisation's."""
    if action.location is not None:
        return reverse(
            "said:location",
            kwargs={"slug": organization.slug, "location_id": action.location.public_id},
        )
    return reverse("said:organization", kwargs={"slug": organization.slug})


def public_url(action: FeedbackAction, organization: Organization, *, language: str = "") -> str:
    query = "?lang=es" if language.startswith("es") else ""
    return settings.BASE_URL.rstrip("/") + public_path(action, organization) + query


@dataclass(frozen=True)
class ActionRow:
    action: FeedbackAction
    theme_name: str
    theme_name_es: str
    measurement: Measurement | None
    overdue: bool
    public_path: str

    @property
    def missing_texts(self) -> list[str]:
        return missing_texts(self.action)


TEXT_LABELS = {
    "you_said_en": "'You said' in English",
    "you_said_es": "'You said' in Spanish",
    "we_did_en": "'We did' in English",
    "we_did_es": "'We did' in Spanish",
}


def missing_texts(action: FeedbackAction) -> list[str]:
    """The texts still to write before the action can be published (field names)."""
    return [name for name in TEXT_LABELS if not getattr(action, name).strip()]


def _rows(organization: Organization, actions: list[FeedbackAction]) -> list[ActionRow]:
    names = theme_names(organization.id)
    measured = measure_actions(organization, actions)
    today = local_today(organization)
    return [
        ActionRow(
            action=action,
            theme_name=names.get(action.theme, (action.theme, action.theme))[0],
            theme_name_es=names.get(action.theme, (action.theme, action.theme))[1],
            measurement=measured.get(action.id),
            overdue=action.status != ActionStatus.DONE and action.due_on < today,
            public_path=public_path(action, organization),
        )
        for action in actions
    ]


def list_actions(*, user: User, status: str = "", theme: str = "") -> list[ActionRow]:
    """The organisation's actions, newest first, each done one with its measurement. Filters:
    a status, a theme key (anything else is refused: InvalidInput)."""
    _readers_only(user)
    found = FeedbackAction.objects.filter(organization_id=user.organization_id).select_related(
        "location", "owner"
    )
    if status:
        if status not in ActionStatus.values:
            raise InvalidInput("Choose planned, in progress or done.", field="status")
        found = found.filter(status=status)
    if theme:
        if not THEME_KEY.match(theme):
            raise InvalidInput("Choose a theme from the list.", field="theme")
        found = found.filter(theme=theme)
    return _rows(user.organization, list(found.order_by("-created_at", "-id")[:500]))


def get_action(*, user: User, public_id: UUID | str) -> ActionRow:
    _readers_only(user)
    action = access_action(user, public_id)
    found = FeedbackAction.objects.filter(pk=action.pk).select_related("location", "owner").get()
    return _rows(user.organization, [found])[0]


def count_respondents(*, user: User, action: FeedbackAction) -> int:
    """How many identified people would be told (a count: no one is named)."""
    _managers_only(user)
    return len(respondents_who_raised(action))


def list_owners(*, user: User) -> list[User]:
    """Who may own an action: the organisation's active managers and administrators."""
    _readers_only(user)
    return list(
        User.objects.filter(
            organization_id=user.organization_id,
            role__in=OWNER_ROLES,
            is_active=True,
            disabled_at__isnull=True,
        ).order_by("first_name", "last_name", "username")
    )


def owner_of(*, user: User, public_id: UUID | str) -> User:
    """One of list_owners(), or InvalidInput naming the owner field."""
    for owner in list_owners(user=user):
        if str(owner.public_id) == str(public_id):
            return owner
    raise InvalidInput(
        "Choose a manager or administrator of this organisation as the owner.", field="owner"
    )


def location_choices(*, user: User) -> list[Location]:
    _readers_only(user)
    return list(Location.objects.filter(organization_id=user.organization_id).order_by("name"))


def due_actions_panel(user: User) -> dict[str, Any] | None:
    """The managers' home panel: actions not done that are overdue or due within a week,
    overdue first. None when there is none."""
    if not SURVEY_MANAGERS.allows(user.role):
        return None
    today = local_today(user.organization)
    found = list(
        FeedbackAction.objects.filter(
            organization_id=user.organization_id,
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .exclude(status=ActionStatus.DONE)
        .select_related("location", "owner")
        .order_by("due_on", "id")[:10]
    )
    if not found:
        return None
    names = theme_names(user.organization_id)
    rows = [
        {
            "action": action,
            "theme_name": names.get(action.theme, (action.theme,))[0],
            "overdue": action.due_on < today,
            "mine": action.owner_id == user.id,
        }
        for action in found
    ]
    return {"rows": rows, "overdue": sum(1 for row in rows if row["overdue"])}


# --- the public page --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicAction:
    theme_name: str
    you_said: str
    we_did: str
    status: str
    done_on: date | None
    # Shares of unhappy mentions before and after, in percent, with their n; only when both
    # sides reach the anonymity minimum.
    figures: tuple[float, int, float, int] | None


@dataclass(frozen=True)
class PublicPage:
    organization: Organization
    location: Location | None
    actions: list[PublicAction]
    locations: list[Location]


def get_public_page(*, slug: str, location_id: UUID | None, language: str) -> PublicPage:
    """What a location's (or, without one, the organisation's) public page shows: its published
    actions (an organisation-wide one on every location's page), texts in the reader's
    language and status; no comment text, and no number below the anonymity minimum."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise NotFound("No such page.")
    location = None
    published = FeedbackAction.objects.filter(
        organization=organization, published_at__isnull=False
    ).select_related("location")
    if location_id is not None:
        location = Location.objects.filter(organization=organization, public_id=location_id).first()
        if location is None:
            raise NotFound("No such page.")
        published = published.filter(Q(location=location) | Q(location__isnull=True))
    else:
        published = published.filter(location__isnull=True)
    actions = list(published.order_by("-published_at", "-id")[:100])
    measured = measure_actions(organization, actions)
    names = theme_names(organization.id)
    spanish = language == "es"
    shown = []
    for action in actions:
        english, spanish_name = names.get(action.theme, (action.theme, action.theme))
        measurement = measured.get(action.id)
        figures = None
        if measurement is not None and measurement.comparison is not None:
            figures = (
                measurement.comparison.first,
                measurement.before.comments,
                measurement.comparison.second,
                measurement.after.comments,
            )
        shown.append(
            PublicAction(
                theme_name=spanish_name if spanish else english,
                you_said=action.you_said_es if spanish else action.you_said_en,
                we_did=action.we_did_es if spanish else action.we_did_en,
                status=action.status,
                done_on=local_day(organization, action.done_at)
                if action.status == ActionStatus.DONE and action.done_at
                else None,
                figures=figures,
            )
        )
    locations: list[Location] = []
    if location is None:
        locations = list(
            Location.objects.filter(
                organization=organization,
                pk__in=FeedbackAction.objects.filter(
                    organization=organization, published_at__isnull=False
                ).values("location_id"),
            ).order_by("name")
        )
    return PublicPage(organization, location, shown, locations)
