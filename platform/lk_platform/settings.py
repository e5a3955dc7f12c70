"""One settings module, driven by the environment (see README "Configuration").

Secrets may also come from files: for any variable NAME, NAME_FILE names a file holding it.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository root
VAR_DIR = Path(os.environ.get("LK_VAR_DIR", BASE_DIR / "var"))


def _load_dotenv(path: Path) -> None:
    """KEY=VALUE lines from the repository's .env (written by `make demo`); the real
    environment wins. Production images have no .env and use the environment alone."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# pytest (8.2+) announces itself in PYTEST_VERSION; the suite gets fast hashing and files
# for e-mail without any extra environment.
TESTING = env_bool("LK_TESTING", "PYTEST_VERSION" in os.environ)
DEV_SECRET_KEY = "dev-insecure-key-only-for-the-demo-and-tests-never-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY") or (DEV_SECRET_KEY if (DEBUG or TESTING) else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README).")

# Keyed hashes of identity proofs (passport numbers) use their own secret, so rotating
# SECRET_KEY (sessions, signing) does not invalidate every imported passport hash.
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY") or SECRET_KEY
# Billing export windows end this many seconds before "now" (see docs/exchange-format.md).
BILLING_EXPORT_SETTLE_SECONDS = int(env("BILLING_EXPORT_SETTLE_SECONDS", "5") or 0)
BILLING_UPLOAD_MAX_BYTES = int(env("BILLING_UPLOAD_MAX_BYTES", str(512 * 1024 * 1024)) or 0)
# Seconds a pushed (queued) import waits for another import of the tenant; 0: refused.
BILLING_PUSH_LOCK_WAIT = float(env("BILLING_PUSH_LOCK_WAIT", "0") or 0)
# A run `running` this long with nobody holding the tenant's import lock is marked failed
# (its worker died). Keep it above BILLING_PUSH_LOCK_WAIT.
BILLING_IMPORT_STALE_SECONDS = int(env("BILLING_IMPORT_STALE_SECONDS", "1800") or 0)
# The adapter the scheduled pull fetches packages with (lk_core knows only the protocol).
BILLING_PACKAGE_FETCHER = env("BILLING_PACKAGE_FETCHER",
                              "integrations.billing.pull.HttpPackageFetcher")

PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", "localhost")
PLATFORM_NAME = env("PLATFORM_NAME", "ЛК ЖКХ")
# Port in links the platform writes (e-mails, receipts); empty behind a proxy on 443.
PUBLIC_PORT = env("PUBLIC_PORT", "")
# Utilities may bring their own domains, so the host allowlist is the Domain table:
# tenants.middleware answers any host it does not know with a plain 404 before anything
# reads the host. ALLOWED_HOSTS can narrow it further.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or ["*"]

# --- database ---------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
EMBEDDED_DATABASE = not DATABASE_URL
if EMBEDDED_DATABASE:
    from lk_platform.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(VAR_DIR / "pgdata")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = int(env("DB_CONN_MAX_AGE", "60") or 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- tenancy ----------------------------------------------------------------------------
TENANT_MODEL = "tenants.Utility"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_TEMPLATE_SCHEMA = "utility_template"  # migrated like a tenant, cloned for new ones
TENANT_LIMIT_SET_CALLS = True  # one SET search_path per request, not one per query
PUBLIC_SCHEMA_URLCONF = "lk_platform.urls_public"
ROOT_URLCONF = "lk_platform.urls_tenant"

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "lk_core.users",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served by the platform, no CDN
    "lk_platform",
    "themes",
    "django_tasks",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "lk_core.users",
    "lk_core.billing",
    "lk_core.meters",
    "lk_core.portal",
    "lk_core.identity",
    "integrations.billing",
    "lk_core.notifications",
    "lk_core.payments",
    "integrations.payments",
    "lk_core.staff",
    "lk_core.devices",
    "lk_core.api",
    "lk_core.appeals",
    "lk_core.receipts",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

MIDDLEWARE = [
    "lk_platform.middleware.HealthCheckMiddleware",
    "lk_platform.middleware.ProxiedClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.middleware.UtilityMiddleware",
    "lk_platform.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lk_core.identity.middleware.IdentityGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.LifecycleMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "themes" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "themes.context_processors.branding",
            ],
        },
    }
]
WSGI_APPLICATION = "lk_platform.wsgi.application"
ASGI_APPLICATION = "lk_platform.asgi.application"

