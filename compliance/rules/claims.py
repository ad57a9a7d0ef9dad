"""EFFICACY_OVERSTATEMENT and FAIR_BALANCE: what a post claims about a product.

EFFICACY_OVERSTATEMENT flags absolute or unsubstantiated claims: "cure", "miracle",
"100%", "guaranteed", "works for everyone", "no side effects", "completely safe",
"best"/"superior"/"better than X" without head-to-head data. The post must name a
drug; a claim that is negated ("no drug is completely safe", "it is not a cure") or
asked ("a cure?") does not count. 21 CFR 202.1(e)(6)(i)-(ii) calls claims of
greater safety or effectiveness than demonstrated by substantial evidence
misleading; superiority claims need adequate head-to-head trials.

FAIR_BALANCE flags a benefit claim about a labelled product (in the sentence that
names it or the next) when the post carries no risk information and no link to it.
Risk information is a non-negated risk word (risk, side effects, bleeding, boxed
warning, ISI, PI ...) or a link to the label or safety information. "Ask your
doctor" is not risk information. Major when the label in force has a boxed warning,
critical when the post also claims absolute safety, minor otherwise. Basis: 21 CFR
202.1(e)(5)(ii) and FDA's 2014 draft guidance on character-space-limited platforms
(benefit and risk together in each post, with a link to the complete risk
information).
"""

from __future__ import annotations

import re

from compliance.rules import context
from compliance.rules.drugs import drugs_in
from compliance.rules.products import Knowledge, ProductMention
from compliance.rules.text import Doc
from compliance.rules.types import (
    SEVERITY_CRITICAL,
    SEVERITY_MAJOR,
    SEVERITY_MINOR,
    Evidence,
    PostInput,
    RuleHit,
)

OVERSTATEMENT = "EFFICACY_OVERSTATEMENT"
OVERSTATEMENT_VERSION = "1"
OVERSTATEMENT_BASIS = "21 CFR 202.1(e)(6)(i)-(ii) (claims beyond substantial evidence)"
FAIR_BALANCE = "FAIR_BALANCE"
FAIR_BALANCE_VERSION = "1"
FAIR_BALANCE_BASIS = (
    "21 CFR 202.1(e)(5)(ii) (fair balance); FDA draft guidance 'Internet/Social Media "
    "Platforms with Character Space Limitations' (2014)"
)

