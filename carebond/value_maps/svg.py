"""The hierarchical value map drawn as SVG, by us (no charting library).

Layout (a small Sugiyama-style layered drawing):

1. **Rows.** Values at the top, consequences in the middle, attributes at the bottom (§1.3).
   Inside a level, a code that another code of the same level leads to goes one row higher
   (longest path over the level's own links, cycles ignored), so C1 → C3 climbs instead of
   running sideways.
2. **Order within rows: barycentre sweeps.** Start in code order; then sweep up (each row sorted
   by the mean position of its neighbours in the rows below, weighted by the link's count) and
   down (neighbours above), eight times. After every sweep count the crossings of the straight
   edges and keep the best ordering seen, so the result is never worse than the start.
   Deterministic: ties keep the previous order.
3. **Drawing.** Edge width grows with the link's count, node size (circle radius) with the
   number of respondents that mentioned the code (whatever the counting unit, §1.3); dashed
   edges are indirect links, red ones lie on a cycle. Every node and edge carries a ``<title>``
   (the hover tooltip: counts and, for editors only, a few of the respondents' own words) and
   ``data-*`` attributes for value_maps.js. Colours and sizes are presentation attributes, not
   CSS, so the file stands alone when exported and the page's CSP (no inline styles) holds.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from carebond.value_maps.analysis import LadderAnalysis, MapEdge, level_rank, natural_key

ROW_HEIGHT = 120
MARGIN_X = 90
MARGIN_Y = 60
MIN_WIDTH = 760
SLOT_WIDTH = 170
LINE_CHARS = 16  # a label longer than this goes on two lines
LINE_HEIGHT = 14
CHAR_WIDTH = 7.2  # at font-size 12, generous: labels are measured by this, never overlapping
SWEEPS = 8
LEVEL_COLOURS = {"A": "#dbe9f6", "C": "#e3f1e4", "V": "#fbe8d0"}
LEVEL_STROKES = {"A": "#2b5c8a", "C": "#2f6b37", "V": "#9a5b0c"}
LEVEL_BANDS = {"A": "Attributes", "C": "Consequences", "V": "Values"}
WORDS_IN_TOOLTIP = 4


@dataclass(frozen=True)
class Placed:
    code: str
    label: str
    level: str
    mentions: int
    respondents: int
    x: float
    y: float
    radius: float


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    nodes: dict[str, Placed]
    rows: list[list[str]]
    crossings: int


def assign_rows(levels: Mapping[str, str], edges: Sequence[MapEdge]) -> list[list[str]]:
    """Rows from the bottom: attributes, consequences, values, each split by longest path."""
    rows: list[list[str]] = []
    for band in range(3):
        members = sorted(
            (code for code, level in levels.items() if level_rank(level) == band), key=natural_key
        )
        inside = [
            e for e in edges if e.source in members and e.target in members and not e.in_cycle
        ]
        depth = dict.fromkeys(members, 0)
        # Longest path by relaxation: at most len(members) rounds on a DAG.
        for _ in range(len(members)):
            changed = False
            for edge in inside:
                if depth[edge.target] < depth[edge.source] + 1:
                    depth[edge.target] = depth[edge.source] + 1
                    changed = True
            if not changed:
                break
        for level_row in range(max(depth.values(), default=-1) + 1):
            rows.append([code for code in members if depth[code] == level_row])
    return rows


def _positions(rows: list[list[str]]) -> dict[str, tuple[int, float]]:
    """Each code's (row, x in 0..1)."""
    return {
        code: (r, (i + 1) / (len(row) + 1))
        for r, row in enumerate(rows)
        for i, code in enumerate(row)
    }


def count_crossings(rows: list[list[str]], edges: Sequence[MapEdge]) -> int:
    """Pairs of straight edges that cross, with rows evenly spaced and nodes evenly spread."""
    where = _positions(rows)
    segments = [
        (where[e.source][1], where[e.source][0], where[e.target][1], where[e.target][0], e)
        for e in edges
        if e.source in where and e.target in where
    ]
    crossings = 0
    for a in range(len(segments)):
        for b in range(a + 1, len(segments)):
            one, two = segments[a], segments[b]
            if {one[4].source, one[4].target} & {two[4].source, two[4].target}:
                continue  # edges sharing a node meet there; that is not a crossing
            if _intersect(one[:4], two[:4]):
                crossings += 1
    return crossings


def _intersect(p: tuple[float, ...], q: tuple[float, ...]) -> bool:
    def orient(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    d1 = orient(q[0], q[1], q[2], q[3], p[0], p[1])
    d2 = orient(q[0], q[1], q[2], q[3], p[2], p[3])
    d3 = orient(p[0], p[1], p[2], p[3], q[0], q[1])
    d4 = orient(p[0], p[1], p[2], p[3], q[2], q[3])
    return ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4))


