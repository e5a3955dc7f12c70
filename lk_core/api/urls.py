from django.urls import path

from lk_core.api import views

app_name = "api"
urlpatterns = [
    path("utility/", views.UtilityBrandingView.as_view(), name="utility"),
]
