"""Test settings: only test concerns differ. Database and broker come from env."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key")
os.environ.setdefault("DJANGO_DEBUG", "false")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Tests may create demo users and check that they are refused with DEBUG off, or
# allowed when a test flips this on.
DEMO_USERS_ALLOWED = False
# Ingest tests run real workers; a test that wants the post-ingest scan turns it on.
LISTENING_POST_INGEST_TASKS: list[str] = []
