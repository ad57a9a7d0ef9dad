"""Pages of the compliance app: the draft checker (runs the rules on a text and
stores nothing), and the highlighting of evidence spans in a text, which the
review pages of ``vetting`` (findings queue, adverse-event inbox) reuse.

The findings queue and the adverse-event inbox are in ``vetting.views.review``:
program membership scopes them (DESIGN 7) and this app may not import ``vetting``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.views.generic import FormView

from compliance.forms import DraftCheckForm
from compliance.rules.types import RuleHit
from compliance.selectors import draft_check


@dataclass(frozen=True)
class Segment:
    """A piece of the draft: plain, or covered by the evidence of some findings.
    The template escapes ``text``; nothing here is marked safe."""

    text: str
    codes: tuple[str, ...] = ()
    kind: str = ""  # "finding" or "mention" (product names only)


def spans_segments(text: str, spans: list[tuple[int, int, str, bool]]) -> list[Segment]:
    """Cut ``text`` at every span boundary; each piece knows which rules cover it.
    ``spans`` are ``(start, end, code, is_finding)``; spans outside the text are
    clipped and empty ones dropped. Pure."""
    spans = [
        (max(0, s), min(len(text), e), code, finding)
        for s, e, code, finding in spans
        if e > s
    ]
    cuts = sorted(
        {0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)}
    )
    segments: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        if end <= start:
            continue
        covering = [
            (code, finding) for s, e, code, finding in spans if s <= start and end <= e
        ]
        codes = tuple(dict.fromkeys(code for code, _ in covering))
        kind = (
            "finding"
            if any(f for _, f in covering)
            else ("mention" if covering else "")
        )
        segments.append(Segment(text[start:end], codes, kind))
    return segments


def highlight_segments(text: str, hits: list[RuleHit]) -> list[Segment]:
    """The draft checker's highlighting: every hit's evidence. Pure."""
    return spans_segments(
        text,
        [(e.start, e.end, h.code, h.is_finding) for h in hits for e in h.evidence],
    )


class DraftCheckView(LoginRequiredMixin, FormView):
    """Check a draft post: findings with highlighted evidence. Stores nothing."""

    template_name = "compliance/draft_check.html"
    form_class = DraftCheckForm

    def form_valid(self, form: DraftCheckForm):
        data = form.cleaned_data
        result = draft_check(
            text=data["text"],
            author_npi=data.get("author_npi") or "",
            product=data.get("product") or "",
            posted_at=data.get("posted_at") or timezone.now(),
        )
        return self.render_to_response(
            self.get_context_data(
                form=form,
                result=result,
                segments=highlight_segments(result.text, result.hits),
                checked=True,
            )
        )
