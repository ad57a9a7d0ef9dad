"""Who an account says it is: handle, display name, bio, and its voice for post text.

Clinician accounts are linkable three ways (``World.link``): the NPI in the bio
("Cardiologist | NPI 1234567893 | Austin, TX"), the name plus specialty words and
place ("Dr. Jane Roe" / "Cardiologist in Austin, TX"), or not at all (a nickname and
a vague bio). Everything is derived from the account index and the seed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from demoworld.config import PRODUCT_POST_SHARE
from demoworld.people import paid_products
from demoworld.rand import Chooser, base36
from demoworld.reference import (
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    LAST_NAMES,
    PRODUCT_KEYS,
    PRODUCTS,
)
from demoworld.text import Author
from demoworld.world import (
    C_BOT,
    C_BRAND,
    C_NEWS,
    C_PAT,
    C_PODM,
    CLASS_NAMES,
    INSTANCES,
    K_CLIN,
    L_NONE,
    L_NPI,
    World,
)

NICKNAMES = {
    "cardio": ("HeartDoc", "EchoNerd", "LipidLady", "ECG_Fan"),
    "rheum": ("JointDoc", "RheumNerd", "ArthritisMD"),
    "primary": ("FamilyDoc", "PrimaryCareMD", "ClinicLife"),
    "endo": ("GlandDoc", "SugarDoc"),
    "hemonc": ("HemeOncFan", "ClotDoc"),
    "gi": ("GutDoc", "ScopeLife"),
    "derm": ("SkinDoc", "DermLife"),
    "pharm": ("PharmGal", "PillCounter", "RxNerd"),
    "np": ("NPlife", "CareNP"),
    "other": ("HealthWorker", "ScrubsLife"),
}
INTERESTS = {
    "cardio": "Prevention, lipids, AF.",
    "rheum": "Inflammatory arthritis and lupus care.",
    "primary": "Primary care, prevention, teaching.",
    "endo": "Diabetes, thyroid, lipids.",
    "hemonc": "Thrombosis and cancer care.",
    "gi": "IBD and endoscopy.",
    "derm": "Medical dermatology.",
    "pharm": "Medication safety and anticoagulation stewardship.",
    "np": "Primary care and chronic disease.",
    "other": "Patient care.",
}
NEWS_NAMES = (
    "Health News Daily",
    "MedWire",
    "Clinical Briefs",
    "Pharma Ledger",
    "CareWatch",
)
SPONSOR_NAMES = {
    "HUMIRA": "AbbVie",
    "LIPITOR": "Pfizer",
    "ELIQUIS": "Bristol Myers Squibb",
}


def _ascii(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    return "".join(c for c in text if c.isascii() and c.isalnum()).lower()


class Identities:
    """Handles, names, bios and text voices of the world's accounts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.clin = world.clin
        self.local = lru_cache(maxsize=1 << 16)(self._local)
        self.author = lru_cache(maxsize=1 << 16)(self._author)

    # names -----------------------------------------------------------------------
    def _local(self, a: int) -> str:
        """Handle local part / Mastodon username: [a-z0-9_], unique per account."""
        w, suffix = self.world, base36(a)
        k = int(w.klass[a])
        if w.kind[a] == K_CLIN:
            c = int(w.aclin[a])
            first, last = (
                _ascii(self.clin.first_name(c)),
                _ascii(self.clin.last_name(c)),
            )
            if w.link[a] == L_NONE:
                group = self.group(a)
                return (
                    f"{Chooser(w.seed, 41, a).pick(NICKNAMES[group]).lower()}{suffix}"
                )
            if self.clin.real[c]:
                return f"{'dr' if self.clin.is_physician(c) else ''}{first}{last}"
            return f"{'dr' if self.clin.is_physician(c) else ''}{first}{last}{suffix}"
        if k == C_BRAND:
            return f"{_ascii(SPONSOR_NAMES[PRODUCT_KEYS[int(w.product[a])]])}"
        if k == C_NEWS:
            return f"{_ascii(Chooser(w.seed, 42, a).pick(NEWS_NAMES))}{suffix}"
        if k == C_BOT:
            return f"user{Chooser(w.seed, 43, a).below(10**8):08d}{suffix}"
        first, last = self._person(a)
        if k == C_PODM:
            return f"{_ascii(first)}wellness{suffix}"
        return f"{_ascii(first)}{_ascii(last)[:1]}{suffix}"

    def _person(self, a: int) -> tuple[str, str]:
        ch = Chooser(self.world.seed, 44, a)
        first = ch.pick(FIRST_NAMES_F if ch.chance(0.5) else FIRST_NAMES_M)
        return first, ch.pick(LAST_NAMES)

    def handle(self, a: int) -> str:
        """Bluesky handle (domain handles for the sponsors)."""
        if self.world.klass[a] == C_BRAND:
            return f"{self.local(a)}.pharma.example"
        return f"{self.local(a)}.bsky.social"

    def instance(self, a: int) -> str:
        return INSTANCES[int(self.world.instance[a])]

    def group(self, a: int) -> str:
        s = int(self.world.spec[a])
        return self.clin.specialties[s].group if s >= 0 else ""

    def display_name(self, a: int) -> str:
        w = self.world
        k = int(w.klass[a])
        if w.kind[a] == K_CLIN:
            c = int(w.aclin[a])
            if w.link[a] == L_NONE:
                return Chooser(w.seed, 41, a).pick(NICKNAMES[self.group(a)]) + " 🩺"
            name = f"{self.clin.first_name(c)} {self.clin.last_name(c)}"
            credential = self.clin.credential(c).replace(",", "").split(" ")[0]
            if self.clin.is_physician(c) and Chooser(w.seed, 45, a).chance(0.6):
                return f"Dr. {name}"
            return f"{name}, {credential}" if credential else name
        if k == C_BRAND:
            return SPONSOR_NAMES[PRODUCT_KEYS[int(w.product[a])]]
        if k == C_NEWS:
            return Chooser(w.seed, 42, a).pick(NEWS_NAMES)
        if k == C_BOT:
            return "" if Chooser(w.seed, 46, a).chance(0.6) else f"user{base36(a)}"
        first, last = self._person(a)
        if k == C_PODM:
            return f"{first} ✨ Wellness"
        return f"{first} {last[0]}."

    def bio(self, a: int) -> str:
        """Profile description as plain text ("" for bots)."""
        w = self.world
        k = int(w.klass[a])
        if w.kind[a] == K_CLIN:
            c = int(w.aclin[a])
            spec = self.clin.specialties[int(w.spec[a])]
            city, state = self.clin.place(c)
            place = f"{city}, {state}" if city else state
            if w.link[a] == L_NPI:
                return f"{spec.title} | NPI {int(self.clin.npi[c])} | {place}. Views my own."
            if w.link[a] == L_NONE:
                return f"{INTERESTS[self.group(a)]} Coffee and long shifts. Views my own ☕"
            return f"{spec.title} in {place}. {INTERESTS[self.group(a)]} Views my own."
        if k == C_BRAND:
            product = PRODUCTS[PRODUCT_KEYS[int(w.product[a])]]
            return (
                f"Official account of {SPONSOR_NAMES[product.key]} US. For US residents. "
                f"Prescribing information for {product.brand.upper()}: {product.pi_url}"
            )
        if k == C_NEWS:
            return "Health and medicine news, every day."
        if k == C_BOT:
            return ""
        if k == C_PODM:
            return "Wellness coach ✨ Healthy habits, real life. Link in bio 💕"
        if k == C_PAT:
            ch = Chooser(w.seed, 47, a)
            return ch.pick(
                (
                    "Mom of two.",
                    "Runner.",
                    "Living with chronic illness.",
                    "Teacher.",
                    "",
                )
            )
        return ""

    def has_avatar(self, a: int) -> bool:
        return self.world.klass[a] != C_BOT

    # voice -----------------------------------------------------------------------
    def _author(self, a: int) -> Author:
        w = self.world
        k = int(w.klass[a])
        role = CLASS_NAMES[k]
        if w.kind[a] == K_CLIN:
            c = int(w.aclin[a])
            if self.clin.real[c]:
                role = "real"
            spec = self.clin.specialties[int(w.spec[a])]
            paid = paid_products(int(self.clin.paid[c]))
            products = spec.products
            if "LIPITOR" in paid and "ELIQUIS" not in paid:
                # Pfizer co-markets ELIQUIS; keep the truth unambiguous.
                products = (
                    tuple((p, x) for p, x in products if p != "ELIQUIS") or products
                )
            sponsor = PRODUCT_KEYS[int(w.product[a])] if w.product[a] >= 0 else ""
            share = PRODUCT_POST_SHARE.get(role, PRODUCT_POST_SHARE["ordinary"])
            if paid or sponsor:
                share = PRODUCT_POST_SHARE["paid"]
            return Author(role, spec.group, products, paid, sponsor, share)
        every = tuple((key, 1.0) for key in PRODUCT_KEYS)
        if k == C_BRAND:
            key = PRODUCT_KEYS[int(w.product[a])]
            return Author(
                role, "", ((key, 1.0),), frozenset(), "", PRODUCT_POST_SHARE["brand"]
            )
        sponsor = ""
        if k == C_PODM:
            sponsor = PRODUCT_KEYS[Chooser(w.seed, 48, a).below(len(PRODUCT_KEYS))]
        return Author(
            role, "", every, frozenset(), sponsor, PRODUCT_POST_SHARE.get(role, 0.0)
        )
