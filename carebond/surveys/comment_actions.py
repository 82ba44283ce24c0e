"""Comments: free-text answers kept encrypted, read for sentiment (per clause), themes and
safety flags, and what a reading starts: a recognition suggestion when praise names a staff
member, an urgent recovery case when a comment raises a safety concern."""

from __future__ import annotations

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.models import Organization
from carebond.people.models import Person, StaffProfile
from carebond.surveys.comments import analyse_comment
from carebond.surveys.models import (
    AnonymousResponse,
    Comment,
    RecognitionSuggestion,
    Response,
)


def save_comment_texts(
    source: Response | AnonymousResponse,
    texts: dict[str, str],
    links: set[str],
    *,
    anonymous: bool = False,
) -> None:
    """Keep the free-text answers of the questions in ``links``: new, changed or cleared."""
    if anonymous:
        assert isinstance(source, AnonymousResponse)
        existing = {c.link_id: c for c in Comment.objects.filter(anonymous_response=source)}
        day = source.week_of
    else:
        assert isinstance(source, Response)
        existing = {c.link_id: c for c in Comment.objects.filter(response=source)}
        day = clock.now().date()
    instrument_id = source.version.instrument_id
    for link in links:
        text = texts.get(link, "")
        comment = existing.get(link)
        if not text:
            if comment is not None:
                comment.delete()
            continue
        if comment is not None and comment.text == text:
            continue
        if comment is None:
            comment = Comment(
                organization_id=source.organization_id,
                link_id=link,
                instrument_id=instrument_id,
                location_id=source.location_id,
                department_id=source.department_id,
                anonymous=anonymous,
            )
            if anonymous:
                comment.anonymous_response = source  # type: ignore[assignment]
            else:
                comment.response = source  # type: ignore[assignment]
        comment.text = text
        comment.language = source.language or "en"
        comment.received_on = day
        comment.analysed = False
        comment.save()


def staff_names(organization_id: int) -> dict[str, int]:
    """Staff display names, to find the ones praise names."""
    names: dict[str, int] = {}
    for person in Person.objects.filter(
        organization_id=organization_id,
        id__in=StaffProfile.objects.filter(organization_id=organization_id).values("person_id"),
    ).only("id", "given_name", "family_name", "prefix", "preferred_name"):
        names[" ".join(p for p in (person.given_name, person.family_name) if p)] = person.id
    return names


def _store(comment: Comment, staff: dict[str, int]) -> list[int]:
    analysis = analyse_comment(comment.text, language=comment.language, staff_names=tuple(staff))
    comment.label = analysis.label
    comment.compound = None if analysis.compound is None else round(analysis.compound, 4)
    comment.clauses = [
        {
            "start": clause.start,
            "end": clause.end,
            "label": clause.label,
            "compound": round(clause.compound, 4),
            "themes": list(clause.themes),
        }
        for clause in analysis.clauses
    ]
    comment.themes = [
        {
            "key": theme.key,
            "name": theme.name,
            "name_es": theme.name_es,
            "label": theme.label,
            "compound": round(theme.compound, 4),
            "words": [[match.start, match.end] for match in theme.matches],
        }
        for theme in analysis.themes
    ]
    comment.flags = [
        {"key": flag.key, "name": flag.name, "start": flag.start, "end": flag.end}
        for flag in analysis.flags
    ]
    comment.theme_keys = " " + " ".join(theme.key for theme in analysis.themes) + " "
    comment.analysed = True
    comment.save(
        update_fields=[
            "label",
            "compound",
            "clauses",
            "themes",
            "flags",
            "theme_keys",
            "analysed",
        ]
    )
    return sorted({staff[p.name] for p in analysis.praised_staff if p.name in staff})


@transaction.atomic
def analyse_new_comments(
    organization: Organization,
    *,
    response: Response | None = None,
    anonymous_response: AnonymousResponse | None = None,
) -> list[Comment]:
    """Read the response's comments not read yet. Praise naming staff suggests recognising
    them. Audit: comment.analysed (identified comments carry their patient)."""
    comments = Comment.objects.filter(organization=organization, analysed=False)
    if response is not None:
        comments = comments.filter(response=response)
    if anonymous_response is not None:
        comments = comments.filter(anonymous_response=anonymous_response)
    staff = staff_names(organization.id)
    done = []
    for comment in comments.order_by("id"):
        praised = _store(comment, staff)
        for staff_id in praised:
            RecognitionSuggestion.objects.get_or_create(
                organization=organization,
                staff_id=staff_id,
                comment=comment,
                defaults={"created_at": clock.now()},
            )
        if not comment.anonymous:
            record_audit(
                actor=None,
                action="comment.analysed",
                target=comment,
                patient=response.person if response else None,
            )
        done.append(comment)
    return done
