from django.urls import path

from integrations.payments import sandbox_views

app_name = "sandbox"
urlpatterns = [
    path("<str:charge_id>/", sandbox_views.hosted_page, name="page"),
]
