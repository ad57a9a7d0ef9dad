"""Fixtures of the REST API tests (the builders are in ``tests/api/world.py``)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.world import World, program_world, session_client
from tests.reports import world as w
from vetting.constants import ROLE_ADMIN, ROLE_ANALYST, ROLE_MEDICAL


@pytest.fixture
def world(db) -> World:
    a = program_world("Program A", 4)
    b = program_world("Program B", 3)
    return World(
        a=a,
        b=b,
        analyst=w.user(ROLE_ANALYST, username="analyst", programs=[a.program]),
        medical=w.user(ROLE_MEDICAL, username="medical", programs=[a.program]),
        admin=w.user(ROLE_ADMIN, username="admin", programs=[a.program]),
        outsider=w.user(ROLE_ANALYST, username="outsider", programs=[b.program]),
    )


@pytest.fixture
def as_analyst(world) -> APIClient:
    return session_client(world.analyst)


@pytest.fixture
def as_outsider(world) -> APIClient:
    return session_client(world.outsider)


@pytest.fixture
def fresh_statements():
    """The API's compiled statements (``common.api``) built anew for the test."""
    from common import api

    api._statements.clear()
    yield
    api._statements.clear()
