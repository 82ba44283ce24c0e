"""Small-cell suppression against docs/methods.md §3.3, and checked from the reader's side: for
random breakdowns, nothing hidden can be worked out from what is shown. The checkers below are
written from the rules of arithmetic, not from the implementation. Pure: no database."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carebond.surveys.suppression import (
    COMPLEMENTARY_REASON,
    K_COMMENT,
    K_METRIC,
    Cell,
    Group,
    Why,
    check_k,
    suppress,
    suppress_cells,
)

Path = tuple[str, ...]


def hidden(result: Cell) -> dict[Path, str | None]:
    return {path: cell.reason for path, cell in result.walk() if not cell.shown}


# --- the reader's side: independent checkers --------------------------------------------------


def worked_out_by_subtraction(result: Cell) -> dict[Path, int]:
    """The hidden cells a reader can compute exactly, repeating two steps until nothing new
    comes out: a known parent minus its known children, when just one child is unknown and the
    children are known to cover the parent (a reader knows which breakdowns are complete); and
    the sum of a complete breakdown's children, when all are known."""
    cells = dict(result.walk())
    known = {path: cell.n for path, cell in cells.items() if cell.shown}
    progress = True
    while progress:
        progress = False
        for path, cell in cells.items():
            if not cell.children or sum(child.n for child in cell.children) != cell.n:
                continue
            paths = [(*path, child.key) for child in cell.children]
            unknown = [child for child in paths if child not in known]
            if path in known and len(unknown) == 1:
                known[unknown[0]] = known[path] - sum(known[p] for p in paths if p in known)
                progress = True
            elif path not in known and not unknown:
                known[path] = sum(known[p] for p in paths)
                progress = True
    worked_out = {path: n for path, n in known.items() if not cells[path].shown}
    assert all(cells[path].n == n for path, n in worked_out.items())  # the checker is sound
    return worked_out


def determined_by_linear_algebra(result: Cell) -> set[Path]:
    """The hidden cells whose count follows from the shown counts by any linear reasoning.

    Unknowns: every hidden cell, and the part of each incomplete breakdown its cells leave out.
    Equations: parent = its children (+ the left-out part). A hidden cell is determined exactly
    when its unit vector lies in the row space of the equations' coefficients on the unknowns.
    """
    cells = dict(result.walk())
    unknowns: list[Path] = [path for path, cell in cells.items() if not cell.shown]
    rows: list[dict[object, Fraction]] = []
    for path, cell in cells.items():
        if not cell.children:
            continue
        row: dict[object, Fraction] = {}
        if not cell.shown:
            row[path] = Fraction(1)
        for child in cell.children:
            if not child.shown:
                row[(*path, child.key)] = Fraction(-1)
        if sum(child.n for child in cell.children) != cell.n:
            left_out = ("left out", *path)
            unknowns.append(left_out)
            row[left_out] = Fraction(-1)
        if row:
            rows.append(row)
    columns = {name: index for index, name in enumerate(unknowns)}
    basis = _row_reduce(
        [[row.get(name, Fraction(0)) for name in columns] for row in rows], len(columns)
    )
    determined = set()
    for path, cell in cells.items():
        if cell.shown:
            continue
        vector = [Fraction(0)] * len(columns)
        vector[columns[path]] = Fraction(1)
        for pivot, basis_row in basis:
            if vector[pivot] != 0:
                factor = vector[pivot]
                vector = [v - factor * b for v, b in zip(vector, basis_row, strict=True)]
        if not any(vector):
            determined.add(path)
    return determined


