from django.urls import include, path

from carebond.core import views as core_views
from config.api import api

urlpatterns = [
    path("", include("carebond.core.urls")),
    path("accounts/", include("carebond.accounts.urls")),
    path("audit/", include("carebond.audit.urls")),
    path("people/", include("carebond.people.urls")),
    path("people/", include("carebond.touchpoints.urls")),
    path("privacy/", include("carebond.privacy.urls")),
    path("people/", include("carebond.interop.record_urls")),
    path("value-maps/", include("carebond.value_maps.urls")),
    path("schedule/", include("carebond.scheduling.urls")),
    path("visit/", include("carebond.scheduling.public_urls")),
    path("book/", include("carebond.scheduling.selfbooking_urls")),
    path("analytics/health/", include("carebond.analytics.health_urls")),
    path("analytics/", include("carebond.analytics.urls")),
    path("surveys/", include("carebond.surveys.urls")),
    path("survey/", include("carebond.surveys.public_urls")),
    path("you-said-we-did/", include("carebond.surveys.said_urls")),
    path("messaging/", include("carebond.messaging.urls")),
    path("billing/", include("carebond.billing.urls")),
    path("imports/", include("carebond.interop.page_urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include("carebond.interop.urls")),
    path("fhir/R4", include("carebond.interop.base_urls")),  # POST [base] without the slash
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
]

handler400 = "carebond.core.views.bad_request"
handler403 = "carebond.core.views.permission_denied"
handler404 = "carebond.core.views.page_not_found"
handler500 = "carebond.core.views.server_error"
