"""Loading the signed-in user on every request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from carebond.accounts.models import User


class UserWithOrganizationBackend(ModelBackend):
    """The user comes with their organisation in one query: every page shows its name and uses
    its time zone."""

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("organization").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
