"""Identity resolution on the database: accounts_link, account_link_decide, the task
and the command."""

from io import StringIO
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from influencers import linking
from influencers.linking_services import (
    account_link_decide,
    accounts_link,
    clinician_inputs,
)
from influencers.models import ClinicianTaxonomy, SocialAccount
from tests.influencers.factories import (
    ClinicianFactory,
    SocialAccountFactory,
    SpecialtyFactory,
)

pytestmark = pytest.mark.django_db

Method = SocialAccount.LinkMethod
Status = SocialAccount.LinkStatus


@pytest.fixture
def cardiology():
    return SpecialtyFactory(
        code="207RC0000X",
        classification="Internal Medicine",
        specialization="Cardiovascular Disease",
    )


@pytest.fixture
def jane(cardiology):
    return ClinicianFactory(
        first_name="JANE",
        last_name="ROE",
        credential="MD",
        primary_specialty=cardiology,
        practice_city="AUSTIN",
        practice_state="TX",
    )


@pytest.fixture
def john(cardiology):
    return ClinicianFactory(
        first_name="JOHN",
        last_name="SMITH",
        credential="DO",
        primary_specialty=cardiology,
        practice_city="DALLAS",
        practice_state="TX",
    )


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(username="rita", password="x")


def unlinked(**kw) -> SocialAccount:
    kw.setdefault("display_name", "")
    kw.setdefault("bio", "")
    return SocialAccountFactory(
        clinician=None, link_method="", link_confidence=None, **kw
    )


def test_the_pure_method_names_are_the_model_choices():
    assert {linking.NPI_IN_BIO, linking.LICENSE_IN_BIO, linking.NAME_SPECIALTY} <= set(
        Method.values
    )


def test_clinician_inputs_carry_taxonomies_and_licences(jane):
    ClinicianTaxonomy.objects.create(
        clinician=jane,
        position=1,
        taxonomy_code="207RC0000X",
        specialty=jane.primary_specialty,
        is_primary=True,
        license_number="Q1234",
        license_state="TX",
    )
    (row,) = clinician_inputs()
    assert row.key == jane.pk and row.npi == jane.npi
    assert row.taxonomies == (
        linking.Taxonomy.of("Internal Medicine", "Cardiovascular Disease"),
    )
    assert row.licenses == (("TX", "Q1234"),)


def test_it_links_by_npi_and_by_name_and_records_the_evidence(jane, john):
    by_npi = unlinked(display_name="HeartDoc", bio=f"Cardiology | NPI {jane.npi}")
    by_name = unlinked(
        display_name="Dr. John Smith", bio="Cardiologist in Dallas, TX. Views my own."
    )
    nobody = unlinked(display_name="Runner", bio="Mom of two.")

    report = accounts_link()

    assert (report.accounts, report.linked, report.new_links) == (3, 2, 2)
    assert report.by_method == {"name_specialty": 1, "npi_in_bio": 1}
    by_npi.refresh_from_db()
    assert (by_npi.clinician, by_npi.link_method) == (jane, Method.NPI_IN_BIO)
    assert by_npi.link_evidence["npi_in_bio"] == jane.npi
    assert by_npi.link_status == Status.UNREVIEWED
    by_name.refresh_from_db()
    assert (by_name.clinician, by_name.link_method) == (john, Method.NAME_SPECIALTY)
    assert 0.5 <= by_name.link_confidence <= 0.9
    assert by_name.link_evidence["specialty_terms"] == ["cardiologist"]
    assert by_name.link_evidence["location"] == "Dallas, TX"
    nobody.refresh_from_db()
    assert nobody.clinician is None and nobody.link_evidence == {}


def test_a_second_run_changes_nothing(jane):
    account = unlinked(display_name="Dr. Jane Roe", bio=f"NPI {jane.npi}")
    accounts_link()
    account.refresh_from_db()
    stamp = account.updated_at

    report = accounts_link()

    assert (report.updated, report.unchanged, report.new_links) == (0, 1, 0)
    account.refresh_from_db()
    assert account.updated_at == stamp


@pytest.mark.parametrize(
    ("status", "method"),
    [
        (Status.CONFIRMED, Method.NAME_SPECIALTY),
        (Status.REJECTED, Method.NPI_IN_BIO),
        (Status.UNREVIEWED, Method.MANUAL),
    ],
)
def test_reviewed_and_manual_links_are_never_touched(jane, john, status, method):
    account = SocialAccountFactory(
        clinician=john,
        link_method=method,
        link_confidence=0.6,
        link_status=status,
        display_name="Dr. Jane Roe",
        bio=f"NPI {jane.npi}",
    )

    report = accounts_link()

    assert (report.accounts, report.skipped_reviewed) == (0, 1)
    account.refresh_from_db()
    assert (account.clinician, account.link_method) == (john, method)


