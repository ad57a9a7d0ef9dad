"""UNDISCLOSED_SPONSORSHIP and COI_UNDISCLOSED: material connections.

UNDISCLOSED_SPONSORSHIP (FTC Guides, 16 CFR Part 255, as revised in 2023): a post
with signs of a material connection to a brand (thanks to a brand for sponsoring,
"partnered with", a promo or discount code, an affiliate link, "gifted", "brand
ambassador", a sponsorship hashtag) needs a disclosure that is clear and
conspicuous: unambiguous words ("#ad", "#sponsored", "paid partnership",
"Disclosure: ...") placed where people see them. A disclosure is NOT conspicuous
when it sits beyond ``FOLD_CHARACTERS`` (the first ~140 characters a feed shows
before "more") or inside a run of three or more hashtags after the message (a wall
of hashtags). Such a hidden disclosure is itself the sign of a connection.

COI_UNDISCLOSED (Physician Payments Sunshine Act, 42 CFR Part 403 subpart I; FTC
16 CFR 255.5): the author's NPI received Open Payments from the manufacturer of a
product the post names, within ``PAYMENT_WINDOW_DAYS_BEFORE`` before to
``PAYMENT_WINDOW_DAYS_AFTER`` after the post, and the post discloses no relationship.
Manufacturer and product sponsor match on normalised names (corporate suffixes and
punctuation dropped, one distinctive word shared: "E.R. Squibb & Sons, L.L.C." and
"Bristol-Myers Squibb Company" share "squibb"), or the payment names the product.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from compliance.rules.products import Knowledge, ProductMention
from compliance.rules.text import Doc
from compliance.rules.types import (
    SEVERITY_MAJOR,
    SEVERITY_MINOR,
    Evidence,
    PaymentInfo,
    PostInput,
    ProductInfo,
    RuleHit,
)

SPONSORSHIP = "UNDISCLOSED_SPONSORSHIP"
SPONSORSHIP_VERSION = "1"
SPONSORSHIP_BASIS = (
    "FTC Guides Concerning Use of Endorsements and Testimonials, 16 CFR 255.5 "
    "(2023): material connections must be disclosed clearly and conspicuously"
)
COI = "COI_UNDISCLOSED"
COI_VERSION = "1"
COI_BASIS = (
    "Physician Payments Sunshine Act (42 U.S.C. 1320a-7h; 42 CFR 403 subpart I, "
    "Open Payments); FTC 16 CFR 255.5"
)
FOLD_CHARACTERS = 140
PAYMENT_WINDOW_DAYS_BEFORE = 3 * 366
PAYMENT_WINDOW_DAYS_AFTER = 366
COI_MAJOR_TOTAL_USD = 5000.0

_DISCLOSURE = re.compile(
    r"(?<![\w])(?:#ad(?![\w])|#ads(?![\w])|#sponsored|#paid\w*|#partner(?:ship)?(?![\w])|"
    r"#\w+partner(?![\w])|#advertisement|#spon(?:sor)?(?![\w])|"
    r"paid\s+partner(?:ship)?|sponsored\s+(?:by|post|content)|advertisement|"
    r"(?:^|\W)ad:|disclosure:|disclosures?:|coi:|conflicts?\s+of\s+interest:|"
    r"(?:i\s+am|i'm|i\s+was|i've\s+been)\s+(?:a\s+)?paid|paid\s+(?:consultant|speaker|"
    r"ambassador|partner|spokesperson)|"
    r"(?:i|we)\s+(?:receive[ds]?|get|got|have\s+received)\s+(?:compensation|payment|"
    r"honorari\w*|fees?|funding|consulting\s+fees?|speaker\s+fees?)|"
    r"(?:consultant|speaker|advisor|adviser|advisory\s+board(?:\s+member)?|"
    r"spokesperson)\s+(?:for|to|with)|(?:i\s+)?(?:consult|speak)\s+for|"
    r"financial\s+(?:relationship|ties?|interest)|on\s+(?:their|the)\s+speakers?\s+bureau)",
    re.IGNORECASE,
)
_SIGNAL = re.compile(
    r"(?<![\w])(?:(?:in\s+)?partner(?:ed|ing|ship)\s+with|teamed\s+up\s+with|"
    r"collab(?:orat\w*)?\s+with|#collab\w*|brand\s+ambassador|ambassador\s+for|"
    r"#ambassador|promo(?:tion(?:al)?)?\s+code|discount\s+code|coupon\s+code|"
    r"use\s+(?:my\s+)?code\s+\w+|(?-i:code\s+[A-Z0-9]{4,})|\d{1,2}\s?%\s+off|"
    r"affiliate(?:\s+link)?|#affiliate|#gifted|gifted\s+(?:me|by)|"
    r"(?:sent|gave)\s+me\s+(?:free|samples?|this|some)|free\s+samples?|"
    r"compensated|paid\s+(?:by|me)|"
    r"thank(?:s|\s+you)(?:\s+so\s+much)?\s+(?:to\s+)?@?[\w.]+\s+for\s+(?:sponsor\w*|"
    r"partner\w*|support\w*|having\s+me|inviting\s+me|the\s+invit\w*|sending|the\s+"
    r"(?:samples?|opportunity|trip)))",
    re.IGNORECASE,
)
_THANKS_MENTION = re.compile(
    r"(?<![\w])thank(?:s|\s+you)(?:\s+so\s+much)?\s+(?:to\s+)?(?P<who>@[\w.\-]+|#?\w+)",
    re.IGNORECASE,
)
_AFFILIATE_URL = re.compile(
    r"[?&](?:ref|aff|affid|affiliate|tag|coupon|promo|discount)=|"
    r"utm_(?:source|medium|campaign)=(?:influencer|affiliate|partner|ambassador)|"
    r"amzn\.to/|/ref=|shareasale|rstyle\.me|go\.magik|linktr\.ee",
    re.IGNORECASE,
)
_CORPORATE = frozenset(
    [
        "inc",
        "incorporated",
        "llc",
        "l",
        "l",
        "c",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "company",
        "co",
        "plc",
        "sa",
        "ag",
        "gmbh",
        "lp",
        "llp",
        "nv",
        "bv",
        "pharmaceuticals",
        "pharmaceutical",
        "pharma",
        "pharmaceutica",
        "therapeutics",
        "biopharma",
        "us",
        "usa",
        "america",
        "americas",
        "north",
        "holdings",
        "holding",
        "div",
        "division",
        "of",
        "the",
        "and",
        "sons",
        "group",
        "international",
        "global",
        "labs",
        "laboratories",
        "health",
        "healthcare",
        "medical",
        "bio",
        "sciences",
        "science",
        "products",
        "services",
    ]
)


def _manufacturer_words(name: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", (name or "").lower().replace("-", " "))
    return {w for w in words if len(w) >= 3 and w not in _CORPORATE}


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", (text or "").lower())


def manufacturer_matches(payment: PaymentInfo, product: ProductInfo) -> bool:
    """Whether a payment comes from the product's maker (or names the product)."""
    names = {_key(a) for a in product.aliases} | {_key(product.brand_name)}
    names.discard("")
    if any(_key(p) in names for p in payment.products if p):
        return True
    return bool(
        _manufacturer_words(payment.manufacturer_name)
        & _manufacturer_words(product.sponsor)
    )


