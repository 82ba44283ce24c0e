"""`carebond check --deploy`: what messaging needs from a production configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def base_url_is_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Links in messages (unsubscribe, secure replies, delivery callbacks) must be absolute."""
    if settings.BASE_URL:
        return []
    return [
        Warning(
            "CAREBOND_BASE_URL is not set: the unsubscribe and secure-reply links in messages "
            "and the text provider's delivery callbacks need CareBond's public address.",
            hint="Set CAREBOND_BASE_URL=https://crm.example.org",
            id="carebond.messaging.W001",
        )
    ]