def order_rows(rows: list[list[str]], edges: Sequence[MapEdge]) -> tuple[list[list[str]], int]:
    """Barycentre sweeps (module docstring, step 2); returns the best rows and their crossings."""
    neighbours: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for edge in edges:
        neighbours[edge.source].append((edge.target, edge.weight))
        neighbours[edge.target].append((edge.source, edge.weight))
    best = [list(row) for row in rows]
    best_crossings = count_crossings(best, edges)
    current = [list(row) for row in rows]
    for sweep in range(SWEEPS):
        upward = sweep % 2 == 0
        order = range(1, len(current)) if upward else range(len(current) - 2, -1, -1)
        for r in order:
            where = _positions(current)
            placed_rows = range(r) if upward else range(r + 1, len(current))
            fixed = {code for fixed_row in placed_rows for code in current[fixed_row]}

            def barycentre(
                code: str,
                at: int,
                where: dict[str, tuple[int, float]] = where,
                fixed: set[str] = fixed,
                row_len: int = len(current[r]),
            ) -> float:
                linked = [(where[n][1], w) for n, w in neighbours[code] if n in fixed]
                if not linked:
                    return (at + 1) / (row_len + 1)
                return sum(x * w for x, w in linked) / sum(w for _, w in linked)

            current[r] = [
                code
                for _, _, code in sorted(
                    (barycentre(code, at), at, code) for at, code in enumerate(current[r])
                )
            ]
        crossings = count_crossings(current, edges)
        if crossings < best_crossings:
            best, best_crossings = [list(row) for row in current], crossings
    return best, best_crossings


def layout(analysis: LadderAnalysis) -> Layout:
    value_map = analysis.value_map
    levels = {node.code.id: node.code.level for node in value_map.nodes}
    rows, crossings = order_rows(assign_rows(levels, value_map.edges), value_map.edges)
    labels = {node.code.id: node.code.label for node in value_map.nodes}
    # Each node gets a slot as wide as its label (two lines at most), so labels never meet.
    slots = [[max(SLOT_WIDTH * 0.8, label_width(labels[c]) + 24) for c in row] for row in rows]
    width = int(max(MIN_WIDTH, max((sum(row) for row in slots), default=0) + 2 * MARGIN_X))
    height = max(1, len(rows)) * ROW_HEIGHT + 2 * MARGIN_Y
    # Node size: how many respondents mentioned the code (§1.3), whatever the counting unit.
    most = max((node.respondents for node in value_map.nodes), default=1) or 1
    nodes: dict[str, Placed] = {}
    by_code = {node.code.id: node for node in value_map.nodes}
    for r, row in enumerate(rows):
        y = height - MARGIN_Y - ROW_HEIGHT / 2 - r * ROW_HEIGHT
        # Spread the row over the width, in proportion to its slots, centred.
        spare = (width - 2 * MARGIN_X - sum(slots[r])) / len(row) if row else 0
        x: float = MARGIN_X
        for i, code in enumerate(row):
            node = by_code[code]
            slot = slots[r][i] + spare
            x += slot / 2
            nodes[code] = Placed(
                code=code,
                label=node.code.label,
                level=node.code.level,
                mentions=node.mentions,
                respondents=node.respondents,
                x=round(x, 1),
                y=round(y, 1),
                radius=round(9 + 17 * math.sqrt(node.respondents / most), 1),
            )
            x += slot / 2
    return Layout(width=width, height=height, nodes=nodes, rows=rows, crossings=crossings)


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_lines(label: str) -> list[str]:
    """One line, or two broken at the space nearest the middle (each at most 22 characters)."""
    if len(label) <= LINE_CHARS or " " not in label:
        return [_short(label, 22)]
    middle = len(label) / 2
    cut = min((i for i, ch in enumerate(label) if ch == " "), key=lambda i: abs(i - middle))
    return [_short(label[:cut], 22), _short(label[cut + 1 :], 22)]


def label_width(label: str) -> float:
    return max(len(line) for line in label_lines(label)) * CHAR_WIDTH


