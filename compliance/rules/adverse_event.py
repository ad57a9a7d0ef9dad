"""ADVERSE_EVENT: a post that carries the four elements FDA requires of a report.

The four elements (21 CFR 314.80; FDA, "Postmarketing Safety Reporting for Human
Drug and Biological Products", and its draft guidance on social media):

1. an identifiable reporter: the post's author, always (an account we can reach);
2. an identifiable patient: the author ("I", "my", "me"), someone the author names
   ("my patient", "a 67-year-old woman", "my mother"), or, for a first-person
   narrative without any pronoun ("extreme weight gain, hair loss."), the author
   implied; not a population ("patients on X", "in trials");
3. a suspect product: a labelled product, any drug name the general dictionary
   knows (``compliance.rules.drugs``), or a product the context gives (a drug
   review's drug);
4. an adverse event: a lexicon term (``lexicon_ae``), an adverse-reaction term of a
   labelled product's label, or a causal phrase ("X gave me ...", "made me ...");
   failing those, a weak cue (a first-hand experience word, a first-person account
   of the drug) that the text model does not rule out, or the text model alone
   (``compliance.ml.ae_model``, version ``MODEL_VERSION``) in a lay account, with
   the words that weigh most as the evidence (``_event_without_term``).

An event term does not count when ConText says it is negated ("no headaches"),
hypothetical or advice ("if you bleed", "can cause", "watch for"), history, an
indication ("for my anxiety", "diagnosed with") or an improvement ("my rash is
gone", "helped my sleep"). Causality is not required (FDA does not require it).

The explanation always names the four elements; ``details["event_source"]`` says
which path found the event ("event term", "first-hand account", "first-person
account" or "text model") and ``details["model"]`` the model's reading when it was
asked. Reading the model's artefact (once per process) is this rule's only I/O.

Tuned for RECALL: a human confirms every hit, and each hit opens an
``AdverseEventCase`` with a reporting clock.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from compliance.ml.ae_model import (
    ALONE_THRESHOLD,
    CONFIRM_THRESHOLD,
    MODEL_VERSION,
    POST,
    REVIEW,
    WORD_WEIGHT,
    AeModel,
    Token,
    ae_model_load,
    ae_tokens,
)
from compliance.rules import context
from compliance.rules.conditions import conditions_in
from compliance.rules.drugs import DrugMention, dictionary_available, drugs_in
from compliance.rules.lexicon_ae import AE_TERMS, INDICATION_PRONE, SERIOUS_PATTERNS
from compliance.rules.products import Knowledge, ProductMention
from compliance.rules.text import Doc
from compliance.rules.types import (
    SEVERITY_CRITICAL,
    SEVERITY_MAJOR,
    Evidence,
    PostInput,
    RuleHit,
)

CODE = "ADVERSE_EVENT"
# The text model's version is part of the rule's: a re-fitted model re-scans.
VERSION = f"4-m{MODEL_VERSION}"
BASIS = (
    "21 CFR 314.80 and 600.80 (postmarketing adverse drug experience reporting); "
    "FDA practice for social media: identifiable patient, identifiable reporter, "
    "suspect product and adverse event"
)
_DISQUALIFY = (
    context.NEGATED,
    context.HYPOTHETICAL,
    context.HISTORICAL,
    context.INDICATION,
    context.IMPROVED,
)
_WINDOWS = {context.INDICATION: 2, context.IMPROVED: 3, context.NEGATED: 5}

_FIRST_PERSON = re.compile(
    r"(?<![\w'])(?:i|i'm|im|i've|ive|i'd|i'll|me|myself|mine|my(?!\s+(?:patients|pts|"
    r"practice|clinic|colleagues|team|residents|students|followers|readers|peers|"
    r"hospital|office|unit|ward|service|panel|staff|fellows|trainees|cohort|"
    r"experience|opinion|view|take)\b))(?![\w'])",
    re.IGNORECASE,
)
_RELATION = (
    r"patient|pt|mom|mum|mother|dad|father|wife|husband|son|daughter|kid|child|baby|"
    r"brother|sister|friend|grandma|grandmother|grandpa|grandfather|aunt|uncle|cousin|"
    r"partner|boyfriend|girlfriend|bf|gf|niece|nephew|spouse|fiance|fiancee|roommate"
)
_SELF = re.compile(
    r"(?<![\w'])(?:i|i'm|im|i've|ive|i'd|i'll|me|myself)(?![\w'])", re.IGNORECASE
)
# A clinician writing about a practice or a population, not about one person.
_PROFESSIONAL = re.compile(
    r"(?<![\w])(?:patients|pts|protocol|clinic|practice|prescrib\w+|counsel\w*|"
    r"grand rounds|guideline\w*)(?![\w])",
    re.IGNORECASE,
)
_OTHER_PATIENT = re.compile(
    rf"(?<![\w])(?:(?:my|our|a|one of my|one of our)\s+(?:{_RELATION})(?![\w])|"
    r"(?:a|an|the)\s+\d{1,3}[- ]?(?:year|yr|y)[- ]?old(?:\s+\w+)?|"
    r"\d{1,3}\s?(?:yo|y/o|yof|yom)|\d{1,3}\s?[MF](?=[\s,.;:)])|"
    r"(?:he|she)\s+(?:developed|had|got|was|has|is|started|ended up))(?![\w])",
    re.IGNORECASE,
)
_POPULATION = re.compile(
    r"(?<![\w])(?:patients\s+(?:on|taking|who|with|should|may|can|need)|people\s+"
    r"(?:on|taking|who)|in (?:clinical )?trials|studies (?:show|found)|% of|percent of|"
    r"incidence|the label|labeling|prescribing information|boxed warning|counsel\w*|"
    r"remind\w*|educat\w*|monitor\w*|pearl|tip:|psa|fyi|check (?:lfts|labs))(?![\w])",
    re.IGNORECASE,
)
_CAUSAL = re.compile(
    r"(?<![\w])(?:gave|gives|giving|made|makes|making|left|leaves|has|had|got|gets|"
    r"keeps|kept|turned|turns)\s+me\s+(?!(?:feel(?:ing)?\s+)?(?:better|great|good|"
    r"normal|myself|alive|happy|human|hope|my life|relief|confidence|energy back|"
    r"a (?:new|second) (?:life|chance)|back)\b)[\w'\s]{2,40}?(?=[.,;!?]|$|\s(?:and|but)\s)"
    r"|(?<![\w])(?:is|was|are|were)\s+(?:killing|destroying|ruining|wrecking|messing\s+"
    r"(?:up|with))\s+(?:me|my)\b[\w'\s]{0,25}"
    r"|(?<![\w])(?:messed|messing|screwed|fucked|fucking)\s+(?:me|my\s+\w+)\s+up",
    re.IGNORECASE,
)
_WORSE = re.compile(
    r"(?<![\w])(?:more|increased|increase in|worse|worsening|worsened|new|severe|"
    r"horrible|extreme|extremely|terrible|awful|crazy|major|intense|heightened|higher|"
    r"full[- ]blown|through the roof|so much|made me|makes me|making me|gave me|"
    r"caused|causing|causes me|got|became|become|felt|feel|feeling|so|very|really|"
    r"lots of|unbearable|skyrocket\w*)(?![\w])",
    re.IGNORECASE,
)
_GENERIC_QUESTION = re.compile(
    r"(?<![\w])(?:have you|do you|did you|are you|does anyone|has anyone|anyone else|"
    r"can anyone|could anyone|is it|are there|does it|can it)(?![\w])",
    re.IGNORECASE,
)
# First-hand experience of a named drug with an effect left unspecified ("seroquel
# has me up at 4am", "since going on lamotrigine i've become ..."): SMM4H-style
# tweets describe events in words no lexicon lists. Needs an explicit first person
# AND a drug named in the text (not only a context product), in the same sentence.
_EXPERIENCE = re.compile(
    r"(?<![\w'])(?:feel|felt|feeling|feels|since|side|effects?|(?:made|makes|making|"
    r"gave|gives|got|gets|has|had|left|leaves|keeps|kept)\s+me|woke|wake|waking|"
    r"awake|asleep|slept|sleep\w*|nap|tired|energy|weight|fat|hungry|munchies|appetite|"
    r"cravings?|high|drunk|buzzed|sick|worse|worst|hate|withdraw\w*|coming off|"
    r"came off|weaning|taper\w*|can'?t|cannot|couldn'?t|unable|ruined|messed|screwed|"
    r"destroyed|killing|murdering|numb\w*|zombie\w*|crazy|weird|dreams?|"
    r"hallucinat\w*|allerg\w*|reaction|addict\w*|hooked|ugh+|fuck\w*|damn|crap|"
    r"shit|hell|awful|terrible|horrible|horrid|miserable|bad|pain|hurts?|cry|crying|"
    r"tears|never again|wtf|head|stomach|body|heart|brain|mind|eyes|skin|teeth|"
    r"legs|nerves?|veins|mood|memory|burns?|burning|itch\w*|recover\w*|resist\w*|"
    r"hospital|died|dead|potato|treacle|caus\w*|makes?\s+(?:me|you)|making\s+(?:me|you)|"
    r"mad|hyper|tweak\w*|wired|jacked|dizzy|crippled|syndrome|toxic\w*|spasms?|"
    r"rash|kicking in|blood|bizarre|groggy|drowsy|losing|loosing|wrecked|mouth|eating|"
    r"food|affect\w*|moods?|immune|tortur\w*|dehydrat\w*|yuck|scary|psychedelic|"
    r"paranoi\w*|anxious|depress\w*|sad|nocturnal|cantsleep|insomnia\w*|"
    r"ruin\w*|terrif\w*|madness|insane|nightmare\w*|struggl\w*|suffer\w*|haz[ey]|"
    r"coma|comatose|zonked|knock\w*|taste|agony|torture|"
    r"😭|😩|😫|🤢|🤮|😴|💤|😵|🥴)(?![\w'])",
    re.IGNORECASE,
)
# With only a context product (a review sentence that does not name the drug), a
# narrower set: bodily states and negative experience.
_NEGATIVE_EXPERIENCE = re.compile(
    r"(?<![\w'])(?:woke|waking|awake|slept|nap|tired|energy|weight|fat|hungry|appetite|"
    r"cravings?|drunk|sick|worse|worst|withdraw\w*|coming off|came off|weaning|"
    r"taper\w*|can'?t|cannot|couldn'?t|unable|ruined|messed|screwed|destroyed|numb\w*|"
    r"zombie\w*|crazy|weird|dreams?|hallucinat\w*|allerg\w*|reaction|addict\w*|awful|"
    r"terrible|horrible|horrid|miserable|pain|hurts?|cry|crying|tears|head|stomach|"
    r"heart|brain|mind|eyes|skin|teeth|legs|nerves?|memory|burns?|burning|hospital|"
    r"sex|sexual|libido|orgasm|strange|scary|scared|side effects?|effects|feel|felt|"
    r"feeling|lost|gain\w*|hard|difficult|trouble|problems?|issues?|severe|extreme|"
    r"constant\w*|dizzy|drowsy|groggy|foggy|shak\w*|sweat\w*|caus\w*|made me|"
    r"makes me|gave me|symptoms?|experienc\w*|stopped|quit)(?![\w'])",
    re.IGNORECASE,
)
_BENEFIT_ONLY = re.compile(
    r"(?<![\w])(?:feel(?:ing)?\s+(?:much\s+|so\s+|a lot\s+)?(?:better|great|good|"
    r"fine|normal|amazing)|helps?|helped|helping|working|works|worked|saved|no side "
    r"effects?)(?![\w])",
    re.IGNORECASE,
)
# A post about the trade (sponsorship, talks, marketing), not about a body.
_TRADE = re.compile(
    r"(?<![\w])(?:sponsor\w*|paid|speaker|consult\w*|advisory|disclos\w*|"
    r"ad|ads|advert\w*|promo\w*|coupon|discount|stock|shares|earnings|lawsuit\w*|"
    r"settlement|patent|generic version|launch\w*|approv\w*)(?![\w])",
    re.IGNORECASE,
)
# Routine medication logistics (a sentence that says the author got, changed,
# refilled, dosed or asked about a drug) or praise: not a first-person account of
# an unnamed effect.
_ROUTINE = re.compile(
    r"(?<![\w])(?:switch\w*|refill\w*|prescri\w*|pharmac\w*|copay\w*|insurance|"
    r"pick(?:ed|ing)? up|order\w*|asked|ask|recommend\w*|appointment|dr\.?|doctor|"
    r"doc|gp|nurse|script|rx|dose|dosage|\d+\s?mg|good|great|like|love|loving|"
    r"happy|happiness|improv\w*|glad|thank\w*|hop(?:e|ing)|free|productiv\w*)"
    r"(?![\w])",
    re.IGNORECASE,
)
MODEL_TERM = "Adverse event (text model)"
_PATIENT_WORD = re.compile(r"(?<![\w])patient(?![\w])", re.IGNORECASE)
_SERIOUS = re.compile(
    r"(?<![\w])(?:" + "|".join(SERIOUS_PATTERNS) + r")(?![\w])", re.IGNORECASE
)


@cache
def _lexicon() -> tuple[re.Pattern[str], tuple[tuple[re.Pattern[str], str], ...]]:
    """The combined lexicon pattern (for lower-cased text: case-sensitive matching
    lets the regex engine skip alternatives by their first letter, about 4x faster
    than IGNORECASE) and each phrase with its preferred term."""
    entries = tuple(
        (re.compile(rf"(?:{p})", re.IGNORECASE), term)
        for term, patterns in AE_TERMS.items()
        for p in patterns
    )
    everything = "|".join(
        p
        for patterns in AE_TERMS.values()
        for p in sorted(patterns, key=len, reverse=True)
    )
    # a plural or third-person "s" after any phrase ("hangovers", "spasms", "aches")
    combined = re.compile(rf"(?<![\w'])#?(?:{everything})(?:s|es)?(?![\w'])")
    return combined, entries


@cache
def _lexicon_folding() -> re.Pattern[str]:
    return re.compile(_lexicon()[0].pattern, re.IGNORECASE)


@lru_cache(maxsize=4096)
def _term_for(matched: str) -> str:
    text = matched.lstrip("#").lower()
    for candidate in (text, text[:-1], text[:-2]):
        for pattern, term in _lexicon()[1]:
            if pattern.fullmatch(candidate):
                return term
    return "Adverse event"


def _lowered(text: str) -> tuple[str, bool]:
    """The text lower-cased, and whether offsets are kept (a few characters, such as
    U+0130, lower-case to two)."""
    low = text.lower()
    return low, len(low) == len(text)


def _label_terms_re(
    knowledge: Knowledge, keys: frozenset[str]
) -> re.Pattern[str] | None:
    """Adverse-reaction terms of the labels of the products the post names (not
    the terms that are also one of that product's indications)."""
    cache = knowledge.__dict__.setdefault("_ae_label_re", {})
    if keys in cache:
        return cache[keys]
    terms: set[str] = set()
    indications = {
        i.lower()
        for key in keys
        for lab in knowledge.by_key[key].labels
        for i in lab.indications
    }
    for key in keys:
        product = knowledge.by_key[key]
        for lab in product.labels:
            for term in lab.adverse_reaction_terms:
                low = term.lower()
                if len(low) < 5 or low in indications:
                    continue
                if re.search(r"laboratory|accidental|/|test", low):
                    continue
                terms.add(low)
    ordered = sorted(terms, key=len, reverse=True)
    pattern = (
        re.compile(
            r"(?<![\w])(?:" + "|".join(re.escape(t) for t in ordered) + r")(?![\w])",
            re.IGNORECASE,
        )
        if ordered
        else None
    )
    cache[keys] = pattern
    return pattern


def _events(
    doc: Doc, knowledge: Knowledge, mentions: tuple[ProductMention, ...] = ()
) -> list[tuple[Evidence, str]]:
    """Lexicon, label and causal-phrase matches; the longest wins where they overlap."""
    candidates: list[tuple[Evidence, str]] = []
    combined, _ = _lexicon()
    low, aligned = _lowered(doc.text)
    matches = (
        combined.finditer(low) if aligned else _lexicon_folding().finditer(doc.text)
    )
    for m in matches:
        text = doc.text[m.start() : m.end()]
        candidates.append((Evidence(m.start(), m.end(), text), _term_for(text)))
    # The named products' label terms; for other drugs, every label's terms (a
    # MedDRA-like vocabulary), minus anything that is an indication.
    keys = frozenset(m.product_key for m in mentions) or frozenset(knowledge.by_key)
    label_re = _label_terms_re(knowledge, keys) if keys else None
    if label_re is not None:
        for m in label_re.finditer(doc.text):
            candidates.append((Evidence(m.start(), m.end(), m[0]), m[0].capitalize()))
    for m in _CAUSAL.finditer(doc.text):
        text = m[0].rstrip()
        candidates.append(
            (Evidence(m.start(), m.start() + len(text), text), "Adverse event (causal)")
        )
    candidates.sort(key=lambda c: (-(c[0].end - c[0].start), c[0].start))
    chosen: list[tuple[Evidence, str]] = []
    for evidence, term in candidates:
        if all(evidence.end <= e.start or evidence.start >= e.end for e, _ in chosen):
            chosen.append((evidence, term))
    return sorted(chosen, key=lambda c: c[0].start)


def _modifiers(
    doc: Doc, start: int, end: int, *, windows: dict[str, int] | None = None
) -> dict[str, context.Trigger]:
    """ConText modifiers, except that a question mark does not make a first-person
    statement hypothetical ("vyvanse makes me think too much ?"; posts also show a
    lost emoji as "?") unless the sentence asks others (``_GENERIC_QUESTION``)."""
    mods = context.modifiers(doc, start, end, windows=windows)
    trigger = mods.get(context.HYPOTHETICAL)
    if trigger is not None and trigger.text == "?":
        sentence = doc.sentence_of(start)
        body = doc.text[sentence.start : sentence.end]
        if _FIRST_PERSON.search(body) and not _GENERIC_QUESTION.search(body):
            del mods[context.HYPOTHETICAL]
    return mods


def _qualifies(doc: Doc, evidence: Evidence, term: str) -> bool:
    """ConText says the event happened; indication-prone terms must be worse/new."""
    mods = _modifiers(doc, evidence.start, evidence.end, windows=_WINDOWS)
    if any(category in mods for category in _DISQUALIFY):
        return False
    sentence = doc.sentence_of(evidence.start)
    body = doc.text[sentence.start : sentence.end].rstrip()
    if (
        body.endswith("?")
        and _GENERIC_QUESTION.search(body)
        and not _FIRST_PERSON.search(doc.text)
    ):
        # a question to others about an effect; with a first person in the post it
        # is the author's own ("anybody get spasms with prozac? mine is my eye")
        return False
    if term in INDICATION_PRONE:
        before = doc.text[max(sentence.start, evidence.start - 30) : evidence.start]
        after = doc.text[evidence.end : min(sentence.end, evidence.end + 30)]
        return bool(_WORSE.search(before) or _WORSE.search(after))
    return True


def _experience(
    doc: Doc,
    drugs: tuple[DrugMention, ...],
    mentions: tuple[ProductMention, ...],
    *,
    context_only: bool = False,
    taken: tuple[tuple[int, int], ...] = (),
    standalone: bool = True,
    refuted: bool = False,
) -> list[tuple[Evidence, str]]:
    """An experience cue anywhere in a post that names a drug (a tweet is one
    narrative), unless the post speaks of a population. Negation does not rule an
    experience cue out ("not feeling good", "can't think straight"); a question to
    others or a conditional does."""
    spans = [(d.start, d.end) for d in drugs] + [(m.start, m.end) for m in mentions]
    if not spans and not context_only:
        return []
    text = doc.text
    if not _SELF.search(text) and (
        _POPULATION.search(text) or _PROFESSIONAL.search(text)
    ):
        return []
    spans += [(c.start, c.end) for c in conditions_in(doc)]
    spans += list(taken)  # words of event terms ConText already ruled out
    cues = _NEGATIVE_EXPERIENCE if context_only else _EXPERIENCE
    for m in cues.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        mods = _modifiers(doc, m.start(), m.end())
        if context.HYPOTHETICAL in mods:
            continue
        sentence = doc.sentence_of(m.start())
        body = text[sentence.start : sentence.end].rstrip()
        if body.endswith("?") and _GENERIC_QUESTION.search(body):
            continue
        if _BENEFIT_ONLY.search(text, sentence.start, sentence.end) and not re.search(
            r"\b(?:but|though|although|except)\b", body, re.IGNORECASE
        ):
            continue
        evidence = Evidence(m.start(), m.end(), m[0])
        return [(evidence, "Adverse event (first-hand account)")]
    if context_only or not standalone or refuted or not drugs and not mentions:
        return []  # an event the post denies ("no nausea") settles it
    return _own_account(doc, spans)


def _own_account(doc: Doc, spans: list[tuple[int, int]]) -> list[tuple[Evidence, str]]:
    """The author speaks in the first person ("I", "me") of a drug the post names,
    in words no cue lists: tuned for recall, the reviewer decides. Not a question
    to others, an advice or conditional sentence, a benefit-only sentence, or a
    sentence that only names a drug the author is about to take."""
    text = doc.text
    if (
        _POPULATION.search(text)
        or _PROFESSIONAL.search(text)
        or _TRADE.search(text)
        or _OTHER_PATIENT.search(text)
        or _PATIENT_WORD.search(text)
    ):
        return []
    for m in _SELF.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        sentence = doc.sentence_of(m.start())
        body = text[sentence.start : sentence.end].rstrip()
        if _ROUTINE.search(body):
            continue
        if body.endswith("?") and _GENERIC_QUESTION.search(body):
            continue
        if context.HYPOTHETICAL in _modifiers(doc, m.start(), m.end()):
            continue
        if _BENEFIT_ONLY.search(text, sentence.start, sentence.end):
            continue
        evidence = Evidence(sentence.start, sentence.start + len(body), body)
        return [(evidence, "Adverse event (first-person account)")]
    return []


def _topic_hashtag(text: str, term: str) -> bool:
    """A hashtag that names the event as a topic (``#insomnia`` for Insomnia), not
    one that tells of it (``#cantsleep``): its body is the term's own name or one of
    the term's words."""
    if not text.startswith("#"):
        return False
    body = text[1:].lower()
    words = [w for w in re.split(r"[^a-z]+", term.lower()) if w]
    return body == "".join(words) or body in words


def _patient(doc: Doc, events: list[Evidence]) -> tuple[str, Evidence | None]:
    other = _OTHER_PATIENT.search(doc.text)
    if other:
        return other[0], Evidence(other.start(), other.end(), other[0])
    first = _FIRST_PERSON.search(doc.text)
    if first:
        return "the author", Evidence(first.start(), first.end(), first[0])
    sentences = {doc.sentence_of(e.start) for e in events}
    if any(_POPULATION.search(doc.text, s.start, s.end) for s in sentences):
        return "", None
    if _PROFESSIONAL.search(doc.text) and not _SELF.search(doc.text):
        return "", None  # a clinician on a practice or a population, no one person
    return "the author (implied by a first-hand account)", None


def _model() -> AeModel:
    """The text model (one seam, so tests can pass another)."""
    return ae_model_load()


def _event_without_term(
    doc: Doc,
    post: PostInput,
    drugs: tuple[DrugMention, ...],
    mentions: tuple[ProductMention, ...],
    candidates: list[tuple[Evidence, str]],
) -> tuple[list[tuple[Evidence, str]], str, dict[str, object] | None]:
    """No event term qualified: a weak cue (a first-hand experience word, or a
    first-person account of the drug) counts if the text model does not rule it
    out (probability >= CONFIRM_THRESHOLD); without a cue, the model alone counts
    at ALONE_THRESHOLD in a lay account (``_lay_account``) when a word of the post
    weighs at least WORD_WEIGHT toward an event by itself; the words that weigh
    most are the event's evidence. Those words are never a condition the post
    names, a word of an event term ConText says is denied or relieved ("no
    nausea", "helped my pain") or advice; such a term does not stop other words
    ("no nausea but I can't stop shaking")."""
    refuted = any(
        context.NEGATED in mods or context.IMPROVED in mods
        for mods in (
            _modifiers(doc, e.start, e.end, windows=_WINDOWS) for e, _ in candidates
        )
    )
    weak = _experience(
        doc,
        drugs,
        mentions,
        context_only=not (drugs or mentions),
        taken=tuple((e.start, e.end) for e, _ in candidates),
        standalone=not post.context_products,
        refuted=refuted,
    )
    lay = _lay_account(doc.text)
    if not weak and not lay:
        return [], "", None  # only the rules decide there; the model is not asked
    model = _model()
    domain = REVIEW if post.context_products else POST
    hidden = [(d.start, d.end) for d in drugs] + [(m.start, m.end) for m in mentions]
    tokens = ae_tokens(doc.text, hidden)
    probability = model.probability(tokens, domain)
    reading: dict[str, object] = {
        "model_version": model.version,
        "domain": domain,
        "probability": round(probability, 3),
        "thresholds": {
            "alone": ALONE_THRESHOLD,
            "confirm": CONFIRM_THRESHOLD,
            "word_weight": WORD_WEIGHT,
        },
    }
    if weak and probability >= CONFIRM_THRESHOLD:
        return weak, weak[0][1].removeprefix("Adverse event (").rstrip(")"), reading
    if probability < ALONE_THRESHOLD or not lay:
        return [], "", reading
    # not a condition the post names, nor a word of an event term ConText says is
    # denied ("no nausea") or relieved ("helped my pain", "no more chest pain"):
    # the model does not read negation well. An event that went away ("the nausea
    # subsided", a backward trigger) still happened.
    excluded = [(c.start, c.end) for c in conditions_in(doc)]
    excluded += [(e.start, e.end) for e, _ in candidates if _denied(doc, e)]
    chosen: list[tuple[Token, float]] = []
    for token, weight in model.evidence(tokens, domain, limit=len(tokens)):
        if not chosen and weight < WORD_WEIGHT:
            break  # strongest first: no word of its own weighs toward an event
        if any(s <= token.start < e for s, e in excluded) or (
            context.HYPOTHETICAL in _modifiers(doc, token.start, token.end)
        ):
            continue
        chosen.append((token, weight))
        if len(chosen) == 3:
            break
    reading["words"] = [[t.text, round(weight, 2)] for t, weight in chosen]
    if not chosen:
        return [], "", reading
    words = [
        (Evidence(t.start, t.end, doc.text[t.start : t.end]), MODEL_TERM)
        for t, _ in chosen
    ]
    return words, "text model", reading


def _denied(doc: Doc, evidence: Evidence) -> bool:
    mods = _modifiers(doc, evidence.start, evidence.end, windows=_WINDOWS)
    improved = mods.get(context.IMPROVED)
    return context.NEGATED in mods or (improved is not None and improved.forward)


def _lay_account(text: str) -> bool:
    """Text like the model's training data (lay posts, patients' reviews): not a
    clinician on a practice or a population, nor talk of the trade. Elsewhere only
    the rules decide."""
    return not (
        _POPULATION.search(text)
        or _PROFESSIONAL.search(text)
        or _TRADE.search(text)
        or _PATIENT_WORD.search(text)
    )


def check(
    doc: Doc,
    post: PostInput,
    knowledge: Knowledge,
    mentions: tuple[ProductMention, ...],
) -> list[RuleHit]:
    """At most one ADVERSE_EVENT hit per post, with every qualifying event span."""
    drugs: tuple[DrugMention, ...] = drugs_in(doc)
    if not mentions and not drugs and not post.context_products:
        return []
    candidates = _events(doc, knowledge, mentions)
    events = [(e, term) for e, term in candidates if _qualifies(doc, e, term)]
    source = "event term"
    reading: dict[str, object] | None = None
    if not events:
        events, source, reading = _event_without_term(
            doc, post, drugs, mentions, candidates
        )
    if not events:
        return []
    patient, patient_evidence = _patient(doc, [e for e, _ in events])
    if not patient:
        return []
    if patient_evidence is None:
        # Implied patient: topic hashtags (#insomnia) are not a first-hand account;
        # experiential ones (#cantsleep, #nosleep, #painful) are.
        events = [(e, t) for e, t in events if not _topic_hashtag(e.text, t)]
        if not events:
            return []

    product_names: list[str] = []
    product_evidence: list[Evidence] = []
    product_key = product_name = ""
    if mentions:
        first = mentions[0]
        product = knowledge.by_key[first.product_key]
        product_key, product_name = product.key, product.brand_name
        product_names.append(product.brand_name)
        product_evidence.extend(Evidence(m.start, m.end, m.text) for m in mentions)
    for drug in drugs:
        if not any(d.start <= drug.start < d.end for d in product_evidence):
            product_names.append(drug.canonical)
            product_evidence.append(Evidence(drug.start, drug.end, drug.name))
    if not product_names:
        for name in post.context_products:
            key = knowledge.key_for_name(name)
            if key and not product_key:
                product_key = key
                product_name = knowledge.by_key[key].brand_name
            product_names.append(product_name if key else name)
    names = list(dict.fromkeys(product_names))
    terms = list(
        dict.fromkeys(
            f"'{e.text}'" if term.startswith("Adverse event") else term
            for e, term in events
        )
    )
    serious = [
        m
        for m in _SERIOUS.finditer(doc.text)
        if context.NEGATED not in context.modifiers(doc, m.start(), m.end())
        and context.HYPOTHETICAL not in context.modifiers(doc, m.start(), m.end())
    ]
    severity = SEVERITY_CRITICAL if serious else SEVERITY_MAJOR
    evidence = [e for e, _ in events]
    evidence.extend(product_evidence)
    if patient_evidence is not None:
        evidence.append(patient_evidence)
    evidence = sorted(set(evidence), key=lambda e: (e.start, e.end))
    explanation = (
        f"Possible adverse event report: identifiable patient ({patient}), "
        "identifiable reporter (the post's author), suspect product "
        f"({', '.join(names)}) and adverse event ({', '.join(terms)}) are all present"
        + (
            f"; it mentions a serious outcome ({', '.join(m[0] for m in serious[:3])})"
            if serious
            else ""
        )
        + (
            "; no listed event term matched: the text model (version "
            f"{reading['model_version']}) reads an adverse-event account here with "
            f"probability {reading['probability']:.2f} (threshold {ALONE_THRESHOLD}), "
            "the quoted words weighing most"
            if source == "text model" and reading is not None
            else ""
        )
        + ". Pharmacovigilance must triage it and, if confirmed, report it to FDA "
        "within the reporting clock (21 CFR 314.80: 15 calendar days for serious "
        "unexpected events). Causality does not have to be established."
    )
    return [
        RuleHit(
            code=CODE,
            version=VERSION,
            severity=severity,
            evidence=tuple(evidence),
            explanation=explanation,
            basis=BASIS,
            product_key=product_key,
            product_name=product_name,
            details={
                "elements": {
                    "patient": patient,
                    "reporter": "the post's author",
                    "product": names,
                    "event": terms,
                },
                "event_source": source,
                "model": reading,
                "serious": bool(serious),
                "drug_dictionary": "drug-named-entity-recognition"
                if dictionary_available()
                else "FAERS list only",
            },
        )
    ]
