from django.urls import path

from lk_core.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", views.home, name="portal-home"),  # LOGIN_REDIRECT_URL: the dashboard
    path("invoices/", views.invoices, name="portal-invoices"),
    path("invoices/<int:invoice_id>/", views.invoice, name="portal-invoice"),
    path("charges/", views.charges, name="portal-charges"),
    path("charges.csv", views.charges_csv, name="portal-charges-csv"),
    path("receipts/<int:year>-<int:month>.pdf", views.receipt_pdf, name="portal-receipt"),
    path("meters/", views.meters, name="portal-meters"),
    path("meters/<int:meter_id>/", views.meter, name="portal-meter"),
    path("meters/<int:meter_id>/submit/", views.meter_submit, name="portal-meter-submit"),
    path("appeals/", views.appeals, name="portal-appeals"),
    path("appeals/new/", views.appeal_new, name="portal-appeal-new"),
    path("appeals/<int:appeal_id>/", views.appeal, name="portal-appeal"),
    path("appeals/<int:appeal_id>/reply/", views.appeal_reply, name="portal-appeal-reply"),
    path("appeals/<int:appeal_id>/close/", views.appeal_close, name="portal-appeal-close"),
    path("appeals/files/<str:token>/", views.appeal_attachment, name="portal-attachment"),
    path("notifications/", views.inbox, name="portal-inbox"),
    path("notifications/read/", views.inbox_read_all, name="portal-inbox-read-all"),
    path("settings/", views.settings_page, name="portal-settings"),
    path("help/", views.help_index, name="portal-help"),
    path("help/<slug:slug>/", views.help_page, name="portal-help-page"),
]
