"""Structured JSON log lines with the request id. Messages carry ids, never PHI."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_QUERY_STRING = re.compile(r"\?[^\s\"]*")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ScrubQueryStringFilter(logging.Filter):
    """Query strings can hold search terms (names, phone numbers): drop them from every line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = _QUERY_STRING.sub("?[redacted]", message)
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            # Exception types and frames only; exception messages can echo input values.
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else "?"
            entry["traceback"] = self.formatException(record.exc_info).splitlines()[-12:-1]
        return json.dumps(entry, ensure_ascii=False)
