from django.urls import URLPattern, URLResolver, path

from carebond.messaging import (
    campaign_views,
    secure_note_views,
    unsubscribe_views,
    views,
    webhooks,
)

app_name = "messaging"

urlpatterns: list[URLPattern | URLResolver] = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<uuid:conversation_id>/", views.conversation, name="conversation"),
    path("inbox/<uuid:conversation_id>/reply/", views.reply, name="reply"),
    path("inbox/<uuid:conversation_id>/note/", views.add_note, name="add_note"),
    path("inbox/<uuid:conversation_id>/assign/", views.assign, name="assign"),
    path("inbox/<uuid:conversation_id>/link/", views.link, name="link"),
    path("inbox/<uuid:conversation_id>/status/", views.set_status, name="set_status"),
    path("revocations/<uuid:request_id>/", views.decide_revocation, name="decide_revocation"),
    path("campaigns/", campaign_views.campaigns, name="campaigns"),
    path("campaigns/new/", campaign_views.new_campaign, name="new_campaign"),
    path("campaigns/<uuid:campaign_id>/", campaign_views.campaign, name="campaign"),
    path(
        "campaigns/<uuid:campaign_id>/launch/",
        campaign_views.launch_campaign,
        name="launch_campaign",
    ),
    path(
        "campaigns/<uuid:campaign_id>/cancel/",
        campaign_views.cancel_campaign,
        name="cancel_campaign",
    ),
    path("templates/", views.templates, name="templates"),
    path("office-hours/", views.office_hours, name="office_hours"),
    path("inbox-capacity/", views.inbox_capacity, name="inbox_capacity"),
    path("inbox/take-next/", views.take_next, name="take_next"),
    path("templates/<uuid:template_id>/", views.edit_template, name="edit_template"),
    path("unsubscribe/<str:token>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
    path("secure/<uuid:note_id>/", secure_note_views.secure_note, name="secure_note"),
    path("sms/inbound", webhooks.sms_inbound, name="sms_inbound"),
    path("email/inbound", webhooks.email_inbound, name="email_inbound"),
    path("sms/status", webhooks.sms_status, name="sms_status"),
]