# --- users, passwords -------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 stays the algorithm; cheaper parameters keep the suite fast.
    PASSWORD_HASHERS = ["lk_platform.hashers.FastArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"  # a path: it must resolve on the platform host and on utility hosts
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "lk_core.identity.backends.AccountNumberBackend",  # residents: account number + password
]

# --- i18n, time -------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Moscow"  # the platform's; each utility has its own (Utility.timezone)
USE_TZ = True

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # uploaded files live under media/<schema>/
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root

# --- cache: keys carry the tenant's schema ----------------------------------------------
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": (
            "django.core.cache.backends.redis.RedisCache"
            if REDIS_URL
            else "django.core.cache.backends.locmem.LocMemCache"
        ),
        "LOCATION": REDIS_URL or "lk-default",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
BROKER_URL = env("BROKER_URL") or env("CELERY_BROKER_URL") or ""

# --- background work (docs/tasks.md, docs/adr/0004-task-layer.md) -----------------------
# immediate: in-process after commit (the demo, no broker); celery / dramatiq: a worker.
TASK_ENGINE = env("TASK_ENGINE") or ("celery" if BROKER_URL else "immediate")
if TASK_ENGINE not in {"immediate", "celery", "dramatiq"}:
    raise ImproperlyConfigured("TASK_ENGINE must be immediate, celery or dramatiq.")
if TASK_ENGINE != "immediate" and not BROKER_URL:
    raise ImproperlyConfigured(f"TASK_ENGINE={TASK_ENGINE} needs BROKER_URL.")
# Prefix of broker keys / queue names, so two deployments (or two test runs) can share a
# Redis or a RabbitMQ without eating each other's messages.
TASK_NAMESPACE = env("TASK_NAMESPACE") or (f"lk-test-{os.getpid()}" if TESTING else "lk")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "lk_platform.tasks.immediate.OnCommitImmediateBackend",
            "celery": "lk_platform.tasks.celery_backend.CeleryBackend",
            "dramatiq": "lk_platform.tasks.dramatiq_backend.DramatiqBackend",
        }[TASK_ENGINE],
        "QUEUES": ["default", "notifications", "periodic"],
        "OPTIONS": {"BROKER_URL": BROKER_URL, "NAMESPACE": TASK_NAMESPACE},
    }
}
# The scheduler's tick (seconds) and the outbox's retry policy.
SCHEDULER_TICK_SECONDS = int(env("SCHEDULER_TICK_SECONDS", "60") or 60)

# --- notifications (docs/tasks.md) ------------------------------------------------------
SMS_GATEWAYS = {
    "console": "integrations.sms.console.ConsoleGateway",
    "smsru": "integrations.sms.smsru.SmsRuGateway",
    "smsc": "integrations.sms.smsc.SmscGateway",
}
# Appeal routes' delivery kinds -> forwarder (lk_core/appeals/forwarding.py).
APPEAL_FORWARDERS = {
    "email": "integrations.appeals.email.EmailForwarder",
    "webhook": "integrations.appeals.webhook.WebhookForwarder",
}
# Webhook URLs must be https, except in development and tests (a local receiver).
APPEAL_WEBHOOK_ALLOW_HTTP = env_bool("APPEAL_WEBHOOK_ALLOW_HTTP", DEBUG or TESTING)
# URLs staff configure (appeal webhooks, billing pull sources) may point at loopback,
# private, link-local or reserved addresses only in development and tests (a local
# receiver); production refuses them when saved and when sent (lk_platform/outbound.py).
OUTBOUND_ALLOW_PRIVATE_NETWORKS = env_bool("OUTBOUND_ALLOW_PRIVATE_NETWORKS", DEBUG or TESTING)
SMSRU_API_URL = env("SMSRU_API_URL", "https://sms.ru")
SMSC_API_URL = env("SMSC_API_URL", "https://smsc.ru")

