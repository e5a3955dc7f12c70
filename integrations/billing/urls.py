from django.urls import path

from integrations.billing import api

app_name = "billing_integration"
urlpatterns = [
    path("packages/", api.PackagePushView.as_view(), name="packages"),
    path("packages/<int:run_id>/", api.PackageStatusView.as_view(), name="package"),
    path("exports/new/", api.ExportNewView.as_view(), name="export_new"),
    path("exports/range/", api.ExportRangeView.as_view(), name="export_range"),
    path("exports/<int:run_id>/", api.ExportAgainView.as_view(), name="export_again"),
]
