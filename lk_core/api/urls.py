from django.urls import path

from lk_core.api import auth_views, views

app_name = "api"
urlpatterns = [
    path("utility/", views.UtilityBrandingView.as_view(), name="utility"),
    path("auth/token/", auth_views.TokenView.as_view(), name="token"),
    path("auth/refresh/", auth_views.RefreshView.as_view(), name="refresh"),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/sessions/", auth_views.DeviceSessionListView.as_view(), name="sessions"),
    path("auth/sessions/<int:session_id>/", auth_views.DeviceSessionDetailView.as_view(),
         name="session"),
]
