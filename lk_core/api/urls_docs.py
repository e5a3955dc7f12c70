"""/api/schema/, /api/docs/ and the JSON 404 for every other /api/ path."""

from django.urls import path, re_path

from lk_core.api import docs_views

urlpatterns = [
    path("schema/", docs_views.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs_views.DocsView.as_view(), name="api-docs"),
    re_path(r"^.*$", docs_views.NotFoundView.as_view(), name="api-not-found"),
]
