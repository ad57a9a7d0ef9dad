"""SPL label and Open Payments loaders against the bundled reference files."""

from __future__ import annotations

import codecs
import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models.fields.json import KT

from compliance.loaders.open_payments import (
    LAYOUT_LEGACY,
    LAYOUT_PY2021,
    PaymentFileError,
    payments_layout_detect,
    payments_link_clinicians,
    payments_load,
)
from compliance.loaders.spl import product_labels_load
from compliance.models import PaymentRecord, Product, ProductLabel
from influencers.models import Clinician, ReferenceLoad

pytestmark = pytest.mark.django_db

SPL_DIR = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
OP_DIR = Path(settings.REFERENCE_DATA_DIR) / "open-payments"
PY2022 = OP_DIR / "op_gnrl_py2022_api_sample_100.csv"
PY2013 = OP_DIR / "op_gnrl_py2013_sf_3000.csv"
ELIQUIS_SET_ID = "e9481622-7cc6-418a-acb6-c5450daae9b0"


def _spl_paths() -> list[Path]:
    return sorted(SPL_DIR.glob("*.xml"))


def _clinician(npi: str) -> Clinician:
    return Clinician.objects.create(
        npi=npi, first_name="DAVID", last_name="BECK", source=Clinician.Source.MANUAL
    )


