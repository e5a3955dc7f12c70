from django.urls import path, re_path

from lk_core.api import (
    appeal_views,
    auth_views,
    billing_views,
    content_views,
    identity_views,
    inbox_views,
    meter_views,
    notification_views,
    payment_views,
    views,
)

app_name = "api"
urlpatterns = [
    path("utility/", views.UtilityBrandingView.as_view(), name="utility"),
    # signing in, devices
    path("auth/token/", auth_views.TokenView.as_view(), name="token"),
    path("auth/refresh/", auth_views.RefreshView.as_view(), name="refresh"),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/sessions/", auth_views.DeviceSessionListView.as_view(), name="sessions"),
    path("auth/sessions/<int:session_id>/", auth_views.DeviceSessionDetailView.as_view(),
         name="session"),
    # registration and passwords
    path("auth/password/reset/", identity_views.PasswordResetView.as_view(),
         name="password-reset"),
    path("auth/password/set/", identity_views.PasswordSetView.as_view(), name="password-set"),
    path("auth/password/change/", identity_views.PasswordChangeView.as_view(),
         name="password-change"),
    path("register/", identity_views.RegistrationView.as_view(), name="register"),
    # linked accounts, rules, settings
    path("accounts/", identity_views.AccountListView.as_view(), name="accounts"),
    path("accounts/switch/", identity_views.AccountSwitchView.as_view(), name="account-switch"),
    path("accounts/link/", identity_views.AccountLinkView.as_view(), name="account-link"),
    path("rules/", identity_views.RulesView.as_view(), name="rules"),
    path("rules/acceptance/", identity_views.RulesAcceptanceView.as_view(),
         name="rules-acceptance"),
    path("settings/", identity_views.SettingsView.as_view(), name="settings"),
    path("settings/email/", identity_views.EmailChangeView.as_view(), name="email-change"),
    path("settings/notifications/", notification_views.NotificationPreferenceView.as_view(),
         name="notification-preferences"),
    # payments
    path("payments/", payment_views.PaymentListView.as_view(), name="payments"),
    path("payments/autopay/", payment_views.AutopayListView.as_view(), name="autopay"),
    path("payments/autopay/<int:mandate_id>/", payment_views.AutopayDetailView.as_view(),
         name="autopay-detail"),
    path("payments/<uuid:public_id>/", payment_views.PaymentDetailView.as_view(),
         name="payment"),
    # dashboard, invoices, charges, receipts
    path("dashboard/", billing_views.DashboardView.as_view(), name="dashboard"),
    path("invoices/", billing_views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<int:invoice_id>/", billing_views.InvoiceDetailView.as_view(),
         name="invoice"),
    path("charges/", billing_views.ChargesView.as_view(), name="charges"),
    re_path(r"^receipts/(?P<period>[0-9]{4}-[0-9]{2})/$", billing_views.ReceiptView.as_view(),
            name="receipt"),
    # meters and readings
    path("meters/", meter_views.MeterListView.as_view(), name="meters"),
    path("meters/<int:meter_id>/", meter_views.MeterDetailView.as_view(), name="meter"),
    path("meters/<int:meter_id>/readings/", meter_views.ReadingListView.as_view(),
         name="meter-readings"),
    # appeals
    path("appeals/categories/", appeal_views.AppealCategoryListView.as_view(),
         name="appeal-categories"),
    path("appeals/", appeal_views.AppealListView.as_view(), name="appeals"),
    path("appeals/<int:appeal_id>/", appeal_views.AppealDetailView.as_view(), name="appeal"),
    path("appeals/<int:appeal_id>/reply/", appeal_views.AppealReplyView.as_view(),
         name="appeal-reply"),
    path("appeals/<int:appeal_id>/close/", appeal_views.AppealCloseView.as_view(),
         name="appeal-close"),
    path("appeals/files/<str:token>/", appeal_views.AppealAttachmentView.as_view(),
         name="appeal-attachment"),
    # the resident's inbox
    path("notifications/", inbox_views.InboxListView.as_view(), name="inbox"),
    path("notifications/read/", inbox_views.InboxReadAllView.as_view(), name="inbox-read-all"),
    path("notifications/<int:message_id>/read/", inbox_views.InboxReadView.as_view(),
         name="inbox-read"),
    # help
    path("help/", content_views.HelpIndexView.as_view(), name="help"),
    path("help/<slug:slug>/", content_views.HelpPageView.as_view(), name="help-page"),
]
