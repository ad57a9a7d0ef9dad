"""Build the pure inputs of ``compliance.rules`` from database rows (or SPL files).

Selector-like: reads only. ``knowledge_build()`` turns ``Product`` + ``ProductLabel``
rows into a ``Knowledge`` (products, their aliases, every label version with its
indications as canonical conditions, boxed warning and adverse-reaction terms) and
caches it per process until a product or label row changes. ``payments_for_npis``
gives the Open Payments of a set of authors as ``PaymentInfo``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from pathlib import Path

from django.db.models import Count, Max, Prefetch, Q

from compliance.labels.spl import MARKET_OTC, SplLabel, spl_parse
from compliance.loaders.spl import product_aliases
from compliance.models import PaymentRecord, Product, ProductLabel
from compliance.rules import Knowledge
from compliance.rules.conditions import label_mentions_children
from compliance.rules.products import is_combination
from compliance.rules.types import LabelInfo, PaymentInfo, ProductInfo

_cache_lock = threading.Lock()
_cache: dict[str, object] = {}


def _aliases(aliases: Iterable[str], *, brand: str, generic: str) -> tuple[str, ...]:
    """Stored aliases without '#', minus single ingredients of a combination
    product (a post naming diphenhydramine does not name TRIAMINIC)."""
    out: list[str] = []
    combination = is_combination(generic)
    ingredients = {
        part.strip().lower()
        for part in re.split(r",|;|\band\b|/", generic or "")
        if part.strip()
    }
    for alias in [brand, *aliases]:
        alias = alias.lstrip("#").strip().lower()
        if not alias or alias in out:
            continue
        if combination and (
            alias in ingredients
            or alias.split()[0] in {i.split()[0] for i in ingredients}
        ):
            continue
        out.append(alias)
    return tuple(out)


def label_info_from_row(label: ProductLabel) -> LabelInfo:
    return LabelInfo(
        version=label.version,
        effective_date=label.effective_date,
        indications=tuple(label.indication_conditions or ()),
        boxed_warning=label.boxed_warning,
        adverse_reaction_terms=tuple(label.adverse_reaction_terms or ()),
        indications_mention_children=label_mentions_children(label.indications_text),
        document_id=label.document_id,
        label_id=label.pk,
    )


def product_info_from_row(product: Product) -> ProductInfo:
    """``product.labels`` should be prefetched (``knowledge_build`` does)."""
    return ProductInfo(
        key=product.set_id,
        brand_name=product.brand_name,
        generic_name=product.generic_name,
        sponsor=product.sponsor,
        aliases=_aliases(
            product.aliases or [],
            brand=product.brand_name,
            generic=product.generic_name,
        ),
        labels=tuple(label_info_from_row(lab) for lab in product.labels.all()),
        product_id=product.pk,
        is_otc=product.is_otc,
    )


def _stamp() -> tuple:
    products = Product.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    labels = ProductLabel.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return (products["n"], products["at"], labels["n"], labels["at"])


def knowledge_build(*, use_cache: bool = True) -> Knowledge:
    """Every stored product and label version as a ``Knowledge``.

    Two aggregate queries check whether the cached copy is current; a rebuild costs
    two more (products, labels). Read-only.
    """
    stamp = _stamp()
    with _cache_lock:
        if use_cache and _cache.get("stamp") == stamp:
            return _cache["knowledge"]  # type: ignore[return-value]
    labels = ProductLabel.objects.only(
        "id",
        "product_id",
        "document_id",
        "version",
        "effective_date",
        "indications_text",
        "indication_conditions",
        "boxed_warning",
        "adverse_reaction_terms",
    )
    products = Product.objects.prefetch_related(Prefetch("labels", queryset=labels))
    knowledge = Knowledge([product_info_from_row(p) for p in products])
    with _cache_lock:
        _cache["stamp"] = stamp
        _cache["knowledge"] = knowledge
    return knowledge


def knowledge_from_spl(labels: Iterable[SplLabel]) -> Knowledge:
    """A ``Knowledge`` from parsed SPL documents (tests, evaluation without a
    loaded database); versions of one set id become one product."""
    by_set: dict[str, list[SplLabel]] = {}
    for label in labels:
        by_set.setdefault(label.set_id, []).append(label)
    products: list[ProductInfo] = []
    for set_id, versions in by_set.items():
        versions.sort(key=lambda lab: lab.version)
        newest = versions[-1]
        generic = ", ".join(newest.generic_names)
        products.append(
            ProductInfo(
                key=set_id,
                brand_name=newest.brand_name,
                generic_name=generic,
                sponsor=newest.sponsor,
                aliases=_aliases(
                    product_aliases(newest), brand=newest.brand_name, generic=generic
                ),
                labels=tuple(
                    LabelInfo(
                        version=lab.version,
                        effective_date=lab.effective_date,
                        indications=tuple(lab.indication_conditions),
                        boxed_warning=lab.boxed_warning,
                        adverse_reaction_terms=tuple(lab.adverse_reaction_terms),
                        indications_mention_children=label_mentions_children(
                            lab.indications
                        ),
                        document_id=lab.document_id,
                    )
                    for lab in versions
                ),
                is_otc=newest.market_category == MARKET_OTC,
            )
        )
    return Knowledge(products)


def knowledge_from_spl_files(paths: Iterable[str | Path]) -> Knowledge:
    """Parse SPL XML files (unparseable ones are skipped) into a ``Knowledge``."""
    parsed: list[SplLabel] = []
    for path in paths:
        try:
            parsed.append(spl_parse(path))
        except ValueError:
            continue
    return Knowledge(knowledge_from_spl(parsed).products)


def payment_info(record: PaymentRecord) -> PaymentInfo:
    return PaymentInfo(
        manufacturer_name=record.manufacturer_name,
        amount_usd=float(record.amount_usd),
        date=record.date_of_payment,
        nature=record.nature_of_payment,
        products=tuple(record.products or ()),
        record_id=record.record_id,
    )


def payments_for_npis(npis: Iterable[str]) -> dict[str, tuple[PaymentInfo, ...]]:
    """Open Payments of each NPI (by ``covered_recipient_npi`` or the linked
    clinician), in one query. NPIs without payments are absent."""
    wanted = sorted({n for n in npis if n})
    if not wanted:
        return {}
    rows = (
        PaymentRecord.objects.filter(
            Q(covered_recipient_npi__in=wanted) | Q(clinician__npi__in=wanted)
        )
        .select_related("clinician")
        .only(
            "record_id",
            "manufacturer_name",
            "amount_usd",
            "date_of_payment",
            "nature_of_payment",
            "products",
            "covered_recipient_npi",
            "clinician__npi",
        )
    )
    out: dict[str, list[PaymentInfo]] = {}
    for row in rows:
        npi = row.covered_recipient_npi or (row.clinician.npi if row.clinician else "")
        if npi:
            out.setdefault(npi, []).append(payment_info(row))
    return {npi: tuple(items) for npi, items in out.items()}
