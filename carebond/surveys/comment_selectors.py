"""The comments explorer: comments filtered by theme, sentiment, survey, location and period,
their theme words highlighted and personal details (phone numbers, emails, dates, record
numbers) removed at display; and each theme's mentions over time.

Anonymous comments follow the comment threshold (8 by default): they are shown only from
departments with at least that many comments in the filtered set, and, as for scores, a second
department is held back when one hidden department could be worked out from the total.
Managers read the words; the analyst sees the counts only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.surveys.access import SURVEY_MANAGERS, SURVEY_READERS
from carebond.surveys.comments import THEMES
from carebond.surveys.comments.redaction import redaction_spans
from carebond.surveys.instrument_actions import survey_settings
from carebond.surveys.models import Comment, SentimentLabel
from carebond.surveys.suppression import suppress_cells

if TYPE_CHECKING:
    from carebond.accounts.models import User

PERIODS = (30, 90, 365)
THEME_NAMES = {theme.key: theme.name for theme in THEMES}
LABELS = dict(SentimentLabel.choices)


@dataclass(frozen=True)
class Piece:
    """A run of a comment's text: plain, a theme word (highlighted) or a removed detail."""

    text: str
    kind: str  # "text", "theme", "removed"


@dataclass(frozen=True)
class CommentRow:
    comment: Comment
    pieces: list[Piece]
    themes: list[dict[str, Any]]
    flags: list[str]


@dataclass
class Explorer:
    rows: list[CommentRow] = field(default_factory=list)
    total: int = 0
    held_back: int = 0
    held_back_reason: str = ""
    months: list[str] = field(default_factory=list)
    # theme -> [(mentions, negative) per month]
    trend: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    may_read: bool = False


def pieces(comment: Comment) -> list[Piece]:
    """The comment cut into plain text, theme words and removed details (a removed detail wins
    over a theme word that overlaps it)."""
    text = comment.text
    marks: list[str] = ["text"] * len(text)
    for theme in comment.themes:
        for start, end in theme.get("words", []):
            for i in range(max(0, start), min(len(text), end)):
                marks[i] = "theme"
    removed = [(span.start, span.end) for span in redaction_spans(text)]
    for start, end in removed:
        for i in range(start, end):
            marks[i] = "removed"
    out: list[Piece] = []
    i = 0
    while i < len(text):
        kind = marks[i]
        j = i
        while j < len(text) and marks[j] == kind:
            j += 1
        out.append(Piece("[removed]" if kind == "removed" else text[i:j], kind))
        i = j
    return out


def _filtered(user: User, filters: dict[str, str]) -> Any:
    found = Comment.objects.filter(organization_id=user.organization_id, analysed=True)
    days = filters.get("days") or "90"
    if not days.isdigit() or int(days) not in PERIODS:
        raise InvalidInput(f"Choose a period of {', '.join(map(str, PERIODS))} days.", field="days")
    since = clock.now().date() - timedelta(days=int(days) - 1)
    found = found.filter(received_on__gte=since - timedelta(days=6))
    theme = filters.get("theme", "")
    if theme:
        if theme not in THEME_NAMES:
            raise InvalidInput("Choose one of the themes.", field="theme")
        found = found.filter(theme_keys__contains=f" {theme} ")
    label = filters.get("label", "")
    if label:
        if label not in LABELS:
            raise InvalidInput("Choose positive, neutral or negative.", field="label")
        found = found.filter(label=label)
    if filters.get("instrument"):
        found = found.filter(instrument__public_id=filters["instrument"])
    if filters.get("location"):
        found = found.filter(location__public_id=filters["location"])
    if filters.get("language") in ("en", "es"):
        found = found.filter(language=filters["language"])
    if filters.get("flagged") == "1":
        found = found.exclude(flags=[])
    return found.select_related("instrument", "location", "department")


def explore_comments(*, user: User, filters: dict[str, str], limit: int = 100) -> Explorer:
    if not SURVEY_READERS.allows(user.role):
        raise NotFound("No such page.")
    for key in ("instrument", "location"):
        value = filters.get(key, "")
        try:
            if value:
                UUID(value)
        except ValueError:
            raise InvalidInput(f"Choose one of the listed {key}s.", field=key) from None
    comments = list(_filtered(user, filters).order_by("-received_on", "-id"))
    rules = survey_settings(user.organization_id)
    anonymous = [c for c in comments if c.anonymous]
    explorer = Explorer(may_read=SURVEY_MANAGERS.allows(user.role))
    if anonymous:
        by_department = Counter(c.department.name if c.department else "" for c in anonymous)
        decided = suppress_cells(
            len(anonymous), dict(by_department), k=rules.k_comment, noun="comments"
        )
        shown = {cell.key for cell in decided.children if cell.shown} if decided.shown else set()
        kept = [c for c in anonymous if (c.department.name if c.department else "") in shown]
        explorer.held_back = len(anonymous) - len(kept)
        if explorer.held_back:
            explorer.held_back_reason = (
                f"{explorer.held_back} anonymous comment{'s' if explorer.held_back != 1 else ''} "
                f"held back: groups of fewer than {rules.k_comment} are never shown."
            )
        comments = [c for c in comments if not c.anonymous] + kept
        comments.sort(key=lambda c: (c.received_on, c.pk), reverse=True)
    explorer.total = len(comments)
    _trend(explorer, comments)
    if explorer.may_read:
        shown_rows = comments[:limit]
        if shown_rows:
            record_access(actor=user, target=shown_rows[0].instrument, action="comments.read")
        explorer.rows = [
            CommentRow(
                comment=c,
                pieces=pieces(c),
                themes=c.themes,
                flags=[flag.get("name", flag["key"]) for flag in c.flags],
            )
            for c in shown_rows
        ]
    return explorer


def _trend(explorer: Explorer, comments: list[Comment]) -> None:
    months: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for comment in comments:
        month = f"{comment.received_on:%Y-%m}"
        for theme in comment.themes:
            counts = months[month][theme["key"]]
            counts[0] += 1
            counts[1] += theme.get("label") == SentimentLabel.NEGATIVE
    explorer.months = sorted(months)
    keys = sorted({key for month in months.values() for key in month})
    explorer.trend = {
        THEME_NAMES.get(key, key): [
            (months[m][key][0], months[m][key][1]) if key in months[m] else (0, 0)
            for m in explorer.months
        ]
        for key in keys
    }


def theme_choices() -> list[tuple[str, str]]:
    return [(theme.key, theme.name) for theme in THEMES]
