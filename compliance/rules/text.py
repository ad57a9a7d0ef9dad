"""Tokens, sentences and clauses of a social-media post, with offsets into the
ORIGINAL text (evidence spans always point into what the author wrote).

Pure code. Social-media specifics handled here, once, for every rule:

* URLs (``https://...``, ``www...``, bare ``site.com/path``) are single tokens and
  never split a sentence at their dots;
* ``#hashtags`` are words whose ``norm`` drops the ``#`` (``#Humira`` -> ``humira``);
  ``@mentions`` (Bluesky handles contain dots) and ``$cashtags`` are their own kinds;
* case is folded in ``norm``; curly apostrophes become straight ones;
* emoji and other symbols are not tokens (they never break a word).

A *sentence* ends at ``.``/``!``/``?`` runs followed by a space (not after common
abbreviations such as "Dr." or "e.g."), or at a line break. A *clause* further
splits a sentence at ``;``, ``:``, dashes and the contrast words ConText uses as
scope terminators ("but", "however", "although", "though", "except", "yet").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

URL_RE = re.compile(
    r"https?://[^\s<>\"]+|www\.[^\s<>\"]+|"
    r"\b[a-z0-9][\w-]*\.(?:com|org|net|io|ly|gov|co|health|info|me|us)"
    r"(?:/[^\s<>\"]*)?(?=[\s,;!?)]|$|\.(?:\s|$))",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(
    r"(?P<url>https?://[^\s<>\"]+|www\.[^\s<>\"]+)"
    r"|(?P<mention>@[\w][\w.\-]*\w)"
    r"|(?P<hashtag>#[^\W_][\w]*)"
    r"|(?P<cashtag>\$[A-Za-z][A-Za-z.]{0,9}\b)"
    r"|(?P<word>[^\W_][\w]*(?:['’\-][^\W_][\w]*)*)"
)
_ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "vs",
        "e.g",
        "i.e",
        "etc",
        "approx",
        "fig",
        "no",
        "pts",
        "pt",
        "inc",
        "ltd",
        "co",
        "jr",
        "sr",
    ]
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s|$)|\n\s*")
_CLAUSE_BREAK = re.compile(
    r"\s*;\s+|\s+[–—-]{1,2}\s+|\s*\|\s*|,?\s+\b(?:but|however|although|though|"
    r"except|yet|whereas|while)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is word, hashtag, mention, cashtag or url."""

    kind: str
    start: int
    end: int
    text: str
    norm: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence or clause: [start, end) in the original text."""

    start: int
    end: int


def _norm(text: str) -> str:
    return text.casefold().replace("’", "'")


class Doc:
    """A post's text, analysed once and shared by every rule (lazy, cached)."""

    def __init__(self, text: str) -> None:
        self.text = text or ""

    @cached_property
    def lower(self) -> str:
        """Case-folded text with straight apostrophes (same length as ``text`` for
        the ASCII and Latin text rules match on)."""
        folded = self.text.lower().replace("’", "'")
        return folded if len(folded) == len(self.text) else self.text.replace("’", "'")

    @cached_property
    def tokens(self) -> tuple[Token, ...]:
        out: list[Token] = []
        for m in _TOKEN_RE.finditer(self.text):
            kind = m.lastgroup or "word"
            raw = m[0]
            if kind == "url":
                raw = raw.rstrip(".,;:!?)]}\"'")
                norm = raw.lower()
            elif kind == "hashtag" or kind == "mention":
                norm = _norm(raw[1:])
            else:
                norm = _norm(raw)
            out.append(Token(kind, m.start(), m.start() + len(raw), raw, norm))
        return tuple(out)

    @cached_property
    def words(self) -> tuple[Token, ...]:
        """Words and hashtags (what drug, condition and event lexicons look at)."""
        return tuple(t for t in self.tokens if t.kind in ("word", "hashtag"))

    @cached_property
    def urls(self) -> tuple[Token, ...]:
        found = [t for t in self.tokens if t.kind == "url"]
        have = {(t.start, t.end) for t in found}
        for m in URL_RE.finditer(self.text):
            raw = m[0].rstrip(".,;:!?)]}\"'")
            span = (m.start(), m.start() + len(raw))
            if span not in have and not any(t.start <= span[0] < t.end for t in found):
                found.append(Token("url", span[0], span[1], raw, raw.lower()))
        return tuple(sorted(found, key=lambda t: t.start))

    @cached_property
    def hashtags(self) -> tuple[Token, ...]:
        return tuple(t for t in self.tokens if t.kind == "hashtag")

    @cached_property
    def sentences(self) -> tuple[Segment, ...]:
        text = self.text
        url_spans = [(t.start, t.end) for t in self.urls]
        cuts: list[int] = []
        for m in _SENTENCE_END.finditer(text):
            at = m.start()
            if any(s <= at < e for s, e in url_spans):
                continue
            if text[at] == ".":
                before = re.search(r"([\w.]+)$", text[:at])
                if before and before[1].lower().rstrip(".") in _ABBREVIATIONS:
                    continue
                if (
                    before
                    and re.fullmatch(r"\d+", before[1])
                    and (m.end() < len(text) and text[m.end() : m.end() + 1].isdigit())
                ):
                    continue
            cuts.append(m.end())
        return tuple(_segments(text, 0, len(text), cuts))

    @cached_property
    def clauses(self) -> tuple[Segment, ...]:
        out: list[Segment] = []
        for sentence in self.sentences:
            cuts = [
                m.start()
                for m in _CLAUSE_BREAK.finditer(self.text, sentence.start, sentence.end)
            ]
            out.extend(_segments(self.text, sentence.start, sentence.end, cuts))
        return tuple(out)

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @cached_property
    def _clause_starts(self) -> list[int]:
        return [c.start for c in self.clauses]

    def sentence_of(self, offset: int) -> Segment:
        """The sentence holding ``offset`` (the last one for an offset past the end)."""
        return _find(self.sentences, self._sentence_starts, offset, len(self.text))

    def clause_of(self, offset: int) -> Segment:
        return _find(self.clauses, self._clause_starts, offset, len(self.text))

    def words_between(self, start: int, end: int) -> int:
        """How many word tokens lie fully inside [start, end)."""
        return sum(1 for t in self.words if t.start >= start and t.end <= end)

    @cached_property
    def trailing_hashtag_block_start(self) -> int | None:
        """Offset where a closing run of 3+ hashtags (a "wall") begins, or None."""
        tags = self.hashtags
        if len(tags) < 3:
            return None
        run_start = None
        count = 0
        prev_end = None
        for tag in tags:
            gap = self.text[prev_end : tag.start] if prev_end is not None else None
            if gap is not None and re.fullmatch(r"[\s,.·|/]*", gap):
                count += 1
            else:
                run_start, count = tag.start, 1
            prev_end = tag.end
        if count >= 3 and run_start is not None:
            tail = self.text[prev_end:]
            if re.fullmatch(r"[\W_]*", tail):
                return run_start
        return None


def _segments(text: str, start: int, end: int, cuts: list[int]) -> list[Segment]:
    """Split [start, end) at the absolute offsets ``cuts``; trim spaces; drop empties."""
    out: list[Segment] = []
    begin = start
    for stop in [*sorted(c for c in cuts if start < c < end), end]:
        s, e = begin, stop
        while s < e and (text[s].isspace() or text[s] in ",;:|–—-"):
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(Segment(s, e))
        begin = stop
    return out


def _find(
    segments: tuple[Segment, ...], starts: list[int], offset: int, length: int
) -> Segment:
    if not segments:
        return Segment(0, length)
    index = max(bisect_right(starts, offset) - 1, 0)
    return segments[index]
