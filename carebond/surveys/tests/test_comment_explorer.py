"""The comments explorer: theme words highlighted and personal details removed at display;
anonymous comments from groups under eight held back (and a second group when one could be
worked out); managers read the words, the analyst only the counts."""

from __future__ import annotations

from datetime import date
from typing import Any

from carebond.surveys.comment_selectors import explore_comments, pieces
from carebond.surveys.models import AnonymousResponse, Comment, Wave
from carebond.surveys.response_actions import check_save_section
from carebond.surveys.tests.conftest import Practice, department, invite


def test_theme_words_are_highlighted_and_details_removed(
    practice: Practice, manager_a: Any
) -> None:
    _, token = invite(practice, practice.patient)
    check_save_section(
        token,
        section_key="comments",
        raw={"do_better": "I waited 90 minutes. Call me on 312-555-0199 about the bill."},
        language="en",
        send=True,
    )
    explorer = explore_comments(user=manager_a, filters={"days": "30"})
    (row,) = explorer.rows
    kinds = {(piece.kind, piece.text) for piece in row.pieces}
    assert ("removed", "[removed]") in kinds
    assert not any("555" in piece.text for piece in row.pieces)
    assert any(kind == "theme" for kind, _ in kinds)
    assert {theme["key"] for theme in row.themes} >= {"wait_time"}
    by_theme = explore_comments(user=manager_a, filters={"days": "30", "theme": "wait_time"})
    assert by_theme.total == 1
    assert explore_comments(user=manager_a, filters={"days": "30", "label": "positive"}).total == 0


def test_the_analyst_sees_counts_not_words(practice: Practice, analyst_a: Any) -> None:
    _, token = invite(practice, practice.patient)
    check_save_section(
        token,
        section_key="comments",
        raw={"do_better": "The billing is a nightmare."},
        language="en",
        send=True,
    )
    explorer = explore_comments(user=analyst_a, filters={"days": "30"})
    assert explorer.total == 1
    assert explorer.rows == []
    assert explorer.trend


def _anonymous_comments(practice: Practice, team_sizes: dict[str, int]) -> None:
    instrument = practice.instrument("staff-pulse")
    wave = Wave.objects.create(
        organization=practice.organization,
        instrument=instrument,
        label="Pulse",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 16),
    )
    for name, size in team_sizes.items():
        team = department(practice.organization, name, practice.main)
        for n in range(size):
            response = AnonymousResponse.objects.create(
                organization=practice.organization,
                wave=wave,
                version=instrument.versions.get(),
                answers={},
                language="en",
                week_of=date(2026, 3, 2),
                department=team,
            )
            Comment.objects.create(
                organization=practice.organization,
                anonymous_response=response,
                link_id="comment",
                text=f"Handover is rushed ({name} {n}).",
                language="en",
                label="negative",
                instrument=instrument,
                department=team,
                received_on=date(2026, 3, 2),
                anonymous=True,
                analysed=True,
            )


def test_anonymous_comments_from_small_groups_are_held_back(
    practice: Practice, manager_a: Any
) -> None:
    _anonymous_comments(practice, {"Nursing": 10, "Front desk": 9, "Billing office": 3})
    explorer = explore_comments(user=manager_a, filters={"days": "30"})
    shown = {row.comment.department.name for row in explorer.rows if row.comment.department}
    # billing (3) is under 8; total 22 - nursing 10 - desk 9 would reveal it: desk goes too
    assert shown == {"Nursing"}
    assert explorer.held_back == 12
    assert "fewer than 8" in explorer.held_back_reason


def test_one_small_group_alone_shows_nothing(practice: Practice, manager_a: Any) -> None:
    _anonymous_comments(practice, {"Nursing": 7})
    explorer = explore_comments(user=manager_a, filters={"days": "30"})
    assert explorer.rows == []
    assert explorer.held_back == 7


def test_pieces_keep_the_text_whole() -> None:
    comment = Comment(
        text="Great nurse but long wait", themes=[{"key": "wait_time", "words": [[21, 25]]}]
    )
    assert "".join(piece.text for piece in pieces(comment)) == "Great nurse but long wait"
    assert [piece.kind for piece in pieces(comment)] == ["text", "theme"]


def test_junk_in_the_filters_is_a_clear_message(
    practice: Practice, client_for: Any, manager_a: Any
) -> None:
    client = client_for(manager_a)
    for url in (
        "/surveys/comments/?instrument=" + "x" * 36,
        "/surveys/comments/?location=junk",
        "/surveys/comments/?days=7",
        "/surveys/results/?instrument=junk",
        "/surveys/results/?days=abc",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'role="alert"' in page.content.decode(), url


def test_the_anonymous_export_keeps_the_anonymity_rules(practice: Practice, manager_a: Any) -> None:
    from carebond.surveys.export_selectors import response_table

    instrument = practice.instrument("staff-pulse")
    _anonymous_comments(practice, {"Nursing": 4})
    header, rows = response_table(user=manager_a, instrument=instrument)
    assert rows == []  # 4 responses: under the threshold, nothing in the file
    _anonymous_comments(practice, {"Front desk": 3})
    header, rows = response_table(user=manager_a, instrument=instrument)
    assert len(rows) == 7
    assert {row[header.index("location")] for row in rows} == {""}
    assert all(row[header.index("comment")] == "" for row in rows)  # 7 comments: under 8
    _anonymous_comments(practice, {"Billing office": 1})
    _, rows = response_table(user=manager_a, instrument=instrument)
    assert sum(1 for row in rows if row[header.index("comment")]) == 8
