"""Read-only queries behind the report pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum

from compliance.models import PaymentRecord, Product, ProductLabel
from influencers.models import (
    Clinician,
    MedicareSpecialtyCrosswalk,
    ReferenceLoad,
    Specialty,
)


@dataclass(frozen=True)
class LoadedCount:
    """One card of the home page: how many rows of one kind are loaded."""

    key: str
    label: str
    count: int
    source: str
    # Sub-counts shown under the total, e.g. (("individuals", 9), ("organization", 1)).
    parts: tuple[tuple[str, int], ...] = ()
    detail: str = ""


def reference_counts() -> list[LoadedCount]:
    """How much reference data is loaded, one card per kind, for the home page.

    Six aggregate queries (one per table), whatever the table sizes.
    """
    clinicians = Clinician.objects.aggregate(
        total=Count("pk"),
        individuals=Count("pk", filter=Q(entity_type=Clinician.EntityType.INDIVIDUAL)),
        organizations=Count(
            "pk", filter=Q(entity_type=Clinician.EntityType.ORGANIZATION)
        ),
        generated=Count("pk", filter=Q(source=Clinician.Source.GENERATED)),
    )
    branded = Q(
        market_category=Product.MarketCategory.RX,
        approval_category__in=Product.BRANDED_APPROVALS,
    )
    products = Product.objects.aggregate(
        total=Count("pk"),
        branded=Count("pk", filter=branded),
        rx=Count("pk", filter=Q(market_category=Product.MarketCategory.RX)),
        otc=Count("pk", filter=Q(market_category=Product.MarketCategory.OTC)),
    )
    labels = ProductLabel.objects.aggregate(
        total=Count("pk"),
        branded=Count(
            "pk",
            filter=Q(
                product__market_category=Product.MarketCategory.RX,
                product__approval_category__in=Product.BRANDED_APPROVALS,
            ),
        ),
    )
    payments = PaymentRecord.objects.aggregate(
        total=Count("pk"),
        amount=Sum("amount_usd"),
        first_year=Min("program_year"),
        last_year=Max("program_year"),
    )
    return [
        LoadedCount(
            key="specialties",
            label="NUCC specialties",
            count=Specialty.objects.count(),
            source="NUCC Health Care Provider Taxonomy",
        ),
        LoadedCount(
            key="medicare-crosswalk",
            label="Medicare crosswalk rows",
            count=MedicareSpecialtyCrosswalk.objects.count(),
            source="CMS Medicare specialty to NUCC taxonomy (2019)",
        ),
        LoadedCount(
            key="npi-records",
            label="NPI records",
            count=clinicians["total"],
            source="NPPES NPI Registry",
            parts=(
                _part(clinicians["individuals"], "individual", "individuals"),
                _part(clinicians["organizations"], "organization", "organizations"),
            ),
            detail=(
                f"{clinicians['total'] - clinicians['generated']:,} real NPPES records, "
                f"{clinicians['generated']:,} generated for the demo world"
                if clinicians["generated"]
                else ""
            ),
        ),
        LoadedCount(
            key="products",
            label="Labelled Rx products (NDA/BLA)",
            count=products["branded"],
            source="FDA Structured Product Labels",
            parts=(_part(labels["branded"], "label version", "label versions"),),
        ),
        LoadedCount(
            key="other-labels",
            label="Other labelled products",
            count=products["total"] - products["branded"],
            source="Generic (ANDA) and OTC labels",
            parts=(
                ("generic Rx", products["rx"] - products["branded"]),
                ("OTC", products["otc"]),
                _part(
                    labels["total"] - labels["branded"],
                    "label version",
                    "label versions",
                ),
            ),
        ),
        LoadedCount(
            key="open-payments",
            label="Open Payments records",
            count=payments["total"],
            source="CMS Open Payments general payments",
            detail=_payments_detail(payments),
        ),
    ]


def _part(count: int, singular: str, plural: str) -> tuple[str, int]:
    return (singular if count == 1 else plural, count)


def _payments_detail(payments: dict) -> str:
    if not payments["total"]:
        return ""
    amount: Decimal = payments["amount"] or Decimal(0)
    first, last = payments["first_year"], payments["last_year"]
    years = (
        f"program year {first}" if first == last else f"program years {first}–{last}"
    )
    return f"${amount:,.2f} in {years}"


def reference_load_latest_list() -> list[ReferenceLoad]:
    """The most recent run of each loader, newest first (one query)."""
    latest = ReferenceLoad.objects.order_by("loader", "-started_at").distinct("loader")
    return sorted(latest, key=lambda load: load.started_at, reverse=True)
