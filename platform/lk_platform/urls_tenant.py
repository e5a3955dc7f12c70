"""URLs of a utility's host: the resident portal, its API and the staff console."""

from django.urls import include, path

from lk_platform.admin_sites import staff_console
from themes.views import branding_asset, branding_css

urlpatterns = [
    path("branding.css", branding_css, name="branding_css"),
    path("branding/<str:kind>", branding_asset, name="branding_asset"),
    path("staff/", staff_console.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/integration/", include("integrations.billing.urls")),
    path("api/v1/", include("lk_core.api.urls")),
    path("", include("lk_core.identity.urls")),
    path("notifications/", include("lk_core.notifications.urls")),
    path("payments/", include("lk_core.payments.urls")),
    path("payments/sandbox/", include("integrations.payments.sandbox_urls")),
    path("", include("lk_core.portal.urls")),
]
