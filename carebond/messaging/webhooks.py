"""The text provider's webhooks: inbound texts and delivery reports. Public URLs (the provider
has no session), so every call must carry the provider's signature (X-Twilio-Signature: an
HMAC of the URL and the posted fields with the account's auth token)."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from carebond.core.errors import CareBondError
from carebond.core.permissions import PUBLIC, page_policy
from carebond.messaging.email_inbound_actions import MAX_EMAIL_BYTES, do_receive_email
from carebond.messaging.inbound_actions import (
    do_receive_text,
    do_record_delivery,
    sender_for_number,
)
from carebond.messaging.models import PROVIDER_ID_LENGTH

logger = logging.getLogger("carebond.messaging")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed(request: HttpRequest) -> bool:
    if not settings.TWILIO_AUTH_TOKEN:
        return False
    url = (
        settings.BASE_URL.rstrip("/") + request.get_full_path()
        if settings.BASE_URL
        else request.build_absolute_uri()
    )
    signature = request.headers.get("X-Twilio-Signature", "")
    params = {key: request.POST.get(key, "") for key in request.POST}
    return bool(RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature))


def _problem(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@page_policy(PUBLIC)
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return _problem(403, "The request's X-Twilio-Signature does not match.")
    missing = [name for name in ("From", "To", "MessageSid") if not request.POST.get(name)]
    if missing:
        return _problem(400, f"Missing field(s): {', '.join(missing)}.")
    if len(request.POST["MessageSid"]) > PROVIDER_ID_LENGTH:
        return _problem(400, f"MessageSid is longer than {PROVIDER_ID_LENGTH} characters.")
    sender = sender_for_number(request.POST["To"])
    if sender is None:
        return _problem(404, "No organisation sends from the number in To.")
    message = do_receive_text(
        sender,
        from_number=request.POST["From"][:254],
        body=request.POST.get("Body", ""),
        provider_id=request.POST["MessageSid"],
    )
    logger.info("Inbound text %s stored", message.public_id)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@page_policy(PUBLIC)
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return _problem(403, "The request's X-Twilio-Signature does not match.")
    missing = [
        name for name in ("From", "MessageSid", "MessageStatus") if not request.POST.get(name)
    ]
    if missing:
        return _problem(400, f"Missing field(s): {', '.join(missing)}.")
    if len(request.POST["MessageSid"]) > PROVIDER_ID_LENGTH:
        return _problem(400, f"MessageSid is longer than {PROVIDER_ID_LENGTH} characters.")
    sender = sender_for_number(request.POST["From"])
    if sender is None:
        return _problem(404, "No organisation sends from the number in From.")
    do_record_delivery(
        sender.organization_id,
        provider_id=request.POST["MessageSid"],
        status=request.POST["MessageStatus"],
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@page_policy(PUBLIC)
@require_POST
def email_inbound(request: HttpRequest) -> HttpResponse:
    """A raw email (message/rfc822) from the mail system, which proves itself with the shared
    token in ``Authorization: Bearer ...`` (CAREBOND_INBOUND_EMAIL_TOKEN; unset: refused)."""
    token = settings.MESSAGING_INBOUND_EMAIL_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        return _problem(403, "The Authorization token does not match.")
    if len(request.body) > MAX_EMAIL_BYTES:
        return _problem(413, f"An email may be at most {MAX_EMAIL_BYTES:,} bytes.")
    try:
        message = do_receive_email(request.body)
    except CareBondError as error:
        return _problem(error.status, error.message)
    return HttpResponse(str(message.public_id), status=201, content_type="text/plain")
