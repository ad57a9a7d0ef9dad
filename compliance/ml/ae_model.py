"""The adverse-event text model: a logistic regression over hashed word features.

``ADVERSE_EVENT`` (``compliance.rules.adverse_event``) asks it for a probability
that a post (or a review sentence) tells of an adverse drug event. The rule keeps
the four elements: it consults the model only when a suspect product is there and
no event term qualified, the model then stands for the *event* element, and the
patient is still required (see that module).

Features (``ae_tokens``, ``ae_feature_hashes``), computed the same way at training
and at inference:

* tokens: ASCII words (``don't`` is one word), emoji, and placeholders for a drug
  name (``zzdrug``, from the spans the caller hides: the drug dictionary's and the
  labelled products' mentions), a URL (``zzurl``) and an @mention (``zzuser``);
  lower-cased. Replacing drug names keeps the model from learning which drugs the
  training posts happened to name;
* word unigrams, word bigrams and a 5-letter prefix of longer words (morphology and
  misspellings: "sleepy", "sleeping", "sleepness" share ``sleep``);
* every feature twice: once shared and once for its domain (``post``: a standalone
  post; ``review``: a sentence of a longer text about a context product), plus a
  domain bias (Daume's feature augmentation: the two corpora share what they agree
  on and keep what differs);
* no vocabulary: each feature string is hashed with CRC-32 into ``2**N_BITS``
  buckets, and only the trained buckets' weights are stored (``ae_model.npz``;
  looked up through a dict built on first use). No text of the training corpora
  is in the artefact; SMM4H's terms forbid redistributing it.

The artefact is loaded lazily, once per process (``ae_model_load``); numpy is the
only dependency at inference (``compliance.ml.training`` fits it with
scikit-learn). Bump ``MODEL_VERSION`` whenever the artefact is re-fitted on other
data or features: the adverse-event rule's version includes it, so a new model
re-scans and supersedes.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

MODEL_VERSION = "1"
FORMAT_VERSION = 1
N_BITS = 24  # 16.7M buckets: an unseen word rarely shares one with a trained word
PREFIX = 5
ARTEFACT = Path(__file__).with_name("ae_model.npz")

# The model alone supplies the event element at ALONE_THRESHOLD; a weak rule cue
# (a first-hand experience word, a first-person account) needs the model's
# agreement at CONFIRM_THRESHOLD. Chosen on grouped 5-fold out-of-fold predictions
# of the tune split (compliance/ml/PROVENANCE.md).
ALONE_THRESHOLD = 0.5
CONFIRM_THRESHOLD = 0.1
# ... and the model alone needs a word that weighs this much by itself (log-odds:
# it multiplies the odds by 1.65 or more), so that a hit rests on something the
# post says, not on the training corpora's share of adverse-event posts.
WORD_WEIGHT = 0.5

POST = "post"
REVIEW = "review"
_DOMAIN_TAG = {POST: "S", REVIEW: "R"}

DRUG_TOKEN = "zzdrug"
URL_TOKEN = "zzurl"
USER_TOKEN = "zzuser"
_PLACEHOLDERS = frozenset({DRUG_TOKEN, URL_TOKEN, USER_TOKEN})

_TOKEN = re.compile(
    r"(?P<url>https?://\S+|www\.\S+)"
    r"|(?P<user>@\w+)"
    r"|(?P<word>[A-Za-z]+(?:['\u2019][A-Za-z]+)?)"
    r"|(?P<emoji>[\U0001F300-\U0001FAFF\u2600-\u27BF])"
)
# Function words and bare negators are features like any other ("not sleeping"),
# but a reviewer learns nothing from them: they are not offered as evidence.
_FUNCTION_WORDS = (
    "i i'm im i've ive me my mine myself you your he she his her it its we our "
    "they them their a an the and or but so of to in on at for with from by as "
    "is am are was were be been being do does did have has had this that these "
    "those just now then than what when where who how all any some not no never"
)
_NOT_EVIDENCE = frozenset(_FUNCTION_WORDS.split())


class AeModelError(RuntimeError):
    """The artefact is missing or does not match this code's format/version."""


class Token(NamedTuple):
    """One feature token and where it comes from in the original text (a tuple:
    cheap to make, and a post makes dozens)."""

    text: str
    start: int
    end: int


def ae_tokens(text: str, hidden: Iterable[tuple[int, int]] = ()) -> list[Token]:
    """Tokens of ``text``; every ``hidden`` span (a drug name) becomes one
    ``zzdrug`` token, whatever words it covers."""
    spans: list[tuple[int, int]] = []
    for start, end in sorted(hidden):
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    out: list[Token] = []
    at = 0  # index into spans
    emitted = -1  # the last span that became a token
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        while at < len(spans) and spans[at][1] <= start:
            at += 1
        if at < len(spans) and spans[at][0] < end:
            if emitted != at:
                out.append(Token(DRUG_TOKEN, spans[at][0], spans[at][1]))
                emitted = at
            continue
        kind = m.lastgroup
        if kind == "url":
            out.append(Token(URL_TOKEN, start, end))
        elif kind == "user":
            out.append(Token(USER_TOKEN, start, end))
        else:
            out.append(Token(m[0].lower().replace("\u2019", "'"), start, end))
    return out


def _crc_seed(prefix: str) -> int:
    return zlib.crc32(prefix.encode("utf-8"))


_MASK = (1 << N_BITS) - 1
_SEEDS = {
    (kind, tag): _crc_seed(tag + kind)
    for kind in ("u:", "b:", "p:")
    for tag in ("", "S", "R")
}


