from django.urls import path

from lk_core.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.pay, name="pay"),
    path("history/", views.history, name="history"),
    path("autopay/", views.autopay_page, name="autopay"),
    path("autopay/<int:mandate_id>/", views.autopay_change, name="autopay-change"),
    path("webhooks/<str:acquirer>/", views.webhook, name="webhook"),
    path("<uuid:public_id>/", views.payment_return, name="return"),
]
