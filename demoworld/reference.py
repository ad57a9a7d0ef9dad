"""Static facts the world is built from: specialties, products, names, places.

Products follow the real FDA labels bundled in ``fixtures/reference/spl-labels``
(HUMIRA 2013, LIPITOR 2014, ELIQUIS 2025): brand and generic names, the label's
sponsor, an NDC from the label's product data, and condition phrases inside and
outside the approved indications. The Open Payments manufacturer names and ids are
the ones CMS publishes for these companies (seen in the bundled PY2013 rows).
Adverse-event wording mixes each label's adverse-reaction terms, FAERS MedDRA
preferred terms (openFDA test data, CC0) and PsyTAR phrases (CC BY 4.0, see
``data/psytar_adr_phrases.txt``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO_ROOT / "fixtures" / "reference"
NUCC_CSV = REFERENCE_DIR / "nucc-taxonomy" / "nucc_taxonomy_251.csv"
NPPES_FIXTURES = REFERENCE_DIR / "nppes-npi-api-fixtures"
OPEN_PAYMENTS_SAMPLE = (
    REFERENCE_DIR / "open-payments" / "op_gnrl_py2022_api_sample_100.csv"
)
PSYTAR_PHRASES = Path(__file__).resolve().parent / "data" / "psytar_adr_phrases.txt"


@dataclass(frozen=True)
class Specialty:
    """A NUCC taxonomy code the world uses, with the words people put in bios."""

    code: str
    group: str  # topic group for post text: cardio, rheum, primary, ...
    title: str  # how a bio names the job: "Cardiologist"
    credentials: tuple[str, ...]  # NPPES credential text
    weight: float  # share of generated clinicians
    products: tuple[tuple[str, float], ...]  # product key -> weight in product posts
    covered_recipient: str  # Open Payments recipient type ("" = not covered)
    primary_type: str  # Open Payments Covered_Recipient_Primary_Type_1


PHYSICIAN = "Covered Recipient Physician"
NPP = "Covered Recipient Non-Physician Practitioner"
_MD = ("MD", "M.D.", "DO", "D.O.", "MD, FACP")

SPECIALTIES: tuple[Specialty, ...] = (
    Specialty("207RC0000X", "cardio", "Cardiologist", ("MD", "M.D.", "DO", "MD, FACC"), 0.15,
              (("ELIQUIS", 0.55), ("LIPITOR", 0.45)), PHYSICIAN, "Medical Doctor"),
    Specialty("207RR0500X", "rheum", "Rheumatologist", _MD, 0.11,
              (("HUMIRA", 1.0),), PHYSICIAN, "Medical Doctor"),
    Specialty("207R00000X", "primary", "Internal medicine physician", _MD, 0.13,
              (("LIPITOR", 0.5), ("ELIQUIS", 0.35), ("HUMIRA", 0.15)), PHYSICIAN,
              "Medical Doctor"),
    Specialty("207Q00000X", "primary", "Family physician", ("MD", "DO", "M.D."), 0.13,
              (("LIPITOR", 0.55), ("ELIQUIS", 0.3), ("HUMIRA", 0.15)), PHYSICIAN,
              "Doctor of Osteopathy"),
    Specialty("207RE0101X", "endo", "Endocrinologist", ("MD", "M.D."), 0.07,
              (("LIPITOR", 1.0),), PHYSICIAN, "Medical Doctor"),
    Specialty("207RH0003X", "hemonc", "Hematologist-oncologist", ("MD", "M.D."), 0.06,
              (("ELIQUIS", 1.0),), PHYSICIAN, "Medical Doctor"),
    Specialty("207RG0100X", "gi", "Gastroenterologist", ("MD", "M.D.", "DO"), 0.05,
              (("HUMIRA", 1.0),), PHYSICIAN, "Medical Doctor"),
    Specialty("207N00000X", "derm", "Dermatologist", ("MD", "DO"), 0.05,
              (("HUMIRA", 1.0),), PHYSICIAN, "Medical Doctor"),
    Specialty("183500000X", "pharm", "Clinical pharmacist", ("PharmD", "PHARMD", "RPH"), 0.09,
              (("ELIQUIS", 0.4), ("LIPITOR", 0.35), ("HUMIRA", 0.25)), "", ""),
    Specialty("363LF0000X", "np", "Family nurse practitioner", ("FNP-C", "NP", "DNP, FNP-BC"),
              0.06, (("LIPITOR", 0.5), ("ELIQUIS", 0.3), ("HUMIRA", 0.2)), NPP,
              "Nurse Practitioner"),
    Specialty("363L00000X", "np", "Nurse practitioner", ("NP", "APRN", "MSN, NP"), 0.04,
              (("LIPITOR", 0.5), ("ELIQUIS", 0.3), ("HUMIRA", 0.2)), NPP,
              "Nurse Practitioner"),
    Specialty("363A00000X", "np", "Physician assistant", ("PA-C", "PA"), 0.03,
              (("LIPITOR", 0.5), ("ELIQUIS", 0.3), ("HUMIRA", 0.2)), NPP,
              "Physician Assistant"),
    Specialty("207RX0202X", "hemonc", "Medical oncologist", ("MD", "M.D."), 0.02,
              (("ELIQUIS", 1.0),), PHYSICIAN, "Medical Doctor"),
)  # fmt: skip


@dataclass(frozen=True)
class Product:
    """One labelled product and everything post text needs to talk about it."""

    key: str
    brand: str
    generic: str
    brand_forms: tuple[str, ...]
    generic_forms: tuple[str, ...]
    hashtags: tuple[str, ...]
    misspellings: tuple[str, ...]
    drug_class: str
    label_file: str
    label_sponsor: str
    set_id: str
    pi_url: str
    manufacturer: str  # Open Payments: making-payment name
    manufacturer_id: str
    manufacturer_state: str
    submitting_name: str
    payer_key: str  # short name used in sponsorship text: "AbbVie"
    brand_handle: str
    ndc: str
    op_category: str
    dose: tuple[str, ...]
    on_label: tuple[str, ...]
    off_label: tuple[str, ...]
    risks: tuple[str, ...]
    benefits: tuple[str, ...]
    ae_events: tuple[str, ...]


PRODUCTS: dict[str, Product] = {
    "HUMIRA": Product(
        key="HUMIRA", brand="Humira", generic="adalimumab",
        brand_forms=("Humira", "HUMIRA", "Humira®"), generic_forms=("adalimumab",),
        hashtags=("#Humira", "#adalimumab"), misspellings=("Humera", "humria"),
        drug_class="TNF blocker", label_file="humira.xml", label_sponsor="AbbVie Inc.",
        set_id="608d4f0d-b19f-46d3-749a-7159aa5f933d",
        pi_url="https://www.rxabbvie.com/pdf/humira.pdf",
        manufacturer="AbbVie Inc.", manufacturer_id="100000000204",
        manufacturer_state="IL", submitting_name="AbbVie Inc.", payer_key="AbbVie",
        brand_handle="humira", ndc="0074-3799-02", op_category="Immunology",
        dose=("40 mg every other week", "40 mg EOW", "the 40 mg pen"),
        on_label=("rheumatoid arthritis", "RA", "psoriatic arthritis",
                  "ankylosing spondylitis", "Crohn's disease", "ulcerative colitis",
                  "plaque psoriasis"),
        off_label=("sarcoidosis", "alopecia areata", "lupus", "pyoderma gangrenosum",
                   "giant cell arteritis"),
        risks=("Boxed warning: serious infections and malignancy, so screen for TB first.",
               "Serious infections are the big risk (boxed warning); check the full PI.",
               "Watch for serious infections and injection-site reactions."),
        benefits=("has worked really well for my {cond} patients",
                  "helped my {cond} patients get back to work",
                  "gave us good disease control in my {cond} patients",
                  "improved symptoms within weeks in my {cond} patients"),
        ae_events=("a serious infection", "pneumonia", "an injection site reaction",
                   "sinusitis", "a urinary tract infection", "cellulitis", "a rash",
                   "upper respiratory tract infection"),
    ),
    "LIPITOR": Product(
        key="LIPITOR", brand="Lipitor", generic="atorvastatin",
        brand_forms=("Lipitor", "LIPITOR", "Lipitor®"),
        generic_forms=("atorvastatin", "atorvastatin calcium"),
        hashtags=("#Lipitor", "#atorvastatin"), misspellings=("lipiter", "Liptor"),
        drug_class="statin", label_file="lipitor-orig.xml",
        label_sponsor="Parke-Davis Div of Pfizer Inc",
        set_id="c6e131fe-e7df-4876-83f7-9156fc4e8228",
        pi_url="https://labeling.pfizer.com/ShowLabeling.aspx?id=587",
        manufacturer="Pfizer Inc.", manufacturer_id="100000000286",
        manufacturer_state="NY", submitting_name="Pfizer Inc.", payer_key="Pfizer",
        brand_handle="lipitor", ndc="0071-0155-23", op_category="Cardiovascular",
        dose=("40 mg", "80 mg daily", "20 mg at night"),
        on_label=("high cholesterol", "hyperlipidemia", "mixed dyslipidemia",
                  "hypertriglyceridemia"),
        off_label=("Alzheimer's disease", "sepsis", "COVID-19", "multiple sclerosis",
                   "osteoporosis"),
        risks=("Watch for muscle pain and check liver enzymes.",
               "Side effects can include muscle aches and liver enzyme changes; see the full PI.",
               "Ask about muscle pain at every visit; rare rhabdomyolysis is in the label."),
        benefits=("brings LDL down fast in my patients with {cond}",
                  "has worked well for my patients with {cond}",
                  "gets most of my {cond} patients to their LDL goal",
                  "lowered LDL by half in several of my patients with {cond}"),
        ae_events=("severe muscle pain", "myalgia", "elevated liver enzymes",
                   "rhabdomyolysis", "joint pain", "muscle spasms", "diarrhea",
                   "arthralgia"),
    ),
    "ELIQUIS": Product(
        key="ELIQUIS", brand="Eliquis", generic="apixaban",
        brand_forms=("Eliquis", "ELIQUIS", "Eliquis®"), generic_forms=("apixaban",),
        hashtags=("#Eliquis", "#apixaban"), misspellings=("Elliquis", "apixiban"),
        drug_class="anticoagulant", label_file="eliquis-apixaban.xml",
        label_sponsor="E.R. Squibb & Sons, L.L.C.",
        set_id="e9481622-7cc6-418a-acb6-c5450daae9b0",
        pi_url="https://packageinserts.bms.com/pi/pi_eliquis.pdf",
        manufacturer="E.R. Squibb & Sons, L.L.C.", manufacturer_id="100000005499",
        manufacturer_state="NJ", submitting_name="Bristol-Myers Squibb Company",
        payer_key="BMS", brand_handle="eliquis", ndc="0003-0893-21",
        op_category="Cardiovascular",
        dose=("5 mg BID", "2.5 mg twice daily", "5 mg twice daily"),
        on_label=("atrial fibrillation", "AFib", "nonvalvular atrial fibrillation",
                  "DVT", "pulmonary embolism", "deep vein thrombosis"),
        off_label=("mechanical heart valves", "LV thrombus",
                   "antiphospholipid syndrome", "heparin-induced thrombocytopenia"),
        risks=("Main risk is bleeding, and stopping it early raises the risk of clots (boxed warning).",
               "Bleeding risk is real; see the boxed warning in the full PI.",
               "Counsel on bleeding signs and never stop it abruptly."),
        benefits=("has worked well for my {cond} patients",
                  "made anticoagulation simpler for my {cond} patients, no INR checks",
                  "keeps my {cond} patients protected with twice-daily dosing"),
        ae_events=("a GI bleed", "rectal bleeding", "severe nosebleeds", "hematuria",
                   "a large hematoma", "gum bleeding", "anemia", "haematochezia"),
    ),
}  # fmt: skip

PRODUCT_KEYS: tuple[str, ...] = tuple(PRODUCTS)
# Payer bit per product (a clinician may be paid by several manufacturers).
PAYER_BIT = {"HUMIRA": 1, "LIPITOR": 2, "ELIQUIS": 4}

# FAERS MedDRA preferred terms from the openFDA test case (CC0), lower-cased and
# used as written: the vocabulary a pharmacovigilance reader expects.
FAERS_TERMS: tuple[str, ...] = (
    "chest pain", "dyspnoea", "pruritus", "pyrexia", "tachycardia", "asthenia",
    "transient ischaemic attack", "loss of consciousness", "face oedema", "fall",
    "haemorrhage", "renal failure acute", "visual disturbance", "tinnitus",
)  # fmt: skip

FIRST_NAMES_F: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie",
    "Rebecca", "Sharon", "Laura", "Cynthia", "Amy", "Kathleen", "Angela", "Shirley",
    "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine", "Christine",
    "Rachel", "Priya", "Aisha", "Mei", "Sofia", "Camila", "Fatima", "Noor", "Ana",
    "Olivia", "Grace", "Chloe", "Hannah", "Leah", "Maya", "Zoe", "Renée", "Inés", "Chiara",
)  # fmt: skip
FIRST_NAMES_M: tuple[str, ...] = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph",
    "Thomas", "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald",
    "Steven", "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "George",
    "Timothy", "Ronald", "Jason", "Edward", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas",
    "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin",
    "Samuel", "Raj", "Arjun", "Wei", "Hiroshi", "Omar", "Ahmed", "Carlos", "Luis",
    "Mateo", "Diego", "Ethan", "Noah", "Liam", "Lucas", "Elijah", "José", "André", "Jürgen",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
    "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards",
    "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers",
    "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
    "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson",
    "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson",
    "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West",
    "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
    "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez",
    "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
    "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon",
    "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd",
    "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt",
    "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan",
    "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins", "Arnold",
    "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight",
    "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston",
    "Matthews", "Peña", "Richards", "Contreras", "Willis", "Carpenter", "Lawrence",
    "Sandoval", "Guerrero", "George", "Chapman", "Rios", "Estrada", "Ortega", "Watkins",
    "Greene", "Nuñez", "Wheeler", "Valdez", "Harper", "Burke", "Larson", "Santiago",
    "Maldonado", "Morrison", "Franklin", "Carlson", "Austin", "Dominguez", "Carr",
    "Lawson", "Jacobs", "O'Brien", "Lynch", "Singh", "Vega", "Bishop", "Montgomery",
    "Oliver", "Jensen", "Harvey", "Williamson", "Gilbert", "Dean", "Sims", "Espinoza",
    "Howell", "Li", "Wong", "Reid", "Hanson", "Le", "McCoy", "Garrett", "Burton", "Fuller",
    "Wang", "Weber", "Welch", "Rojas", "Lucas", "Marquez", "Fields", "Park", "Yang",
    "Little", "Banks", "Padilla", "Day", "Walsh", "Bowman", "Schultz", "Luna", "Fowler",
    "Mejia", "Davidson", "Acosta", "Brewer", "May", "Holland", "Juarez", "Newman", "Pearson",
    "Curtis", "Cortez", "Douglas", "Schneider", "Joseph", "Barrett", "Navarro", "Figueroa",
    "Keller", "Ávila", "Wade", "Molina", "Stanley", "Hopkins", "Campos", "Barnett", "Bates",
    "Chambers", "Caldwell", "Beck", "Lambert", "Miranda", "Byrd", "Craig", "Ayala", "Lowe",
    "Frazier", "Powers", "Neal", "Leonard", "Gregory", "Carrillo", "Sutton", "Fleming",
    "Rhodes", "Shelton", "Schwartz", "Norris", "Jennings", "Watts", "Duran", "Walters",
    "Cohen", "McDaniel", "Moran", "Parks", "Steele", "Vaughn", "Becker", "Holt", "DeLeon",
    "Barker", "Terry", "Hale", "Leon", "Hail", "Benson", "Haynes", "Horton", "Miles", "Lyons",
    "Pham", "Graves", "Bush", "Thornton", "Wolfe", "Warner", "Cabrera", "McKinney", "Mann",
    "Zimmerman", "Dawson", "Lara", "Fletcher", "Page", "McCarthy", "Love", "Robles",
    "Cervantes", "Solis", "Erickson", "Reeves", "Chang", "Klein", "Salinas", "Fuentes",
    "Baldwin", "Daniel", "Simon", "Velasquez", "Hardy", "Higgins", "Aguirre", "Lin",
    "Cummings", "Chandler", "Sharp", "Barber", "Bowen", "Ochoa", "Dennis", "Robbins",
    "Liu", "Ramsey", "Francis", "Griffith", "Paul", "Blair", "O'Connor", "Cardenas",
    "Pacheco", "Cross", "Calderon", "Quinn", "Moss", "Swanson", "Chan", "Rivas", "Khan",
    "Rodgers", "Serrano", "Fitzgerald", "Rosales", "Stevenson", "Christensen", "Manning",
    "Gill", "Curry", "McLaughlin", "Harmon", "McGee", "Gross", "Doyle", "Garner", "Newton",
    "Burgess", "Reese", "Walton", "Blake", "Trujillo", "Adkins", "Brady", "Goodman",
    "Roman", "Webster", "Goodwin", "Fischer", "Huang", "Potter", "Delacruz", "Montoya",
    "Todd", "Wu", "Hines", "Mullins", "Castaneda", "Malone", "Cannon", "Tate", "Mack",
    "Sherman", "Hubbard", "Hodges", "Zhang", "Guerra", "Wolf", "Valencia", "Saunders",
    "Franco", "Rowe", "Gallagher", "Farmer", "Hammond", "Hampton", "Townsend", "Ingram",
    "Wise", "Gallegos", "Clarke", "Barton", "Schroeder", "Maxwell", "Waters", "Logan",
    "Camacho", "Strickland", "Norman", "Person", "Colon", "Parsons", "Frank", "Harrington",
    "Glover", "Osborne", "Buchanan", "Casey", "Floyd", "Patton", "Ibarra", "Ball", "Tyler",
    "Suarez", "Bowers", "Orozco", "Salas", "Cobb", "Gibbs", "Andrade", "Bauer", "Conner",
    "Moody", "Escobar", "McGuire", "Lloyd", "Mueller", "Hartman", "French", "Kramer",
    "McBride", "Pope", "Lindsey", "Velazquez", "Norton", "McCormick", "Sparks", "Flynn",
    "Yates", "Hogan", "Marsh", "Macias", "Villanueva", "Zamora", "Pratt", "Stokes", "Owen",
    "Ballard", "Lang", "Brock", "Villarreal", "Charles", "Drake", "Barrera", "Cain", "Patrick",
    "Piña", "Oconnor", "Müller", "Søndergaard", "Nakamura", "Okafor", "Adeyemi", "Kowalski",
)  # fmt: skip

# (city, state, zip prefix, area code)
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("Austin", "TX", "787", "512"), ("Houston", "TX", "770", "713"),
    ("Dallas", "TX", "752", "214"), ("Phoenix", "AZ", "850", "602"),
    ("Tucson", "AZ", "857", "520"), ("Denver", "CO", "802", "303"),
    ("Seattle", "WA", "981", "206"), ("Portland", "OR", "972", "503"),
    ("San Diego", "CA", "921", "619"), ("Sacramento", "CA", "958", "916"),
    ("Los Angeles", "CA", "900", "213"), ("San Francisco", "CA", "941", "415"),
    ("Chicago", "IL", "606", "312"), ("Minneapolis", "MN", "554", "612"),
    ("Milwaukee", "WI", "532", "414"), ("St. Louis", "MO", "631", "314"),
    ("Kansas City", "MO", "641", "816"), ("Nashville", "TN", "372", "615"),
    ("Atlanta", "GA", "303", "404"), ("Birmingham", "AL", "352", "205"),
    ("Miami", "FL", "331", "305"), ("Tampa", "FL", "336", "813"),
    ("Orlando", "FL", "328", "407"), ("Charlotte", "NC", "282", "704"),
    ("Raleigh", "NC", "276", "919"), ("Richmond", "VA", "232", "804"),
    ("Baltimore", "MD", "212", "410"), ("Philadelphia", "PA", "191", "215"),
    ("Pittsburgh", "PA", "152", "412"), ("New York", "NY", "100", "212"),
    ("Rochester", "NY", "146", "585"), ("Boston", "MA", "021", "617"),
    ("Providence", "RI", "029", "401"), ("Cleveland", "OH", "441", "216"),
    ("Columbus", "OH", "432", "614"), ("Detroit", "MI", "482", "313"),
    ("Ann Arbor", "MI", "481", "734"), ("Indianapolis", "IN", "462", "317"),
    ("Louisville", "KY", "402", "502"), ("New Orleans", "LA", "701", "504"),
    ("Salt Lake City", "UT", "841", "801"), ("Albuquerque", "NM", "871", "505"),
    ("Omaha", "NE", "681", "402"), ("Boise", "ID", "837", "208"),
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "MAIN ST", "OAK AVE", "MEDICAL CENTER DR", "HOSPITAL BLVD", "PARK AVE", "ELM ST",
    "WASHINGTON ST", "LAKE SHORE DR", "UNIVERSITY AVE", "HEALTH PKWY", "CEDAR LN",
    "RIVERSIDE DR", "PROFESSIONAL PLZ", "CLINIC WAY",
)  # fmt: skip

MASTODON_CLINICIAN_INSTANCES: tuple[str, ...] = ("med.social", "doctors.net.example")
MASTODON_PUBLIC_INSTANCES: tuple[str, ...] = (
    "mstdn.example",
    "toot.example",
    "med.social",
)
MASTODON_HOME = "med.social"  # the instance the recordings were made from


@cache
def nucc_rows() -> dict[str, dict[str, str]]:
    """The real NUCC taxonomy CSV, keyed by code."""
    with NUCC_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["Code"]: row for row in csv.DictReader(handle)}


def nucc_desc(code: str) -> str:
    """NPPES ``taxonomies[].desc``: classification plus specialization."""
    row = nucc_rows()[code]
    return " ".join(
        part for part in (row["Classification"], row["Specialization"]) if part
    )


def nucc_specialty_path(code: str) -> str:
    """Open Payments ``Covered_Recipient_Specialty_1``: grouping|classification|specialization."""
    row = nucc_rows()[code]
    parts = (row["Grouping"], row["Classification"], row["Specialization"])
    return "|".join(part for part in parts if part)


@cache
def psytar_phrases() -> tuple[str, ...]:
    """The PsyTAR adverse-reaction phrases copied into ``data/`` (with attribution)."""
    lines = PSYTAR_PHRASES.read_text(encoding="utf-8").splitlines()
    return tuple(
        line.strip() for line in lines if line.strip() and not line.startswith("#")
    )


@cache
def open_payments_header() -> list[str]:
    """The official PY2022 general-payments CSV header, from the bundled real sample."""
    with OPEN_PAYMENTS_SAMPLE.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))
