"""Writes to accounts: users, MFA devices, API tokens. Each audits inside its transaction."""

from __future__ import annotations

import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.http import urlsafe_base64_decode
from django.utils.text import slugify
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from carebond.accounts.models import ApiToken, User, hash_token
from carebond.accounts.selectors import locked_out_usernames
from carebond.accounts.tasks import send_password_reset
from carebond.audit.models import AuditEvent, Outcome
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Department, Location, Organization, validate_time_zone
from carebond.core.permissions import Role

RECOVERY_CODE_COUNT = 10
TOKEN_PREFIX = "cb"  # noqa: S105  (a public marker, not a secret)


def check_create_user(
    organization: Organization,
    *,
    username: str,
    role: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_demo_account: bool = False,
    acting_user: User | None,
) -> User:
    if role not in Role.values:
        raise InvalidInput(
            f"Unknown role {role!r}; choose one of: {', '.join(Role.values)}.", field="role"
        )
    if not username or len(username) > 150:
        raise InvalidInput("A username of 1 to 150 characters is required.", field="username")
    if User.objects.filter(username=username).exists():
        raise RuleViolation(f"The username {username!r} is taken.", code="username_taken")
    candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field="password") from error
    return do_create_user(
        organization,
        username=username,
        role=role,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_demo_account=is_demo_account,
        acting_user=acting_user,
    )


@transaction.atomic
def do_create_user(
    organization: Organization,
    *,
    username: str,
    role: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_demo_account: bool = False,
    acting_user: User | None,
) -> User:
    """Audit: user.created."""
    user = User(
        organization=organization,
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_demo_account=is_demo_account,
    )
    user.set_password(password)
    try:
        with transaction.atomic():  # a concurrent sign-up with the same name loses cleanly
            user.save()
    except IntegrityError as error:
        raise RuleViolation(
            f"The username {username!r} is taken.", code="username_taken"
        ) from error
    record_audit(
        actor=acting_user,
        action="user.created",
        target=user,
        organization=organization,
        changed_fields=["username", "role", "email", "first_name", "last_name"],
        actor_label=None if acting_user else "cli",
    )
    return user


@transaction.atomic
def do_set_password(user: User, *, password: str, acting_user: User | None) -> User:
    """Audit: user.password_set. Other sessions of the user end (Django rotates the hash)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record_audit(
        actor=acting_user,
        action="user.password_set",
        target=user,
        changed_fields=["password"],
        actor_label=None if acting_user else "cli",
    )
    return user


def _delete_sessions_of(user: User) -> int:
    """Sessions are signed blobs keyed by session key; find the user's by decoding each one."""
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=clock.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def do_disable_user(user: User, *, acting_user: User | None) -> User:
    """Audit: user.disabled. Side effects: every session and API token of the user is revoked."""
    user.is_active = False
    user.disabled_at = clock.now()
    user.save(update_fields=["is_active", "disabled_at"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    _delete_sessions_of(user)
    record_audit(
        actor=acting_user,
        action="user.disabled",
        target=user,
        changed_fields=["is_active"],
        actor_label=None if acting_user else "cli",
    )
    return user


def check_disable_user(user: User, *, acting_user: User) -> User:
    if user.pk == acting_user.pk:
        raise RuleViolation("You cannot disable your own account.", code="disable_self")
    if not user.is_active:
        raise RuleViolation("This account is already disabled.", code="already_disabled")
    return do_disable_user(user, acting_user=acting_user)


@transaction.atomic
def do_enable_user(user: User, *, acting_user: User | None) -> User:
    """Audit: user.enabled."""
    user.is_active = True
    user.disabled_at = None
    user.save(update_fields=["is_active", "disabled_at"])
    record_audit(
        actor=acting_user, action="user.enabled", target=user, changed_fields=["is_active"]
    )
    return user


@transaction.atomic
def do_create_api_token(user: User, *, name: str, acting_user: User | None) -> tuple[ApiToken, str]:
    """Audit: api_token.created. Returns the secret, which is never stored and never shown again."""
    prefix = secrets.token_hex(6)  # 48 bits: collisions are not a practical concern
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100] or "API token", prefix=prefix, token_hash=hash_token(secret)
    )
    record_audit(
        actor=acting_user,
        action="api_token.created",
        target=token,
        organization=user.organization,
        actor_label=None if acting_user else "cli",
    )
    return token, secret


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, acting_user: User | None) -> ApiToken:
    """Audit: api_token.revoked."""
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        record_audit(
            actor=acting_user,
            action="api_token.revoked",
            target=token,
            organization=token.user.organization,
            changed_fields=["revoked_at"],
            actor_label=None if acting_user else "cli",
        )
    return token


