"""Sign-in, MFA, sign-out, personal API tokens and the admin's user management pages."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from carebond.accounts import actions
from carebond.accounts.access import access_own_api_token, access_user
from carebond.accounts.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    CodeForm,
    ForgotPasswordForm,
    NewPasswordForm,
    NewUserForm,
    RoleForm,
    SignInForm,
)
from carebond.accounts.mfa import demo_mfa_skip_enabled, mfa_satisfied
from carebond.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from carebond.accounts.models import User
from carebond.accounts.selectors import list_api_tokens, list_users
from carebond.audit.models import Outcome
from carebond.core import clock
from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, InvalidInput, NotFound
from carebond.core.forms import show_error
from carebond.core.permissions import ADMINS, ANY_STAFF, PENDING_MFA, PUBLIC, page_policy

NEXT = "carebond_next"


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def _after_mfa(request: HttpRequest) -> HttpResponse:
    return redirect(_safe_next(request, request.session.pop(NEXT, None)) or "core:home")


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and mfa_satisfied(request):
        return redirect("core:home")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            user = authenticate(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            if getattr(request, "axes_locked_out", False):
                return locked_out(request)
            if user is None:
                actions.record_sign_in_event(
                    None,
                    action="auth.login_failed",
                    outcome=Outcome.FAILURE,
                    username=form.cleaned_data["username"],
                )
                form.add_error(None, "The username or password is incorrect.")
                status = 401
            else:
                assert isinstance(user, User)
                login(request, user)
                now = int(clock.now().timestamp())
                request.session[SIGNED_IN_AT] = now
                request.session[LAST_SEEN_AT] = now
                request.session[NEXT] = _safe_next(request, request.GET.get("next"))
                actions.record_sign_in_event(user, action="auth.password_verified")
                if mfa_satisfied(request):
                    actions.record_sign_in_event(user, action="auth.login")
                    return _after_mfa(request)
                return redirect("accounts:mfa")
        else:
            status = 400
    return render(
        request,
        "accounts/sign_in.html",
        {
            "form": form,
            "demo_mode": demo_mfa_skip_enabled(),
        },
        status=status,
    )


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes calls this once an account and address reach the failure limit."""
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    form = SignInForm(request.POST or None)
    form.errors.clear()
    form.add_error(
        None,
        f"Too many failed sign-ins. Try again in {minutes} minutes, or ask an "
        "administrator to unlock the account.",
    )
    return render(
        request,
        "accounts/sign_in.html",
        {
            "form": form,
            "demo_mode": demo_mfa_skip_enabled(),
        },
        status=403,
    )


@page_policy(PENDING_MFA)
@require_http_methods(["GET", "POST"])
def mfa(request: HttpRequest) -> HttpResponse:
    """Second factor: a TOTP code, or a single-use recovery code."""
    user = signed_in_user(request)
    if mfa_satisfied(request):
        return _after_mfa(request)
    if not actions.has_confirmed_totp(user):
        return redirect("accounts:mfa_enrol")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            code = form.cleaned_data["code"].strip()
            device = match_token(user, code)
            if device is not None:
                otp_login(request, device)
                actions.record_sign_in_event(user, action="auth.login")
                if device.__class__.__name__ == "StaticDevice":
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        f"You used a recovery code; {left} remain. "
                        "Create new ones from your account page.",
                    )
                return _after_mfa(request)
            actions.record_sign_in_event(user, action="auth.mfa_failed", outcome=Outcome.FAILURE)
            form.add_error(
                "code",
                "That code is not valid. Enter the current 6-digit code "
                "from your authenticator app, or a recovery code.",
            )
            status = 401
        else:
            status = 400
    return render(request, "accounts/mfa.html", {"form": form}, status=status)


@page_policy(PENDING_MFA)
@require_http_methods(["GET", "POST"])
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code, confirm one code, receive recovery codes once."""
    user = signed_in_user(request)
    if actions.has_confirmed_totp(user) and not user.is_verified():  # type: ignore[attr-defined]
        return redirect("accounts:mfa")
    device = actions.get_or_create_unconfirmed_totp(user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                device, codes = actions.check_confirm_totp(user, code=form.cleaned_data["code"])
            except CareBondError as error:
                form.add_error("code", error.message)
                status = 422
            else:
                otp_login(request, device)
                actions.record_sign_in_event(user, action="auth.login")
                return render(request, "accounts/recovery_codes.html", {"codes": codes})
        else:
            status = 400
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "qr_svg": qr.svg_inline(scale=5, title="QR code for your authenticator app"),
            "secret": _base32_secret(device.bin_key),
        },
        status=status,
    )


def _base32_secret(key: bytes) -> str:
    raw = base64.b32encode(key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@page_policy(PENDING_MFA)
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User):
        actions.record_sign_in_event(user, action="auth.logout")
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@page_policy(ANY_STAFF)
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: API tokens (create, revoke) and recovery codes."""
    user = signed_in_user(request)
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _, new_secret = actions.do_create_api_token(
                user, name=form.cleaned_data["name"], acting_user=user
            )
            form = ApiTokenForm()
        else:
            status = 400
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "tokens": list_api_tokens(user=user),
            "new_secret": new_secret,
        },
        status=status,
    )