def _rewrite_csv(source: Path, target: Path, edits: dict[int, dict[str, str]]) -> None:
    """Copy a CSV, changing cells: {data row index (0-based): {column: value}}."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for index, changes in edits.items():
        for column, value in changes.items():
            rows[index + 1][header.index(column)] = value
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)


def _first_row(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


# ------------------------------------------------------------------- SPL labels


def test_bundled_labels_load_as_five_products_and_six_label_versions():
    report = product_labels_load(paths=_spl_paths())

    assert (report.received, report.created, report.updated, report.rejected) == (
        6,
        6,
        0,
        0,
    )
    assert "products: 5 created, 0 updated, 0 unchanged" in report.notes
    assert sorted(Product.objects.values_list("brand_name", "market_category")) == [
        ("ELIQUIS", "rx"),
        ("Haloperidol", "rx"),
        ("Humira", "rx"),
        ("Lipitor", "rx"),
        ("TRIAMINIC Childrens Night Time Cold and Cough", "otc"),
    ]
    assert ProductLabel.objects.count() == 6


def test_prescription_products_and_versions_can_be_counted_by_market_category():
    product_labels_load(paths=_spl_paths())

    rx = Product.objects.filter(market_category=Product.MarketCategory.RX)
    rx_labels = ProductLabel.objects.filter(product__in=rx)
    # The three labelled products of the issue, plus the no-title haloperidol
    # (ANDA generic) label, which parses, so it is loaded too.
    assert (rx.count(), rx_labels.count()) == (4, 5)
    # NDA/BLA (branded) vs ANDA (generic) is carried in the product-data summary.
    branded = rx_labels.annotate(listing=KT("sections__48780-1")).filter(
        listing__regex=r"marketing category (NDA|BLA) "
    )
    assert sorted({label.product.brand_name for label in branded}) == [
        "ELIQUIS",
        "Humira",
        "Lipitor",
    ]
    assert branded.count() == 4


def test_a_second_run_over_the_same_labels_changes_nothing():
    product_labels_load(paths=_spl_paths())
    stamps = dict(ProductLabel.objects.values_list("document_id", "updated_at"))

    report = product_labels_load(paths=_spl_paths())

    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)
    assert "products: 0 created, 0 updated, 5 unchanged" in report.notes
    assert dict(ProductLabel.objects.values_list("document_id", "updated_at")) == stamps


def test_both_eliquis_versions_are_two_labels_of_one_product():
    product_labels_load(paths=_spl_paths())

    eliquis = Product.objects.get(set_id=ELIQUIS_SET_ID)
    versions = list(eliquis.labels.order_by("version"))

    assert [label.version for label in versions] == [29, 30]
    assert "pediatric venous thromboembolism" not in versions[0].indication_conditions
    assert "pediatric venous thromboembolism" in versions[1].indication_conditions
    assert eliquis.labels.latest().version == 30
    assert eliquis.generic_name == "apixaban"
    assert eliquis.sponsor == "E.R. Squibb & Sons, L.L.C."


def test_loading_an_older_version_alone_does_not_roll_the_product_back():
    product_labels_load(paths=[SPL_DIR / "eliquis-apixaban.xml"])
    Product.objects.filter(set_id=ELIQUIS_SET_ID).update(aliases=["from v30"])

    report = product_labels_load(paths=[SPL_DIR / "eliquis-apixaban-v29-2021.xml"])

    assert report.created == 1
    assert "products: 0 created, 0 updated, 1 unchanged" in report.notes
    assert Product.objects.get(set_id=ELIQUIS_SET_ID).aliases == ["from v30"]


def test_label_rows_carry_the_parsed_sections_and_a_content_hash():
    product_labels_load(paths=[SPL_DIR / "humira.xml"])

    label = ProductLabel.objects.get(product__brand_name="Humira")

    assert label.has_boxed_warning
    assert "SERIOUS INFECTIONS AND MALIGNANCY" in label.boxed_warning
    assert "rheumatoid arthritis" in label.indication_conditions
    assert label.contraindications == "4 CONTRAINDICATIONS\nNone."
    assert label.sections["34067-9"] == label.indications_text
    assert "marketing category BLA BLA125057" in label.sections["48780-1"]
    assert label.source_file == "spl-labels/humira.xml"
    assert len(label.content_sha256) == 64


def test_product_aliases_include_brand_generic_and_hashtags():
    product_labels_load(paths=[SPL_DIR / "humira.xml", SPL_DIR / "lipitor-orig.xml"])

    humira = Product.objects.get(brand_name="Humira")
    lipitor = Product.objects.get(brand_name="Lipitor")

    assert humira.aliases == ["humira", "adalimumab", "#humira", "#adalimumab"]
    assert {"lipitor", "atorvastatin", "#lipitor", "#atorvastatin"} <= set(
        lipitor.aliases
    )


def test_a_changed_label_file_updates_its_row(tmp_path):
    product_labels_load(paths=[SPL_DIR / "humira.xml"])
    changed = tmp_path / "humira.xml"
    changed.write_bytes(
        (SPL_DIR / "humira.xml")
        .read_bytes()
        .replace(b"<title>4 CONTRAINDICATIONS</title>", b"<title>4 CONTRA</title>")
    )

    report = product_labels_load(paths=[changed])

    assert (report.created, report.updated) == (0, 1)
    label = ProductLabel.objects.get(product__brand_name="Humira")
    assert label.contraindications.startswith("4 CONTRA\n")
    assert label.source_file == str(changed)


def test_a_broken_file_is_rejected_with_its_reason_and_the_rest_lands(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<document xmlns='urn:hl7-org:v3'><id root='x'/>")

    report = product_labels_load(paths=[broken, SPL_DIR / "humira.xml"])

    assert (report.received, report.created, report.rejected) == (2, 1, 1)
    assert report.errors[0].file == str(broken)
    assert report.errors[0].line is None
    assert report.errors[0].reason.startswith("not well-formed XML")
    assert Product.objects.filter(brand_name="Humira").exists()


def test_a_second_document_with_the_same_version_is_rejected(tmp_path):
    product_labels_load(paths=[SPL_DIR / "humira.xml"])
    other = tmp_path / "humira-other-document.xml"
    other.write_bytes(
        (SPL_DIR / "humira.xml")
        .read_bytes()
        .replace(
            b"2c9fb32d-4b1b-b5da-4bdf-6b06908ba8b3",
            b"ffffffff-4b1b-b5da-0000-000000000000",
        )
    )

    report = product_labels_load(paths=[other])

    assert report.rejected == 1
    assert "version 1560 of set 608d4f0d" in report.errors[0].reason
    assert ProductLabel.objects.count() == 1


def test_each_label_run_is_recorded_as_a_reference_load():
    product_labels_load(paths=_spl_paths())

    run = ReferenceLoad.objects.get(loader="spl_labels")

    assert run.status == ReferenceLoad.Status.SUCCEEDED
    assert (run.received, run.created) == (6, 6)


# ---------------------------------------------------------------- Open Payments


def test_the_bundled_payment_files_load_completely():
    recent = payments_load(path=PY2022)
    legacy = payments_load(path=PY2013)

    assert (recent.received, recent.created, recent.rejected) == (100, 100, 0)
    assert (legacy.received, legacy.created, legacy.rejected) == (3000, 3000, 0)
    assert (
        "open-payments/op_gnrl_py2022_api_sample_100.csv: layout py2021" in recent.notes
    )
    assert "open-payments/op_gnrl_py2013_sf_3000.csv: layout legacy" in legacy.notes
    assert PaymentRecord.objects.count() == 3100


def test_a_second_payments_run_rewrites_nothing():
    payments_load(path=PY2022)
    stamps = dict(PaymentRecord.objects.values_list("record_id", "updated_at"))

    report = payments_load(path=PY2022)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 100)
    assert dict(PaymentRecord.objects.values_list("record_id", "updated_at")) == stamps


def test_a_changed_row_is_updated_and_the_others_are_left_alone(tmp_path):
    payments_load(path=PY2022)
    changed = tmp_path / "py2022.csv"
    _rewrite_csv(PY2022, changed, {0: {"Total_Amount_of_Payment_USDollars": "30.00"}})
    record_id = _first_row(PY2022)["Record_ID"]

    report = payments_load(path=changed)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 99)
    assert PaymentRecord.objects.get(record_id=record_id).amount_usd == Decimal("30.00")


def test_amounts_are_decimals_and_sum_to_the_documented_total():
    payments_load(path=PY2022)
    first = _first_row(PY2022)

    record = PaymentRecord.objects.get(record_id=first["Record_ID"])
    total = sum(PaymentRecord.objects.values_list("amount_usd", flat=True))

    assert isinstance(record.amount_usd, Decimal)
    assert record.amount_usd == Decimal(first["Total_Amount_of_Payment_USDollars"])
    assert total == Decimal("3885.33")


def test_py2021_rows_map_the_official_columns():
    payments_load(path=PY2022)
    first = _first_row(PY2022)

    record = PaymentRecord.objects.get(record_id=first["Record_ID"])

    assert record.covered_recipient_npi == first["Covered_Recipient_NPI"]
    assert record.recipient_first_name == first["Covered_Recipient_First_Name"]
    assert record.manufacturer_name == "Abbott Laboratories"
    assert record.date_of_payment.isoformat() == "2022-09-20"
    assert record.program_year == 2022
    assert record.products == [
        first["Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_1"]
    ]
    assert record.raw["Record_ID"] == first["Record_ID"]
    assert "Teaching_Hospital_Name" not in record.raw  # empty values are dropped


def test_legacy_rows_have_no_npi_and_take_products_from_the_associated_columns():
    payments_load(path=PY2013)

    record = PaymentRecord.objects.get(record_id="104069542")

    assert record.covered_recipient_npi == ""
    assert record.covered_recipient_profile_id == "167563"
    assert record.recipient_last_name == "DAUD"
    assert record.recipient_specialty.endswith("Medical Oncology")
    assert record.date_of_payment.isoformat() == "2013-12-31"
    # "Non-Covered Product" is a placeholder: kept in raw, not a product name.
    assert record.products == ["Zelboraf"]
    assert record.raw["name_of_associated_covered_drug_or_biological2"] == (
        "Non-Covered Product"
    )


def test_layout_is_detected_from_the_header():
    with PY2022.open(newline="", encoding="utf-8") as handle:
        recent = next(csv.reader(handle))
    with PY2013.open(newline="", encoding="utf-8") as handle:
        legacy = next(csv.reader(handle))

    assert payments_layout_detect(recent).name == LAYOUT_PY2021
    assert payments_layout_detect(legacy).name == LAYOUT_LEGACY
    assert payments_layout_detect([h.lower() for h in recent]).name == LAYOUT_PY2021
    with pytest.raises(PaymentFileError, match="missing column"):
        payments_layout_detect(["npi", "amount", "date"])


def test_an_unknown_header_rejects_the_file_at_line_one(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("npi,amount,date\n1234567893,10.00,01/01/2022\n")

    report = payments_load(path=path)

    assert (report.received, report.created, report.rejected) == (0, 0, 1)
    assert report.errors[0].line == 1
    assert "unknown header" in report.errors[0].reason
    assert PaymentRecord.objects.count() == 0


def test_malformed_rows_are_rejected_with_line_and_reason_and_the_rest_lands(tmp_path):
    broken = tmp_path / "py2022.csv"
    _rewrite_csv(
        PY2022,
        broken,
        {
            0: {"Total_Amount_of_Payment_USDollars": "12,50"},
            1: {"Date_of_Payment": "2022-13-45"},
            2: {"Record_ID": ""},
            3: {"Covered_Recipient_NPI": "1679646351"},
            4: {"Total_Amount_of_Payment_USDollars": "-3.00"},
        },
    )

    report = payments_load(path=broken)

    assert (report.received, report.created, report.rejected) == (100, 95, 5)
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "Total_Amount_of_Payment_USDollars '12,50' is not an amount"),
        (3, "Date_of_Payment '2022-13-45' is not a date (expected MM/DD/YYYY)"),
        (4, "missing Record_ID"),
        (
            5,
            "Covered_Recipient_NPI: NPI '1679646351' fails the Luhn check digit "
            "(prefix 80840)",
        ),
        (6, "Total_Amount_of_Payment_USDollars '-3.00' is negative"),
    ]
    assert {str(e).split(":")[0] for e in report.errors} == {str(broken)}
    assert PaymentRecord.objects.count() == 95
    run = ReferenceLoad.objects.get(loader="open_payments")
    assert run.status == ReferenceLoad.Status.PARTIAL


def test_a_row_with_a_multiline_field_keeps_counting_lines_from_its_start(tmp_path):
    path = tmp_path / "py2022.csv"
    _rewrite_csv(
        PY2022,
        path,
        {0: {"Contextual_Information": "line one\nline two"}, 1: {"Record_ID": "x1"}},
    )

    report = payments_load(path=path)

    assert report.errors[0].line == 4  # header 1, row one spans lines 2-3
    assert report.errors[0].reason == "Record_ID 'x1' is not a record id"


def test_a_payment_is_linked_to_the_clinician_with_its_npi():
    npi = _first_row(PY2022)["Covered_Recipient_NPI"]
    clinician = _clinician(npi)

    payments_load(path=PY2022)

    linked = PaymentRecord.objects.filter(clinician=clinician)
    assert linked.exists()
    assert set(linked.values_list("covered_recipient_npi", flat=True)) == {npi}
    assert (
        PaymentRecord.objects.exclude(covered_recipient_npi=npi)
        .filter(clinician__isnull=False)
        .count()
        == 0
    )


def test_rerunning_the_load_links_a_clinician_added_later():
    payments_load(path=PY2022)
    npi = _first_row(PY2022)["Covered_Recipient_NPI"]
    clinician = _clinician(npi)

    report = payments_load(path=PY2022)

    expected = PaymentRecord.objects.filter(covered_recipient_npi=npi).count()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 100)
    assert PaymentRecord.objects.filter(clinician=clinician).count() == expected
    assert any(f"linked {expected} unchanged payment" in note for note in report.notes)


def test_payments_link_clinicians_links_unlinked_payments_once():
    payments_load(path=PY2022)
    npi = _first_row(PY2022)["Covered_Recipient_NPI"]
    clinician = _clinician(npi)
    expected = PaymentRecord.objects.filter(covered_recipient_npi=npi).count()

    assert payments_link_clinicians() == expected
    assert payments_link_clinicians() == 0
    assert PaymentRecord.objects.filter(clinician=clinician).count() == expected


def test_a_repeated_record_id_keeps_the_later_row(tmp_path):
    path = tmp_path / "py2022.csv"
    first_id = _first_row(PY2022)["Record_ID"]
    _rewrite_csv(
        PY2022,
        path,
        {1: {"Record_ID": first_id, "Total_Amount_of_Payment_USDollars": "99.99"}},
    )

    report = payments_load(path=path)

    assert (report.created, report.skipped) == (99, 1)
    assert PaymentRecord.objects.get(record_id=first_id).amount_usd == Decimal("99.99")


def test_a_copy_outside_the_reference_dir_is_named_by_its_path(tmp_path):
    copy = tmp_path / "copy.csv"
    shutil.copy(PY2022, copy)

    report = payments_load(path=copy)

    assert report.notes[0] == f"{copy}: layout py2021"


def test_a_line_that_is_not_utf8_rejects_only_its_row(tmp_path):
    lines = PY2022.read_bytes().splitlines(keepends=True)
    lines[50] = lines[50].replace(b"Abbott", b"Abb\xf6tt", 1)
    path = tmp_path / "latin1.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"".join(lines))

    report = payments_load(path=path)

    assert (report.created, report.rejected) == (99, 1)
    assert (report.errors[0].line, report.errors[0].reason) == (
        51,
        "line 51 is not UTF-8",
    )


@pytest.mark.django_db
def test_the_branded_prescription_products_are_the_three_nda_bla_labels(reference_dir):
    from compliance.loaders.spl import product_labels_load
    from compliance.models import Product, ProductLabel

    product_labels_load(paths=sorted((reference_dir / "spl-labels").glob("*.xml")))
    branded = [p for p in Product.objects.all() if p.is_branded_rx]
    assert sorted(p.brand_name.upper() for p in branded) == [
        "ELIQUIS",
        "HUMIRA",
        "LIPITOR",
    ]
    assert ProductLabel.objects.filter(product__in=branded).count() == 4
    assert (
        Product.objects.get(application_number="BLA125057").approval_category == "BLA"
    )
