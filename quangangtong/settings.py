"""Django settings for 全岗通, read from the environment (see .env.example)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from quangangtong.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("QGT_DATA_DIR", "var")).resolve()

DEBUG = env_bool("QGT_DEBUG", False)
SECRET_KEY = env_str("QGT_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "QGT_SECRET_KEY is not set. Production needs a long random value; "
            "`qgt demo` makes one for you under QGT_DATA_DIR."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"
ALLOWED_HOSTS = env_list("QGT_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("QGT_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "quangangtong.accounts.admin_config.HallAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "quangangtong.accounts",
    "quangangtong.hall",
    "quangangtong.catalog",
    "quangangtong.workdays",
    "quangangtong.queueing",
    "quangangtong.cases",
    "quangangtong.notify",
    "quangangtong.planner",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "quangangtong.admission.DatabaseBusyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quangangtong.urls"
WSGI_APPLICATION = "quangangtong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "quangangtong.accounts.context_processors.roles",
            ],
        },
    },
]


def _database(url, *, pool_size=0):
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("QGT_DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"QGT_DATABASE_URL={url!r} is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the displays read while a window writes; IMMEDIATE takes the write lock
        # at BEGIN so two kiosks never deadlock upgrading a read lock. A writer waits up to 20 s for the
        # lock (longer than a request may queue for admission); past that it is answered 503, busy.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql" and pool_size > 0:
        # Each process's request threads and its live feed's thread borrow connections from a pool sized for
        # them (QGT_CONCURRENT_REQUESTS + 2): a broken connection is replaced, and the total stays bounded.
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": pool_size, "timeout": 10}
    return config


DATABASE_URL = env_str("QGT_DATABASE_URL", f"sqlite:///{DATA_DIR / 'qgt.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL, pool_size=env_int("QGT_DB_POOL_SIZE", 8))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "guide-home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_SECURE = env_bool("QGT_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("QGT_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("QGT_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("QGT_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("QGT_HSTS_PRELOAD", False)
# Behind the hall's TLS proxy: trust its X-Forwarded-Proto, and the last X-Forwarded-For entry it adds.
QGT_BEHIND_PROXY = env_bool("QGT_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if QGT_BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env_list("QGT_SILENCED_CHECKS")

QGT_HALL_NAME = env_str("QGT_HALL_NAME", "前进区政务服务大厅")
# How long a server process trusts an API token it has checked (revocations elsewhere take this long).
QGT_TOKEN_CACHE_SECONDS = env_int("QGT_TOKEN_CACHE_SECONDS", 5)
# Requests one server process runs at once (the rest queue; quangangtong/admission.py), and how long one may
# queue before it is answered 503. Each running request holds a database connection.
QGT_CONCURRENT_REQUESTS = env_int("QGT_CONCURRENT_REQUESTS", 4)
QGT_ADMISSION_WAIT_SECONDS = env_int("QGT_ADMISSION_WAIT_SECONDS", 10)
# Failed public progress look-ups one client address may make per window before it is answered 429.
QGT_PUBLIC_LOOKUP_FAILURES = env_int("QGT_PUBLIC_LOOKUP_FAILURES", 5)
QGT_PUBLIC_LOOKUP_WINDOW_SECONDS = env_int("QGT_PUBLIC_LOOKUP_WINDOW_SECONDS", 600)

# The planner page: worker processes per simulation (0: one per core), minutes without a heartbeat before a run is
# shown as interrupted; QGT_PLANNER_SYNC runs a simulation inside the request (tests only).
QGT_PLANNER_WORKERS = env_int("QGT_PLANNER_WORKERS", 0) or None
QGT_PLANNER_STALE_MINUTES = env_int("QGT_PLANNER_STALE_MINUTES", 3)
QGT_PLANNER_SYNC = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("QGT_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Text messages to applicants (quangangtong/notify): console (the log), file (JSON lines) or http (an SMS gateway).
QGT_NOTIFY_BACKEND = env_str("QGT_NOTIFY_BACKEND", "console")
if QGT_NOTIFY_BACKEND not in {"console", "file", "http"}:
    raise ImproperlyConfigured(f"QGT_NOTIFY_BACKEND={QGT_NOTIFY_BACKEND!r} is not one of console, file, http.")
QGT_NOTIFY_FILE = DATA_DIR / env_str("QGT_NOTIFY_FILE", "sms-outbox.jsonl")
QGT_NOTIFY_MAX_ATTEMPTS = env_int("QGT_NOTIFY_MAX_ATTEMPTS", 5)
QGT_SMS_SIGNATURE = env_str("QGT_SMS_SIGNATURE", "全岗通").strip().strip("【】")
if not QGT_SMS_SIGNATURE:
    raise ImproperlyConfigured("QGT_SMS_SIGNATURE is empty: each message starts with the hall's sign, e.g. 全岗通.")
QGT_SMS_URL = env_str("QGT_SMS_URL")
QGT_SMS_API_KEY = env_str("QGT_SMS_API_KEY")
QGT_SMS_TIMEOUT = env_int("QGT_SMS_TIMEOUT", 10)
if QGT_SMS_TIMEOUT < 1 or QGT_NOTIFY_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("QGT_SMS_TIMEOUT (seconds) and QGT_NOTIFY_MAX_ATTEMPTS must be at least 1.")
if QGT_NOTIFY_BACKEND == "http" and not (QGT_SMS_URL.startswith(("http://", "https://")) and QGT_SMS_API_KEY):
    raise ImproperlyConfigured("QGT_NOTIFY_BACKEND=http needs QGT_SMS_URL (http:// or https://) and QGT_SMS_API_KEY.")
