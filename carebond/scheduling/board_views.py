"""The front desk's live board, and the stream that keeps it current: the page opens an
EventSource on the stream, which sends the board's columns again whenever today's visits at the
location change (and every half minute, as the waits grow). The page never polls; a stream ends
after a few minutes and the browser opens a new one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from carebond.core.access import signed_in_user
from carebond.core.ids import uuid_or_none
from carebond.core.permissions import page_policy
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.board_selectors import board_signature, list_board
from carebond.scheduling.selectors import get_location, list_locations

# The board is sent again at least this often, so that the minutes shown keep up.
REFRESH_SECONDS = 30


@page_policy(SCHEDULERS)
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    return render(
        request,
        "scheduling/board.html",
        {
            "board": list_board(user=user, location=location),
            "locations": list_locations(user=user),
            "location": location,
        },
    )


@page_policy(SCHEDULERS)
@require_GET
def board_stream(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events: ``board`` with the columns' HTML whenever they change. Audited once,
    when the stream opens (a board watched for a morning is one viewing, not hundreds)."""
    user = signed_in_user(request)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    list_board(user=user, location=location)  # (the audited read; also refuses a stranger)

    def events() -> Iterator[str]:
        ends = time.monotonic() + settings.SCHEDULING_BOARD_STREAM_SECONDS
        seen, sent_at = "", 0.0
        yield "retry: 1000\n\n"
        while time.monotonic() < ends:
            signature = board_signature(location)
            if signature != seen or time.monotonic() - sent_at >= REFRESH_SECONDS:
                columns = render_to_string(
                    "scheduling/board_columns.html",
                    {"board": list_board(user=user, location=location, audited=False)},
                    request=request,  # (the buttons' forms carry the page's CSRF token)
                )
                yield f"event: board\ndata: {json.dumps(columns)}\n\n"
                seen, sent_at = signature, time.monotonic()
            time.sleep(settings.SCHEDULING_BOARD_CHECK_SECONDS)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # (a proxy must pass each event on at once)
    return response
