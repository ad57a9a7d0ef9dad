"""System checks of the vetting app."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from vetting.constants import DEMO_USERS


@register(Tags.security, Tags.database)
def demo_users_check(app_configs=None, databases=None, **kwargs):
    """Warn when demo users are in the database but their logins are switched off.

    Like Django's own database checks it only queries when asked for a database
    (``check --database default``, ``migrate``), so ``check --deploy`` in CI needs no
    database. One indexed query; an unmigrated database is skipped quietly.
    """
    if (
        settings.DEMO_USERS_ALLOWED
        or not databases
        or DEFAULT_DB_ALIAS not in databases
    ):
        return []
    from vetting.services import DEMO_EMAIL_DOMAIN

    try:
        found = sorted(
            get_user_model()
            .objects.filter(
                username__in=DEMO_USERS, email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
            )
            .values_list("username", flat=True)
        )
    except DatabaseError:
        return []
    if not found:
        return []
    return [
        Warning(
            f"Demo users exist ({', '.join(found)}) but DEMO_USERS_ALLOWED is off.",
            hint=(
                "Their published demo passwords are refused at login, but the accounts "
                "should not live in this database: deactivate or delete them."
            ),
            id="vetting.W001",
        )
    ]
