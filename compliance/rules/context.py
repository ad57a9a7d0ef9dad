"""A compact ConText (Harkema et al., J Biomed Inform 2009) for social-media posts.

A *trigger* phrase modifies a *target* (a condition, an event term, a claim) that
lies in its scope: after a forward trigger ("no headache", "if you bleed"), before
a backward trigger ("bleeding was ruled out", "my rash is gone"), within the same
clause (``Doc.clauses`` end scopes at "but", "however", ";" ...) and within a few
words. Triggers that overlap the target are ignored, so a lexicon phrase that
contains a negation word ("can't sleep", "no sex drive") stays an event.

Categories (``NEGATED`` ... ``IMPROVED``) are plain strings; each rule decides which
ones disqualify its target. ``medspacy`` implements the same algorithm; it was
measured here and not adopted: 283 MB installed with spaCy, about 430 short posts a
second for ConText alone (the whole rule set must do 2,000), and it pins numpy 1.26.
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance.rules.text import Doc

NEGATED = "negated"
HYPOTHETICAL = "hypothetical"  # conditional, advice, risk talk, questions
HISTORICAL = "historical"  # history of, family history
INDICATION = "indication"  # "for my anxiety", "diagnosed with": why, not what happened
IMPROVED = "improved"  # "helped my sleep", "my rash is gone"

FORWARD_WINDOW = 8  # words between trigger and target
BACKWARD_WINDOW = 4

_FORWARD: dict[str, tuple[str, ...]] = {
    NEGATED: (
        "no",
        "not",
        "never",
        "without",
        "denies",
        "denied",
        "deny",
        "none",
        "neither",
        "nor",
        "free of",
        "negative for",
        "absence of",
        "no evidence",
        "no sign",
        "no signs",
        "no history of",
        "didn't",
        "doesn't",
        "don't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "haven't",
        "hasn't",
        "hadn't",
        "won't",
        "wouldn't",
        "cannot",
        "can't",
        "zero",
        "nothing",
        "lack of",
        "not a single",
        "nobody",
        "rather than",
        "instead of",
        "unproven",
        "no data",
        "no proof",
        "not approved",
        "no role",
        "avoid in",
        "do not use",
        "should not be used",
        "contraindicated",
    ),
    HYPOTHETICAL: (
        "if",
        "in case",
        "could",
        "might",
        "may",
        "would",
        "should",
        "whether",
        "can cause",
        "may cause",
        "could cause",
        "might cause",
        "can lead to",
        "may lead to",
        "risk of",
        "risks of",
        "risk for",
        "at risk",
        "watch for",
        "watch out for",
        "look out for",
        "monitor for",
        "monitoring for",
        "screen for",
        "ask your doctor",
        "talk to your doctor",
        "ask your",
        "talk to your",
        "tell your doctor",
        "call your doctor",
        "consult",
        "possible",
        "potential",
        "side effects include",
        "side effects like",
        "side effects such as",
        "such as",
        "warned",
        "warning about",
        "warn about",
        "counsel",
        "counseled",
        "counselled",
        "counseling",
        "counselling",
        "discussed",
        "discuss",
        "reminder",
        "remind",
        "remember",
        "worried about",
        "worry about",
        "afraid of",
        "concerned about",
        "prevent",
        "prevents",
        "prevention of",
        "preventing",
        "to avoid",
        "avoid",
        "reduce the risk",
        "reduces the risk",
        "lower the risk",
        "lowers the risk",
        "report any",
        "seek",
        "signs of",
        "symptoms of",
        "educate",
        "educating",
        "teach",
        "explain",
        "explained",
        "want to know",
        "wondering",
        "does anyone",
        "anyone else",
        "has anyone",
        "any advice",
        "rare",
        "rarely",
        "is associated with",
        "associated with",
        "known to cause",
        "causes",
        "in trials",
        "in clinical trials",
        "label lists",
        "listed",
        "risk is",
        "main risk",
        "risks are",
        "risks include",
        "can include",
        "include",
        "includes",
        "including",
        "check",
        "checking",
        "screen",
        "ask about",
        "test for",
        "boxed warning",
        "warning:",
        "may qualify",
        "you may",
    ),
    HISTORICAL: ("history of", "hx of", "family history", "h/o", "years ago"),
    INDICATION: (
        "for my",
        "for her",
        "for his",
        "for their",
        "for the",
        "to treat",
        "treat",
        "treats",
        "treating",
        "treated",
        "prescribed for",
        "taking it for",
        "take it for",
        "diagnosed with",
        "dx with",
        "suffer from",
        "suffering from",
        "suffered from",
        "dealing with",
        "struggle with",
        "struggling with",
        "battling",
        "to help with",
        "to help",
        "help with",
        "helps with",
        "manage",
        "managing",
        "relief from",
        "relieve",
        "started for",
        "used for",
        "put me on",
        "put on",
        "was on it for",
        "due to my",
        "because of my",
        "for",
        "indicated for",
    ),
    IMPROVED: (
        "helped",
        "helps",
        "help",
        "helping",
        "improved",
        "improves",
        "improving",
        "relieved",
        "relieves",
        "less",
        "fewer",
        "reduced",
        "reduces",
        "eased",
        "eases",
        "no more",
        "got rid of",
        "gets rid of",
        "stopped my",
        "controls",
        "controlled",
        "cured",
        "cures",
        "fixed",
        "lifted",
        "resolved",
        "alleviated",
        "better",
        "decreased",
        "decreases",
        "lowered",
        "lowers",
        "knocked out",
        "took away",
        "takes away",
        "took care of",
        "kept my",
    ),
}
_BACKWARD: dict[str, tuple[str, ...]] = {
    NEGATED: (
        "ruled out",
        "was ruled out",
        "is ruled out",
        "were ruled out",
        "was negative",
        "is unlikely",
        "unlikely",
        "not seen",
        "never happened",
        "free",
        "is not an issue",
        "isn't an issue",
        "not a problem",
        "never came",
        "did not occur",
        "didn't happen",
    ),
    HYPOTHETICAL: (
        "is possible",
        "is a risk",
        "risk",
        "risks",
        "can happen",
        "may happen",
        "could happen",
        "is rare",
        "are rare",
        "warning",
        "warnings",
        "?",
        "is common",
        "are common",
        "is a known",
        "are known",
        "can include",
        "may include",
        "include",
        "includes",
        "can cause",
        "may cause",
        "is in the label",
        "are in the label",
        "in the label",
    ),
    IMPROVED: (
        "is gone",
        "was gone",
        "are gone",
        "gone",
        "went away",
        "go away",
        "goes away",
        "improved",
        "improving",
        "is better",
        "are better",
        "better",
        "disappeared",
        "subsided",
        "stopped",
        "lifted",
        "under control",
        "is manageable",
        "cleared",
        "cleared up",
        "resolved",
        "has resolved",
        "much less",
        "way less",
        "decreased",
        "lessened",
        "have eased",
    ),
    INDICATION: ("meds", "medication", "treatment", "therapy"),
}
# Risk talk and label language (added after measuring on the synthetic corpus).
_FORWARD[HYPOTHETICAL] += ("risks:", "risk:", "risks include", "boxed warning:")
_BACKWARD[HYPOTHETICAL] += ("can occur", "may occur", "can develop", "may develop")

# Phrases that contain a trigger word but are not triggers.
_PSEUDO = (
    "not only",
    "no doubt",
    "not sure",
    "no wonder",
    "not just",
    "no matter",
    "not necessarily",
    "not to mention",
    "nothing but",
    "without a doubt",
    "no idea",
    "not even sure",
    "never mind",
    "no longer sure",
    "if only",
    "not certain",
    "can't tell",
    "cannot tell",
    "no clue",
    "not until",
    "whether or not",
    "not sure if",
    "wonder if",
    "wondering if",
    "don't know if",
    "idk if",
    "not sure whether",
)


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(w.replace("'", "") for w in phrase.lower().rstrip(":").split())


def _index(
    table: dict[str, tuple[str, ...]], forward: bool
) -> dict[str, list[tuple[tuple[str, ...], str, bool, bool]]]:
    """First word -> (phrase words, category, forward, needs a colon), longest first.
    Matching on the Doc's word tokens is ~10x faster than one regex alternation of
    hundreds of phrases with look-arounds (measured with ``bench/scan.py``)."""
    index: dict[str, list[tuple[tuple[str, ...], str, bool, bool]]] = {}
    for category, phrases in table.items():
        for phrase in phrases:
            if phrase == "?":
                continue  # question marks are found in the text itself
            words = _words(phrase)
            index.setdefault(words[0], []).append(
                (words, category, forward, phrase.endswith(":"))
            )
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index


_FORWARD_INDEX = _index(_FORWARD, True)
_BACKWARD_INDEX = _index(_BACKWARD, False)
_PSEUDO_INDEX = _index({"pseudo": _PSEUDO}, True)
_QUESTION_BACKWARD = "?" in _BACKWARD.get(HYPOTHETICAL, ())


@dataclass(frozen=True, slots=True)
class Trigger:
    category: str
    forward: bool
    start: int
    end: int
    text: str


def triggers(doc: Doc) -> tuple[Trigger, ...]:
    """Every trigger in the post (cached on the ``Doc``)."""
    cached = doc.__dict__.get("_context_triggers")
    if cached is not None:
        return cached
    words = [t for t in doc.tokens if t.kind == "word"]
    keys = [w.norm.replace("'", "") for w in words]
    text = doc.text
    blocked: set[int] = set()
    for i, key in enumerate(keys):
        for phrase, _cat, _fw, _colon in _PSEUDO_INDEX.get(key, ()):
            if tuple(keys[i : i + len(phrase)]) == phrase:
                blocked.update(range(i, i + len(phrase)))
                break
    out: list[Trigger] = []
    for i, key in enumerate(keys):
        if i in blocked:
            continue
        for index in (_FORWARD_INDEX, _BACKWARD_INDEX):
            for phrase, category, forward, colon in index.get(key, ()):
                n = len(phrase)
                if tuple(keys[i : i + n]) != phrase:
                    continue
                end = words[i + n - 1].end
                if colon:
                    if text[end : end + 1] != ":":
                        continue
                    end += 1
                start = words[i].start
                out.append(Trigger(category, forward, start, end, text[start:end]))
                break
    if _QUESTION_BACKWARD and "?" in text:
        for at, char in enumerate(text):
            if char == "?":
                out.append(Trigger(HYPOTHETICAL, False, at, at + 1, "?"))
    result = tuple(out)
    doc.__dict__["_context_triggers"] = result
    return result


def modifiers(
    doc: Doc,
    start: int,
    end: int,
    *,
    forward_window: int = FORWARD_WINDOW,
    backward_window: int = BACKWARD_WINDOW,
    windows: dict[str, int] | None = None,
) -> dict[str, Trigger]:
    """The categories that modify the target [start, end), each with the trigger
    that applies (nearest first). ``windows`` narrows the forward window of some
    categories (the adverse-event rule reads "for" only right before a term). Pure;
    cheap when the post has no triggers."""
    found: dict[str, Trigger] = {}
    all_triggers = triggers(doc)
    if not all_triggers:
        return found
    clause = doc.clause_of(start)
    for trig in all_triggers:
        if trig.start < end and trig.end > start:
            continue  # part of the target itself
        if trig.forward:
            if trig.end > start or trig.start < clause.start:
                continue
            limit = (windows or {}).get(trig.category, forward_window)
            if doc.words_between(trig.end, start) > limit:
                continue
        else:
            if trig.start < end or trig.start >= clause.end:
                continue
            if doc.words_between(end, trig.start) > backward_window:
                continue
        current = found.get(trig.category)
        distance = start - trig.end if trig.forward else trig.start - end
        if current is None or distance < (
            start - current.end if current.forward else current.start - end
        ):
            found[trig.category] = trig
    return found


def is_negated(doc: Doc, start: int, end: int) -> bool:
    return NEGATED in modifiers(doc, start, end)
