"""Channels as plug-ins: ``channels/<kind>/`` holds one module with ``make_channel()``, and
``settings.MESSAGING_CHANNELS`` says which kind carries email and which carries texts."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from carebond.messaging.channels.base import Channel


def channel_for(channel: str) -> Channel:
    """The configured plug-in for ``email`` or ``sms``."""
    kind = settings.MESSAGING_CHANNELS[channel]
    module = import_module(f"carebond.messaging.channels.{kind}")
    made: Channel = module.make_channel()
    return made
