from django.urls import path, re_path

from lk_core.identity import views

urlpatterns = [
    path("register/", views.register, name="identity-register"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account_page, name="identity-account"),
    path("account/switch/", views.account_switch, name="identity-account-switch"),
    path("account/link/", views.account_link, name="identity-account-link"),
    path("password/change/", views.password_change, name="password-change"),
    path("password/reset/", views.password_reset, name="password-reset"),
    re_path(r"^password/(?P<kind>reset|setup)/(?P<uidb64>[0-9A-Za-z_\-]+)/(?P<token>[0-9a-z\-]+)/$",
            views.password_link, name="password-link"),
    path("email/change/", views.email_change, name="email-change"),
    path("email/confirm/<str:token>/", views.email_confirm, name="email-confirm"),
    path("rules/", views.rules_page, name="rules"),
    path("rules/accept/", views.rules_accept, name="rules-accept"),
]
