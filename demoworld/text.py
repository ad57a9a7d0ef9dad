"""Post text in clinician, patient, brand and news voices, with its expected rule codes.

A post is a list of segments: ``("t", text)``, ``("#", tag)``, ``("@", account)`` and
``("l", url)``. The platform writers turn segments into Bluesky text + facets or
Mastodon HTML, so both platforms carry the same words. Each template names the rule
codes it should trigger (``TEMPLATE_CODES``); ``COI_UNDISCLOSED`` is added on top when
the author is paid by the product's manufacturer and the post has no clear disclosure
near its start. What counts as what (README, "Ground truth"):

* a *benefit claim* is an efficacy statement about the product ("has worked well for",
  "brings LDL down"); *risk information* is a sentence about its risks or a link to the
  full prescribing information. ``FAIR_BALANCE`` = benefit claim without risk info;
* ``OFF_LABEL`` = the product asserted as used for a condition outside the label;
  negated statements ("no good evidence it helps X", "not approved for X") are not;
* ``ADVERSE_EVENT`` = identifiable patient ("my patient, 67F" or the first-person
  poster), reporter (the poster), the product and an event; hypotheticals, label
  reminders and negated events ("denies any bleeding") are not;
* a *clear disclosure* (#ad, "Paid partnership with", "Sponsored by", "Disclosure: I
  consult for") is in the first 40 characters; one after a wall of hashtags is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from demoworld.config import (
    CLEAN_PRODUCT_MIX,
    CLINICIAN_PRODUCT_MIX,
    MI_PRODUCT_MIX,
    PATIENT_PRODUCT_MIX,
    PRODUCT_FORM_MIX,
    RULE_CODES,
    SPONSOR_MIX,
    UNCOVERED_SPONSOR_MIX,
    cumulative,
)
from demoworld.phrases import (
    AGES,
    AMPLIFIED,
    BOT,
    BRAND_GENERIC,
    EMOJI,
    NEWS,
    OFFTOPIC,
    PATIENT_CHATTER,
    QUOTES,
    REPLIES_AUTHOR,
    REPLIES_BOT,
    REPLIES_CLINICIAN,
    REPLIES_PATIENT,
    TAGS_GENERIC,
    TAGS_TOPIC,
    TEMPLATES,
    TOPIC,
    WALL,
    WELLNESS,
)
from demoworld.rand import Chooser
from demoworld.reference import FAERS_TERMS, PRODUCTS, Product, psytar_phrases

Segment = tuple[str, object]

PM, OL, EO, FB = (
    "PRODUCT_MENTION",
    "OFF_LABEL",
    "EFFICACY_OVERSTATEMENT",
    "FAIR_BALANCE",
)
US, COI, AE = "UNDISCLOSED_SPONSORSHIP", "COI_UNDISCLOSED", "ADVERSE_EVENT"

TEMPLATE_CODES: dict[str, tuple[str, ...]] = {
    "neutral": (PM,),
    "benefit_risk": (PM,),
    "benefit_no_risk": (PM, FB),
    "off_label_use": (PM, OL),
    "off_label_benefit": (PM, OL, FB),
    "overstatement": (PM, EO, FB),
    "adverse_event": (PM, AE),
    "negated_off_label": (PM,),
    "negated_efficacy": (PM,),
    "ae_lookalike": (PM,),
    "ask_doctor": (PM,),
    "sponsored_undisclosed": (PM, US),
    "sponsored_disclosed": (PM,),
    "sponsored_buried": (PM, US),
    "coi_plain": (PM,),
    "coi_disclosed": (PM,),
    "patient_neutral": (PM,),
    "patient_ae": (PM, AE),
    "patient_ask": (PM,),
    "brand_isi": (PM,),
    "news_product": (PM,),
}
# Templates whose text carries a clear disclosure of the material connection.
DISCLOSED = frozenset({"sponsored_disclosed", "coi_disclosed"})

_FORMS = cumulative(PRODUCT_FORM_MIX)
_MIXES = {
    "clinician": cumulative(CLINICIAN_PRODUCT_MIX),
    "clean": cumulative(CLEAN_PRODUCT_MIX),
    "mi": cumulative(MI_PRODUCT_MIX),
    "sponsor": cumulative(SPONSOR_MIX),
    "uncovered_sponsor": cumulative(UNCOVERED_SPONSOR_MIX),
    "patient": cumulative(PATIENT_PRODUCT_MIX),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_LITERAL_TAG = re.compile(r"(?<![\w#])#(\w+)")
DISCLOSURE_WINDOW = 40  # characters: a disclosure must start before this offset


@dataclass(frozen=True, slots=True)
class PostText:
    """The words of one post and what the rules should find in them."""

    segments: tuple[Segment, ...]
    codes: tuple[str, ...]
    product: str
    template: str


@dataclass(frozen=True, slots=True)
class Author:
    """What the text of a post depends on about its author."""

    role: str  # ordinary, mi, real, amp_ring, pod_clin, patient, brand, news, bot, pod_member
    group: str  # specialty topic group ("" for non-clinicians)
    products: tuple[tuple[str, float], ...]  # product weights for product posts
    paid: frozenset[str]  # product keys whose manufacturer paid the author
    sponsor: str  # product key of an uncovered brand deal ("" if none)
    product_share: float


def plain_text(segments: tuple[Segment, ...], name_of: Callable[[int], str]) -> str:
    """The post text as a reader sees it; ``name_of`` renders a mentioned account."""
    out = []
    for kind, value in segments:
        if kind == "t":
            out.append(str(value))
        elif kind == "#":
            out.append(f"#{value}")
        elif kind == "@":
            out.append(f"@{name_of(int(value))}")  # type: ignore[call-overload]
        else:
            out.append(str(value))
    return "".join(out)


def _pick_product(ch: Chooser, weights: tuple[tuple[str, float], ...]) -> Product:
    total = sum(w for _, w in weights)
    u = ch.uniform(0.0, total)
    for key, weight in weights:
        u -= weight
        if u < 0:
            return PRODUCTS[key]
    return PRODUCTS[weights[-1][0]]


def _product_segments(ch: Chooser, product: Product, first: bool) -> list[Segment]:
    form = ch.weighted(*_FORMS)
    if form == "hashtag":
        return [("#", ch.pick(product.hashtags)[1:])]
    if form == "generic":
        name = ch.pick(product.generic_forms)
        return [("t", name.capitalize() if first else name)]
    if form == "both":
        return [("t", f"{ch.pick(product.generic_forms)} ({product.brand})")]
    if form == "misspelt":
        return [("t", ch.pick(product.misspellings))]
    return [("t", ch.pick(product.brand_forms))]


def _fill(
    ch: Chooser, template: str, product: Product, payer_at: int | None
) -> list[Segment]:
    """Expand one template into segments."""
    segments: list[Segment] = []
    position = 0
    cond = ch.pick(product.on_label)
    named_once: list[Segment] | None = None
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            segments.extend(_literal(template[position : match.start()]))
        position = match.end()
        name = match.group(1)
        before = template[: match.start()].rstrip()
        at_start = not before or before[-1] in ".!?" or not before[-1].isascii()
        if name == "P":
            # A post names the product one way and keeps to it.
            named_once = named_once or _product_segments(ch, product, at_start)
            segments.extend(named_once)
        elif name == "cond":
            segments.append(("t", cond))
        elif name == "off":
            segments.append(("t", ch.pick(product.off_label)))
        elif name == "benefit":
            segments.append(("t", ch.pick(product.benefits).format(cond=cond)))
        elif name == "risk":
            segments.append(("t", ch.pick(product.risks)))
        elif name == "pi":
            segments.append(("l", product.pi_url))
        elif name == "dose":
            segments.append(("t", ch.pick(product.dose)))
        elif name == "drug_class":
            segments.append(("t", product.drug_class))
        elif name == "event":
            pool = product.ae_events if ch.chance(0.6) else psytar_phrases()
            segments.append(("t", ch.pick(pool if ch.chance(0.85) else FAERS_TERMS)))
        elif name == "label_event":
            segments.append(("t", ch.pick(product.ae_events)))
        elif name == "pevent":
            segments.append(("t", ch.pick(psytar_phrases())))
        elif name == "age":
            segments.append(("t", ch.pick(AGES)))
        elif name == "n":
            segments.append(("t", str(2 + ch.below(10))))
        elif name == "payer":
            segments.append(("t", product.payer_key))
        elif name == "payer_at":
            segments.append(
                ("@", payer_at) if payer_at is not None else ("t", product.payer_key)
            )
        elif name == "code":
            segments.append(("t", f"DR{ch.below(90) + 10}{product.brand[:3].upper()}"))
        elif name == "Brand":
            segments.append(
                ("t", product.brand.upper() if ch.chance(0.5) else product.brand)
            )
        elif name == "generic":
            segments.append(("t", product.generic))
        elif name == "wall":
            tags = list(WALL)
            start = ch.below(len(tags))
            for i in range(5):
                if i:
                    segments.append(("t", " "))
                segments.append(("#", tags[(start + i) % len(tags)]))
        else:  # pragma: no cover - a typo in a template
            raise KeyError(name)
    if position < len(template):
        segments.extend(_literal(template[position:]))
    return segments


def _literal(text: str) -> list[Segment]:
    """Template text, with its literal hashtags (#ad, #partner) as tag segments."""
    out: list[Segment] = []
    position = 0
    for match in _LITERAL_TAG.finditer(text):
        if match.start() > position:
            out.append(("t", text[position : match.start()]))
        out.append(("#", match.group(1)))
        position = match.end()
    if position < len(text):
        out.append(("t", text[position:]))
    return out


def _codes(template: str, product: Product, author: Author) -> tuple[str, ...]:
    codes = set(TEMPLATE_CODES[template])
    if product.key in author.paid and template not in DISCLOSED:
        codes.add(COI)
    return tuple(code for code in RULE_CODES if code in codes)


def _decorate(
    ch: Chooser, segments: list[Segment], tags: tuple[str, ...], n_tags: int
) -> list[Segment]:
    if ch.chance(0.2):
        segments.append(("t", ch.pick(EMOJI)))
    picked: list[str] = []
    for _ in range(n_tags):
        tag = ch.pick(tags)
        if tag not in picked:
            picked.append(tag)
    for tag in picked:
        segments.append(("t", " "))
        segments.append(("#", tag))
    return segments


def product_post(
    ch: Chooser, author: Author, payer_at: Callable[[str], int | None]
) -> PostText:
    """A post that names one of the labelled products."""
    if author.role in ("patient",):
        mix, product = "patient", _pick_product(ch, author.products)
    elif author.role == "brand":
        product = _pick_product(ch, author.products)
        return _finish(ch, "brand_isi", product, author, None, tags=())
    elif author.role == "news":
        product = _pick_product(ch, author.products)
        return _finish(ch, "news_product", product, author, None, tags=())
    elif author.sponsor and (author.role == "pod_member" or ch.chance(0.7)):
        mix, product = "uncovered_sponsor", PRODUCTS[author.sponsor]
    elif author.paid and ch.chance(0.6):
        mix = "sponsor"
        product = PRODUCTS[sorted(author.paid)[ch.below(len(author.paid))]]
    elif author.role == "mi":
        mix, product = "mi", _pick_product(ch, author.products)
    elif author.role == "real":
        mix, product = "clean", _pick_product(ch, author.products)
    else:
        mix, product = "clinician", _pick_product(ch, author.products)
    template = ch.weighted(*_MIXES[mix])
    tags = TAGS_GENERIC.get(author.group, ())
    return _finish(ch, template, product, author, payer_at(product.key), tags=tags)


def _finish(
    ch: Chooser,
    template: str,
    product: Product,
    author: Author,
    payer_at: int | None,
    tags: tuple[str, ...],
) -> PostText:
    segments = _fill(ch, ch.pick(TEMPLATES[template]), product, payer_at)
    if template != "sponsored_buried" and tags:
        segments = _decorate(ch, segments, tags, ch.below(3))
    return PostText(
        tuple(segments), _codes(template, product, author), product.key, template
    )


def plain_post(
    ch: Chooser, author: Author, mention: Callable[[Chooser], int | None]
) -> PostText:
    """A post without products, in the author's voice."""
    role = author.role
    if role in ("ordinary", "mi", "real", "pod_clin"):
        on_topic = 0.9 if role == "mi" else 0.6
        if ch.chance(on_topic):
            text = ch.pick(TOPIC.get(author.group, TOPIC["other"]))
            segments: list[Segment] = [("t", text)]
            if ch.chance(0.3 if role == "mi" else 0.12):
                target = mention(ch)
                if target is not None:
                    segments += [("t", " cc "), ("@", target)]
            tags = TAGS_TOPIC.get(author.group, ()) + TAGS_GENERIC.get(author.group, ())
            segments = _decorate(ch, segments, tags, 1 + ch.below(2))
            return PostText(tuple(segments), (), "", "topic")
        return PostText((("t", ch.pick(OFFTOPIC)),), (), "", "offtopic")
    pools = {
        "amp_ring": (AMPLIFIED, ("MedSky", "motivation", "doctorlife")),
        "pod_member": (WELLNESS, ("wellness", "healthylifestyle", "selfcare")),
        "patient": (PATIENT_CHATTER, ()),
        "news": (NEWS, ("health", "news")),
        "brand": (BRAND_GENERIC, ()),
        "bot": (BOT, ("health", "follow", "deals")),
    }
    texts, tags = pools.get(role, (PATIENT_CHATTER, ()))
    segments = [("t", ch.pick(texts))]
    if role == "pod_member" and ch.chance(0.5):
        target = mention(ch)
        if target is not None:
            segments += [("t", " with "), ("@", target)]
    if tags:
        segments = _decorate(ch, segments, tags, ch.below(3))
    return PostText(tuple(segments), (), "", role)


def reply_post(ch: Chooser, replier_role: str, to_own_thread: bool) -> PostText:
    """A reply: dialogue without product names (no rule codes)."""
    if to_own_thread:
        pool = REPLIES_AUTHOR
    elif replier_role == "bot":
        pool = REPLIES_BOT
    elif replier_role in ("patient", "pod_member", "news", "brand"):
        pool = REPLIES_PATIENT
    else:
        pool = REPLIES_CLINICIAN
    return PostText((("t", ch.pick(pool)),), (), "", "reply")


def quote_post(ch: Chooser, group: str) -> PostText:
    """A quote post: a short comment on the quoted post."""
    segments: list[Segment] = [("t", ch.pick(QUOTES))]
    tags = TAGS_GENERIC.get(group, ())
    if tags and ch.chance(0.5):
        segments += [("t", " "), ("#", ch.pick(tags))]
    return PostText(tuple(segments), (), "", "quote")
