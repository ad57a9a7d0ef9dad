"""Clinicians: the real NPPES individuals plus generated ones, and their paperwork.

* Real clinicians are the NPI-1 records of the bundled NPI Registry API responses
  (``fixtures/reference/nppes-npi-api-fixtures``), reused with their real NPIs, names
  and taxonomies. They only ever post compliant content and get no payments: the
  world must not invent misconduct for real, named people.
* Generated clinicians get valid NPIs (``npi_with_check_digit``), real NUCC codes,
  synthetic names and addresses (phone numbers in the fictional 555 range), and are
  written as NPI Registry API v2.1 responses (200 results per file, the API's limit).
* Paid clinicians get CMS Open Payments general-payment rows in the official PY2022
  CSV layout, from the manufacturer of the product they are paid for.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import orjson

from demoworld.config import PAID_CLINICIAN_SHARE, SizeConfig
from demoworld.rand import Chooser, generator
from demoworld.reference import (
    CITIES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    LAST_NAMES,
    NPPES_FIXTURES,
    PAYER_BIT,
    PRODUCTS,
    SPECIALTIES,
    STREETS,
    Specialty,
    nucc_desc,
    nucc_rows,
    nucc_specialty_path,
    open_payments_header,
)
from influencers.verification.npi import npi_with_check_digit

NPPES_PAGE = 200
_STATE_NAMES = {"GEORGIA": "GA", "ALABAMA": "AL", "NEW YORK": "NY", "CALIFORNIA": "CA"}


@dataclass
class Clinicians:
    """Every clinician of the world as compact arrays (index = clinician id)."""

    npi: np.ndarray  # int64
    real: np.ndarray  # bool
    spec: np.ndarray  # int16: index into ``specialties``
    gender: np.ndarray  # int8: 0 female, 1 male
    first: np.ndarray  # int16 into FIRST_NAMES_F / FIRST_NAMES_M
    last: np.ndarray  # int16 into LAST_NAMES
    middle: np.ndarray  # int8: letter A-Z
    cred: np.ndarray  # int8 into the specialty's credentials
    city: np.ndarray  # int16 into CITIES
    enum_day: np.ndarray  # int32: enumeration date, days since 1970-01-01
    paid: np.ndarray  # int8: PAYER_BIT mask of manufacturers that paid
    specialties: list[Specialty]
    real_records: dict[int, dict] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.npi)

    def first_name(self, i: int) -> str:
        if self.real[i]:
            return _title(self.real_records[i]["basic"].get("first_name", ""))
        names = FIRST_NAMES_F if self.gender[i] == 0 else FIRST_NAMES_M
        return names[int(self.first[i])]

    def last_name(self, i: int) -> str:
        if self.real[i]:
            return _title(self.real_records[i]["basic"].get("last_name", ""))
        return LAST_NAMES[int(self.last[i])]

    def credential(self, i: int) -> str:
        if self.real[i]:
            return self.real_records[i]["basic"].get("credential", "") or ""
        creds = self.specialties[int(self.spec[i])].credentials
        return creds[int(self.cred[i]) % len(creds)]

    def place(self, i: int) -> tuple[str, str]:
        """(city, state) of the practice location."""
        if self.real[i]:
            for address in self.real_records[i].get("addresses", []):
                if address.get("address_purpose") == "LOCATION":
                    state = address.get("state", "")
                    return _title(address.get("city", "")), _STATE_NAMES.get(
                        state, state
                    )
            return "", ""
        city, state, _, _ = CITIES[int(self.city[i])]
        return city, state

    def is_physician(self, i: int) -> bool:
        """An MD or DO (by taxonomy for generated clinicians, by credential for real)."""
        if self.real[i]:
            words = (
                self.credential(i).replace(".", "").replace(",", " ").upper().split()
            )
            return bool({"MD", "DO"} & set(words))
        spec = self.specialties[int(self.spec[i])]
        return spec.covered_recipient.endswith("Physician")


def _title(value: str) -> str:
    return " ".join(
        part.capitalize() if part.isupper() else part for part in value.split()
    )


def _ascii_upper(value: str) -> str:
    """NPPES style: upper case without accents (José -> JOSE)."""
    text = unicodedata.normalize("NFKD", value)
    return "".join(c for c in text if not unicodedata.combining(c)).upper()


def real_nppes_records() -> list[dict]:
    """NPI-1 records of the bundled real API responses, one per NPI (newest kept)."""
    newest: dict[str, dict] = {}
    for path in sorted(NPPES_FIXTURES.glob("api-*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        for record in payload.get("results", []) if isinstance(payload, dict) else []:
            if record.get("enumeration_type") != "NPI-1":
                continue
            number = str(record["number"])
            kept = newest.get(number)
            if kept is None or record.get("last_updated_epoch", 0) > kept.get(
                "last_updated_epoch", 0
            ):
                newest[number] = record
    return [newest[k] for k in sorted(newest)]


def _primary_code(record: dict) -> str:
    taxonomies = record.get("taxonomies") or []
    for taxonomy in taxonomies:
        if taxonomy.get("primary"):
            return taxonomy["code"]
    return taxonomies[0]["code"] if taxonomies else "207Q00000X"


def build_clinicians(cfg: SizeConfig, seed: int) -> Clinicians:
    """Real NPPES individuals first, then ``cfg.clinicians`` generated ones."""
    rng = generator(seed, 1)
    specialties = list(SPECIALTIES)
    codes = {s.code: i for i, s in enumerate(specialties)}
    real = real_nppes_records()
    real_spec = []
    for record in real:
        code = _primary_code(record)
        if code not in codes:
            row = nucc_rows()[code]
            codes[code] = len(specialties)
            specialties.append(
                Specialty(code, "other", row["Classification"], ("",), 0.0,
                          (("LIPITOR", 0.4), ("ELIQUIS", 0.3), ("HUMIRA", 0.3)), "", "")
            )  # fmt: skip
        real_spec.append(codes[code])
    n_real, n_gen = len(real), cfg.clinicians
    n = n_real + n_gen
    weights = np.array([s.weight for s in SPECIALTIES])
    gen_spec = rng.choice(len(SPECIALTIES), size=n_gen, p=weights / weights.sum())
    real_npis = {int(r["number"]) for r in real}
    prefixes = _unique_prefixes(rng, n_gen, exclude={x // 10 for x in real_npis})
    gen_npi = np.array(
        [int(npi_with_check_digit(str(p))) for p in prefixes], dtype=np.int64
    )
    clin = Clinicians(
        npi=np.concatenate(
            [np.array([int(r["number"]) for r in real], dtype=np.int64), gen_npi]
        ),
        real=np.zeros(n, dtype=bool),
        spec=np.concatenate(
            [np.array(real_spec, dtype=np.int16), gen_spec.astype(np.int16)]
        ),
        gender=rng.integers(0, 2, size=n, dtype=np.int8),
        first=rng.integers(
            0, min(len(FIRST_NAMES_F), len(FIRST_NAMES_M)), size=n
        ).astype(np.int16),
        last=rng.integers(0, len(LAST_NAMES), size=n).astype(np.int16),
        middle=rng.integers(0, 26, size=n, dtype=np.int8),
        cred=rng.integers(0, 8, size=n, dtype=np.int8),
        city=rng.integers(0, len(CITIES), size=n).astype(np.int16),
        enum_day=rng.integers(
            (date(2006, 1, 1) - date(1970, 1, 1)).days,
            (date(2023, 6, 1) - date(1970, 1, 1)).days,
            size=n,
        ).astype(np.int32),
        paid=np.zeros(n, dtype=np.int8),
        specialties=specialties,
    )
    clin.real[:n_real] = True
    clin.real_records = dict(enumerate(real))
    return clin


def _unique_prefixes(rng: np.random.Generator, n: int, exclude: set[int]) -> list[int]:
    """``n`` distinct nine-digit NPI prefixes starting with 1 (individuals)."""
    chosen: list[int] = []
    seen = set(exclude)
    while len(chosen) < n:
        batch = rng.integers(100_000_000, 200_000_000, size=(n - len(chosen)) * 2)
        for value in batch.tolist():
            if value not in seen:
                seen.add(value)
                chosen.append(value)
                if len(chosen) == n:
                    break
    return chosen


def assign_payments(
    clin: Clinicians,
    seed: int,
    eligible: np.ndarray,
    share: float = PAID_CLINICIAN_SHARE,
) -> None:
    """Mark a share of ``eligible`` clinicians as paid by one (rarely two) manufacturers.

    The manufacturer follows the specialty's products (rheumatology -> AbbVie for
    HUMIRA, cardiology -> BMS for ELIQUIS or Pfizer for LIPITOR).
    """
    rng = generator(seed, 2)
    candidates = np.flatnonzero(eligible)
    count = int(round(len(candidates) * share))
    if count == 0 and len(candidates):
        count = 1
    picked = np.sort(
        rng.choice(candidates, size=min(count, len(candidates)), replace=False)
    )
    for i in picked.tolist():
        spec = clin.specialties[int(clin.spec[i])]
        keys = [k for k, _ in spec.products]
        weights = np.array([w for _, w in spec.products])
        first = keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
        mask = PAYER_BIT[first]
        if len(keys) > 1 and rng.random() < 0.15:
            other = [k for k in keys if k != first][0]
            mask |= PAYER_BIT[other]
        clin.paid[i] = mask


def paid_products(mask: int) -> frozenset[str]:
    """Product keys whose manufacturer paid a clinician with this mask."""
    return frozenset(k for k, bit in PAYER_BIT.items() if mask & bit)


def nppes_record(clin: Clinicians, i: int) -> dict:
    """One generated clinician as an NPI Registry API v2.1 result record."""
    ch = Chooser(int(clin.npi[i]), 17)
    spec = clin.specialties[int(clin.spec[i])]
    city, state, zip3, area = CITIES[int(clin.city[i])]
    enumerated = date(1970, 1, 1).toordinal() + int(clin.enum_day[i])
    enum_date = date.fromordinal(enumerated)
    updated = date.fromordinal(
        min(enumerated + 200 + ch.below(3000), date(2025, 5, 1).toordinal())
    )
    first, last = clin.first_name(i), clin.last_name(i)
    middle = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(clin.middle[i])]
    credential = clin.credential(i)
    postal = f"{zip3}{ch.below(100):02d}{ch.below(10000):04d}"
    phone = f"{area}-555-{ch.below(10000):04d}"
    location = {
        "country_code": "US",
        "country_name": "United States",
        "address_purpose": "LOCATION",
        "address_type": "DOM",
        "address_1": f"{100 + ch.below(9800)} {ch.pick(STREETS)}",
        "address_2": f"SUITE {100 + ch.below(800)}" if ch.chance(0.6) else "",
        "city": city.upper(),
        "state": state,
        "postal_code": postal,
        "telephone_number": phone,
        "fax_number": f"{area}-555-{ch.below(10000):04d}",
    }
    mailing = dict(location, address_purpose="MAILING")
    basic: dict[str, str] = {}
    if clin.is_physician(i) and ch.chance(0.5):
        basic["name_prefix"] = "DR."
    basic.update(
        first_name=_ascii_upper(first),
        last_name=_ascii_upper(last),
        middle_name=middle,
        credential=credential,
        sole_proprietor="YES" if ch.chance(0.2) else "NO",
        gender="F" if clin.gender[i] == 0 else "M",
        enumeration_date=enum_date.isoformat(),
        last_updated=updated.isoformat(),
        status="A",
        name=f"{_ascii_upper(last)} {_ascii_upper(first)}",
    )
    epoch = datetime(enum_date.year, enum_date.month, enum_date.day, tzinfo=UTC)
    updated_epoch = datetime(updated.year, updated.month, updated.day, tzinfo=UTC)
    return {
        "enumeration_type": "NPI-1",
        "number": int(clin.npi[i]),
        "last_updated_epoch": int(updated_epoch.timestamp()),
        "created_epoch": int(epoch.timestamp()),
        "basic": basic,
        "other_names": [],
        "addresses": [location, mailing],
        "taxonomies": [
            {
                "code": spec.code,
                "desc": nucc_desc(spec.code),
                "primary": True,
                "state": state,
                "license": f"{state}{10000 + ch.below(89999)}",
            }
        ],
        "identifiers": [],
    }


def write_nppes(clin: Clinicians, out_dir: Path) -> list[Path]:
    """Write the clinicians as NPI Registry API responses; the real ones verbatim."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    real = [clin.real_records[i] for i in range(clin.n) if clin.real[i]]
    path = out_dir / "nppes-api-real.json"
    path.write_bytes(
        orjson.dumps(
            {"result_count": len(real), "results": real}, option=orjson.OPT_INDENT_2
        )
    )
    paths.append(path)
    generated = np.flatnonzero(~clin.real)
    for page, start in enumerate(range(0, len(generated), NPPES_PAGE)):
        chunk = generated[start : start + NPPES_PAGE]
        results = [nppes_record(clin, int(i)) for i in chunk]
        path = out_dir / f"nppes-api-{page:05d}.json"
        path.write_bytes(
            orjson.dumps(
                {"result_count": len(results), "results": results},
                option=orjson.OPT_INDENT_2,
            )
        )
        paths.append(path)
    return paths


