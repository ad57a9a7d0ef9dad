"""The API's scope (``vetting.api.selectors.scope_for_user``) is the pages' rule
(``vetting.selectors.scope_to_user_programs``): the same rows for every kind of
user, over every kind of row the API scopes by account."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from compliance.models import AdverseEventCase, Finding
from influencers.models import SocialAccount
from listening.models import Post
from tests.reports import world as w
from vetting.api.selectors import scope_for_user
from vetting.constants import ROLE_ANALYST
from vetting.models import VettingCase
from vetting.selectors import scope_to_user_programs

pytestmark = pytest.mark.django_db

QUERYSETS = {
    "accounts": (SocialAccount, "pk"),
    "posts": (Post, "author"),
    "findings": (Finding, "post__author"),
    "ae-cases": (AdverseEventCase, "post__author"),
}


def _users(world):
    both = w.user(ROLE_ANALYST, username="both", programs=[world.a.program])
    world.b.program.members.add(both)
    superuser = w.user(ROLE_ANALYST, username="root")
    superuser.is_superuser = True
    superuser.save()
    nobody = w.user(ROLE_ANALYST, username="nobody")
    return {
        "member of A": world.analyst,
        "member of B": world.outsider,
        "member of both": both,
        "superuser": superuser,
        "member of none": nobody,
        "anonymous": AnonymousUser(),
    }


@pytest.mark.parametrize("kind", sorted(QUERYSETS))
def test_the_api_scope_is_the_pages_rule(world, kind):
    model, path = QUERYSETS[kind]
    # a case puts forward an account that is not scored in its program
    unscored = world.b.accounts[0]
    VettingCase.objects.create(
        program=world.a.program, clinician=unscored.clinician, account=unscored
    )
    seen = {}
    for label, user in _users(world).items():
        ours = set(
            scope_for_user(model.objects.all(), user, account_path=path).values_list(
                "pk", flat=True
            )
        )
        pages = set(
            scope_to_user_programs(
                model.objects.all(), user, account_path=path
            ).values_list("pk", flat=True)
        )
        assert ours == pages, label
        seen[label] = ours
    assert seen["member of A"] and seen["member of B"]
    assert seen["member of A"] != seen["member of B"]
    assert seen["member of both"] == seen["member of A"] | seen["member of B"]
    assert seen["superuser"] == set(model.objects.values_list("pk", flat=True))
    assert seen["member of none"] == seen["anonymous"] == set()
