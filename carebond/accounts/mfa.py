"""Whether a signed-in request has passed the second factor."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def demo_mfa_skip_enabled() -> bool:
    return bool(getattr(settings, "CAREBOND_DEMO", False))


def mfa_satisfied(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    # django_otp's middleware adds is_verified(); a user signed in during this very request
    # (by the password step) has not passed a device yet.
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    # Demo accounts sign in with a password alone, and only while CAREBOND_DEMO=1.
    return demo_mfa_skip_enabled() and bool(getattr(user, "is_demo_account", False))
