from django.urls import path

from lk_core.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", views.home, name="portal-home"),  # LOGIN_REDIRECT_URL; the dashboard later
]