def render_map(
    analysis: LadderAnalysis,
    *,
    words: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    link: str | None = None,
    title: str = "Hierarchical value map",
) -> str:
    """The map as an ``<svg>`` element. ``link`` (a URL ending in ``code=``) wraps each node in
    a link that filters the ladders list without JavaScript (the code URL-encoded). ``words``
    (code -> (respondent label, words)) go into the tooltips: pass them only to editors."""
    words = words or {}
    placed = layout(analysis)
    value_map = analysis.value_map
    unit = "respondents" if analysis.count_unit == "respondent" else "ladders"
    heaviest = max((edge.weight for edge in value_map.edges), default=1) or 1
    # A picture, unless its codes are links: then a group, so the links inside stay reachable
    # (an image's content is hidden from assistive technology).
    role = "img" if link is None else "group"
    # Ids of this map's own, so that two maps on one page (Compare segments) do not share a
    # title or an arrowhead.
    key = hashlib.sha256(
        f"{analysis.segment}|{analysis.count_unit}|{value_map.cutoff}|{title}".encode()
    ).hexdigest()[:8]
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vm-map" role="{role}" '
        f'viewBox="0 0 {placed.width} {placed.height}" width="{placed.width}" '
        f'height="{placed.height}" data-cutoff="{value_map.cutoff}" '
        f'data-edges="{len(value_map.edges)}" data-crossings="{placed.crossings}" '
        f'aria-labelledby="vm-title-{key}" font-family="system-ui, sans-serif">',
        f'<title id="vm-title-{key}">{escape(title)}: {len(value_map.nodes)} codes, '
        f"{len(value_map.edges)} links at cut-off {value_map.cutoff}</title>",
        f'<defs><marker id="vm-arrow-{key}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" '
        'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect x="0" y="0" width="{placed.width}" height="{placed.height}" fill="#ffffff"/>',
    ]
    # Level bands, labelled at the left.
    for band, name in LEVEL_BANDS.items():
        ys = [node.y for node in placed.nodes.values() if node.level[0] == band]
        if ys:
            out.append(
                f'<text x="8" y="{(min(ys) + max(ys)) / 2 + 4:.1f}" font-size="12" '
                f'fill="#5b6472" font-weight="600">{name}</text>'
            )
    if not value_map.edges:
        out.append(
            f'<text x="{placed.width / 2}" y="{placed.height / 2}" text-anchor="middle" '
            f'font-size="15" fill="#5b6472">No link is counted {value_map.cutoff} times or more; '
            "lower the cut-off.</text>"
        )
    for edge in value_map.edges:
        one, two = placed.nodes[edge.source], placed.nodes[edge.target]
        dx, dy = two.x - one.x, two.y - one.y
        length = math.hypot(dx, dy) or 1
        x1, y1 = one.x + dx / length * one.radius, one.y + dy / length * one.radius
        x2, y2 = two.x - dx / length * (two.radius + 3), two.y - dy / length * (two.radius + 3)
        width = 1 + 7 * edge.weight / heaviest
        colour = "#b3261e" if edge.in_cycle else "#555"
        dash = ' stroke-dasharray="6 4"' if edge.indirect else ""
        kind = "indirect link" if edge.indirect else "link"
        note = " (on a cycle: check the coding)" if edge.in_cycle else ""
        out.append(
            f'<g class="vm-edge" data-from="{escape(edge.source)}" data-to="{escape(edge.target)}" '
            f'data-weight="{edge.weight}"><title>{escape(edge.source)} → {escape(edge.target)}: '
            f"{kind} counted for {edge.weight} {unit}{note}</title>"
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{width:.1f}" stroke-opacity="0.75"{dash} '
            f'marker-end="url(#vm-arrow-{key})"/></g>'
        )
    for code, node in sorted(placed.nodes.items(), key=lambda item: natural_key(item[0])):
        said = words.get(code, ())
        quotes = "".join(
            f"\n“{escape(_short(text, 90))}” ({escape(who)})"
            for who, text in list(said)[:WORDS_IN_TOOLTIP]
        )
        more = (
            f"\n… and {len(said) - WORDS_IN_TOOLTIP} more" if len(said) > WORDS_IN_TOOLTIP else ""
        )
        band = node.level[0]
        # Values' labels go above them (their links arrive from below), the others' below.
        lines = label_lines(node.label)
        label_y = (
            node.y - node.radius - 6 - LINE_HEIGHT * (len(lines) - 1)
            if band == "V"
            else node.y + node.radius + 14
        )
        label = "".join(
            f'<tspan x="{node.x}" dy="{0 if n == 0 else LINE_HEIGHT}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        shape = (
            f'<g class="vm-node" data-code="{escape(code)}" data-mentions="{node.mentions}" '
            f'data-respondents="{node.respondents}">'
            f"<title>{escape(code)} {escape(node.label)} ({escape(node.level)}): mentioned by "
            f"{node.respondents} respondent{'' if node.respondents == 1 else 's'}"
            f"{'' if unit == 'respondents' else f' in {node.mentions} ladders'}"
            f"{quotes}{more}</title>"
            f'<circle cx="{node.x}" cy="{node.y}" r="{node.radius}" fill="{LEVEL_COLOURS[band]}" '
            f'stroke="{LEVEL_STROKES[band]}" stroke-width="2"/>'
            f'<text x="{node.x}" y="{node.y + 4}" text-anchor="middle" font-size="12" '
            f'font-weight="700" fill="#1d232b">{escape(code)}</text>'
            f'<text x="{node.x}" y="{label_y:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#1d232b" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
            f"{label}</text></g>"
        )
        if link is not None:
            shape = f'<a href="{escape(link + quote(code, safe=""))}#ladders">{shape}</a>'
        out.append(shape)
    out.append("</svg>")
    return "".join(out)
