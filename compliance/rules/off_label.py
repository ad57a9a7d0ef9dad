"""OFF_LABEL: a labelled product presented for a condition outside its approved
indications, judged against the label version in force on the post's date.

A hit needs, in one sentence, a product mention and a condition
(``compliance.rules.conditions``) that:

* is related to the product in use: both in the same clause with at most
  ``_CLAUSE_GAP`` words between them, or a use word ("for", "in", "treat", "using",
  "started", "works", "off-label" ...) between them within ``_SENTENCE_GAP`` words;
* is not negated ("Eliquis is not for mechanical valves", "no evidence it helps
  long COVID") nor asked about ("should I try Humira for alopecia?");
* becomes "pediatric X" when the sentence speaks of children, and then needs a
  pediatric approval (ELIQUIS: pediatric VTE is off-label under label v29 and
  on-label under v30, effective 2025-04-17);
* is not covered by the label's indications (``condition_covered``).

Products without a label are never judged (DESIGN 6). Basis: FDCA 502(a) and
502(f)(1) (misbranding: inadequate directions for an unapproved use); 21 CFR
202.1(e)(4)-(6).
"""

from __future__ import annotations

import re

from compliance.rules import context
from compliance.rules.conditions import (
    PEDIATRIC_CONTEXT,
    ConditionMention,
    condition_covered,
    conditions_in,
)
from compliance.rules.products import Knowledge, ProductMention
from compliance.rules.text import Doc
from compliance.rules.types import SEVERITY_MAJOR, Evidence, PostInput, RuleHit

CODE = "OFF_LABEL"
VERSION = "1"
BASIS = "FDCA 502(a), 502(f)(1); 21 CFR 202.1(e)(4)-(6) (promotion of unapproved uses)"
_CLAUSE_GAP = 6
_SENTENCE_GAP = 14
_USE = re.compile(
    r"(?<![\w])(?:for|in|to\s+treat|treat\w*|using|use[ds]?|on|with|started|start|"
    r"switch\w*|prescrib\w*|helps?|helped|works?|worked|tried|trying|try|put|"
    r"manag\w*|off[\s-]?label|#offlabel|reduc\w*|prevent\w*|resolv\w*|clear\w*|"
    r"dissolv\w*|regrow\w*|results?|success\w*|responded|response|effective|"
    r"improv\w*|shrank|shrinks|game[\s-]?changer|great)(?![\w])",
    re.IGNORECASE,
)
_ASKING = (
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


def _related(doc: Doc, mention: ProductMention, condition: ConditionMention) -> bool:
    start = min(mention.end, condition.end)
    end = max(mention.start, condition.start)
    gap = doc.words_between(start, end)
    same_clause = doc.clause_of(mention.start) == doc.clause_of(condition.start)
    if same_clause and gap <= _CLAUSE_GAP:
        return True
    return gap <= _SENTENCE_GAP and bool(_USE.search(doc.text, start, end))


# A condition introduced as something that happened to the patient is an event,
# not a use ("came in today with hair loss", "since I started X I get insomnia").
_AS_EVENT = re.compile(
    r"(?:came\s+in\s+(?:today\s+)?with|presented\s+with|developed|develop|got|get|"
    r"gets|getting|caused|causes|causing|gave\s+me|giving\s+me|made\s+me|"
    r"experienc\w+|reported|complain\w*\s+of|new[\s-]onset|onset\s+of|with\s+new|"
    r"now\s+has|now\s+have|side\s+effects?\s+(?:of|like|such\s+as)?)\W*(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)


def _excluded(doc: Doc, condition: ConditionMention) -> bool:
    sentence = doc.sentence_of(condition.start)
    if _AS_EVENT.search(doc.text[sentence.start : condition.start]):
        return True
    mods = context.modifiers(doc, condition.start, condition.end)
    if context.NEGATED in mods:
        return True
    trig = mods.get(context.HYPOTHETICAL)
    if trig is not None and re.sub(r"\s+", " ", trig.text.lower()) in _ASKING:
        return True
    return doc.text[sentence.start : sentence.end].rstrip().endswith("?")


def check(
    doc: Doc,
    post: PostInput,
    knowledge: Knowledge,
    mentions: tuple[ProductMention, ...],
) -> list[RuleHit]:
    if not mentions:
        return []
    conditions = conditions_in(doc)
    if not conditions:
        return []
    hits: list[RuleHit] = []
    seen: set[tuple[str, str]] = set()
    for mention in mentions:
        product = knowledge.by_key[mention.product_key]
        label = product.label_in_force(post.posted_at)
        if label is None:
            continue
        sentence = doc.sentence_of(mention.start)
        pediatric = bool(
            PEDIATRIC_CONTEXT.search(doc.text, sentence.start, sentence.end)
        )
        for condition in conditions:
            if not (sentence.start <= condition.start < sentence.end):
                continue
            name = condition.condition
            if pediatric and not name.startswith("pediatric "):
                name = f"pediatric {name}"
            if (product.key, name) in seen:
                continue
            if condition_covered(
                name,
                label.indications,
                label_mentions_children=label.indications_mention_children,
            ):
                continue
            if not _related(doc, mention, condition) or _excluded(doc, condition):
                continue
            seen.add((product.key, name))
            when = (
                f", effective {label.effective_date.isoformat()}"
                if label.effective_date
                else ""
            )
            approved = ", ".join(label.indications) or "none parsed"
            hits.append(
                RuleHit(
                    code=CODE,
                    version=VERSION,
                    severity=SEVERITY_MAJOR,
                    evidence=(
                        Evidence(mention.start, mention.end, mention.text),
                        Evidence(condition.start, condition.end, condition.text),
                    ),
                    explanation=(
                        f"The post presents {product.brand_name} for {name}, which is "
                        "not among the approved indications of the label in force on "
                        f"the post's date (version {label.version}{when}: {approved}). "
                        "Promoting an unapproved use misbrands the drug (FDCA "
                        "502(f)(1); 21 CFR 202.1(e)). A clinician may discuss "
                        "off-label evidence in a balanced scientific exchange; a "
                        "promotional post may not."
                    ),
                    basis=BASIS,
                    product_key=product.key,
                    product_name=product.brand_name,
                    label_version=label.version,
                    details={
                        "condition": name,
                        "approved": list(label.indications),
                        "pediatric": pediatric,
                    },
                )
            )
    return hits