@page_policy(ANY_STAFF)
@require_POST
def revoke_token(request: HttpRequest, token_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    token = access_own_api_token(user, token_id)
    actions.do_revoke_api_token(token, acting_user=user)
    messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("accounts:account")


@page_policy(ANY_STAFF)
@require_POST
def regenerate_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    codes = actions.do_regenerate_recovery_codes(user, acting_user=user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@page_policy(ADMINS)
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    acting = signed_in_user(request)
    form = NewUserForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = actions.check_create_user(
                    acting.organization, acting_user=acting, **form.cleaned_data
                )
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, f"{created.username} can now sign in and enrol MFA.")
                return redirect("accounts:users")
        else:
            status = 400
    return render(
        request,
        "accounts/users.html",
        {
            "form": form,
            "users": list_users(user=acting),
        },
        status=status,
    )


@page_policy(ADMINS)
@require_http_methods(["GET"])
def user_detail(request: HttpRequest, user_id: UUID) -> HttpResponse:
    acting = signed_in_user(request)
    subject = access_user(acting, user_id)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": subject,
            "mfa_enrolled": actions.has_confirmed_totp(subject),
            "locked_out": actions.is_locked_out(subject),
            "role_form": RoleForm(initial={"role": subject.role}),
        },
    )


@page_policy(ADMINS)
@require_POST
def user_action(request: HttpRequest, user_id: UUID, verb: str) -> HttpResponse:
    acting = signed_in_user(request)
    subject = access_user(acting, user_id)
    if verb not in {"disable", "enable", "reset-mfa", "unlock", "send-reset", "role"}:
        raise NotFound("No such action.")
    # A refused action raises; the error middleware shows its message with its status (409).
    if verb == "disable":
        actions.check_disable_user(subject, acting_user=acting)
        messages.success(request, f"{subject.username} is disabled and signed out everywhere.")
    elif verb == "enable":
        actions.do_enable_user(subject, acting_user=acting)
        messages.success(request, f"{subject.username} can sign in again.")
    elif verb == "unlock":
        actions.do_unlock_user(subject, acting_user=acting)
        messages.success(request, f"{subject.username} can try to sign in again.")
    elif verb == "send-reset":
        actions.do_send_password_reset(subject, reset_url=_reset_url(request), acting_user=acting)
        messages.success(request, f"A password-reset link is on its way to {subject.email}.")
    elif verb == "role":
        form = RoleForm(request.POST)
        if not form.is_valid():
            raise InvalidInput("Choose one of the roles.", field="role")
        actions.check_change_role(subject, role=form.cleaned_data["role"], acting_user=acting)
        messages.success(
            request, f"{subject.username} is now: {subject.get_role_display().lower()}."
        )
    else:
        actions.check_reset_mfa(subject, acting_user=acting)
        messages.success(
            request,
            f"{subject.username} will enrol MFA at next sign-in; their API tokens are revoked.",
        )
    return redirect("accounts:user_detail", user_id=subject.public_id)


def _reset_url(request: HttpRequest) -> str:
    """The reset link's address, with {uid} and {token} left for the email to fill in. From
    CAREBOND_BASE_URL when set (never from a Host header an attacker could send), else from
    the request (whose host ALLOWED_HOSTS has checked)."""
    path = reverse("accounts:reset_password", kwargs={"uid": "UID", "token": "TOKEN"})
    base = settings.BASE_URL.rstrip("/")
    url = base + path if base else request.build_absolute_uri(path)
    return url.replace("UID", "{uid}").replace("TOKEN", "{token}")


@page_policy(ANY_STAFF)
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    """The user's own new password; this session stays signed in, every other one ends."""
    user = signed_in_user(request)
    form = ChangePasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.check_change_own_password(
                    user,
                    current=form.cleaned_data["current_password"],
                    new=form.cleaned_data["new_password"],
                )
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                update_session_auth_hash(request, user)
                messages.success(
                    request, "Your password is changed; other sessions are signed out."
                )
                return redirect("accounts:account")
        else:
            status = 400
    return render(request, "accounts/change_password.html", {"form": form}, status=status)


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not the account exists, so the
    page cannot be used to find out who works here."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = actions.find_user_for_password_reset(form.cleaned_data["identifier"])
        if user is not None:
            actions.check_request_password_reset(user, reset_url=_reset_url(request))
        return render(request, "accounts/forgot_password_sent.html")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/forgot_password.html", {"form": form}, status=status)


RESET_SESSION_KEY = "password_reset_token"
RESET_TOKEN_IN_SESSION = "set"  # noqa: S105  (a path word: the token is in the session)


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """Choose a new password from an emailed link (it works once, for an hour). The token moves
    from the address into the session at once, so it is never in a log line or a Referer."""
    if token != RESET_TOKEN_IN_SESSION:
        if actions.user_from_reset_link(uid, token) is None:
            return render(request, "accounts/reset_password_expired.html", status=400)
        request.session[RESET_SESSION_KEY] = token
        return redirect("accounts:reset_password", uid=uid, token=RESET_TOKEN_IN_SESSION)
    token = request.session.get(RESET_SESSION_KEY, "")
    if actions.user_from_reset_link(uid, token) is None:
        return render(request, "accounts/reset_password_expired.html", status=400)
    form = NewPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.check_reset_password(uid, token, new=form.cleaned_data["new_password"])
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                request.session.pop(RESET_SESSION_KEY, None)
                messages.success(request, "Your password is changed. Sign in with it now.")
                return redirect("accounts:login")
        else:
            status = 400
    return render(request, "accounts/reset_password.html", {"form": form}, status=status)
