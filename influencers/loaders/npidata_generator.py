"""A seeded generator of NPPES ``npidata_pfile`` CSV files in the exact real layout.

For tests, demos and benchmarks of ``nppes_bulk``: all 330 columns, every value
double-quoted, ISO-8859-1, CRLF line ends (as CMS publishes the file), MM/DD/YYYY
dates, valid NPIs (Luhn with prefix 80840), real NUCC taxonomy codes with licences,
~10 % organizations, Latin-1 names (MÜLLER, PEÑA), deactivated NPIs as the real file
has them (stubs: NPI and deactivation date only) and some reactivated ones. Malformed
rows can be injected at given lines. Streams: memory does not grow with ``rows``.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from influencers.loaders.nppes_bulk import COL, ENCODING, NCOLS, NPIDATA_COLUMNS
from influencers.verification.npi import npi_with_check_digit

MALFORMED_KINDS = ("bad_npi", "bad_date", "short_row", "nul_byte", "bad_entity_type")
FILE_DATE = date(2025, 6, 8)  # the layout's file (npidata_pfile_20050523-20250608)
FIRST_ENUMERATION = date(2005, 5, 23)
_NPI_STRIDE = 7_919_191  # coprime with 10**8: k -> NPI body is a bijection
_WRITE_EVERY = 5_000


def _words(text: str) -> list[str]:
    return text.split()


FIRST_MALE = _words(
    "JAMES JOHN ROBERT MICHAEL WILLIAM DAVID RICHARD JOSEPH THOMAS CHARLES "
    "CHRISTOPHER DANIEL MATTHEW ANTHONY MARK DONALD STEVEN PAUL ANDREW JOSHUA KEVIN "
    "BRIAN GEORGE TIMOTHY RONALD JASON EDWARD JEFFREY RYAN JACOB NICHOLAS ERIC "
    "JONATHAN STEPHEN RAJESH WEI HIROSHI AHMED OMAR JOSÉ ANDRÉ RENÉ FRANÇOIS JESÚS "
    "MATTHIAS SØREN"
)
FIRST_FEMALE = _words(
    "MARY PATRICIA JENNIFER LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN LISA "
    "NANCY BETTY MARGARET SANDRA ASHLEY KIMBERLY EMILY DONNA MICHELLE CAROL AMANDA "
    "MELISSA DEBORAH STEPHANIE REBECCA LAURA SHARON CYNTHIA KATHLEEN AMY ANGELA "
    "PRIYA MEI YUKI FATIMA AISHA MARÍA ZOË JOSÉPHINE HÉLÈNE INÉS BEATRIZ"
)
LAST_NAMES = _words(
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ "
    "HERNANDEZ LOPEZ GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE "
    "PEREZ THOMPSON WHITE HARRIS SANCHEZ CLARK RAMIREZ LEWIS ROBINSON WALKER YOUNG "
    "ALLEN KING WRIGHT SCOTT TORRES NGUYEN HILL FLORES GREEN ADAMS NELSON BAKER HALL "
    "RIVERA CAMPBELL MITCHELL CARTER ROBERTS PATEL SHAH KIM CHEN WANG SINGH KHAN "
    "COHEN GOLDBERG O'BRIEN O'CONNOR D'ANGELO MÜLLER PEÑA NÚÑEZ GARCÍA MARTÍNEZ "
    "RODRÍGUEZ LÓPEZ GONZÁLEZ HERNÁNDEZ PÉREZ SÁNCHEZ RAMÍREZ GÓMEZ DÍAZ JIMÉNEZ "
    "ÁLVAREZ SCHRÖDER BJÖRKMAN LEFÈVRE BÉLANGER CÔTÉ FRANÇOIS STRAßER OLSEN "
    "MCDONALD SULLIVAN MURPHY KELLY"
)
LAST_NAMES += ["VAN DER BERG", "DE LA CRUZ", "SMITH-JONES", "GARCIA LOPEZ"]
STREETS = _words(
    "MAIN OAK MAPLE PINE CEDAR ELM WASHINGTON LAKE HILL PARK WALNUT SPRING RIDGE "
    "CHURCH HIGHLAND MILL UNIVERSITY MEDICAL CENTER HOSPITAL LINCOLN JEFFERSON "
    "MADISON FRANKLIN JACKSON WILSHIRE PEACHTREE BROADWAY MARKET"
)
STREET_KINDS = ("ST", "AVE", "BLVD", "RD", "DR", "LN", "WAY", "PKWY", "CT", "HWY")
SECOND_LINES = ("SUITE 100", "STE 210", "SUITE 4B", "FLOOR 3", "BLDG C", "UNIT 12")
# (city, USPS state, first 3 ZIP digits, area code)
CITIES = (
    ("NEW YORK", "NY", "100", "212"),
    ("BROOKLYN", "NY", "112", "718"),
    ("LOS ANGELES", "CA", "900", "213"),
    ("SAN DIEGO", "CA", "921", "619"),
    ("SAN FRANCISCO", "CA", "941", "415"),
    ("CHICAGO", "IL", "606", "312"),
    ("HOUSTON", "TX", "770", "713"),
    ("DALLAS", "TX", "752", "214"),
    ("SAN ANTONIO", "TX", "782", "210"),
    ("PHOENIX", "AZ", "850", "602"),
    ("PHILADELPHIA", "PA", "191", "215"),
    ("PITTSBURGH", "PA", "152", "412"),
    ("JACKSONVILLE", "FL", "322", "904"),
    ("MIAMI", "FL", "331", "305"),
    ("TAMPA", "FL", "336", "813"),
    ("COLUMBUS", "OH", "432", "614"),
    ("CLEVELAND", "OH", "441", "216"),
    ("INDIANAPOLIS", "IN", "462", "317"),
    ("CHARLOTTE", "NC", "282", "704"),
    ("RALEIGH", "NC", "276", "919"),
    ("SEATTLE", "WA", "981", "206"),
    ("DENVER", "CO", "802", "303"),
    ("BOSTON", "MA", "021", "617"),
    ("NASHVILLE", "TN", "372", "615"),
    ("MEMPHIS", "TN", "381", "901"),
    ("DETROIT", "MI", "482", "313"),
    ("PORTLAND", "OR", "972", "503"),
    ("LAS VEGAS", "NV", "891", "702"),
    ("BALTIMORE", "MD", "212", "410"),
    ("MILWAUKEE", "WI", "532", "414"),
    ("ALBUQUERQUE", "NM", "871", "505"),
    ("ATLANTA", "GA", "303", "404"),
    ("SAVANNAH", "GA", "314", "912"),
    ("BIRMINGHAM", "AL", "352", "205"),
    ("MINNEAPOLIS", "MN", "554", "612"),
    ("NEW ORLEANS", "LA", "701", "504"),
    ("SALT LAKE CITY", "UT", "841", "801"),
    ("SAN JUAN", "PR", "009", "787"),
    ("ANCHORAGE", "AK", "995", "907"),
    ("HONOLULU", "HI", "968", "808"),
    ("OMAHA", "NE", "681", "402"),
    ("LOUISVILLE", "KY", "402", "502"),
    ("RICHMOND", "VA", "232", "804"),
    ("NEWARK", "NJ", "071", "973"),
    ("HARTFORD", "CT", "061", "860"),
    ("BURLINGTON", "VT", "054", "802"),
)
ORG_KINDS = (
    "MEDICAL GROUP, PC",
    "FAMILY MEDICINE, LLC",
    "PHARMACY INC",
    "HOME HEALTH CARE, INC.",
    "REGIONAL MEDICAL CENTER",
    "IMAGING CENTER LLC",
    "PHYSICAL THERAPY PLLC",
    "DIALYSIS CENTER",
    "URGENT CARE LLC",
    "ANESTHESIA ASSOCIATES, P.A.",
)
# Share of individual taxonomies by NUCC grouping (the rest spread over the others).
GROUPING_WEIGHTS = {
    "Allopathic & Osteopathic Physicians": 40,
    "Physician Assistants & Advanced Practice Nursing Providers": 15,
    "Nursing Service Providers": 9,
    "Behavioral Health & Social Service Providers": 9,
    "Respiratory, Developmental, Rehabilitative and Restorative Service Providers": 6,
    "Dental Providers": 6,
    "Pharmacy Service Providers": 4,
    "Eye and Vision Services Providers": 2,
    "Chiropractic Providers": 2,
    "Podiatric Medicine & Surgery Service Providers": 1,
}
CREDENTIALS = {
    "Allopathic & Osteopathic Physicians": ("MD", "M.D.", "MD", "M.D.", "DO", "D.O."),
    "Physician Assistant": ("PA-C", "PA", "P.A.-C"),
    "Nurse Practitioner": ("NP", "APRN", "FNP-C", "CRNP", "ANP-BC"),
    "Advanced Practice Midwife": ("CNM",),
    "Clinical Nurse Specialist": ("CNS", "APRN"),
    "Nursing Service Providers": ("RN", "R.N.", "LPN", "BSN, RN"),
    "Pharmacy Service Providers": ("PHARMD", "PHARM.D.", "RPH"),
    "Dental Providers": ("DDS", "D.D.S.", "DMD"),
    "Behavioral Health & Social Service Providers": (
        "LCSW",
        "PHD",
        "PSYD",
        "LPC",
        "LMFT",
    ),
    "Respiratory, Developmental, Rehabilitative and Restorative Service Providers": (
        "PT",
        "DPT",
        "OTR/L",
        "RRT",
    ),
    "Eye and Vision Services Providers": ("OD", "O.D."),
    "Chiropractic Providers": ("DC", "D.C."),
    "Podiatric Medicine & Surgery Service Providers": ("DPM",),
}
AO_TITLES = ("CEO", "OWNER", "PRESIDENT", "ADMINISTRATOR", "CFO", "MANAGING MEMBER")


@dataclass
class NpidataSummary:
    """What one generated file holds (malformed rows are counted apart)."""

    path: Path
    rows: int = 0
    individuals: int = 0
    organizations: int = 0
    deactivated_stubs: int = 0
    reactivated: int = 0
    taxonomies: int = 0
    malformed: dict[int, str] = field(default_factory=dict)
    # NPI at each line named in deactivate_lines, mutate_lines or malformed.
    npis: dict[int, str] = field(default_factory=dict)
    bytes: int = 0


class _Taxonomies:
    """Real NUCC codes with weights for individuals and organizations."""

    def __init__(self, nucc_path: Path) -> None:
        individual: list[tuple[str, str, str]] = []
        organization: list[str] = []
        with nucc_path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code, grouping = row["Code"], row["Grouping"]
                if row["Section"] == "Non-Individual":
                    organization.append(code)
                elif grouping in GROUPING_WEIGHTS:
                    individual.append((code, grouping, row["Classification"]))
        if not individual or not organization:
            raise ValueError(f"{nucc_path}: no NUCC taxonomy codes found")
        by_grouping: dict[str, list[tuple[str, str, str]]] = {}
        for entry in individual:
            by_grouping.setdefault(entry[1], []).append(entry)
        # An expanded list drawn uniformly: grouping shares as GROUPING_WEIGHTS, and
        # classification-level codes (no specialization) 4x as common as the others.
        self.individual: list[tuple[str, str, str]] = []
        for grouping, weight in GROUPING_WEIGHTS.items():
            entries = by_grouping.get(grouping, [])
            weighted = [
                e for e in entries for _ in range(4 if e[0][4:9] == "00000" else 1)
            ]
            if weighted:
                self.individual.extend(weighted * max(1, weight * 100 // len(weighted)))
        self.organization = organization


def npidata_write(
    path: Path,
    *,
    rows: int,
    seed: int = 0,
    organization_share: float = 0.10,
    deactivated_share: float = 0.02,
    reactivated_share: float = 0.01,
    malformed: Mapping[int, str] | None = None,
    deactivate_lines: Collection[int] = (),
    mutate_lines: Collection[int] = (),
    line_ending: str = "\r\n",
    nucc_path: Path | None = None,
) -> NpidataSummary:
    """Write ``rows`` data records (plus the header) to ``path``; return a summary.

    Deterministic for a given ``seed``: the same arguments give the same bytes, and
    ``malformed``, ``deactivate_lines`` and ``mutate_lines`` (physical line numbers;
    the header is line 1) change only their own lines, so a second file with the same
    seed is the first one with those lines changed:
    - ``malformed``: line -> one of ``MALFORMED_KINDS``;
    - ``deactivate_lines``: the record becomes a deactivation stub of the same NPI;
    - ``mutate_lines``: the record gets a new single primary taxonomy and a later
      ``Last Update Date`` (an update to an existing provider).
    Overwrites ``path``. Memory does not grow with ``rows``.
    """
    malformed = dict(malformed or {})
    for line, kind in malformed.items():
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"line {line}: unknown malformed kind {kind!r}")
    if rows >= 10**8:
        raise ValueError("at most 99,999,999 rows")
    if nucc_path is None:
        from django.conf import settings

        nucc_path = (
            Path(settings.REFERENCE_DATA_DIR)
            / "nucc-taxonomy"
            / "nucc_taxonomy_251.csv"
        )
    taxonomies = _Taxonomies(nucc_path)
    rng = random.Random(seed)
    summary = NpidataSummary(path=path, malformed=malformed)
    deactivate = set(deactivate_lines)
    mutate = set(mutate_lines)
    special = deactivate | mutate | set(malformed)
    row_maker = _RowMaker(rng, taxonomies)
    header = ",".join(f'"{name}"' for name in NPIDATA_COLUMNS) + line_ending
    offset = rng.randrange(10**8)
    buffer: list[str] = []
    with path.open("w", encoding=ENCODING, newline="") as handle:
        handle.write(header)
        for k in range(rows):
            line = k + 2
            body = (offset + _NPI_STRIDE * k) % 10**8
            npi = npi_with_check_digit(("1" if k % 5 else "2") + f"{body:08d}")
            draw = rng.random()
            if draw < deactivated_share:
                kind = "stub"
                fields = row_maker.stub(npi)
            else:
                kind = (
                    "organization"
                    if draw < deactivated_share + organization_share
                    else "individual"
                )
                reactivated = rng.random() < reactivated_share
                fields = row_maker.full(
                    npi, organization=kind == "organization", reactivated=reactivated
                )
            if line in special:
                summary.npis[line] = npi
                if line in mutate and kind != "stub":
                    row_maker.mutate(fields, random.Random(f"{seed}:{line}"))
                if line in deactivate:
                    deactivated_on = _mdy(
                        _day_between(
                            random.Random(f"{seed}:d{line}"),
                            FILE_DATE.toordinal() - 300,
                            FILE_DATE.toordinal(),
                        )
                    )
                    fields = row_maker.stub(npi, deactivated_on=deactivated_on)
                    kind = "stub"
                if line in malformed:
                    fields = _corrupt(fields, malformed[line])
                    kind = "malformed"
            if kind == "individual":
                summary.individuals += 1
            elif kind == "organization":
                summary.organizations += 1
            elif kind == "stub":
                summary.deactivated_stubs += 1
            if kind in ("individual", "organization"):
                summary.taxonomies += sum(
                    1 for i in range(15) if fields[I_TAX1 + 4 * i]
                )
                if fields[I_REACTIVATION]:
                    summary.reactivated += 1
            buffer.append('"' + '","'.join(fields) + '"' + line_ending)
            if len(buffer) >= _WRITE_EVERY:
                handle.write("".join(buffer))
                buffer.clear()
        handle.write("".join(buffer))
    summary.rows = rows
    summary.bytes = path.stat().st_size
    return summary


I_TAX1 = COL["Healthcare Provider Taxonomy Code_1"]
I_REACTIVATION = COL["NPI Reactivation Date"]
I_LAST_UPDATE = COL["Last Update Date"]
I_ENUMERATION = COL["Provider Enumeration Date"]
I_OTHER_ID1 = COL["Other Provider Identifier_1"]
I_GROUP1 = COL["Healthcare Provider Taxonomy Group_1"]
_EMPTY = [""] * NCOLS


def _mdy(ordinal: int) -> str:
    day = date.fromordinal(ordinal)
    return f"{day.month:02d}/{day.day:02d}/{day.year}"


def _day_between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _corrupt(fields: list[str], kind: str) -> list[str]:
    """One malformed record of the given kind (see ``MALFORMED_KINDS``)."""
    fields = list(fields)
    if kind == "bad_npi":
        npi = fields[0]
        fields[0] = npi[:9] + str((int(npi[9]) + 1) % 10)
    elif kind == "bad_date":
        fields[I_ENUMERATION] = "02/30/2019"
    elif kind == "short_row":
        fields = fields[:300]
    elif kind == "nul_byte":
        fields[COL["Provider Last Name (Legal Name)"]] += "\x00X"
    elif kind == "bad_entity_type":
        fields[COL["Entity Type Code"]] = "3"
    return fields


class _RowMaker:
    """Builds one record's 330 values with a shared random stream."""

    def __init__(self, rng: random.Random, taxonomies: _Taxonomies) -> None:
        self.random = rng.random
        self.taxonomies = taxonomies
        self.first_enumeration = FIRST_ENUMERATION.toordinal()
        self.file_day = FILE_DATE.toordinal()

    def pick(self, items):
        return items[int(self.random() * len(items))]

    def digits(self, n: int) -> str:
        return str(int(self.random() * 10**n)).zfill(n)

    def stub(self, npi: str, *, deactivated_on: str | None = None) -> list[str]:
        """A deactivated NPI as the real file shows it: NPI and date, nothing else."""
        fields = _EMPTY.copy()
        fields[0] = npi
        if deactivated_on is None:
            low = self.first_enumeration + 400
            deactivated_on = _mdy(low + int(self.random() * (self.file_day - low)))
        fields[COL["NPI Deactivation Date"]] = deactivated_on
        return fields

    def address(self, fields: list[str], start: int, city_entry) -> None:
        """Fill the 8 address columns at ``start`` (line 1 .. fax)."""
        city, state, zip3, area = city_entry
        random = self.random
        fields[start] = (
            f"{int(random() * 9900) + 1} {self.pick(STREETS)} {self.pick(STREET_KINDS)}"
        )
        if random() < 0.25:
            fields[start + 1] = self.pick(SECOND_LINES)
        fields[start + 2] = city
        fields[start + 3] = state
        postal = zip3 + self.digits(2)
        fields[start + 4] = postal + self.digits(4) if random() < 0.7 else postal
        fields[start + 5] = "US"
        fields[start + 6] = area + self.digits(7)
        if random() < 0.5:
            fields[start + 7] = area + self.digits(7)

    def full(self, npi: str, *, organization: bool, reactivated: bool) -> list[str]:
        """A complete individual (NPI-1) or organization (NPI-2) record."""
        random = self.random
        fields = _EMPTY.copy()
        fields[0] = npi
        city_entry = self.pick(CITIES)
        state = city_entry[1]
        self.address(
            fields, COL["Provider First Line Business Mailing Address"], city_entry
        )
        if random() < 0.6:  # practice location = mailing address
            fields[28:36] = fields[20:28]
        else:
            self.address(
                fields,
                COL["Provider First Line Business Practice Location Address"],
                city_entry if random() < 0.8 else self.pick(CITIES),
            )
        enumerated = self.first_enumeration + int(
            random() * (self.file_day - self.first_enumeration - 30)
        )
        updated = enumerated + int(random() * (self.file_day - enumerated))
        fields[I_ENUMERATION] = _mdy(enumerated)
        fields[I_LAST_UPDATE] = _mdy(updated)
        if reactivated:
            off = enumerated + int(random() * (updated - enumerated + 1) * 0.5)
            fields[COL["NPI Deactivation Date"]] = _mdy(off)
            fields[I_REACTIVATION] = _mdy(off + 1 + int(random() * 200))
        if random() < 0.6:
            fields[COL["Certification Date"]] = _mdy(
                updated + int(random() * (self.file_day - updated + 1))
            )
        if organization:
            self.organization(fields, state)
        else:
            self.individual(fields, state)
        if random() < 0.3:  # other provider identifiers (Medicaid and others)
            for n in range(1 + int(random() * 2)):
                base = I_OTHER_ID1 + 4 * n
                medicaid = random() < 0.7
                fields[base] = self.digits(7 + int(random() * 4))
                fields[base + 1] = "05" if medicaid else "01"
                fields[base + 2] = state if medicaid else ""
                fields[base + 3] = (
                    ""
                    if medicaid
                    else self.pick(("BCBS", "AETNA", "HUMANA", "TRICARE"))
                )
        return fields

    def individual(self, fields: list[str], state: str) -> None:
        random = self.random
        fields[COL["Entity Type Code"]] = "1"
        female = random() < 0.52
        fields[COL["Provider Last Name (Legal Name)"]] = self.pick(LAST_NAMES)
        fields[COL["Provider First Name"]] = self.pick(
            FIRST_FEMALE if female else FIRST_MALE
        )
        draw = random()
        if draw < 0.45:
            fields[COL["Provider Middle Name"]] = self.pick(
                FIRST_FEMALE if female else FIRST_MALE
            )
        elif draw < 0.75:
            fields[COL["Provider Middle Name"]] = chr(65 + int(random() * 26))
        if random() < 0.12:
            fields[COL["Provider Name Prefix Text"]] = self.pick(
                ("DR.", "DR.", "MS.", "MR.", "MRS.")
            )
        if random() < 0.03:
            fields[COL["Provider Name Suffix Text"]] = self.pick(
                ("JR.", "SR.", "II", "III")
            )
        fields[COL["Provider Sex Code"]] = "F" if female else "M"
        fields[COL["Is Sole Proprietor"]] = self.pick(("N", "N", "N", "Y", "X"))
        first = self.pick(self.taxonomies.individual)
        credentials = CREDENTIALS.get(first[2]) or CREDENTIALS.get(first[1])
        if credentials and random() < 0.93:
            fields[COL["Provider Credential Text"]] = self.pick(credentials)
        codes = [first[0]]
        draw = random()
        extra = 0 if draw < 0.7 else 1 if draw < 0.92 else 2
        pool = self.taxonomies.individual
        for _ in range(extra):
            entry = self.pick(pool)
            if entry[1] != first[1]:  # mostly a second code from the same field
                entry = self.pick(pool)
            if entry[0] not in codes:
                codes.append(entry[0])
        primary = int(random() * len(codes)) if random() < 0.1 else 0
        for n, code in enumerate(codes):
            base = I_TAX1 + 4 * n
            fields[base] = code
            licensed = first[1] != "Other Service Providers" and random() < 0.9
            if licensed:
                fields[base + 1] = self.license()
                fields[base + 2] = state if random() < 0.85 else self.pick(CITIES)[1]
            fields[base + 3] = "Y" if n == primary else "N"
            if random() < 0.03:
                fields[I_GROUP1 + n] = "193400000X SINGLE SPECIALTY  GROUP"

    def license(self) -> str:
        draw = self.random()
        if draw < 0.4:
            return self.digits(5 + int(self.random() * 3))
        if draw < 0.8:
            return chr(65 + int(self.random() * 26)) + self.digits(5)
        return self.pick(("MD", "RN", "PA", "DO", "NP")) + "." + self.digits(6)

    def organization(self, fields: list[str], state: str) -> None:
        random = self.random
        fields[COL["Entity Type Code"]] = "2"
        draw = random()
        if draw < 0.5:
            name = f"{self.pick(LAST_NAMES)} {self.pick(ORG_KINDS)}"
        elif draw < 0.8:
            name = f"{self.pick(CITIES)[0]} {self.pick(ORG_KINDS)}"
        else:
            name = f"{self.pick(STREETS)} {self.pick(ORG_KINDS)}"
        fields[COL["Provider Organization Name (Legal Business Name)"]] = name
        fields[COL["Authorized Official Last Name"]] = self.pick(LAST_NAMES)
        fields[COL["Authorized Official First Name"]] = self.pick(
            FIRST_FEMALE + FIRST_MALE
        )
        fields[COL["Authorized Official Title or Position"]] = self.pick(AO_TITLES)
        fields[COL["Authorized Official Telephone Number"]] = fields[
            COL["Provider Business Mailing Address Telephone Number"]
        ]
        subpart = random() < 0.2
        fields[COL["Is Organization Subpart"]] = "Y" if subpart else "N"
        if subpart:
            fields[COL["Parent Organization LBN"]] = (
                f"{self.pick(CITIES)[0]} HEALTH SYSTEM"
            )
        codes = [self.pick(self.taxonomies.organization)]
        if random() < 0.2:
            code = self.pick(self.taxonomies.organization)
            if code not in codes:
                codes.append(code)
        for n, code in enumerate(codes):
            base = I_TAX1 + 4 * n
            fields[base] = code
            if random() < 0.3:
                fields[base + 1] = self.license()
                fields[base + 2] = state
            fields[base + 3] = "Y" if n == 0 else "N"

    def mutate(self, fields: list[str], rng: random.Random) -> None:
        """Give an existing record a new single primary taxonomy and a later update."""
        pool = (
            self.taxonomies.individual
            if fields[COL["Entity Type Code"]] == "1"
            else [(c, "", "") for c in self.taxonomies.organization]
        )
        current = fields[I_TAX1]
        while True:
            code = pool[int(rng.random() * len(pool))][0]
            if code != current:
                break
        for n in range(15):
            fields[I_TAX1 + 4 * n : I_TAX1 + 4 * n + 4] = ["", "", "", ""]
        fields[I_TAX1] = code
        fields[I_TAX1 + 1] = "M" + str(int(rng.random() * 10**6)).zfill(6)
        fields[I_TAX1 + 2] = fields[
            COL["Provider Business Practice Location Address State Name"]
        ]
        fields[I_TAX1 + 3] = "Y"
        fields[I_LAST_UPDATE] = _mdy(FILE_DATE.toordinal())
