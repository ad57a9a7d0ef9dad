"""Shared fixtures: paths to the bundled reference data and persona users."""

from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return Path(settings.REFERENCE_DATA_DIR)


@pytest.fixture(autouse=True)
def role_groups(request):
    """Every database test starts with the six role groups of DESIGN 7.

    The data migration creates them, but a transactional test ends with a flush that
    empties auth_group for the tests after it (and ``serialized_rollback`` cannot
    restore them under Playwright's event loop), so put them back before each test.
    """
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")
    from vetting.services import roles_ensure

    roles_ensure()


@pytest.fixture
def celery_worker_factory(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start real ``celery worker`` processes on the test database (see tests/workers.py);
    every one is stopped at the end of the test."""
    from tests.workers import celery_worker_factory_impl

    yield from celery_worker_factory_impl(
        django_db_setup, django_db_blocker, tmp_path_factory
    )