def test_it_only_matches_the_accounts_asked_for(jane):
    asked = unlinked(display_name="Dr. Jane Roe", bio=f"NPI {jane.npi}")
    other = unlinked(display_name="Dr. Jane Roe", bio=f"NPI {jane.npi}")

    report = accounts_link(account_ids=[asked.pk])

    assert report.accounts == 1
    other.refresh_from_db()
    assert other.clinician is None


def test_a_changed_bio_relinks_and_keeps_the_old_link_in_history(jane, john):
    account = unlinked(display_name="HeartDoc", bio=f"NPI {jane.npi}")
    accounts_link()
    SocialAccount.objects.filter(pk=account.pk).update(bio=f"NPI {john.npi}")

    report = accounts_link()

    assert report.relinked == 1
    account.refresh_from_db()
    assert account.clinician == john
    (old,) = account.link_evidence["history"]
    assert (old["npi"], old["method"], old["by"]) == (jane.npi, "npi_in_bio", "matcher")


def test_a_link_the_evidence_no_longer_supports_is_removed(jane):
    account = unlinked(display_name="HeartDoc", bio=f"NPI {jane.npi}")
    accounts_link()
    SocialAccount.objects.filter(pk=account.pk).update(bio="Coffee and long shifts")

    report = accounts_link()

    assert report.unlinked == 1
    account.refresh_from_db()
    assert (account.clinician, account.link_method, account.link_confidence) == (
        None,
        "",
        None,
    )
    assert account.link_evidence["history"][0]["npi"] == jane.npi


# --- reviewer decisions -----------------------------------------------------------------


def test_a_reviewer_confirms_a_link(jane, reviewer):
    account = SocialAccountFactory(clinician=jane, link_confidence=0.55)

    account = account_link_decide(
        account=account, user=reviewer, decision="confirm", note="checked the NPI"
    )

    account.refresh_from_db()
    assert account.link_status == Status.CONFIRMED
    assert account.link_reviewed_by == reviewer
    assert account.link_reviewed_at is not None
    assert account.link_confidence == 0.55  # a confirmation does not invent certainty
    assert account.link_evidence["review"]["note"] == "checked the NPI"
    assert account.link_evidence["history"][-1]["status"] == Status.UNREVIEWED
    passed, _ = linking.identity_gate(
        npi=jane.npi,
        npi_status=jane.npi_status,
        entity_type=jane.entity_type,
        credential=jane.credential,
        link_status=account.link_status,
        link_confidence=account.link_confidence,
    )
    assert passed


def test_a_reject_needs_a_note(jane, reviewer):
    account = SocialAccountFactory(clinician=jane)
    with pytest.raises(ValidationError):
        account_link_decide(account=account, user=reviewer, decision="reject", note=" ")
    account.refresh_from_db()
    assert account.link_status == Status.UNREVIEWED


def test_a_rejected_link_stays_on_record_and_the_matcher_leaves_it(jane, reviewer):
    account = SocialAccountFactory(
        clinician=jane, display_name="Dr. Jane Roe", bio=f"NPI {jane.npi}"
    )

    account_link_decide(
        account=account, user=reviewer, decision="reject", note="impostor account"
    )
    accounts_link()

    account.refresh_from_db()
    assert (account.clinician, account.link_status) == (jane, Status.REJECTED)
    assert account.link_evidence["review"]["decision"] == "reject"


def test_a_reviewer_links_by_hand(jane, john, reviewer):
    account = SocialAccountFactory(clinician=jane, link_confidence=0.6)

    account_link_decide(
        account=account,
        user=reviewer,
        decision="confirm",
        note="his practice page links here",
        clinician=john,
    )

    account.refresh_from_db()
    assert (account.clinician, account.link_method) == (john, Method.MANUAL)
    assert (account.link_confidence, account.link_status) == (1.0, Status.CONFIRMED)
    assert account.link_evidence["history"][-1]["npi"] == jane.npi


@pytest.mark.parametrize(
    ("decision", "clinician_given"),
    [("maybe", False), ("confirm", False), ("reject", False), ("reject", True)],
)
def test_impossible_decisions_are_refused(john, reviewer, decision, clinician_given):
    account = unlinked()
    with pytest.raises(ValidationError):
        account_link_decide(
            account=account,
            user=reviewer,
            decision=decision,
            note="n",
            clinician=john if clinician_given else None,
        )


# --- task and command -------------------------------------------------------------------


def test_the_task_runs_the_service_on_the_default_queue(jane):
    from influencers.tasks import accounts_link as task

    account = unlinked(display_name="Dr. Jane Roe", bio=f"NPI {jane.npi}")
    assert task.queue == "default"

    result = task(account_ids=[account.pk])

    assert result["linked"] == 1
    with mock.patch.object(task, "apply_async") as sent:
        task.delay()
    sent.assert_called_once()


def test_the_command_prints_the_report(jane):
    unlinked(display_name="Dr. Jane Roe", bio=f"NPI {jane.npi}")
    out = StringIO()
    call_command("link_accounts", stdout=out)
    assert "1 linked" in out.getvalue()
    assert "npi_in_bio: 1" in out.getvalue()
