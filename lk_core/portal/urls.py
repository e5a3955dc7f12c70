from django.urls import path

from lk_core.portal import views

urlpatterns = [
    path("", views.home, name="home"),
]
