"""The only clock. Tests freeze it with time-machine; code never calls datetime.now()."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