def _bucket(kind: str, tag: str, body: bytes) -> int:
    # crc32(tag + kind + body) computed from the prefix's running CRC
    return zlib.crc32(body, _SEEDS[kind, tag]) & _MASK


def bias_bucket(domain: str) -> int:
    return zlib.crc32(("bias" + _DOMAIN_TAG[domain]).encode("utf-8")) & _MASK


@lru_cache(maxsize=1 << 16)
def _token_buckets(word: str, tag: str) -> tuple[int, ...]:
    # words repeat across posts: the cache saves the CRCs
    body = word.encode("utf-8")
    if len(word) <= PREFIX:
        return (_bucket("u:", "", body), _bucket("u:", tag, body))
    head = word[:PREFIX].encode("utf-8")
    return (
        _bucket("u:", "", body),
        _bucket("u:", tag, body),
        _bucket("p:", "", head),
        _bucket("p:", tag, head),
    )


def _pair_buckets(first: str, second: str, tag: str) -> tuple[int, int]:
    body = f"{first} {second}".encode()
    return (_bucket("b:", "", body), _bucket("b:", tag, body))


def word_buckets(word: str, domain: str) -> tuple[int, ...]:
    """The buckets of one word in a domain: shared and domain unigram, and prefix."""
    return _token_buckets(word, _DOMAIN_TAG[domain])


def ae_feature_hashes(tokens: Sequence[Token], domain: str) -> set[int]:
    """The hashed binary features of a token list in a domain (``POST``/``REVIEW``)."""
    tag = _DOMAIN_TAG[domain]
    words = [t.text for t in tokens]
    found = {bias_bucket(domain)}
    for word in words:
        found.update(_token_buckets(word, tag))
    for first, second in zip(words, words[1:], strict=False):
        found.update(_pair_buckets(first, second, tag))
    return found


@dataclass
class AeModel:
    """A fitted model: the trained buckets (sorted) with their weights, and an
    intercept. A bucket no training text used weighs nothing. Not frozen: the
    lookup table is built on first use."""

    indices: Any  # numpy int64 array, sorted, unique
    values: Any  # numpy float32 array, the weight of each bucket in ``indices``
    intercept: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.meta.get("model_version", ""))

    @cached_property
    def _table(self) -> dict[int, float]:
        # a dict lookup per feature beats numpy's per-call overhead on ~70 features
        return dict(zip(self.indices.tolist(), self.values.tolist(), strict=True))

    def weight(self, buckets: Iterable[int]) -> float:
        """The summed weight of some buckets (an untrained bucket weighs 0)."""
        get = self._table.get
        return sum(get(b, 0.0) for b in buckets)

    def probability(self, tokens: Sequence[Token], domain: str) -> float:
        z = self.intercept + self.weight(ae_feature_hashes(tokens, domain))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def evidence(
        self, tokens: Sequence[Token], domain: str, *, limit: int = 3
    ) -> list[tuple[Token, float]]:
        """The tokens that push the score up most (their own unigram and prefix
        weights plus half of each bigram they are part of), strongest first;
        placeholders, function words and bare negators are left out."""
        tag = _DOMAIN_TAG[domain]
        words = [t.text for t in tokens]
        pair = [
            self.weight(_pair_buckets(a, b, tag)) / 2
            for a, b in zip(words, words[1:], strict=False)
        ]
        scored: dict[str, tuple[Token, float]] = {}
        for i, token in enumerate(tokens):
            if token.text in _PLACEHOLDERS or token.text in _NOT_EVIDENCE:
                continue
            weight = self.weight(_token_buckets(token.text, tag))
            weight += (pair[i - 1] if i > 0 else 0.0) + (
                pair[i] if i < len(pair) else 0.0
            )
            if weight > 0 and weight > scored.get(token.text, (token, 0.0))[1]:
                scored[token.text] = (token, weight)
        ranked = sorted(scored.values(), key=lambda tw: (-tw[1], tw[0].start))
        return ranked[:limit]


def ae_model_read(path: Path) -> AeModel:
    """Read an artefact written by ``compliance.ml.training.ae_model_write``."""
    import numpy as np

    if not path.is_file():
        raise AeModelError(
            f"{path} is missing: rebuild it with `manage.py ae_model_train`"
        )
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        indices = data["indices"].astype(np.int64)
        values = data["weights"].astype(np.float32)
        intercept = float(data["intercept"])
    if meta.get("format_version") != FORMAT_VERSION or meta.get("n_bits") != N_BITS:
        raise AeModelError(
            f"{path}: format {meta.get('format_version')}/{meta.get('n_bits')} bits, "
            f"this code reads format {FORMAT_VERSION}/{N_BITS} bits"
        )
    if len(indices) != len(values) or (
        len(indices) > 1 and (indices[1:] <= indices[:-1]).any()
    ):
        raise AeModelError(f"{path}: buckets are not sorted and unique")
    return AeModel(indices=indices, values=values, intercept=intercept, meta=meta)


@cache
def ae_model_load() -> AeModel:
    """The shipped model (``ARTEFACT``), read once per process; its version must be
    this code's ``MODEL_VERSION`` (the rule version promises it)."""
    model = ae_model_read(ARTEFACT)
    if model.version != MODEL_VERSION:
        raise AeModelError(
            f"{ARTEFACT} is model version {model.version!r}, the code expects "
            f"{MODEL_VERSION!r}: retrain (`manage.py ae_model_train`) or bump"
        )
    return model
