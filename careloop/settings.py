"""Careloop's one settings module.

Everything that differs between a laptop demo and a production service is read from the
environment through the typed helpers in ``careloop.lib.env``. ``CARELOOP_ENV`` selects the
profile: ``development`` (the default; SQLite under ``var/``, demo shortcuts allowed) or
``production`` (secrets required, HTTPS-only cookies, HSTS, demo shortcuts impossible).
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONCE, NONE, SELF

from careloop.lib.env import EnvError, env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CARELOOP_VAR_DIR", str(BASE_DIR / "var")))

CARELOOP_ENV = env_str("CARELOOP_ENV", "development")
if CARELOOP_ENV not in {"development", "production", "test"}:
    raise EnvError(f"CARELOOP_ENV must be development, production or test, got {CARELOOP_ENV!r}")
PRODUCTION = CARELOOP_ENV == "production"
if not PRODUCTION:
    # The embedded defaults (SQLite file, static root) live under var/; make it on a fresh clone.
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

# Development keys are fixed so a demo database stays readable between runs; production has no
# default, so a forgotten secret stops start-up instead of silently using a published one.
_DEV_SECRET = "careloop-development-only-secret-key-never-use-in-production-0123456789"  # noqa: S105 - development only; production refuses it below
_DEV_FIELD_KEYS = "dev1:ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="
SECRET_KEY = env_str("CARELOOP_SECRET_KEY", None if PRODUCTION else _DEV_SECRET)
CARELOOP_FIELD_KEYS = env_str("CARELOOP_FIELD_KEYS", None if PRODUCTION else _DEV_FIELD_KEYS)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or CARELOOP_FIELD_KEYS == _DEV_FIELD_KEYS):
    raise EnvError("production refuses the development secret key or field keys")

DEBUG = env_bool("CARELOOP_DEBUG", default=False)
ALLOWED_HOSTS = env_list("CARELOOP_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CARELOOP_CSRF_TRUSTED_ORIGINS")
# Demo conveniences (printed TOTP secrets, seeded passwords) exist only outside production.
CARELOOP_DEMO_ALLOWED = not PRODUCTION

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "careloop.accounts",
    "careloop.access",
    "careloop.audit",
    "careloop.consent",
    "careloop.measures",
    "careloop.safety",
    "careloop.sensing",
    "careloop.ops",
    "careloop.care",
    "careloop.messaging",
    "careloop.interventions",
    "careloop.patient",
    "careloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "careloop.ops.middleware.RequestLogMiddleware",
    # Before WhiteNoise, so static files get the policy headers too (WhiteNoise answers them itself).
    "csp.middleware.CSPMiddleware",
    "careloop.ops.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "careloop.patient.middleware.PwaFilesMiddleware",  # the app's worker and manifest: no session, no database
    "django.contrib.sessions.middleware.SessionMiddleware",
    "careloop.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: a patient's pages speak the language of their profile.
    "careloop.patient.middleware.PatientLanguageMiddleware",
    "careloop.patient.middleware.ClearSiteDataOnLogoutMiddleware",
    "careloop.accounts.middleware.StaffMfaRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "careloop.urls"
WSGI_APPLICATION = "careloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "careloop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "careloop.patient.context.patient_app",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_db = parse_database_url(env_str("CARELOOP_DATABASE_URL", f"sqlite:///{VAR_DIR / 'careloop.sqlite3'}"))
DATABASES = {
    "default": {
        "ENGINE": _db.engine,
        "NAME": _db.name,
        "USER": _db.user,
        "PASSWORD": _db.password,
        "HOST": _db.host,
        "PORT": _db.port,
        "CONN_MAX_AGE": env_int("CARELOOP_DB_CONN_MAX_AGE", 0),
        "OPTIONS": dict(_db.options),
        "TEST": {"NAME": env_str("CARELOOP_TEST_DATABASE_NAME", "") or None},
    }
}
if _db.engine.endswith("sqlite3"):
    # IMMEDIATE transactions take the write lock at BEGIN, so the audit chain's read-then-append
    # can never interleave; WAL lets readers continue while one writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People and log-in --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_DISPLAY = "careloop.accounts.models.user_display"
ACCOUNT_ADAPTER = "careloop.accounts.allauth_adapter.CareloopAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# allauth's per-address limit guards against spraying many accounts; the per-account limit is set
# above axes' so that axes, whose lock-outs are stored and auditable, is the one that locks.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,20/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Accounts are provisioned by an administrator (there is no self sign-up), so staff may enrol MFA
# before any e-mail verification round trip; MFA must not wait on e-mail delivery.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_ADAPTER = "careloop.accounts.allauth_adapter.CareloopMFAAdapter"
MFA_TOTP_ISSUER = "Careloop"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# django-axes: a lock-out that really blocks, whichever log-in path is used.
AXES_FAILURE_LIMIT = env_int("CARELOOP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("CARELOOP_LOGIN_COOLOFF_MINUTES", 30, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
# Per-address limits come from allauth's rate limit ("10/m/ip" below); locking whole addresses in
# axes would lock out every clinician behind a clinic's shared NAT after one person's typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "careloop.accounts.lockout.login_name"
AXES_CLIENT_STR_CALLABLE = "careloop.accounts.lockout.client_label"  # no e-mail addresses in logs
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Sessions: an idle timeout (every request renews the cookie) and an absolute lifetime.
SESSION_IDLE_SECONDS = env_int("CARELOOP_SESSION_IDLE_MINUTES", 15, minimum=1) * 60
SESSION_ABSOLUTE_SECONDS = env_int("CARELOOP_SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTP security ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("CARELOOP_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = 63072000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env_bool("CARELOOP_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)

# --- Static files, i18n -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Outside production WhiteNoise serves straight from the source folders, so no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "careloop" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("CARELOOP_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION
                        else "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("CARELOOP_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CARELOOP_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("CARELOOP_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("CARELOOP_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CARELOOP_EMAIL_USE_TLS", default=PRODUCTION)
DEFAULT_FROM_EMAIL = env_str("CARELOOP_EMAIL_FROM", "Careloop <no-reply@careloop.invalid>")

# --- Background tasks -----------------------------------------------------------------------
# One task API (django_tasks); the database backend needs no broker, RQ on Redis scales out.
CARELOOP_TASKS_BACKEND = env_str("CARELOOP_TASKS_BACKEND", "database")
CARELOOP_REDIS_URL = env_str("CARELOOP_REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
if CARELOOP_TASKS_BACKEND not in _TASK_BACKENDS:
    raise EnvError(f"CARELOOP_TASKS_BACKEND must be one of {sorted(_TASK_BACKENDS)}")
TASKS = {"default": _TASK_BACKENDS[CARELOOP_TASKS_BACKEND]}
if CARELOOP_TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": CARELOOP_REDIS_URL}}

# --- Logging: one JSON object a line, never patient content ------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "careloop.lib.jsonlog.JsonFormatter"}},
    "filters": {"drop_request_path": {"()": "careloop.lib.jsonlog.DropRequestPath"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json"},
        "stderr_no_path": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["drop_request_path"]},
    },
    "root": {"handlers": ["stderr"], "level": env_str("CARELOOP_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's request logger prints raw paths; errors are kept with the path dropped, and
        # our request log middleware records every request by route name instead.
        "django.request": {"handlers": ["stderr_no_path"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}

CARELOOP_DATA_DIR = Path(env_str("CARELOOP_DATA_DIR", str(VAR_DIR / "data")))
# Sensor store (docs/sensing.md): Parquet under CARELOOP_DATA_DIR, or the same layout in an S3 bucket.
CARELOOP_SENSOR_STORE = env_str("CARELOOP_SENSOR_STORE", "local")
CARELOOP_S3_BUCKET = env_str("CARELOOP_S3_BUCKET", "")
CARELOOP_S3_PREFIX = env_str("CARELOOP_S3_PREFIX", "careloop")
CARELOOP_S3_ENDPOINT = env_str("CARELOOP_S3_ENDPOINT", "")
CARELOOP_S3_REGION = env_str("CARELOOP_S3_REGION", "")
CARELOOP_S3_ACCESS_KEY = env_str("CARELOOP_S3_ACCESS_KEY", "")
CARELOOP_S3_SECRET_KEY = env_str("CARELOOP_S3_SECRET_KEY", "")
CARELOOP_SENSING_UPLOAD_MAX_MB = env_int("CARELOOP_SENSING_UPLOAD_MAX_MB", 1024, minimum=1)
CARELOOP_BREAK_GLASS_MINUTES = env_int("CARELOOP_BREAK_GLASS_MINUTES", 60, minimum=1)
