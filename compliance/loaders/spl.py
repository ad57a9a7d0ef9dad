"""Load FDA SPL label files into ``Product`` (one per set id) and ``ProductLabel``
(one per document, i.e. per label version).

Idempotent: a label whose parsed content hashes the same as the stored row is left
alone, so a second run over the same files creates and updates nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from common.loading import LoadReport
from compliance.labels.spl import (
    MARKET_OTC,
    MARKET_RX,
    SECTION_PRODUCT_DATA,
    SplLabel,
    SplParseError,
    spl_parse,
)
from compliance.loaders import display_path
from compliance.models import Product, ProductLabel
from influencers.services import reference_load_track

LOADER_NAME = "spl_labels"

_MARKET = {
    MARKET_RX: Product.MarketCategory.RX,
    MARKET_OTC: Product.MarketCategory.OTC,
}
_PRODUCT_FIELDS = (
    "brand_name",
    "generic_name",
    "sponsor",
    "market_category",
    "approval_category",
    "application_number",
    "aliases",
)
_LABEL_FIELDS = (
    "product",
    "version",
    "effective_date",
    "title",
    "document_type_code",
    "document_type",
    "indications_text",
    "indication_conditions",
    "boxed_warning",
    "contraindications",
    "warnings_precautions",
    "adverse_reactions",
    "adverse_reaction_terms",
    "sections",
    "source_file",
    "content_sha256",
)


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class _Parsed:
    label: SplLabel
    file: str
    sha256: str = field(default="")


def product_labels_load(*, paths: Iterable[str | Path]) -> LoadReport:
    """Parse SPL XML files and upsert their products and label versions.

    Steps: (1) parse every file, rejecting unusable ones with the file and reason;
    (2) group the labels by set id; (3) per set id, in one transaction, upsert the
    ``Product`` from the newest version (a run over an older version alone does not
    roll the product's names back) and upsert each ``ProductLabel`` by document id,
    skipping rows whose content hash is unchanged. Counts in the report are label
    versions; product counts are in ``report.notes``. Records a ``ReferenceLoad``.
    Idempotent.
    """
    path_list = [Path(p) for p in paths]
    source = ", ".join(str(p) for p in path_list)
    with reference_load_track(loader=LOADER_NAME, source=source) as report:
        groups: dict[str, list[_Parsed]] = {}
        for path in path_list:
            report.received += 1
            display = display_path(path)
            try:
                label = spl_parse(path)
            except SplParseError as exc:
                report.reject(file=display, line=None, reason=str(exc))
                continue
            parsed = _Parsed(label=label, file=display, sha256=_content_sha256(label))
            groups.setdefault(label.set_id, []).append(parsed)

        products = _Counts()
        for set_id, parsed_labels in groups.items():
            _product_upsert(set_id, parsed_labels, report=report, products=products)
        report.notes.append(f"products: {products}")
        report.notes.append(
            f"label versions: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
    return report


def _product_upsert(
    set_id: str, parsed_labels: list[_Parsed], *, report: LoadReport, products: _Counts
) -> None:
    """One set id: the product row, then each of its label versions (atomic)."""
    parsed_labels.sort(key=lambda p: p.label.version)
    newest = parsed_labels[-1].label
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(set_id=set_id).first()
        values = _product_values(newest)
        if product is None:
            product = Product(set_id=set_id, **values)
            try:
                product.full_clean()
            except ValidationError as exc:
                for parsed in parsed_labels:
                    report.reject(
                        file=parsed.file, line=None, reason=f"product invalid: {exc}"
                    )
                return
            product.save()
            products.created += 1
        else:
            stored_newest = product.labels.aggregate(v=Max("version"))["v"] or 0
            changed = [f for f in _PRODUCT_FIELDS if getattr(product, f) != values[f]]
            if newest.version >= stored_newest and changed:
                for name in changed:
                    setattr(product, name, values[name])
                product.full_clean()
                product.save(update_fields=[*changed, "updated_at"])
                products.updated += 1
            else:
                products.unchanged += 1

        for parsed in parsed_labels:
            _label_upsert(product, parsed, report=report)


def _label_upsert(product: Product, parsed: _Parsed, *, report: LoadReport) -> None:
    label = parsed.label
    existing = ProductLabel.objects.filter(document_id=label.document_id).first()
    if existing is not None and existing.content_sha256 == parsed.sha256:
        report.unchanged += 1
        return
    clash = (
        ProductLabel.objects.filter(product=product, version=label.version)
        .exclude(document_id=label.document_id)
        .values_list("document_id", flat=True)
        .first()
    )
    if clash:
        report.reject(
            file=parsed.file,
            line=None,
            reason=(
                f"version {label.version} of set {label.set_id} is already stored "
                f"as document {clash}; document {label.document_id} not loaded"
            ),
        )
        return
    values = _label_values(product, parsed)
    row = existing or ProductLabel(document_id=label.document_id)
    for name, value in values.items():
        setattr(row, name, value)
    try:
        row.full_clean()
    except ValidationError as exc:
        report.reject(file=parsed.file, line=None, reason=f"label invalid: {exc}")
        return
    row.save()
    if existing is None:
        report.created += 1
    else:
        report.updated += 1


def _product_values(label: SplLabel) -> dict:
    return {
        "brand_name": label.brand_name[:200],
        "generic_name": ", ".join(label.generic_names)[:300],
        "sponsor": label.sponsor[:200],
        "market_category": _MARKET.get(
            label.market_category, Product.MarketCategory.OTHER
        ),
        "approval_category": _first(p.approval_category for p in label.products)[:80],
        "application_number": _first(p.application_number for p in label.products)[:40],
        "aliases": product_aliases(label),
    }


def _first(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")


def _label_values(product: Product, parsed: _Parsed) -> dict:
    label = parsed.label
    sections = dict(label.sections)
    listing = _product_listing(label)
    if listing:
        # The product data elements section is structured data, not text; keep a
        # readable summary of it (names, NDCs, marketing category and application
        # number) under its own LOINC code so a page can tell NDA/BLA from ANDA.
        sections[SECTION_PRODUCT_DATA] = listing
    return {
        "product": product,
        "version": label.version,
        "effective_date": label.effective_date,
        "title": label.title,
        "document_type_code": label.document_type_code[:16],
        "document_type": label.document_type[:200],
        "indications_text": label.indications,
        "indication_conditions": list(label.indication_conditions),
        "boxed_warning": label.boxed_warning,
        "contraindications": label.contraindications,
        "warnings_precautions": label.warnings_precautions,
        "adverse_reactions": label.adverse_reactions,
        "adverse_reaction_terms": list(label.adverse_reaction_terms),
        "sections": sections,
        "source_file": parsed.file[:300],
        "content_sha256": parsed.sha256,
    }


def product_aliases(label: SplLabel) -> list[str]:
    """Names a post may use for the product, lower-cased and unique: brand names
    (with and without suffix), generic names, active moieties, and the hashtag form
    of every one- or two-word name (#humira, #adalimumab)."""
    names: list[str] = []
    names.extend(label.brand_names)
    names.extend(p.base_name for p in label.products)
    names.extend(label.generic_names)
    names.extend(label.active_moieties)
    aliases: list[str] = []
    for name in names:
        alias = re.sub(r"\s+", " ", name).strip().lower()
        if alias and alias not in aliases:
            aliases.append(alias)
    for alias in list(aliases):
        if len(alias.split()) <= 2:
            tag = "#" + re.sub(r"[^0-9a-z]", "", alias)
            if len(tag) > 2 and tag not in aliases:
                aliases.append(tag)
    return aliases


def _product_listing(label: SplLabel) -> str:
    lines: list[str] = []
    for product in label.products:
        parts = [product.name]
        if product.generic_name:
            parts[0] += f" ({product.generic_name})"
        if product.form:
            parts.append(product.form)
        if product.ndc:
            parts.append(f"NDC {product.ndc}")
        if product.approval_category:
            approval = product.approval_category
            if product.application_number:
                approval += f" {product.application_number}"
            parts.append(f"marketing category {approval}")
        line = "; ".join(parts)
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def _content_sha256(label: SplLabel) -> str:
    payload = json.dumps(label.as_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