_ABSOLUTE = re.compile(
    r"(?<![\w])(?:"
    r"(?P<cure>cure[sd]?|curing|curative)"
    r"|(?P<miracle>miracle(?:\s+(?:drug|cure|pill|shot|med(?:ication)?|worker))?|"
    r"miraculous|wonder\s+drug|magic\s+bullet|magic\s+pill)"
    r"|(?P<hundred>100\s?%|100\s+percent|one\s+hundred\s+percent)"
    r"|(?P<guarantee>guarantee[ds]?|guaranteeing)"
    r"|(?P<everyone>works\s+for\s+every(?:one|body|\s+patient)|works\s+every\s+time|"
    r"always\s+works|never\s+fails|(?:every|each)\s+(?:single\s+)?patient\s+"
    r"(?:responds|improves|gets\s+better))"
    r"|(?P<no_side_effects>(?:no|zero|without(?:\s+any)?|free\s+of)\s+side[\s-]?effects|"
    r"side[\s-]?effect[\s-]free|no\s+risks?|risk[\s-]free|no\s+downsides?|"
    r"nothing\s+to\s+worry\s+about)"
    r"|(?P<safe>(?:completely|totally|perfectly|absolutely|entirely|100\s?%)\s+safe|"
    r"safe\s+for\s+every(?:one|body)|safest|harmless)"
    r")(?![\w])",
    re.IGNORECASE,
)
_SUPERIOR = re.compile(
    r"(?<![\w])(?:(?:the\s+)?best\s+(?:drug|treatment|med(?:ication)?s?|option|statin|"
    r"anticoagulant|blood\s+thinner|biologic|therapy|choice|in\s+class|on\s+the\s+market|"
    r"there\s+is|out\s+there)|superior(?:\s+to)?|outperforms?|beats|#1\b|number\s+one|"
    r"nothing\s+(?:beats|compares\s+to|works\s+(?:as\s+well|better))|no\s+contest|"
    r"(?:better|safer|stronger|more\s+effective|works\s+better)\s+than(?=\s+(?:any|all|"
    r"other|every|the\s+(?:rest|others|competition)|competitors?|[A-Z#]\w+)))",
    re.IGNORECASE,
)
_HEAD_TO_HEAD = re.compile(
    r"head[\s-]?to[\s-]?head|\bh2h\b|direct(?:ly)?\s+compar\w*|randomi[sz]ed\s+"
    r"(?:trial|comparison)\s+(?:vs|versus|against)|non[\s-]?inferiority",
    re.IGNORECASE,
)
_ASKING_PHRASES = (
    "if",
    "whether",
    "?",
    "ask your doctor",
    "ask your",
    "talk to your doctor",
    "talk to your",
    "does anyone",
    "has anyone",
    "anyone else",
    "wondering",
    "want to know",
)
_BENEFIT = re.compile(
    r"(?<![\w])(?:works?|worked|working|effective|efficacy|helps?|helped|helping|"
    r"improv\w+|great\s+(?:results|outcomes|option|drug|choice)|amazing|incredible|"
    r"fantastic|excellent|life[\s-]?chang\w+|game[\s-]?chang\w+|remission|"
    r"clear(?:ed)?\s+(?:skin|up)|reduc\w+|lower\w*|prevent\w*|protect\w*|"
    r"simpl\w+|easier|convenient|no\s+(?:inr|monitoring|blood\s+tests|more\s+\w+)|"
    r"love|loving|recommend\w*|go[\s-]?to|first[\s-]line|results|relief|"
    r"transform\w*|changed\s+(?:my|their|his|her)\s+li(?:fe|ves)|back\s+to\s+"
    r"(?:normal|work|life)|thrilled|impressive|superior|safer|safe|cure[sd]?|"
    r"miracle|best|wonder\w*|success\w*|responded|responding|control(?:led|s)?|"
    r"better|goals?|targets?|down|drops?|dropped|cut\w*|beats?|no\s+side\s+effects?|"
    r"protected|protects?)(?![\w])",
    re.IGNORECASE,
)
_RISK = re.compile(
    r"(?<![\w])(?:risks?|side[\s-]?effects?|adverse|bleed\w*|hemorrhag\w*|"
    r"infections?|boxed\s+warning|black\s+box|warnings?|precautions?|contraindicat\w*|"
    r"safety\s+info\w*|important\s+safety|isi|prescribing\s+info\w*|full\s+pi|pi|"
    r"medication\s+guide|med\s*guide|serious|malignan\w*|lymphoma|tuberculosis|tb|"
    r"myalgia|muscle\s+(?:pain|aches?)|liver\s+(?:problems?|enzymes?|injury)|"
    r"rhabdo\w*|hypersensitivity|spinal\s+(?:or\s+)?epidural\s+hematoma|"
    r"not\s+for\s+everyone|monitor\w*|caution)(?![\w])",
    re.IGNORECASE,
)
_RISK_LINK = re.compile(
    r"\bpi\b|label|safety|isi|prescrib|dailymed|fda\.gov|medguide|risk", re.IGNORECASE
)


def _disqualified(doc: Doc, start: int, end: int, *, asking_only: bool) -> bool:
    mods = context.modifiers(doc, start, end)
    if context.NEGATED in mods:
        return True
    trig = mods.get(context.HYPOTHETICAL)
    if trig is None:
        return False
    if not asking_only:
        return True
    return re.sub(r"\s+", " ", trig.text.lower()) in _ASKING_PHRASES


def overstatements(doc: Doc) -> list[tuple[Evidence, str]]:
    """Absolute and superiority claims in the post (negation and questions out)."""
    out: list[tuple[Evidence, str]] = []
    for m in _ABSOLUTE.finditer(doc.text):
        if _disqualified(doc, m.start(), m.end(), asking_only=True):
            continue
        out.append((Evidence(m.start(), m.end(), m[0]), m.lastgroup or "absolute"))
    if not _HEAD_TO_HEAD.search(doc.text):
        for m in _SUPERIOR.finditer(doc.text):
            if _disqualified(doc, m.start(), m.end(), asking_only=True):
                continue
            out.append((Evidence(m.start(), m.end(), m[0]), "superiority"))
    return out


_KIND_WORDS = {
    "cure": "a cure claim",
    "miracle": "a 'miracle' claim",
    "hundred": "a 100% claim",
    "guarantee": "a guarantee",
    "everyone": "a claim that it works for everyone",
    "no_side_effects": "a claim of no side effects or no risk",
    "safe": "an absolute safety claim",
    "superiority": "a superiority claim without head-to-head evidence",
}


