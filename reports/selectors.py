"""Read-only queries behind the report pages."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.models import PaymentRecord, Product, ProductLabel
from influencers.models import (
    Clinician,
    MedicareSpecialtyCrosswalk,
    ReferenceLoad,
    SocialAccount,
    Specialty,
)


@dataclass(frozen=True)
class LoadedCount:
    label: str
    count: int
    detail: str = ""


def reference_counts() -> list[LoadedCount]:
    """How much reference data is loaded, one line per kind, for the home page."""
    individuals = Clinician.objects.filter(entity_type=Clinician.EntityType.INDIVIDUAL)
    return [
        LoadedCount("NUCC specialties", Specialty.objects.count()),
        LoadedCount(
            "Medicare specialty crosswalk rows", MedicareSpecialtyCrosswalk.objects.count()
        ),
        LoadedCount(
            "NPI records",
            Clinician.objects.count(),
            f"{individuals.count()} individuals",
        ),
        LoadedCount("Labelled products", Product.objects.count()),
        LoadedCount("Label versions", ProductLabel.objects.count()),
        LoadedCount("Open Payments records", PaymentRecord.objects.count()),
        LoadedCount("Social accounts", SocialAccount.objects.count()),
    ]


def reference_load_latest_list() -> list[ReferenceLoad]:
    """The most recent run of each loader, newest first."""
    return list(
        ReferenceLoad.objects.order_by("loader", "-started_at").distinct("loader")
    )
