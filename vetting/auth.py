"""Authentication backend that refuses the demo users unless DEBUG demo mode is on."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from vetting.constants import DEMO_USERS, demo_password


class DemoAwareModelBackend(ModelBackend):
    """The normal model backend, except that a demo user signing in with the
    well-known demo password is refused when ``DEMO_USERS_ALLOWED`` is off (it is off
    whenever DEBUG is off), so a demo credential can never open a production system."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if (
            not settings.DEMO_USERS_ALLOWED
            and username in DEMO_USERS
            and password == demo_password(username)
        ):
            return None
        return super().authenticate(
            request, username=username, password=password, **kwargs
        )
