"""load_spl_labels and load_open_payments: what they print, where, and when they refuse."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from compliance.models import PaymentRecord, Product, ProductLabel

pytestmark = pytest.mark.django_db

SPL_DIR = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
PY2022 = (
    Path(settings.REFERENCE_DATA_DIR)
    / "open-payments"
    / "op_gnrl_py2022_api_sample_100.csv"
)


def _run(name: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_load_spl_labels_loads_the_bundled_folder_and_prints_the_counts():
    out, err = _run("load_spl_labels")

    assert out.splitlines()[0] == (
        "spl_labels: received 6, created 6, updated 0, unchanged 0, skipped 0, rejected 0"
    )
    assert "note: products: 5 created, 0 updated, 0 unchanged" in out
    assert err == ""
    assert (Product.objects.count(), ProductLabel.objects.count()) == (5, 6)


def test_load_spl_labels_twice_reports_everything_unchanged():
    _run("load_spl_labels")

    out, _ = _run("load_spl_labels")

    assert "created 0, updated 0, unchanged 6" in out.splitlines()[0]


def test_load_spl_labels_writes_a_rejected_file_to_stderr(tmp_path):
    (tmp_path / "junk.xml").write_text("not xml at all")
    (tmp_path / "humira.xml").write_bytes((SPL_DIR / "humira.xml").read_bytes())

    out, err = _run("load_spl_labels", str(tmp_path))

    assert "received 2, created 1" in out and "rejected 1" in out
    assert err.startswith(f"{tmp_path / 'junk.xml'}: not well-formed XML")


def test_load_spl_labels_refuses_a_missing_path(tmp_path):
    with pytest.raises(CommandError, match="no such file or directory"):
        call_command("load_spl_labels", str(tmp_path / "missing.xml"))


def test_load_open_payments_loads_both_bundled_files():
    out, err = _run("load_open_payments")

    lines = out.splitlines()
    assert lines[0] == (
        "open_payments: received 100, created 100, updated 0, unchanged 0, "
        "skipped 0, rejected 0"
    )
    assert "note: open-payments/op_gnrl_py2013_sf_3000.csv: layout legacy" in lines
    assert err == ""
    assert PaymentRecord.objects.count() == 3100


def test_load_open_payments_prints_each_rejected_row_as_file_line_reason(tmp_path):
    path = tmp_path / "py2022.csv"
    text = PY2022.read_text(encoding="utf-8").splitlines(keepends=True)
    text[3] = text[3].replace('"09/', '"13/', 1)  # a month that does not exist
    path.write_text("".join(text), encoding="utf-8")

    out, err = _run("load_open_payments", str(path))

    assert "created 99" in out and "rejected 1" in out
    assert err.strip().startswith(f"{path}:4: Date_of_Payment '13/")


def test_load_open_payments_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_open_payments", str(tmp_path / "missing.csv"))