# --- e-mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if (DEBUG or TESTING)
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"no-reply@{PLATFORM_DOMAIN}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- payments (docs/payments.md) ------------------------------------------------------
# Fernet keys for secrets at rest (acquirer credentials, appeal webhook secrets),
# comma-separated, newest first; older keys only decrypt (rotation: prepend a new key, run
# `rotate_credentials`, drop the old one).
CREDENTIALS_KEY = env_list("CREDENTIALS_KEY")
# The built-in sandbox acquirer is refused in production settings unless a tenant is in
# test mode; DEBUG and the test suite count as non-production.
PAYMENTS_SANDBOX_ANYWHERE = env_bool("PAYMENTS_SANDBOX_ANYWHERE", DEBUG or TESTING)
# Acquirer API addresses; only tests and staging point them elsewhere.
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")
YOOKASSA_API_URL = env("YOOKASSA_API_URL", "https://api.yookassa.ru/v3")
PAYMENTS_PENDING_RECONCILE_MINUTES = int(env("PAYMENTS_PENDING_RECONCILE_MINUTES", "15") or 15)

# --- security ---------------------------------------------------------------------------
SECURE_HTTPS = env_bool("SECURE_HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_DOMAIN = None  # host-only: a utility's cookie never reaches another host
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_NAME = "lk_session"
CSRF_COOKIE_NAME = "lk_csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# How many reverse proxies in front of the web process append to X-Forwarded-For (0: the
# client connects directly). Per-IP rate limits use the address this yields.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0") or 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if SECURE_HTTPS else "0") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Content-Security-Policy: everything from the portal's own host, nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the mobile app needs nothing else, and HTML pages would need inline script.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The resident API's views (lk_core.api.base) set its error shape, pagination and
    # throttles themselves, so other DRF APIs (the billing integration) keep their own.
    "DEFAULT_THROTTLE_RATES": {
        "auth": env("API_THROTTLE_AUTH", "20/min"),    # sign-in, refresh, registration
        "read": env("API_THROTTLE_READ", "300/min"),
        "write": env("API_THROTTLE_WRITE", "60/min"),
        "appeals": env("API_THROTTLE_APPEALS", "10/hour"),  # new appeals, per resident
        # Receipt PDFs, per resident, the web page and the API together: each is a render.
        "receipts": env("API_THROTTLE_RECEIPTS", "60/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "lk_core.api.schema.ApiAutoSchema",
    # Throttles key anonymous callers by REMOTE_ADDR, which ProxiedClientAddressMiddleware
    # has already set from trusted proxies; DRF's own X-Forwarded-For reading is forgeable.
    "NUM_PROXIES": 0,
}
# Mobile app tokens (lk_core.devices): a short-lived access token, a long refresh token.
# Ending a resident's sessions (password change/reset, blocking) ends their devices too.
IDENTITY_SESSION_END_HOOKS = ["lk_core.devices.services.device_sessions_end_hook"]
API_ACCESS_TOKEN_SECONDS = int(env("API_ACCESS_TOKEN_SECONDS", "900") or 900)
API_REFRESH_TOKEN_SECONDS = int(env("API_REFRESH_TOKEN_SECONDS", str(60 * 60 * 24 * 30)) or 0)
SPECTACULAR_SETTINGS = {
    "TITLE": "LK resident API",
    "DESCRIPTION": "REST API of a utility's personal account for the mobile app. "
                   "See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["lk_core.api.schema.resident_api_only"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RegistrationMethodEnum": "lk_core.identity.models.RegistrationMethod",
        "PaymentMethodEnum": "lk_core.payments.models.PaymentMethod",
        "AppealStatusEnum": "lk_core.appeals.models.AppealStatus",
        "AppealDestinationEnum": "lk_core.appeals.models.Destination",
        "InvoiceStatusEnum": "lk_core.api.billing_views.INVOICE_STATUSES",
    },
}

# --- logging: every line names its tenant -----------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant_context": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "tenant": {"format": "%(asctime)s %(levelname)s [%(schema_name)s:%(domain_url)s] "
                             "%(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["tenant_context"],
            "formatter": "tenant",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"},
                # WeasyPrint logs every rendering step at INFO: a line per step per receipt.
                "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
