"""Email that leaves after the request: a password-reset link, sent by the worker, so that the
page answers at once and the same way whether or not the account exists."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from carebond.accounts.models import User


@task()
def send_password_reset(user_id: int, reset_url: str) -> None:
    """Ids in. The link's token is made here, at sending time, and never stored: it works once,
    for PASSWORD_RESET_TIMEOUT seconds, and dies when the password changes."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reset_url.format(uid=uid, token=default_token_generator.make_token(user))
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Hello {user.first_name or user.username},\n\n"
        f"Someone asked to reset the CareBond password of {user.username}. To choose a new "
        f"password, open this link within {minutes} minutes:\n\n{link}\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is. "
        "Your two-step sign-in is not changed by a new password.\n"
    )
    send_mail("Reset your CareBond password", body, None, [user.email])