def _hashtag_walls(doc: Doc) -> list[tuple[int, int, int]]:
    """Runs of 3+ hashtags separated only by spaces/punctuation: (start, end, count)."""
    runs: list[tuple[int, int, int]] = []
    tags = doc.hashtags
    i = 0
    while i < len(tags):
        j = i
        while j + 1 < len(tags) and re.fullmatch(
            r"[\s,.·|/]*", doc.text[tags[j].end : tags[j + 1].start]
        ):
            j += 1
        if j - i + 1 >= 3:
            runs.append((tags[i].start, tags[j].end, j - i + 1))
        i = j + 1
    return runs


def disclosures(doc: Doc) -> list[tuple[Evidence, str]]:
    """Disclosures with where they sit: "conspicuous", "below the fold" or "buried
    in N hashtags"."""
    walls = _hashtag_walls(doc)
    out: list[tuple[Evidence, str]] = []
    for m in _DISCLOSURE.finditer(doc.text):
        text = m[0].strip()
        start = m.start() + (len(m[0]) - len(m[0].lstrip()))
        evidence = Evidence(start, start + len(text), text)
        wall = next((w for w in walls if w[0] <= start < w[1]), None)
        if start >= FOLD_CHARACTERS:
            out.append((evidence, f"below the fold (character {start})"))
        elif wall is not None and doc.words_between(0, wall[0]) >= 3:
            out.append((evidence, f"buried in a run of {wall[2]} hashtags"))
        else:
            out.append((evidence, "conspicuous"))
    return out


def _brand_words(knowledge: Knowledge) -> set[str]:
    words: set[str] = set()
    for product in knowledge.products:
        words |= {_key(a) for a in product.aliases}
        words |= _manufacturer_words(product.sponsor)
    return {w for w in words if len(w) >= 3}


def sponsorship_signals(doc: Doc, knowledge: Knowledge) -> list[Evidence]:
    disclosed = [e for e, _ in disclosures(doc)]
    out: list[Evidence] = []
    for m in _SIGNAL.finditer(doc.text):
        if any(d.start <= m.start() < d.end for d in disclosed):
            continue
        out.append(Evidence(m.start(), m.end(), m[0]))
    brands = _brand_words(knowledge)
    for m in _THANKS_MENTION.finditer(doc.text):
        who = _key(m["who"])
        if any(b in who for b in brands) and not any(
            e.start <= m.start() < e.end for e in out
        ):
            out.append(Evidence(m.start(), m.end(), m[0]))
    for url in doc.urls:
        if _AFFILIATE_URL.search(url.text):
            out.append(Evidence(url.start, url.end, url.text))
    return sorted(out, key=lambda e: e.start)


