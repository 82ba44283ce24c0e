"""Housekeeping scans for sign-in state."""

from __future__ import annotations

from django.contrib.sessions.models import Session

from carebond.core import clock


def scan_expired_sessions() -> int:
    """Delete expired sessions so a stolen, stale cookie is worthless server-side too."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted
