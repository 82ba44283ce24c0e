"""Application logs are JSON lines with request ids and never carry search terms or PHI."""

from __future__ import annotations

import json
import logging

from carebond.core.logging import (
    JsonFormatter,
    RequestIdFilter,
    ScrubQueryStringFilter,
    request_id_var,
)


def format_line(message: str, *args: object) -> dict[str, object]:
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, message, args, None)
    token = request_id_var.set("req-12345678")
    try:
        for log_filter in (RequestIdFilter(), ScrubQueryStringFilter()):
            log_filter.filter(record)
    finally:
        request_id_var.reset(token)
    return json.loads(JsonFormatter().format(record))  # type: ignore[no-any-return]


def test_query_strings_are_redacted_from_request_lines() -> None:
    line = format_line('"%s" %s %s', "GET /api/v1/people/search?q=Maria+Lopez HTTP/1.1", 200, 512)
    assert "Maria" not in line["message"]  # type: ignore[operator]
    assert "/api/v1/people/search?[redacted]" in line["message"]  # type: ignore[operator]


def test_lines_are_json_with_the_request_id() -> None:
    line = format_line("Scan %s handled %d items", "scan_expired_sessions", 3)
    assert line["request_id"] == "req-12345678"
    assert line["level"] == "INFO"
    assert line["message"] == "Scan scan_expired_sessions handled 3 items"
