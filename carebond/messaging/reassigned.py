"""The reassigned-number check (FCC Reassigned Numbers Database, or a provider's equivalent):
was this number disconnected, and so perhaps given to someone else, since the person agreed to
texts? A marketing or survey text to such a number is refused at queueing with the reason.

Behind a setting: ``MESSAGING_REASSIGNED_CHECK`` names a function ``(number, since) -> bool |
None`` (True: disconnected since that day; False: not; None: the service does not know). Empty
(the default): no check. Querying costs money per number, so only texts that need consent are
checked, once, when queued. The tests plug in ``carebond.testing.reassigned.check``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.utils.module_loading import import_string

Check = Callable[[str, date], "bool | None"]
logger = logging.getLogger("carebond.messaging")


def reassigned_check() -> Check | None:
    path = getattr(settings, "MESSAGING_REASSIGNED_CHECK", "")
    return import_string(path) if path else None


def reassigned_since(number: str, since: date) -> bool:
    """True when the configured service says the number was disconnected after ``since``.
    A service that fails is "does not know" (logged by type only): sending goes on."""
    check = reassigned_check()
    if check is None:
        return False
    try:
        return bool(check(number, since))
    except Exception as error:
        logger.warning("Reassigned-number check failed (%s)", type(error).__name__)
        return False
