"""Which survey cells may be shown: k-anonymity with complementary suppression (methods.md §3.3).

A report breaks responses down by one slicing dimension at a time (period, location, role…),
often nested: organisation -> locations -> departments. The caller passes that breakdown as a
tree of ``Group``s with their response counts, and gets back the same tree of ``Cell``s saying
which are shown and why the others are hidden.

1. Any cell with fewer than k responses is hidden (k = 5 for metrics, 8 for comments, never
   below 3), at every level, not only the top one.
2. Hiding one cell is not enough: with the parent (P = 12) and a sibling (A = 9) shown, the
   hidden B is P - A = 3. So when a shown parent has exactly one hidden child, the next-smallest
   sibling is hidden too, "so that a smaller group cannot be worked out"; and the group a reader
   can work out, the parent minus what is shown beneath it, must itself have at least k
   responses, or more is hidden. A hidden parent whose children are all shown would be their
   sum, so one of them is hidden as well. This repeats until nothing hidden can be derived by
   subtraction or addition, at any depth.

What the cells leave out of their parent (people with no department) is not published and is
treated as one more unknown group; it too must not be worked out below k, so pass every cell of
the dimension. A shown parent with hidden children reports ``other_n``, the count an "Other" row
may show in their place: readers can derive it anyway, and it is never below k.

Each call covers one dimension. A cross-breakdown (location x role) is a tree of its own
(location -> role within location), passed in its own call. Levels that one report shows both
alone and broken down (locations, and roles within locations) must come from one call on the
deeper tree: a separate call on the locations alone may show a location that the deeper call
hid to protect a role.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

K_METRIC = 5
"""§3.3: a metric is shown from 5 responses (the Qualtrics, Viva Insights… default)."""
K_COMMENT = 8
"""§3.3: comments need more, because people can be recognised by their writing."""
K_FLOOR = 3
"""§3.3: a tenant may lower k, but never below 3."""


def check_k(k: int) -> int:
    """k itself, or a ValueError: a threshold below 3 would let a pair identify each other."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise ValueError(f"The anonymity threshold must be a whole number, not {k!r}.")
    if k < K_FLOOR:
        raise ValueError(f"The anonymity threshold must be at least {K_FLOOR} responses, not {k}.")
    return k


@dataclass(frozen=True)
class Group:
    """One cell of a breakdown and its response count, with the cells beneath it (one
    dimension). The children's counts must not add up to more than the group's own."""

    key: str
    n: int
    children: tuple[Group, ...] = ()

    @classmethod
    def of_cells(cls, key: str, n: int, cells: Mapping[str, int]) -> Group:
        """A parent total and its sibling cells: Group.of_cells("All", 12, {"A": 9, "B": 3})."""
        return cls(key, n, tuple(cls(name, count) for name, count in cells.items()))


class Why(StrEnum):
    TOO_FEW = "too_few"
    COMPLEMENTARY = "complementary"


COMPLEMENTARY_REASON = "hidden so that a smaller group cannot be worked out"


@dataclass(frozen=True)
class Cell:
    """A group's decision. ``reason`` is the sentence to show in place of a hidden figure.
    ``other_n`` (shown parents only) is what an "Other" row may show for the hidden children
    and whatever the cells leave out, with ``other_keys`` the children it stands for; None
    when everything beneath is shown."""

    key: str
    n: int
    shown: bool
    why: Why | None
    reason: str | None
    children: tuple[Cell, ...] = ()
    other_n: int | None = None
    other_keys: tuple[str, ...] = ()

    def child(self, key: str) -> Cell:
        for child in self.children:
            if child.key == key:
                return child
        raise KeyError(key)

    def find(self, *path: str) -> Cell:
        """The cell at ``path`` below this one: root.find("North", "Nursing")."""
        cell = self
        for key in path:
            cell = cell.child(key)
        return cell

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Cell]]:
        """Every cell with its path from this one (this one's path is ``(key,)``), parents first."""
        here = (*path, self.key)
        yield here, self
        for child in self.children:
            yield from child.walk(here)


def suppress(root: Group, *, k: int = K_METRIC, noun: str = "responses") -> Cell:
    """Decide every cell of ``root`` (see the module's rules). ``noun`` names what is counted
    in the reason ("fewer than 5 responses", "fewer than 8 comments")."""
    check_k(k)
    nodes = _flatten(root)
    state = _Suppression(nodes, k)
    state.run()
    too_few = f"fewer than {k} {noun}"
    return _decided(nodes, state, 0, too_few)


def suppress_cells(
    total: int,
    cells: Mapping[str, int],
    *,
    k: int = K_METRIC,
    noun: str = "responses",
    key: str = "All",
) -> Cell:
    """One slice: a parent total and its sibling cells, e.g. the roles of one survey wave."""
    return suppress(Group.of_cells(key, total, cells), k=k, noun=noun)


# --- the work, on a flat list of nodes in pre-order (parents before their children) -----------


@dataclass
class _Node:
    key: str
    n: int
    parent: int | None
    children: list[int] = field(default_factory=list)
    left_out: int = 0  # n minus its children's counts (0 for a leaf): unpublished, an unknown


def _flatten(root: Group) -> list[_Node]:
    nodes: list[_Node] = []

    def add(group: Group, parent: int | None, path: str) -> None:
        if not _is_count(group.n):
            raise ValueError(f"{path} has {group.n!r} responses: a count is a whole number >= 0.")
        index = len(nodes)
        nodes.append(_Node(group.key, group.n, parent))
        if parent is not None:
            nodes[parent].children.append(index)
        keys = [child.key for child in group.children]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"{path} has more than one group named {', '.join(repeated)}.")
        for child in group.children:
            add(child, index, f"{path} / {child.key}")
        below = sum(child.n for child in group.children)
        if below > group.n:
            raise ValueError(
                f"The groups under {path} count {below} responses, more than its {group.n}: "
                "the cells of one breakdown must not overlap."
            )
        if group.children:
            nodes[index].left_out = group.n - below

    add(root, None, root.key)
    return nodes


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Suppression:
    """Hides cells until the rules hold. ``unknown[i]`` is what a reader cannot see of node i's
    count: what its cells leave out plus, for each hidden child, that child's own unknown part.
    For a shown node it is the smallest group a reader can work out beneath it."""

    def __init__(self, nodes: list[_Node], k: int) -> None:
        self.nodes = nodes
        self.k = k
        self.why: list[Why | None] = [Why.TOO_FEW if node.n < k else None for node in nodes]
        self.unknown = [node.left_out if node.children else node.n for node in nodes]
        for index in reversed(range(len(nodes))):  # children before parents
            parent = nodes[index].parent
            if parent is not None and self.hidden(index):
                self.unknown[parent] += self.unknown[index]

    def hidden(self, index: int) -> bool:
        return self.why[index] is not None

    def run(self) -> None:
        # parents first: hiding a sibling high up often protects everything beneath it
        queue = list(range(len(self.nodes)))
        heapq.heapify(queue)
        while queue:
            index = heapq.heappop(queue)
            target = self.violation(index)
            if target is None:
                continue
            while target is not None:
                for changed in self.hide(target):
                    heapq.heappush(queue, changed)
                # a newly hidden parent of shown children only would be their sum: hide one of
                # them at once, before its parents judge what it leaves unknown
                target = self.violation(target)
            heapq.heappush(queue, index)  # look again: one more hidden cell may not be enough

    def unknown_parts(self, index: int) -> int:
        node = self.nodes[index]
        return sum(1 for child in node.children if self.hidden(child)) + (node.left_out > 0)

    def violation(self, index: int) -> int | None:
        """The node to hide next so that node ``index`` gives nothing away, or None."""
        node = self.nodes[index]
        if self.hidden(index):
            # a hidden parent of shown children only would be their sum
            if node.children and self.unknown_parts(index) == 0:
                return self.smallest(self.shown_children(index))
            return None
        hidden_children = any(self.hidden(child) for child in node.children)
        if not hidden_children and node.left_out == 0:
            return None  # everything beneath is shown
        # one unknown is the parent minus the rest; and what can be worked out must reach k
        single = hidden_children and self.unknown_parts(index) < 2
        if not single and self.unknown[index] >= self.k:
            return None
        candidates = self.shown_children(index)
        if not candidates and not single:
            candidates = list(self.shown_beneath(index))
        if not candidates:  # cannot happen for a shown node (n >= k); hide it to be safe
            return index
        return self.smallest(candidates)

    def shown_children(self, index: int) -> list[int]:
        return [child for child in self.nodes[index].children if not self.hidden(child)]

    def shown_beneath(self, index: int) -> Iterator[int]:
        """The highest shown nodes under ``index``'s hidden children."""
        for child in self.nodes[index].children:
            if self.hidden(child):
                for grandchild in self.nodes[child].children:
                    if self.hidden(grandchild):
                        yield from self.shown_beneath(grandchild)
                    else:
                        yield grandchild

    def smallest(self, candidates: Iterable[int]) -> int:
        return min(candidates, key=lambda index: (self.nodes[index].n, index))

    def hide(self, index: int) -> list[int]:
        """Hide node ``index`` (to protect another) and return the nodes whose rules changed."""
        self.why[index] = Why.COMPLEMENTARY
        changed = [index]
        parent = self.nodes[index].parent
        while parent is not None:  # its unknown part now adds to every hidden parent's
            self.unknown[parent] += self.unknown[index]
            changed.append(parent)
            if not self.hidden(parent):
                break
            parent = self.nodes[parent].parent
        return changed


def _decided(nodes: list[_Node], state: _Suppression, index: int, too_few: str) -> Cell:
    node = nodes[index]
    children = tuple(_decided(nodes, state, child, too_few) for child in node.children)
    why = state.why[index]
    if why is not None:
        reason = too_few if why is Why.TOO_FEW else COMPLEMENTARY_REASON
        return Cell(node.key, node.n, shown=False, why=why, reason=reason, children=children)
    hidden = tuple(child.key for child in children if not child.shown)
    other = None
    if hidden or node.left_out:
        other = node.n - sum(child.n for child in children if child.shown)
    return Cell(
        node.key,
        node.n,
        shown=True,
        why=None,
        reason=None,
        children=children,
        other_n=other,
        other_keys=hidden,
    )
