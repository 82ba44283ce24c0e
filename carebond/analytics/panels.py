"""The analytics app's home panel: the key figures of the last complete month, for the
managers and the analyst. None before the first rollup with figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.analytics.dashboard_selectors import get_overview, parse_filters

if TYPE_CHECKING:
    from carebond.accounts.models import User

KEY_FIGURES = (
    "surveys.nps",
    "surveys.satisfaction_top_box",
    "scheduling.show_rate",
    "scheduling.no_show_rate",
    "scheduling.retention",
    "messaging.inbox_reply_time",
    "surveys.recovery_first_contact",
    "surveys.enps",
)
PANEL_TILES = 6


def key_figures_panel(user: User) -> Mapping[str, Any] | None:
    """The panel is a glance, not a read of anyone's record: it is not audited (the overview
    page it links to is)."""
    chosen = parse_filters(user, {})
    found = get_overview(user, chosen, audit=False)
    tiles = {tile.key: tile for group in found.groups for tile in group.tiles}
    if not tiles:
        return None
    chosen_tiles = [tiles[key] for key in KEY_FIGURES if key in tiles]
    chosen_tiles += [tile for key, tile in tiles.items() if key not in KEY_FIGURES]
    return {"tiles": chosen_tiles[:PANEL_TILES], "period": found.period}