def authenticate_api_token(secret: str) -> User | None:
    """The user behind a bearer token, or None for an unknown, malformed or revoked one."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.active().select_related("user").filter(prefix=parts[1]).first()
    if token is None or not secrets.compare_digest(token.token_hash, hash_token(secret)):
        return None
    # Recorded at most once a minute, to keep reads cheap.
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- MFA ------------------------------------------------------------------------------------


def get_or_create_unconfirmed_totp(user: User) -> TOTPDevice:
    """The device shown as a QR code during enrolment; confirmed only by a correct code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def has_confirmed_totp(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def check_confirm_totp(user: User, *, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm enrolment with a code from the app; returns the new recovery codes (shown once).

    Not atomic itself: a failed attempt must leave its audit row behind."""
    device = get_or_create_unconfirmed_totp(user)
    if not code.strip().isdigit() or not device.verify_token(code.strip()):
        record_audit(
            actor=user, action="auth.mfa_enrolment_failed", target=user, outcome=Outcome.FAILURE
        )
        raise InvalidInput(
            "That code does not match. Check the time on your phone and enter the current "
            "6-digit code.",
            field="code",
        )
    return do_confirm_totp(user, device=device, acting_user=user)


@transaction.atomic
def do_confirm_totp(
    user: User, *, device: TOTPDevice, acting_user: User
) -> tuple[TOTPDevice, list[str]]:
    """Audit: auth.mfa_enrolled. Replaces any earlier devices and recovery codes."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = do_regenerate_recovery_codes_unaudited(user)
    record_audit(actor=acting_user, action="auth.mfa_enrolled", target=user)
    return device, codes


def do_regenerate_recovery_codes_unaudited(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def do_regenerate_recovery_codes(user: User, *, acting_user: User) -> list[str]:
    """Audit: auth.recovery_codes_regenerated."""
    codes = do_regenerate_recovery_codes_unaudited(user)
    record_audit(actor=acting_user, action="auth.recovery_codes_regenerated", target=user)
    return codes


def check_reset_mfa(user: User, *, acting_user: User) -> User:
    if user.pk == acting_user.pk:
        raise RuleViolation("Another administrator must reset your own MFA.", code="reset_own_mfa")
    return do_reset_mfa(user, acting_user=acting_user)


@transaction.atomic
def do_reset_mfa(user: User, *, acting_user: User | None) -> User:
    """Audit: auth.mfa_reset. The user enrols again at next sign-in (lost phone). Their API
    tokens are revoked too, as when the account is disabled: a lost phone may mean a lost
    laptop, and a token skips the second factor."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    _delete_sessions_of(user)
    record_audit(
        actor=acting_user,
        action="auth.mfa_reset",
        target=user,
        actor_label=None if acting_user else "cli",
    )
    return user


def record_sign_in_event(
    user: User | None, *, action: str, outcome: str = Outcome.SUCCESS, username: str = ""
) -> None:
    """Sign-in, MFA and sign-out events (HIPAA 164.312(b) asks for them in the audit trail).

    A failed password names no actor, but when the username exists the event is filed under
    that account's organisation, so its administrators see attempts on their accounts."""
    account = user or User.objects.filter(username=username).select_related("organization").first()
    record_audit(
        actor=user,
        action=action,
        target=account,
        outcome=outcome,
        organization=account.organization if account else None,
        # What was typed is never stored when it names no account: it may be a password typed
        # into the wrong box, and the audit trail is append-only.
        actor_label=account.username if account else "unknown username",
    )


# --- passwords, roles, lockouts ------------------------------------------------------------


def _checked_password(password: str, user: User, *, field: str) -> str:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field=field) from error
    return password


def check_change_own_password(user: User, *, current: str, new: str) -> User:
    """Changing one's own password needs the current one (a session left open is not enough)."""
    if not user.check_password(current):
        raise InvalidInput("Your current password is not correct.", field="current_password")
    if current == new:
        raise InvalidInput("Choose a password you have not used here.", field="new_password")
    return do_set_password(
        user, password=_checked_password(new, user, field="new_password"), acting_user=user
    )


def find_user_for_password_reset(identifier: str) -> User | None:
    """The active account a 'forgot password' request names, by username or email; None
    when there is no such account or several share the email (the page says the same)."""
    text = identifier.strip()
    if not text:
        return None
    by_username = User.objects.filter(username=text, is_active=True).first()
    if by_username is not None:
        return by_username
    by_email = list(User.objects.filter(email__iexact=text, is_active=True)[:2])
    return by_email[0] if len(by_email) == 1 else None


@transaction.atomic
def do_send_password_reset(user: User, *, reset_url: str, acting_user: User | None) -> None:
    """Audit: user.password_reset_sent. Side effect: after commit, the worker emails a link
    that works once, for PASSWORD_RESET_TIMEOUT seconds (accounts.tasks.send_password_reset)."""
    if not user.email:
        raise RuleViolation(
            f"{user.username} has no email address to send a link to.", code="no_email"
        )
    record_audit(
        actor=acting_user,
        action="user.password_reset_sent",
        target=user,
        organization=user.organization,
        actor_label=None if acting_user else "forgot-password page",
    )
    transaction.on_commit(lambda: send_password_reset.enqueue(user_id=user.pk, reset_url=reset_url))


# A forgotten-password page cannot flood an inbox or the audit trail: a few links an hour.
RESET_EMAILS_PER_HOUR = 3


def check_request_password_reset(user: User, *, reset_url: str) -> None:
    """The forgotten-password page: a link for the account, unless it had enough this hour
    (nothing is said either way; the page answers the same)."""
    since = clock.now() - timedelta(hours=1)
    recent = AuditEvent.objects.filter(
        action="user.password_reset_sent", target_id=str(user.public_id), occurred_at__gte=since
    ).count()
    if recent < RESET_EMAILS_PER_HOUR and user.email:
        do_send_password_reset(user, reset_url=reset_url, acting_user=None)


def user_from_reset_link(uid: str, token: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def check_reset_password(uid: str, token: str, *, new: str) -> User:
    """The link's user chooses a new password. Audit: user.password_set (by themselves)."""
    user = user_from_reset_link(uid, token)
    if user is None:
        raise RuleViolation(
            "This link has expired or was already used. Ask for a new one.", code="reset_expired"
        )
    do_set_password(
        user, password=_checked_password(new, user, field="new_password"), acting_user=user
    )
    _delete_sessions_of(user)  # whoever knew the old password is signed out
    return user


@transaction.atomic
def check_change_role(user: User, *, role: str, acting_user: User) -> User:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    if user.pk == acting_user.pk:
        raise RuleViolation(
            "Another administrator must change your own role.", code="change_own_role"
        )
    if role == user.role:
        raise RuleViolation(f"{user.username} already has this role.", code="same_role")
    # Lock the organisation's administrators first: two administrators demoting each other at
    # once would otherwise each see the other and leave none.
    admins = list(
        User.objects.select_for_update()
        .filter(organization_id=user.organization_id, role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if user.role == Role.ADMIN and [pk for pk in admins if pk != user.pk] == []:
        raise RuleViolation("An organisation keeps at least one administrator.", code="last_admin")
    return do_change_role(user, role=role, acting_user=acting_user)


@transaction.atomic
def do_change_role(user: User, *, role: str, acting_user: User | None) -> User:
    """Audit: user.role_changed. The new role applies to the next request (sessions and API
    tokens carry no role of their own)."""
    user.role = role
    user.save(update_fields=["role"])
    record_audit(
        actor=acting_user, action="user.role_changed", target=user, changed_fields=["role"]
    )
    return user


def is_locked_out(user: User) -> bool:
    return user.username in locked_out_usernames([user.username])


@transaction.atomic
def do_unlock_user(user: User, *, acting_user: User | None) -> User:
    """Audit: user.unlocked. The failed sign-ins that locked the account are forgotten."""
    axes_reset(username=user.username)
    record_audit(actor=acting_user, action="user.unlocked", target=user)
    return user


# --- organisations, locations, departments ------------------------------------------------
# Tenancy structure lives in core's models; its writes are here, above the audit layer.


def check_create_organization(*, name: str, time_zone: str, slug: str = "") -> Organization:
    if not name.strip():
        raise InvalidInput("An organisation needs a name.", field="name")
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field="time_zone") from error
    slug = slug or slugify(name)[:60]
    if Organization.objects.filter(slug=slug).exists():
        raise RuleViolation(f"An organisation with the slug {slug!r} exists.", code="slug_taken")
    return do_create_organization(name=name.strip(), time_zone=time_zone, slug=slug)


@transaction.atomic
def do_create_organization(*, name: str, time_zone: str, slug: str) -> Organization:
    """Audit: organization.created (by the command line; organisations have no creator user)."""
    organization = Organization.objects.create(name=name, time_zone=time_zone, slug=slug)
    record_audit(
        actor=None,
        action="organization.created",
        target=organization,
        organization=organization,
        actor_label="cli",
        changed_fields=["name", "slug", "time_zone"],
    )
    return organization


@transaction.atomic
def do_create_location(
    organization: Organization,
    *,
    name: str,
    address: str = "",
    phone: str = "",
    time_zone: str = "",
    acting_user: User | None,
) -> Location:
    """Audit: location.created."""
    location = Location.objects.create(
        organization=organization, name=name, address=address, phone=phone, time_zone=time_zone
    )
    record_audit(
        actor=acting_user,
        action="location.created",
        target=location,
        changed_fields=["name", "address", "phone", "time_zone"],
        actor_label=None if acting_user else "cli",
    )
    return location


@transaction.atomic
def do_create_department(
    organization: Organization,
    *,
    name: str,
    location: Location | None = None,
    acting_user: User | None,
) -> Department:
    """Audit: department.created."""
    if location is not None and location.organization_id != organization.pk:
        raise InvalidInput("Choose a location of this organisation.", field="location")
    department = Department.objects.create(organization=organization, name=name, location=location)
    record_audit(
        actor=acting_user,
        action="department.created",
        target=department,
        changed_fields=["name", "location"],
        actor_label=None if acting_user else "cli",
    )
    return department
