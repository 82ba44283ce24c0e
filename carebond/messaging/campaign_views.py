"""Campaign pages: the list with each campaign's results, a new campaign, and one campaign (a
draft's preview and launch, a launched one's results and cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.messaging import campaign_actions
from carebond.messaging.access import OUTREACH_MANAGERS, access_campaign
from carebond.messaging.actions import ensure_built_in_templates
from carebond.messaging.campaign_selectors import (
    campaign_results,
    list_campaigns,
    preview_campaign,
)
from carebond.messaging.forms import CampaignForm, LaunchForm
from carebond.messaging.models import CampaignStatus, MessageChannel
from carebond.messaging.segments import check_segment

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.messaging.models import Campaign


def _template_choices(user: User) -> list[tuple[str, str]]:
    return [
        (f"{key}:{channel}", f"{name} ({MessageChannel(channel).label.lower()})")
        for key, channel, name in campaign_actions.campaign_templates(user.organization)
    ]


@page_policy(OUTREACH_MANAGERS)
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    rows = [(c, campaign_results(c)) for c in list_campaigns(user.organization_id)]
    return render(request, "messaging/campaigns.html", {"rows": rows})


@page_policy(OUTREACH_MANAGERS)
@require_http_methods(["GET", "POST"])
def new_campaign(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    ensure_built_in_templates(user.organization)  # a new organisation's first campaign
    form = CampaignForm(request.POST or None, templates=_template_choices(user))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            key, channel = data["template"].split(":", 1)
            try:
                campaign = campaign_actions.check_create_campaign(
                    user.organization,
                    name=data["name"],
                    template_key=key,
                    channel=channel,
                    segment={
                        "no_visit_months": data["no_visit_months"],
                        "language": data["language"],
                        "age_band": data["age_band"],
                    },
                    link=data["link"],
                    acting_user=user,
                )
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, "Campaign saved as a draft: check who it reaches.")
                return redirect("messaging:campaign", campaign_id=campaign.public_id)
    return render(request, "messaging/new_campaign.html", {"form": form}, status=status)


@page_policy(OUTREACH_MANAGERS)
@require_GET
def campaign(request: HttpRequest, campaign_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_campaign(user, campaign_id)
    return _campaign_page(request, found, LaunchForm(request.GET or None))


def _campaign_page(
    request: HttpRequest, found: Campaign, launch_form: LaunchForm, *, status: int = 200
) -> HttpResponse:
    user = signed_in_user(request)
    context: dict[str, object] = {
        "campaign": found,
        "described": check_segment(found.segment).describe(),
        "launch_form": launch_form,
    }
    if found.status == CampaignStatus.DRAFT:
        start_at = _start_at(user, launch_form) if launch_form.is_valid() else None
        context["preview"] = preview_campaign(user, found, start_at=start_at)
    else:
        context["results"] = campaign_results(found)
    return render(request, "messaging/campaign.html", context, status=status)


def _start_at(user: User, form: LaunchForm) -> datetime | None:
    """A time typed in the organisation's time zone."""
    start: datetime | None = form.cleaned_data.get("start_at")
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(user.organization.time_zone))
    return start


@page_policy(OUTREACH_MANAGERS)
@require_POST
def launch_campaign(request: HttpRequest, campaign_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_campaign(user, campaign_id)
    form = LaunchForm(request.POST)
    if not form.is_valid():
        return _campaign_page(request, found, form, status=400)
    try:
        queued = campaign_actions.check_launch_campaign(
            found, start_at=_start_at(user, form), acting_user=user
        )
    except CareBondError as error:
        show_error(form, error)
        return _campaign_page(request, found, form, status=error.status)
    messages.success(request, f"Launched: {queued} message{'s' if queued != 1 else ''} queued.")
    return redirect("messaging:campaign", campaign_id=found.public_id)


@page_policy(OUTREACH_MANAGERS)
@require_POST
def cancel_campaign(request: HttpRequest, campaign_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_campaign(user, campaign_id)
    try:
        cancelled = campaign_actions.do_cancel_campaign(found, acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Cancelled; {cancelled} unsent message(s) will not go.")
    return redirect("messaging:campaign", campaign_id=found.public_id)
