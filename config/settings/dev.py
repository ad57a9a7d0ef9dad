"""Local development and the embedded demo: DEBUG on, a throwaway secret key."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production"
)
os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: E402,F403