def check_overstatement(
    doc: Doc,
    post: PostInput,
    knowledge: Knowledge,
    mentions: tuple[ProductMention, ...],
) -> list[RuleHit]:
    claims = overstatements(doc)
    if not claims or not (mentions or drugs_in(doc)):
        return []
    product = knowledge.by_key[mentions[0].product_key] if mentions else None
    name = product.brand_name if product else drugs_in(doc)[0].name
    kinds = list(dict.fromkeys(_KIND_WORDS[kind] for _, kind in claims))
    quoted = ", ".join(f"'{e.text}'" for e, _ in claims[:4])
    explanation = (
        f"The post makes {', '.join(kinds)} about {name} ({quoted}). Absolute or "
        "comparative claims that go beyond what substantial evidence and the label "
        "support are misleading (21 CFR 202.1(e)(6)); superiority needs adequate "
        "head-to-head trials, and no drug is free of risk."
    )
    safety = any(kind in ("no_side_effects", "safe") for _, kind in claims)
    return [
        RuleHit(
            code=OVERSTATEMENT,
            version=OVERSTATEMENT_VERSION,
            severity=SEVERITY_MAJOR if safety or product else SEVERITY_MINOR,
            evidence=tuple(e for e, _ in claims),
            explanation=explanation,
            basis=OVERSTATEMENT_BASIS,
            product_key=product.key if product else "",
            product_name=product.brand_name if product else "",
            details={"claims": [kind for _, kind in claims]},
        )
    ]


def risk_information(doc: Doc) -> list[Evidence]:
    """Risk words (not negated) and links to the label or safety information."""
    found: list[Evidence] = []
    for m in _RISK.finditer(doc.text):
        if context.NEGATED in context.modifiers(doc, m.start(), m.end()):
            continue
        found.append(Evidence(m.start(), m.end(), m[0]))
    for url in doc.urls:
        if _RISK_LINK.search(url.text):
            found.append(Evidence(url.start, url.end, url.text))
    return found


def check_fair_balance(
    doc: Doc,
    post: PostInput,
    knowledge: Knowledge,
    mentions: tuple[ProductMention, ...],
) -> list[RuleHit]:
    if not mentions or risk_information(doc):
        return []
    sentences = doc.sentences
    hits: list[RuleHit] = []
    seen: set[str] = set()
    claims = overstatements(doc)
    for mention in mentions:
        if mention.product_key in seen:
            continue
        here = doc.sentence_of(mention.start)
        index = sentences.index(here) if here in sentences else 0
        scope_end = sentences[index + 1].end if index + 1 < len(sentences) else here.end
        benefits = [
            Evidence(m.start(), m.end(), m[0])
            for m in _BENEFIT.finditer(doc.text, here.start, scope_end)
            if not (m.start() < mention.end and mention.start < m.end())
            and not _disqualified(doc, m.start(), m.end(), asking_only=True)
        ]
        benefits.extend(
            e
            for e, _ in claims
            if here.start <= e.start < scope_end and e not in benefits
        )
        if not benefits:
            continue
        seen.add(mention.product_key)
        product = knowledge.by_key[mention.product_key]
        label = product.label_in_force(post.posted_at)
        boxed = bool(label and label.has_boxed_warning)
        absolute_safety = any(k in ("no_side_effects", "safe") for _, k in claims)
        if boxed and absolute_safety:
            severity = SEVERITY_CRITICAL
        elif boxed:
            severity = SEVERITY_MAJOR
        else:
            severity = SEVERITY_MINOR
        boxed_note = (
            f" Its label (v{label.version}) carries a boxed warning, so omitting risk "
            "is graver."
            if boxed and label
            else ""
        )
        hits.append(
            RuleHit(
                code=FAIR_BALANCE,
                version=FAIR_BALANCE_VERSION,
                severity=severity,
                evidence=(
                    Evidence(mention.start, mention.end, mention.text),
                    *benefits[:4],
                ),
                explanation=(
                    f"The post presents a benefit of {product.brand_name} "
                    f"({', '.join(repr(b.text) for b in benefits[:3])}) with no risk "
                    "information and no link to it. Promotion must balance benefit "
                    "and risk in the same post, with a link to the complete risk "
                    "information (21 CFR 202.1(e)(5); FDA 2014 draft guidance on "
                    f"character-space-limited platforms).{boxed_note}"
                ),
                basis=FAIR_BALANCE_BASIS,
                product_key=product.key,
                product_name=product.brand_name,
                label_version=label.version if label else None,
                details={"boxed_warning": boxed},
            )
        )
    return hits
