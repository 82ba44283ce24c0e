"""Application logs are JSON lines with request ids and never carry search terms or PHI."""

from __future__ import annotations

import json
import logging
import sys

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


def test_exceptions_are_logged_as_types_and_frames_without_their_messages() -> None:
    # given an error whose message and cause carry a patient's name
    try:
        try:
            raise KeyError("Maria Lopez 555-0100")
        except KeyError as inner:
            raise ValueError("Patient Maria Lopez not found") from inner
    except ValueError:
        record = logging.LogRecord(
            "carebond", logging.ERROR, __file__, 1, "Lookup failed", None, sys.exc_info()
        )
    # when
    line = JsonFormatter().format(record)
    # then the types and code locations are there, the name is not
    assert "Maria" not in line
    assert "555-0100" not in line
    entry = json.loads(line)
    assert entry["exception"]["types"] == ["ValueError", "KeyError"]
    assert any("test_logging.py" in frame for frame in entry["exception"]["frames"])