def check_sponsorship(
    doc: Doc,
    post: PostInput,
    knowledge: Knowledge,
    mentions: tuple[ProductMention, ...],
) -> list[RuleHit]:
    found = disclosures(doc)
    if any(where == "conspicuous" for _, where in found):
        return []
    signals = sponsorship_signals(doc, knowledge)
    hidden = [(e, where) for e, where in found if where != "conspicuous"]
    if not signals and not hidden:
        return []
    if hidden:
        first, where = hidden[0]
        problem = (
            f"It does disclose ('{first.text}'), but the disclosure is {where}, so it "
            "is not clear and conspicuous: FTC expects it near the start, not after "
            "a wall of hashtags or below the 'more' fold."
        )
    else:
        problem = "It carries no disclosure such as '#ad' or 'Paid partnership with'."
    quoted = ", ".join(f"'{e.text}'" for e in signals[:3])
    product = knowledge.by_key[mentions[0].product_key] if mentions else None
    return [
        RuleHit(
            code=SPONSORSHIP,
            version=SPONSORSHIP_VERSION,
            severity=SEVERITY_MAJOR,
            evidence=tuple(
                sorted({*signals, *(e for e, _ in hidden)}, key=lambda e: e.start)
            ),
            explanation=(
                (
                    f"The post shows signs of a material connection ({quoted}). "
                    if signals
                    else "The post discloses a material connection late. "
                )
                + problem
                + " (FTC 16 CFR 255.5, 2023 Endorsement Guides.)"
            ),
            basis=SPONSORSHIP_BASIS,
            product_key=product.key if product else "",
            product_name=product.brand_name if product else "",
            details={
                "signals": [e.text for e in signals],
                "disclosures": [{"text": e.text, "where": w} for e, w in found],
            },
        )
    ]


def _in_window(payment: PaymentInfo, posted_at: date | datetime | None) -> bool:
    if posted_at is None or payment.date is None:
        return True
    day = posted_at.date() if isinstance(posted_at, datetime) else posted_at
    return (
        day - timedelta(days=PAYMENT_WINDOW_DAYS_BEFORE)
        <= payment.date
        <= day + timedelta(days=PAYMENT_WINDOW_DAYS_AFTER)
    )


def check_coi(
    doc: Doc,
    post: PostInput,
    knowledge: Knowledge,
    mentions: tuple[ProductMention, ...],
) -> list[RuleHit]:
    # Only a clear and conspicuous disclosure answers a conflict (FTC 255.5); one
    # buried in hashtags or below the fold does not.
    if not post.payments or not mentions:
        return []
    if any(where == "conspicuous" for _, where in disclosures(doc)):
        return []
    hits: list[RuleHit] = []
    for key in dict.fromkeys(m.product_key for m in mentions):
        product = knowledge.by_key[key]
        paid = [
            p
            for p in post.payments
            if _in_window(p, post.posted_at) and manufacturer_matches(p, product)
        ]
        if not paid:
            continue
        total = sum(p.amount_usd for p in paid)
        makers = sorted({p.manufacturer_name for p in paid})
        natures = sorted({p.nature for p in paid if p.nature})
        years = sorted({p.date.year for p in paid if p.date})
        weighty = any(
            re.search(
                r"consult|speaker|faculty|compensation|honorari|royalt|ownership",
                n,
                re.I,
            )
            for n in natures
        )
        product_spans = [m for m in mentions if m.product_key == key]
        hits.append(
            RuleHit(
                code=COI,
                version=COI_VERSION,
                severity=SEVERITY_MAJOR
                if weighty or total >= COI_MAJOR_TOTAL_USD
                else SEVERITY_MINOR,
                evidence=tuple(Evidence(m.start, m.end, m.text) for m in product_spans),
                explanation=(
                    f"The author{f' (NPI {post.author_npi})' if post.author_npi else ''} "
                    f"received ${total:,.2f} in {len(paid)} Open Payments record"
                    f"{'s' if len(paid) != 1 else ''} from {', '.join(makers)}"
                    f"{' in ' + ', '.join(map(str, years)) if years else ''}"
                    f"{' (' + '; '.join(natures[:3]) + ')' if natures else ''}, the "
                    f"maker of {product.brand_name}, which this post discusses, and the "
                    "post discloses no relationship. A material connection must be "
                    "disclosed (FTC 16 CFR 255.5); the payments are public under the "
                    "Sunshine Act (Open Payments)."
                ),
                basis=COI_BASIS,
                product_key=key,
                product_name=product.brand_name,
                details={
                    "total_usd": round(total, 2),
                    "payments": len(paid),
                    "manufacturers": makers,
                    "natures": natures,
                    "record_ids": [p.record_id for p in paid if p.record_id][:20],
                },
            )
        )
    return hits


def sponsorship_status(text: str) -> tuple[bool, bool]:
    """``(sponsored, clearly_disclosed)`` for one post's text, without the product
    dictionary: sponsored when it carries a disclosure or a sponsorship signal;
    clearly disclosed when a disclosure is conspicuous (not below the fold, not buried
    in hashtags). The scoring of the disclosure rate on sponsored posts reads this."""
    doc = Doc(text)
    found = disclosures(doc)
    sponsored = bool(found) or _SIGNAL.search(doc.text) is not None
    disclosed = any(where == "conspicuous" for _, where in found)
    return sponsored, disclosed
