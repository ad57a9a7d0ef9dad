"""Factories for the rows the home page counts (reference data and loader runs)."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from compliance.models import PaymentRecord, Product, ProductLabel
from influencers.models import (
    Clinician,
    MedicareSpecialtyCrosswalk,
    ReferenceLoad,
    Specialty,
)


def _npi(n: int) -> str:
    """A syntactically valid NPI (Luhn check digit over the 80840 prefix)."""
    base = f"1{n:08d}"
    digits = [int(d) for d in "80840" + base]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty

    code = factory.Sequence(lambda n: f"{n:09d}X")
    grouping = "Allopathic & Osteopathic Physicians"
    classification = "Internal Medicine"
    specialization = factory.Sequence(lambda n: f"Specialization {n}")
    section = "Individual"


class MedicareSpecialtyCrosswalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicareSpecialtyCrosswalk

    medicare_specialty_code = factory.Sequence(lambda n: f"{n:02d}")
    medicare_provider_supplier_type = "Physician/Internal Medicine"
    taxonomy_code = factory.Sequence(lambda n: f"{n:09d}X")


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    npi = factory.Sequence(_npi)
    entity_type = Clinician.EntityType.INDIVIDUAL
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    credential = "MD"
    source = Clinician.Source.NPPES_API


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    set_id = factory.Faker("uuid4")
    brand_name = factory.Sequence(lambda n: f"Brand {n}")
    generic_name = "genericumab"
    market_category = Product.MarketCategory.RX


class ProductLabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLabel

    product = factory.SubFactory(ProductFactory)
    document_id = factory.Faker("uuid4")
    version = factory.Sequence(lambda n: n + 1)
    content_sha256 = "0" * 64


class PaymentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentRecord

    record_id = factory.Sequence(lambda n: f"{1000000 + n}")
    program_year = 2022
    manufacturer_name = "Acme Pharma"
    amount_usd = Decimal("125.50")
    date_of_payment = dt.date(2022, 5, 1)
    nature_of_payment = "Food and Beverage"


class ReferenceLoadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceLoad

    loader = "nucc"
    source = "fixtures/reference/nucc-taxonomy/nucc_taxonomy_251.csv"
    status = ReferenceLoad.Status.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(
        lambda o: o.started_at + dt.timedelta(seconds=3)
    )
    received = 10
    created = 10