def _row_reduce(matrix: list[list[Fraction]], width: int) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form: (pivot column, row) pairs."""
    basis: list[tuple[int, list[Fraction]]] = []
    for original in matrix:
        row = list(original)
        for pivot, basis_row in basis:
            if row[pivot] != 0:
                factor = row[pivot]
                row = [r - factor * b for r, b in zip(row, basis_row, strict=True)]
        lead = next((column for column in range(width) if row[column] != 0), None)
        if lead is None:
            continue
        row = [value / row[lead] for value in row]
        reduced = []
        for pivot, basis_row in basis:
            factor = basis_row[lead]
            reduced.append((pivot, [b - factor * r for b, r in zip(basis_row, row, strict=True)]))
        basis = [*reduced, (lead, row)]
    return basis


def smallest_groups_worked_out(result: Cell) -> dict[Path, int]:
    """For every shown cell with something unshown beneath it, the group a reader can work out
    there: its count minus the highest shown cells beneath it."""
    groups = {}
    for path, cell in result.walk():
        if not cell.shown or not cell.children:
            continue
        shown_beneath, anything_hidden = 0, False
        pending = list(cell.children)
        while pending:
            below = pending.pop()
            if below.shown:
                shown_beneath += below.n
            else:
                anything_hidden = True
                pending.extend(below.children)
        if anything_hidden or shown_beneath != cell.n:
            groups[path] = cell.n - shown_beneath
    return groups


# --- the worked case and the rules (§3.3) -----------------------------------------------------


def test_the_worked_case_hides_the_sibling_too() -> None:
    # given P = 12 with A = 9 and B = 3
    result = suppress_cells(12, {"A": 9, "B": 3}, key="P")
    # then B is hidden for its size, and A so that P - A cannot give B away
    assert result.shown
    assert hidden(result) == {
        ("P", "A"): COMPLEMENTARY_REASON,
        ("P", "B"): "fewer than 5 responses",
    }
    assert result.child("A").why is Why.COMPLEMENTARY
    assert result.child("B").why is Why.TOO_FEW
    # and the two may show as one "Other" row of 12
    assert (result.other_n, result.other_keys) == (12, ("A", "B"))
    assert worked_out_by_subtraction(result) == {}


def test_without_suppression_the_worked_case_gives_b_away() -> None:
    # the checker does catch the leak the rule exists for
    leaky = Cell(
        "P",
        12,
        True,
        None,
        None,
        children=(Cell("A", 9, True, None, None), Cell("B", 3, False, Why.TOO_FEW, "few")),
    )
    assert worked_out_by_subtraction(leaky) == {("P", "B"): 3}
    assert determined_by_linear_algebra(leaky) == {("P", "B")}


def test_nothing_is_hidden_when_every_cell_is_large_enough() -> None:
    result = suppress_cells(30, {"Nurses": 12, "Doctors": 10, "Reception": 8})
    assert hidden(result) == {}
    assert result.other_n is None


def test_two_small_siblings_that_together_reach_k_protect_each_other() -> None:
    # given B = 3 and C = 4: together 7, and neither can be told from the other
    result = suppress_cells(30, {"A": 23, "B": 3, "C": 4})
    assert set(hidden(result)) == {("All", "B"), ("All", "C")}
    assert result.other_n == 7


def test_two_small_siblings_below_k_together_take_a_third() -> None:
    # given B = 1 and C = 2: P - A would show a group of 3
    result = suppress_cells(20, {"A": 9, "B": 1, "C": 2, "D": 8})
    assert hidden(result)[("All", "D")] == COMPLEMENTARY_REASON  # the next smallest
    assert result.child("A").shown
    assert result.other_n == 11


def test_every_slice_is_suppressed_on_its_own() -> None:
    # given one wave of 25 responses sliced by role, then by period
    by_role = suppress_cells(25, {"Nurse": 14, "Doctor": 7, "Admin": 4}, key="Wave")
    by_period = suppress_cells(25, {"Week 1": 13, "Week 2": 12}, key="Wave")
    assert set(hidden(by_role)) == {("Wave", "Doctor"), ("Wave", "Admin")}
    assert hidden(by_period) == {}


def test_comments_use_their_own_threshold_and_noun() -> None:
    result = suppress_cells(20, {"A": 13, "B": 7}, k=K_COMMENT, noun="comments")
    assert hidden(result)[("All", "B")] == "fewer than 8 comments"
    assert not result.child("A").shown


def test_a_root_below_k_hides_everything() -> None:
    result = suppress(Group("Team", 4, (Group("A", 3), Group("B", 1))))
    assert all(cell.reason == "fewer than 5 responses" for _, cell in result.walk())
    assert result.other_n is None


# --- nested breakdowns ------------------------------------------------------------------------


def organisation() -> Group:
    """Organisation 30 -> North 3 / South 12 / East 15; South -> Ward 1 6 / Ward 2 6."""
    return Group(
        "Org",
        30,
        (
            Group("North", 3, (Group("Clinic", 3),)),
            Group("South", 12, (Group("Ward 1", 6), Group("Ward 2", 6))),
            Group("East", 15, (Group("Ward 3", 9), Group("Ward 4", 6))),
        ),
    )


def test_a_hidden_parent_does_not_stay_the_sum_of_shown_children() -> None:
    # when the organisation is suppressed
    result = suppress(organisation())
    # then North is too small, South hides with it (smaller than East), and since South would be
    # Ward 1 + Ward 2, Ward 1 hides as well; East and its wards show
    assert hidden(result) == {
        ("Org", "North"): "fewer than 5 responses",
        ("Org", "North", "Clinic"): "fewer than 5 responses",
        ("Org", "South"): COMPLEMENTARY_REASON,
        ("Org", "South", "Ward 1"): COMPLEMENTARY_REASON,
    }
    assert result.find("South", "Ward 2").shown
    assert result.find("East", "Ward 4").shown
    assert result.other_n == 15
    assert worked_out_by_subtraction(result) == {}
    assert determined_by_linear_algebra(result) == set()


def test_a_small_group_deep_down_is_protected_at_its_own_level() -> None:
    # given four levels, with a team of 2 in the last
    tree = Group(
        "Org",
        60,
        (
            Group(
                "North",
                40,
                (
                    Group("Medicine", 25, (Group("Team A", 23), Group("Team B", 2))),
                    Group("Surgery", 15),
                ),
            ),
            Group("South", 20),
        ),
    )
    result = suppress(tree)
    # then Team B hides for its size and Team A with it; nothing above needs to change
    assert set(hidden(result)) == {
        ("Org", "North", "Medicine", "Team A"),
        ("Org", "North", "Medicine", "Team B"),
    }
    assert result.find("North", "Medicine").other_n == 25


def test_a_derivable_pair_across_levels_is_closed() -> None:
    # given P = 20: X = 10 (Y = 2, V = 8), Z = 1, W = 9. Hiding only Y and Z with one sibling
    # each would still let P - W... - V give Y + Z = 3 people; the rules leave at least k
    tree = Group(
        "P",
        20,
        (Group("X", 10, (Group("Y", 2), Group("V", 8))), Group("Z", 1), Group("W", 9)),
    )
    result = suppress(tree)
    assert all(n >= K_METRIC for n in smallest_groups_worked_out(result).values())
    assert worked_out_by_subtraction(result) == {}
    assert determined_by_linear_algebra(result) == set()


def test_what_the_cells_leave_out_counts_as_unknown() -> None:
    # given 2 of 14 responses with no department: P - A is B plus those 2, not B
    result = suppress_cells(14, {"A": 9, "B": 3})
    assert hidden(result) == {("All", "B"): "fewer than 5 responses"}
    assert result.other_n == 5
    assert worked_out_by_subtraction(result) == {}


def test_a_small_left_out_group_is_protected_too() -> None:
    # given 2 of 40 responses with no department, P - A - B would be those 2 people
    result = suppress_cells(40, {"A": 20, "B": 18})
    assert hidden(result) == {("All", "B"): COMPLEMENTARY_REASON}
    assert result.other_n == 20


# --- input checks -----------------------------------------------------------------------------


def test_k_is_never_below_three() -> None:
    assert (K_METRIC, K_COMMENT) == (5, 8)
    assert check_k(3) == 3
    with pytest.raises(ValueError, match="at least 3 responses, not 2"):
        check_k(2)
    with pytest.raises(ValueError, match="at least 3"):
        suppress_cells(12, {"A": 9, "B": 3}, k=1)
    with pytest.raises(ValueError, match="whole number"):
        check_k(True)


def test_a_lower_configured_k_shows_more() -> None:
    result = suppress_cells(12, {"A": 9, "B": 3}, k=3)
    assert hidden(result) == {}


def test_overlapping_or_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match=r"groups under Org / North count 13 responses, more"):
        suppress(Group("Org", 20, (Group("North", 10, (Group("A", 7), Group("B", 6))),)))
    with pytest.raises(ValueError, match=r"Org / A has -1 responses"):
        suppress(Group("Org", 20, (Group("A", -1),)))
    with pytest.raises(ValueError, match="more than one group named A"):
        suppress(Group("Org", 20, (Group("A", 5), Group("A", 6))))


def test_cells_are_found_by_path() -> None:
    result = suppress(organisation())
    assert result.find().key == "Org"
    assert result.find("East", "Ward 3").n == 9
    assert [path for path, _ in result.walk()][:3] == [
        ("Org",),
        ("Org", "North"),
        ("Org", "North", "Clinic"),
    ]
    with pytest.raises(KeyError):
        result.find("West")


# --- random breakdowns ------------------------------------------------------------------------


@st.composite
def breakdowns(draw: st.DrawFn, depth: int = 0) -> Group:
    """A random tree up to four levels deep; most breakdowns cover their parent exactly, some
    leave a few responses out."""
    if depth == 3 or (depth > 0 and draw(st.integers(0, 2)) == 0):
        return Group("", draw(st.integers(0, 14)))
    children = draw(st.lists(breakdowns(depth + 1), min_size=1, max_size=4))
    left_out = draw(st.sampled_from([0, 0, 0, 0, 1, 2, 6]))
    named = tuple(Group(f"g{i}", child.n, child.children) for i, child in enumerate(children))
    return Group("root", sum(child.n for child in named) + left_out, named)


@given(breakdowns(), st.sampled_from([3, 5, 8]))
def test_nothing_hidden_can_be_worked_out(tree: Group, k: int) -> None:
    result = suppress(tree, k=k)
    cells = dict(result.walk())
    # every small cell is hidden, for its size; every other hidden cell protects one
    for cell in cells.values():
        if cell.n < k:
            assert (cell.shown, cell.why) == (False, Why.TOO_FEW)
        elif not cell.shown:
            assert cell.why is Why.COMPLEMENTARY
    # no hidden cell comes out of subtraction, nor of any linear reasoning
    assert worked_out_by_subtraction(result) == {}
    assert determined_by_linear_algebra(result) == set()
    # every group a reader can work out has at least k responses, and so has "Other"
    assert all(n >= k for n in smallest_groups_worked_out(result).values())
    assert all(cell.other_n is None or cell.other_n >= k for cell in cells.values())


@given(breakdowns())
def test_large_complete_breakdowns_are_left_alone(tree: Group) -> None:
    def complete_and_large(group: Group) -> bool:
        return group.n >= K_METRIC and (
            not group.children
            or (
                sum(child.n for child in group.children) == group.n
                and all(complete_and_large(child) for child in group.children)
            )
        )

    result = suppress(tree)
    if complete_and_large(tree):
        assert hidden(result) == {}
