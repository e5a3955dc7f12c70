"""URLs of the platform's own host (public schema): the operator console."""

from django.urls import include, path
from django.views.generic import RedirectView

from lk_platform.admin_sites import operator_console

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("console/", operator_console.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
