import datetime as dt

import factory
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from compliance.models import Product
from influencers.models import Clinician, ReferenceLoad
from tests.reports.factories import (
    ClinicianFactory,
    MedicareSpecialtyCrosswalkFactory,
    PaymentRecordFactory,
    ProductFactory,
    ProductLabelFactory,
    ReferenceLoadFactory,
    SpecialtyFactory,
)
from vetting.constants import ROLE_ANALYST, ROLE_MEDICAL
from vetting.services import user_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 91"


@pytest.fixture
def analyst(client):
    user = user_create(
        username="ana",
        password=PASSWORD,
        role=ROLE_ANALYST,
        first_name="Ana",
        last_name="Lyst",
    )
    client.force_login(user)
    return user


@pytest.fixture
def loaded():
    """A little of every kind of reference data and three loader runs."""
    SpecialtyFactory.create_batch(4)
    MedicareSpecialtyCrosswalkFactory.create_batch(3)
    ClinicianFactory.create_batch(5)
    ClinicianFactory.create_batch(
        2, entity_type=Clinician.EntityType.ORGANIZATION, organization_name="Clinic"
    )
    rx = ProductFactory(
        market_category=Product.MarketCategory.RX, approval_category="NDA"
    )
    ProductLabelFactory.create_batch(2, product=rx)
    ProductLabelFactory(
        product__market_category=Product.MarketCategory.RX,
        product__approval_category="ANDA",
    )
    ProductLabelFactory(product__market_category=Product.MarketCategory.OTC)
    PaymentRecordFactory.create_batch(3)
    now = timezone.now()
    ReferenceLoadFactory(
        loader="nucc", started_at=now - dt.timedelta(days=1), created=9
    )
    ReferenceLoadFactory(loader="nucc", started_at=now, created=0, unchanged=9)
    ReferenceLoadFactory(
        loader="open_payments",
        started_at=now - dt.timedelta(hours=1),
        status=ReferenceLoad.Status.PARTIAL,
        rejected=2,
    )


def test_anonymous_home_redirects_to_login(client):
    response = client.get(reverse("reports:home"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_the_dashboard_links_to_the_reference_page(client, analyst):
    html = client.get(reverse("reports:home")).content.decode()

    assert f'href="{reverse("reports:reference")}"' in html


def test_reference_page_shows_the_loaded_counts(client, analyst, loaded):
    response = client.get(reverse("reports:reference"))

    assert response.status_code == 200
    counts = {item.key: item for item in response.context["counts"]}
    assert counts["specialties"].count == 4
    assert counts["medicare-crosswalk"].count == 3
    assert counts["npi-records"].count == 7
    assert counts["npi-records"].parts == (("individuals", 5), ("organizations", 2))
    assert counts["npi-records"].detail == ""
    assert counts["products"].count == 1
    assert counts["products"].parts == (("label versions", 2),)
    assert counts["other-labels"].count == 2
    assert counts["other-labels"].parts == (
        ("generic Rx", 1),
        ("OTC", 1),
        ("label versions", 2),
    )
    assert counts["open-payments"].count == 3
    assert counts["open-payments"].detail == "$376.50 in program year 2022"
    html = response.content.decode()
    assert 'data-count="npi-records" data-value="7"' in html
    assert "Ana Lyst" in html and ROLE_ANALYST in html


def test_reference_page_shows_only_the_latest_run_of_each_loader(
    client, analyst, loaded
):
    response = client.get(reverse("reports:reference"))

    loads = response.context["loads"]
    assert [(load.loader, load.unchanged) for load in loads] == [
        ("nucc", 9),
        ("open_payments", 0),
    ]
    html = response.content.decode()
    assert "Partial (some rows rejected)" in html
    assert "badge--partial" in html


def test_reference_page_shows_empty_states_when_nothing_is_loaded(client, analyst):
    response = client.get(reverse("reports:reference"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "No loader has run yet." in html
    assert html.count("Not loaded yet.") == 6


def test_reference_page_query_count_is_bounded(
    client, analyst, loaded, django_assert_max_num_queries
):
    ReferenceLoadFactory.create_batch(
        20, loader=factory.Sequence(lambda n: f"loader_{n}")
    )
    # session + user + role groups + 6 count aggregates + latest loads
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reports:reference"))
    assert response.status_code == 200


def test_the_admin_link_is_shown_to_staff_only(client, analyst):
    assert "/admin/" not in client.get(reverse("reports:home")).content.decode()

    staff = get_user_model().objects.create_user("staffer", password=PASSWORD)
    staff.is_staff = True
    staff.save()
    client.force_login(staff)

    assert 'href="/admin/"' in client.get(reverse("reports:home")).content.decode()


def test_the_page_names_the_users_role(client):
    user = user_create(username="doc", password=PASSWORD, role=ROLE_MEDICAL)
    client.force_login(user)

    html = client.get(reverse("reports:home")).content.decode()

    assert "medical reviewer" in html


def test_reference_page_tells_real_npi_records_from_generated_ones(
    client, analyst, loaded
):
    ClinicianFactory.create_batch(3, source=Clinician.Source.GENERATED)

    response = client.get(reverse("reports:reference"))

    counts = {item.key: item for item in response.context["counts"]}
    assert counts["npi-records"].count == 10
    assert counts["npi-records"].detail == (
        "7 real NPPES records, 3 generated for the demo world"
    )
