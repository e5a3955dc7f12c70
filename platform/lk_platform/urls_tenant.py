"""URLs of a utility's host: the resident portal, its API and the staff console."""

from django.urls import include, path

from lk_core.portal import views as portal_views
from lk_platform.admin_sites import staff_console
from themes.views import branding_asset, branding_css

urlpatterns = [
    path("branding.css", branding_css, name="branding_css"),
    path("branding/<str:kind>", branding_asset, name="branding_asset"),
    path("staff/", staff_console.urls),
    path("i18n/setlang/", portal_views.language_set, name="set_language"),
    path("api/v1/integration/", include("integrations.billing.urls")),
    path("api/v1/", include("lk_core.api.urls")),
    path("api/", include("lk_core.api.urls_docs")),
    path("", include("lk_core.identity.urls")),
    path("notifications/", include("lk_core.notifications.urls")),
    path("payments/", include("lk_core.payments.urls")),
    path("payments/sandbox/", include("integrations.payments.sandbox_urls")),
    path("", include("lk_core.portal.urls")),
]

handler500 = "lk_core.api.exceptions.server_error"  # JSON error shape under /api/
