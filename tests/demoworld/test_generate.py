"""The demo-world generator: determinism, clinicians and payments, and its ground truth.

Pure tests (no database) over one small world (``conftest.world``).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from demoworld.__main__ import main
from demoworld.config import (
    CLINICIAN_PRODUCT_MIX,
    RULE_CODES,
    window_for_seed,
)
from demoworld.generate import generate_world
from demoworld.reference import (
    NPPES_FIXTURES,
    OPEN_PAYMENTS_SAMPLE,
    PRODUCTS,
    REFERENCE_DIR,
    nucc_desc,
    nucc_rows,
)
from demoworld.text import DISCLOSED, TEMPLATE_CODES
from influencers.verification.npi import npi_is_valid
from tests.demoworld.helpers import (
    SEED,
    csv_rows,
    digests,
    envelopes,
    jsonl,
    own_posts,
)

# --- generation ------------------------------------------------------------------------


def test_the_small_world_generates_quickly_with_thousands_of_posts(world):
    counts = world.counts
    assert world.seconds < 30
    assert counts["clinicians"]["total"] >= 300
    assert counts["posts"]["total"] >= 2_000
    assert counts["interactions"]["total"] >= 20_000
    assert counts["accounts"]["true_micro_influencers"] >= 10
    summary = json.loads((world.out_dir / "summary.json").read_text())
    assert summary["seed"] == SEED and summary["size"] == "small"
    assert summary["counts"] == json.loads(json.dumps(counts))


def test_the_same_seed_writes_the_same_bytes(world, tmp_path):
    again = generate_world(out_dir=tmp_path / "again", size="small", seed=SEED)
    assert digests(again.out_dir) == digests(world.out_dir)


def test_another_seed_writes_another_world_from_the_cli(world, tmp_path):
    assert main(["--size", "small", "--seed", "8", "--out", str(tmp_path / "w8")]) == 0
    summary = json.loads((tmp_path / "w8" / "summary.json").read_text())
    assert summary["seed"] == 8
    assert summary["window"]["end"] != world.window_end
    first = (world.out_dir / "bluesky" / "feeds-00000.jsonl").read_bytes()
    assert (tmp_path / "w8" / "bluesky" / "feeds-00000.jsonl").read_bytes() != first


def test_the_window_is_fixed_by_the_seed_not_by_today(world):
    start, end = window_for_seed(SEED)
    assert world.window_end == end.isoformat().replace("+00:00", "Z")
    assert (end - start).days == 180
    low, high = start.timestamp(), end.timestamp()
    for _, post in own_posts(world.out_dir):
        created = post.get("record", {}).get("createdAt") or post.get("created_at")
        moment = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        assert low <= moment < high


def test_unknown_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown size"):
        generate_world(out_dir=tmp_path, size="huge")


# --- clinicians, NPIs, taxonomies, payments ----------------------------------------------


def _nppes_records(root: Path) -> list[dict]:
    records = []
    for path in sorted((root / "clinicians").glob("nppes-api-*.json")):
        payload = json.loads(path.read_text())
        assert payload["result_count"] == len(payload["results"]) <= 200
        records.extend(payload["results"])
    return records


def test_every_npi_is_valid_and_unique(world):
    records = _nppes_records(world.out_dir)
    numbers = [str(r["number"]) for r in records]
    assert len(numbers) == len(set(numbers)) == world.counts["clinicians"]["total"]
    assert all(npi_is_valid(n) for n in numbers)
    accounts = csv_rows(world.out_dir / "truth" / "accounts.csv")
    assert all(npi_is_valid(row["npi"]) for row in accounts if row["npi"])
    assert {row["npi"] for row in accounts if row["npi"]} <= set(numbers)


def test_the_real_nppes_individuals_keep_their_real_records(world):
    real = {}
    for path in NPPES_FIXTURES.glob("api-*.json"):
        for record in json.loads(path.read_text()).get("results", []):
            if record.get("enumeration_type") == "NPI-1":
                real[record["number"]] = record
    ours = json.loads(
        (world.out_dir / "clinicians" / "nppes-api-real.json").read_text()
    )
    assert {r["number"] for r in ours["results"]} == set(real)


def test_taxonomy_codes_exist_in_the_nucccsv_rows(world):
    nucc = nucc_rows()
    for record in _nppes_records(world.out_dir):
        for taxonomy in record["taxonomies"]:
            assert taxonomy["code"] in nucc
    path = world.out_dir / "clinicians" / "nppes-api-00000.json"
    for record in json.loads(path.read_text())["results"]:
        taxonomy = record["taxonomies"][0]
        assert taxonomy["desc"] == nucc_desc(taxonomy["code"])
    for row in csv_rows(world.out_dir / "truth" / "accounts.csv"):
        assert not row["specialty_code"] or row["specialty_code"] in nucc


def test_generated_clinicians_have_the_npi_registry_shape_and_parse(world):
    from influencers.verification.nppes_client import (
        parse_npi_record,
        records_from_response,
    )

    real_keys: set[str] = set()
    basic_keys: set[str] = set()
    address_keys: set[str] = set()
    for path in NPPES_FIXTURES.glob("api-*.json"):
        for record in json.loads(path.read_text()).get("results", []):
            real_keys |= set(record)
            basic_keys |= set(record["basic"])
            for address in record["addresses"]:
                address_keys |= set(address)
    path = world.out_dir / "clinicians" / "nppes-api-00000.json"
    records = records_from_response(json.loads(path.read_text()))
    for record in records:
        assert set(record) <= real_keys
        assert set(record["basic"]) <= basic_keys
        assert all(set(a) <= address_keys for a in record["addresses"])
        parsed = parse_npi_record(record)
        assert parsed.entity_type == 1 and parsed.npi_status == "active"
        assert parsed.primary_taxonomy_code == record["taxonomies"][0]["code"]


def test_the_npi_in_a_bio_is_the_account_holders(world):
    truth = {
        row["external_id"]: row
        for row in csv_rows(world.out_dir / "truth" / "accounts.csv")
        if row["platform"] == "bluesky"
    }
    seen = 0
    for env in envelopes(world.out_dir, "bluesky", "profiles"):
        for profile in env["body"]["profiles"]:
            found = re.search(r"NPI (\d{10})", profile.get("description", ""))
            row = truth[profile["did"]]
            assert bool(found) == (row["link_method_expected"] == "npi-in-bio")
            if found:
                assert found.group(1) == row["npi"] and npi_is_valid(found.group(1))
                seen += 1
    assert seen > 20


def test_open_payments_rows_use_the_official_columns(world):
    with OPEN_PAYMENTS_SAMPLE.open(newline="") as handle:
        official = next(csv.reader(handle))
    path = world.out_dir / "payments" / "open-payments-demo.csv"
    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == official
    assert path.read_bytes().startswith(b'"Change_Type","Covered_Recipient_Type"')
    rows = csv_rows(path)
    assert rows
    record_ids = [row["Record_ID"] for row in rows]
    assert len(set(record_ids)) == len(record_ids) and all(
        r.isdigit() for r in record_ids
    )
    makers = {p.manufacturer: p for p in PRODUCTS.values()}
    start, _ = window_for_seed(SEED)
    generated = {
        str(r["number"])
        for path in (world.out_dir / "clinicians").glob("nppes-api-0*.json")
        for r in json.loads(path.read_text())["results"]
    }
    for row in rows:
        assert npi_is_valid(row["Covered_Recipient_NPI"])
        assert row["Covered_Recipient_NPI"] in generated  # never a real person
        product = makers[
            row["Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Name"]
        ]
        assert (
            row["Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_1"]
            == product.key
        )
        paid_on = datetime.strptime(row["Date_of_Payment"], "%m/%d/%Y").replace(
            tzinfo=UTC
        )
        assert paid_on < start
        assert float(row["Total_Amount_of_Payment_USDollars"]) > 0


# --- ground truth ------------------------------------------------------------------------


def test_truth_refers_to_posts_and_accounts_that_exist(world):
    truth = world.out_dir / "truth"
    posts = {(p, post["uri"]) for p, post in own_posts(world.out_dir)}
    accounts = set()
    for env in envelopes(world.out_dir, "bluesky", "profiles"):
        accounts |= {("bluesky", p["did"]) for p in env["body"]["profiles"]}
    for env in envelopes(world.out_dir, "mastodon", "profiles"):
        accounts.add(("mastodon", env["body"]["url"]))
    rows = csv_rows(truth / "accounts.csv")
    assert {(r["platform"], r["external_id"]) for r in rows} == accounts
    for name in (
        "micro_influencers.csv",
        "amplified_accounts.csv",
        "bots.csv",
        "pods.csv",
    ):
        table = csv_rows(truth / name)
        assert table, name
        assert {(r["platform"], r["external_id"]) for r in table} <= accounts
    violations = list(jsonl(truth / "post_violations.jsonl"))
    social = [v for v in violations if v["platform"] in ("bluesky", "mastodon")]
    assert {(v["platform"], v["external_id"]) for v in social} <= posts
    assert {(v["platform"], v["author_external_id"]) for v in social} <= accounts
    for v in violations:
        assert v["expected"] and set(v["expected"]) <= set(RULE_CODES)
        assert "PRODUCT_MENTION" in v["expected"] and v["product"] in PRODUCTS
    corpus = list(jsonl(truth / "compliance-corpus.jsonl"))
    assert {"text", "expected", "author_npi", "posted_at"} <= set(corpus[0])
    assert sum(1 for r in corpus if r["expected"]) == len(violations)
    assert any(not r["expected"] for r in corpus)


def test_every_rule_code_has_positives_and_look_alikes(world):
    corpus = list(jsonl(world.out_dir / "truth" / "compliance-corpus.jsonl"))
    per_code = Counter(code for row in corpus for code in row["expected"])
    for code in RULE_CODES:
        assert per_code[code] >= 10, code
    templates = Counter(row["template"] for row in corpus)
    for look_alike in ("negated_off_label", "negated_efficacy", "ae_lookalike", "ask_doctor",
                       "sponsored_disclosed", "coi_disclosed", "benefit_risk"):  # fmt: skip
        assert templates[look_alike] >= 3, look_alike


def test_violation_shares_follow_the_configuration(world):
    corpus = list(jsonl(world.out_dir / "truth" / "compliance-corpus.jsonl"))
    rows = [
        r
        for r in corpus
        if r["author_role"] in ("ordinary", "amp_ring", "pod_clin")
        and r["template"] in CLINICIAN_PRODUCT_MIX
    ]
    assert len(rows) > 300
    shares = Counter(r["template"] for r in rows)
    total = sum(CLINICIAN_PRODUCT_MIX.values())
    for template, weight in CLINICIAN_PRODUCT_MIX.items():
        assert abs(shares[template] / len(rows) - weight / total) < 0.05, template


def test_expected_codes_follow_the_templates_and_the_payments(world):
    payments = defaultdict(set)
    for row in csv_rows(world.out_dir / "payments" / "open-payments-demo.csv"):
        payments[row["Covered_Recipient_NPI"]].add(
            row["Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_1"]
        )
    coi = 0
    for row in jsonl(world.out_dir / "truth" / "compliance-corpus.jsonl"):
        if not row["product"]:
            assert row["expected"] == []
            continue
        paid = row["product"] in payments.get(row["author_npi"] or "", set())
        expected = set(TEMPLATE_CODES[row["template"]])
        if paid and row["template"] not in DISCLOSED:
            expected.add("COI_UNDISCLOSED")
            coi += 1
        assert set(row["expected"]) == expected, row
    assert coi >= 10


def test_real_clinicians_only_post_compliant_content(world):
    real = {
        row["npi"]
        for row in csv_rows(world.out_dir / "truth" / "clinicians.csv")
        if row["source"] == "nppes-fixture"
    }
    assert len(real) >= 20
    for row in jsonl(world.out_dir / "truth" / "compliance-corpus.jsonl"):
        if row["author_npi"] in real:
            assert set(row["expected"]) <= {"PRODUCT_MENTION"}


def test_labelled_conditions_match_the_fda_labels():
    spl = pytest.importorskip("compliance.labels.spl")
    from compliance.labels.conditions import conditions_match

    for product in PRODUCTS.values():
        label = spl.spl_parse(REFERENCE_DIR / "spl-labels" / product.label_file)
        approved = set(label.indication_conditions)
        assert label.sponsor == product.label_sponsor
        assert label.set_id == product.set_id
        for phrase in product.on_label:
            matches = {m.condition for m in conditions_match(phrase)}
            assert matches and matches <= approved, (product.key, phrase)
        for phrase in product.off_label:
            assert not ({m.condition for m in conditions_match(phrase)} & approved)
