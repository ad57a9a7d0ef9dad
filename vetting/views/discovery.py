"""Discovery (DESIGN 8): the latest scores of every program the user is a member of,
filtered, sorted and paged in SQL by ``InfluencerScoreFilterSet``; and up to four
candidates compared side by side.

The filter form updates only the results with htmx (``hx-get`` + ``hx-push-url``)
and works as a plain GET form without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views import View
from django.views.generic import ListView

from influencers.models import SocialAccount
from vetting import discovery
from vetting.filters import SCORE_LABELS, SCORES, InfluencerScoreFilterSet
from vetting.models import InfluencerScore
from vetting.scoring.explain import LABELS
from vetting.scoring.weights import COMPONENTS

PAGE_SIZE = 50
PLATFORMS = dict(SocialAccount.Platform.choices)
RESULTS_TARGET = "discover-results"
# short column headings of the components (the full label is read out instead)
SHORT_LABELS = {
    "alignment": "Align",
    "trust_density": "Trust",
    "peer_influence": "Peer",
    "engagement_quality": "Engage",
    "authenticity": "Auth",
    "longevity": "Longev",
    "spread": "Spread",
    "community": "Comm",
    "compliance": "Compl",
    "composite": "Composite",
}
MAIN_FILTERS = (
    "q",
    "therapeutic_area",
    "program",
    "specialty",
    "platform",
    "followers_min",
    "followers_max",
    "gates_passed",
    "authenticity_flagged",
    "identity_linked",
)


# An account id no real row has, reversed once and replaced per row: a page builds
# a hundred links, and ``reverse`` costs about 0.2 ms each.
_ACCOUNT_SENTINEL = 987654321987


def account_url_builder(name: str) -> Callable[[str, int], str] | None:
    """A function (program slug, account id) -> the URL of the page ``name`` (e.g.
    ``vetting:score-detail``), reversing once per program; None while ``name`` is
    not routed (the profile page is another area's, so the link is optional)."""
    bases: dict[str, str] = {}
    try:
        reverse(name, args=["x", _ACCOUNT_SENTINEL])
    except NoReverseMatch:
        return None

    def build(slug: str, account_id: int) -> str:
        if slug not in bases:
            bases[slug] = reverse(name, args=[slug, _ACCOUNT_SENTINEL])
        return bases[slug].replace(str(_ACCOUNT_SENTINEL), str(account_id))

    return build


def profile_url_builder() -> Callable[[str, int], str] | None:
    """(slug, account id) -> the clinician profile URL, or None while the profile
    page (``vetting:profile``) is not routed."""
    return account_url_builder("vetting:profile")


class DiscoverView(LoginRequiredMixin, ListView):
    """Every candidate of the user's programs (latest succeeded run of each)."""

    template_name = "vetting/discover.html"
    results_template_name = "vetting/_discover_results.html"
    context_object_name = "scores"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.run_ids = discovery.latest_run_ids_for_user(self.request.user)
        self.filterset = InfluencerScoreFilterSet(
            self.request.GET,
            queryset=discovery.discovery_scores(self.run_ids),
            request=self.request,
            specialty_codes=discovery.scored_specialty_codes(self.run_ids),
        )
        return self.filterset.qs

    def paginate_queryset(self, queryset, page_size):
        """Count and page over the ids only, then load the page's rows by id (see
        ``discovery.discovery_scores_by_ids``)."""
        paginator, page, ids, is_paginated = super().paginate_queryset(
            queryset.values_list("pk", flat=True), page_size
        )
        page.object_list = discovery.discovery_scores_by_ids(list(ids))
        return paginator, page, page.object_list, is_paginated

    def get_template_names(self) -> list[str]:
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.history_restore_request and htmx.target == RESULTS_TARGET:
            return [self.results_template_name]
        return [self.template_name]

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scores: list[InfluencerScore] = list(context["scores"])
        names = discovery.specialty_names({s.specialty_code for s in scores})
        rows = _rows(scores, names)
        form = self.filterset.form
        full_page = self.get_template_names() == [self.template_name]
        query = self.request.GET.copy()
        query.pop("page", None)
        without_sort = query.copy()
        without_sort.pop("sort", None)
        sort = self._current_sort()
        context.update(
            filter=self.filterset,
            form=form,
            # the form is not part of an htmx update of the results
            main_fields=[_field(form[name]) for name in MAIN_FILTERS]
            if full_page
            else [],
            score_fields=[form[f"{name}_min"] for name in SCORES] if full_page else [],
            scores_open=any(self.request.GET.get(f"{n}_min") for n in SCORES),
            rows=rows,
            columns=[
                _column(name, SHORT_LABELS[name], SCORE_LABELS[name], sort)
                for name in (*COMPONENTS, "composite")
            ],
            followers_column=_column("followers", "Followers", "Followers", sort),
            rank_column=_column("rank", "Rank", "Rank in program", sort),
            sort=sort,
            querystring=query.urlencode(),
            sort_querystring=without_sort.urlencode(),
            filtered=any(v for k, v in self.request.GET.items() if k != "page"),
            has_runs=bool(self.run_ids),
            many_programs=len(self.run_ids) > 1,
            compare_max=discovery.COMPARE_MAX,
            results_target=RESULTS_TARGET,
            form_errors=form.errors if self.filterset.is_bound else {},
        )
        return context

    def _current_sort(self) -> str:
        form = self.filterset.form
        if form.is_valid() and form.cleaned_data.get("sort"):
            return form.cleaned_data["sort"][0]
        return "-composite"


def _field(bound) -> dict[str, Any]:
    """A filter field for the template; a select comes with its options, rendered by
    a plain loop (Django's widget templates take ~0.3 ms an option, and the
    specialty select of a large run has hundreds)."""
    widget = bound.field.widget
    if not isinstance(widget, forms.Select):
        return {"bound": bound, "options": None}
    current = widget.format_value(bound.value())
    current = {str(v) for v in current} if isinstance(current, list) else {current}
    options = [
        (str(value), label, str(value) in current) for value, label in widget.choices
    ]
    return {"bound": bound, "options": options}


def _rows(scores: list[InfluencerScore], names: dict[str, str]) -> list[dict]:
    """What the results table shows of each score, computed here so the template
    only reads plain values (50 rows x 16 cells)."""
    detail_url = account_url_builder("vetting:score-detail")
    profile_url = profile_url_builder()
    rows = []
    for score in scores:
        account = score.account
        slug = score.program.slug
        rows.append(
            {
                "pk": str(score.pk),
                "account_id": str(score.account_id),
                "name": _candidate_name(score),
                "handle": f"@{account.handle} · {PLATFORMS.get(account.platform, account.platform)}",
                "program": score.program.name,
                "specialty": names.get(score.specialty_code, score.specialty_code),
                "followers": str(score.followers),
                "score_cells": _score_cells(score),
                "rank": "" if score.rank is None else str(score.rank),
                "gates_passed": score.gates_passed,
                "gate_failures": score.gate_failures,
                "flagged": score.authenticity_flagged,
                "linked": score.clinician_id is not None,
                "detail_url": detail_url(slug, score.account_id),
                "profile_url": profile_url(slug, score.account_id)
                if profile_url
                else None,
            }
        )
    return rows


_SCORE_CELL = (
    '<td class="num {cls}" data-component="{name}">{strong_open}{text}{strong_close}'
    '<span class="minibar{bar}" aria-hidden="true"><span class="swatch--{name}" '
    'style="width: {width}%"></span></span></td>'
)
_UNKNOWN_CELL = (
    '<td class="num {cls}" data-component="{name}">'
    '<span class="muted" title="unknown">–</span></td>'
)


def _score_cells(score: InfluencerScore) -> SafeString:
    """The ten score cells of a row (nine components and the composite): a number
    and a bar each. Built here rather than in the template: they are 500 of a page's
    ~800 cells, hold only numbers and fixed component names (nothing from a user),
    and the template loop over them was most of the page's rendering time."""
    cells = []
    for name in (*COMPONENTS, "composite"):
        value = getattr(score, name)
        composite = name == "composite"
        cls = "discover-composite" if composite else "discover-score"
        if value is None:
            cells.append(_UNKNOWN_CELL.format(cls=cls, name=name))
            continue
        cells.append(
            _SCORE_CELL.format(
                cls=cls,
                name=name,
                text=f"{value:.3f}" if composite else f"{value:.2f}",
                strong_open="<strong>" if composite else "",
                strong_close="</strong>" if composite else "",
                bar=" minibar--composite" if composite else "",
                width=round(100 * min(max(float(value), 0.0), 1.0)),
            )
        )
    return mark_safe("".join(cells))  # numbers and constant names only


def _candidate_name(score: InfluencerScore) -> str:
    clinician = score.clinician
    if clinician is not None:
        if clinician.entity_type == clinician.EntityType.ORGANIZATION:
            return clinician.organization_name
        name = " ".join(
            p.title() for p in (clinician.first_name, clinician.last_name) if p
        )
        if name:
            return f"{name}, {clinician.credential}" if clinician.credential else name
    return score.account.display_name or f"@{score.account.handle}"


def _column(name: str, short: str, label: str, sort: str) -> dict[str, Any]:
    """A sortable heading: the sort its link sets (the first click sorts the best
    first: highest score, most followers, rank 1) and its ``aria-sort``."""
    best_first = "rank" if name == "rank" else f"-{name}"
    worst_first = "-rank" if name == "rank" else name
    next_sort = worst_first if sort == best_first else best_first
    aria = None
    if sort in (name, f"-{name}"):
        aria = "descending" if sort.startswith("-") else "ascending"
    return {
        "name": name,
        "short": short,
        "label": label,
        "next_sort": next_sort,
        "aria_sort": aria,
    }


class CompareView(LoginRequiredMixin, View):
    """Two to four candidates side by side: identity, every component with its
    contribution, composite, rank, gates, flags and a radar chart of the components.
    A score outside the user's programs is a 404; a bad selection (more than four,
    fewer than two, not ids) is a 400 with the reason."""

    template_name = "vetting/compare.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        back = request.GET.get("back", "")
        context: dict[str, Any] = {"back": back, "compare_max": discovery.COMPARE_MAX}
        try:
            ids = discovery.compare_ids_parse(request.GET.getlist("ids"))
        except discovery.CompareError as error:
            context["error"] = str(error)
            return render(request, self.template_name, context, status=400)
        scores = discovery.compare_scores_get_for_user(request.user, ids)
        latest = set(discovery.latest_run_ids_for_user(request.user))
        names = discovery.specialty_names({s.specialty_code for s in scores})
        profile_url = profile_url_builder()
        candidates = []
        for index, score in enumerate(scores):
            weights = score.run.parameters.get("weights") or score.program.weights
            others = [s.pk for s in scores if s.pk != score.pk]
            candidates.append(
                {
                    "index": index,
                    "score": score,
                    "name": _candidate_name(score),
                    "specialty": names.get(score.specialty_code, ""),
                    "latest": score.run_id in latest,
                    "flags": score.flags or [],
                    "weights": weights,
                    "profile_url": (
                        profile_url(score.program.slug, score.account_id)
                        if profile_url
                        else None
                    ),
                    "remove_ids": ",".join(str(pk) for pk in others),
                }
            )
        context.update(
            candidates=candidates,
            component_rows=_component_rows(candidates),
            chart={
                "indicators": [{"name": LABELS[c], "max": 1} for c in COMPONENTS],
                "series": [
                    {
                        "name": f"{c['name']} ({c['score'].program.name})"
                        if len({s.program_id for s in scores}) > 1
                        else c["name"],
                        "value": [
                            round(float(getattr(c["score"], name) or 0.0), 4)
                            for name in COMPONENTS
                        ],
                    }
                    for c in candidates
                ],
            },
        )
        return render(request, self.template_name, context)


def _component_rows(candidates: list[dict]) -> list[dict[str, Any]]:
    """One row per component: each candidate's value, weight and contribution, and
    which candidate has the highest value (ties: none is marked)."""
    rows = []
    for name in COMPONENTS:
        cells = []
        for candidate in candidates:
            score = candidate["score"]
            value = getattr(score, name)
            cells.append(
                {
                    "value": value,
                    "weight": float(candidate["weights"].get(name, 0.0)),
                    "contribution": float((score.contributions or {}).get(name) or 0.0),
                    "percent": round(100 * float(value or 0.0)),
                    "best": False,
                }
            )
        known = [c["value"] for c in cells if c["value"] is not None]
        if known and known.count(max(known)) == 1:
            for cell in cells:
                cell["best"] = cell["value"] == max(known)
        rows.append({"name": name, "label": LABELS[name], "cells": cells})
    return rows
