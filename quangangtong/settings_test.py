"""Settings for the test suite: SQLite by default, PostgreSQL when QGT_TEST_DATABASE_URL is set."""

import os
import tempfile

os.environ.setdefault("QGT_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("QGT_DEBUG", "0")
os.environ.setdefault("QGT_SECURE_COOKIES", "0")

from quangangtong.settings import *
from quangangtong.settings import _database

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
if os.environ.get("QGT_TEST_DATABASE_URL"):
    DATABASES = {"default": _database(os.environ["QGT_TEST_DATABASE_URL"])}
else:
    DATABASES = {"default": _database("sqlite:///:memory:")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the live server starts a thread per request
    # A file, not SQLite's shared in-memory database: that one answers a second writer "database table is
    # locked" at once instead of waiting, so the concurrency tests' threads could not share it. Costs ~3%.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"qgt-test-{os.getpid()}.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