_NATURE_FEE = (
    ("Consulting Fee", "Cash or cash equivalent", 1500, 6000),
    (
        "Compensation for services other than consulting, including serving as faculty "
        "or as a speaker at a venue other than a continuing education program",
        "Cash or cash equivalent",
        1000,
        5000,
    ),
    ("Honoraria", "Cash or cash equivalent", 500, 2500),
)
_NATURE_SMALL = (
    ("Food and Beverage", "In-kind items and services", 15, 120),
    ("Travel and Lodging", "In-kind items and services", 250, 1200),
)


def write_open_payments(clin: Clinicians, path: Path, program_year: int) -> int:
    """Write Open Payments general-payment rows for every paid clinician.

    Each paid clinician gets one or two fees (consulting, speaking, honoraria) and a
    few meals or travel, all in ``program_year`` (before the posting window) and all
    naming the paid-for product with its NDC. Returns the number of rows.
    """
    header = open_payments_header()
    path.parent.mkdir(parents=True, exist_ok=True)
    record_id = 950_000_000
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for i in np.flatnonzero(clin.paid).tolist():
            ch = Chooser(int(clin.npi[i]), 23)
            spec = clin.specialties[int(clin.spec[i])]
            record = nppes_record(clin, i)
            location = record["addresses"][0]
            credential = clin.credential(i)
            primary_type = spec.primary_type
            if spec.covered_recipient.endswith("Physician"):
                osteopath = credential.replace(".", "").startswith("DO")
                primary_type = "Doctor of Osteopathy" if osteopath else "Medical Doctor"
            profile_id = str(1_000_000 + int(clin.npi[i]) % 9_000_000)
            for key in sorted(paid_products(int(clin.paid[i]))):
                product = PRODUCTS[key]
                natures = [ch.pick(_NATURE_FEE)]
                if ch.chance(0.3):
                    natures.append(ch.pick(_NATURE_FEE))
                natures += [ch.pick(_NATURE_SMALL) for _ in range(1 + ch.below(3))]
                for nature, form, low, high in natures:
                    record_id += 1
                    day = date(program_year, 1, 10).toordinal() + ch.below(330)
                    paid_on = date.fromordinal(day)
                    row = dict.fromkeys(header, "")
                    row.update(
                        {
                            "Change_Type": "NEW",
                            "Covered_Recipient_Type": spec.covered_recipient,
                            "Covered_Recipient_Profile_ID": profile_id,
                            "Covered_Recipient_NPI": str(int(clin.npi[i])),
                            "Covered_Recipient_First_Name": record["basic"]["first_name"],
                            "Covered_Recipient_Middle_Name": record["basic"]["middle_name"],
                            "Covered_Recipient_Last_Name": record["basic"]["last_name"],
                            "Recipient_Primary_Business_Street_Address_Line1": location["address_1"],
                            "Recipient_Primary_Business_Street_Address_Line2": location["address_2"],
                            "Recipient_City": location["city"],
                            "Recipient_State": location["state"],
                            "Recipient_Zip_Code": f"{location['postal_code'][:5]}-{location['postal_code'][5:]}",
                            "Recipient_Country": "United States",
                            "Covered_Recipient_Primary_Type_1": primary_type,
                            "Covered_Recipient_Specialty_1": nucc_specialty_path(spec.code),
                            "Covered_Recipient_License_State_code1": location["state"],
                            "Submitting_Applicable_Manufacturer_or_Applicable_GPO_Name": product.submitting_name,
                            "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_ID": product.manufacturer_id,
                            "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Name": product.manufacturer,
                            "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_State": product.manufacturer_state,
                            "Applicable_Manufacturer_or_Applicable_GPO_Making_Payment_Country": "United States",
                            "Total_Amount_of_Payment_USDollars": f"{ch.uniform(low, high):.2f}",
                            "Date_of_Payment": paid_on.strftime("%m/%d/%Y"),
                            "Number_of_Payments_Included_in_Total_Amount": "1",
                            "Form_of_Payment_or_Transfer_of_Value": form,
                            "Nature_of_Payment_or_Transfer_of_Value": nature,
                            "Third_Party_Payment_Recipient_Indicator": "No Third Party Payment",
                            "Delay_in_Publication_Indicator": "No",
                            "Record_ID": str(record_id),
                            "Dispute_Status_for_Publication": "No",
                            "Related_Product_Indicator": "Yes",
                            "Covered_or_Noncovered_Indicator_1": "Covered",
                            "Indicate_Drug_or_Biological_or_Device_or_Medical_Supply_1": "Drug",
                            "Product_Category_or_Therapeutic_Area_1": product.op_category,
                            "Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_1": product.key,
                            "Associated_Drug_or_Biological_NDC_1": product.ndc,
                            "Program_Year": str(program_year),
                            "Payment_Publication_Date": f"06/30/{program_year + 1}",
                        }
                    )  # fmt: skip
                    if nature.startswith("Travel"):
                        row["City_of_Travel"] = location["city"]
                        row["State_of_Travel"] = location["state"]
                        row["Country_of_Travel"] = "United States"
                    writer.writerow([row[column] for column in header])
                    rows += 1
    return rows
