"""FilterSets of the vetting app: one per listable model (STYLE 8).

``InfluencerScoreFilterSet`` drives the discovery page now and the scores API later
(``filterset_class``). It filters a queryset from a selector
(``vetting.discovery.discovery_scores``), so ``select_related`` and the scope to the
user's programs stay the selector's job; every filter and the sort are SQL.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django_filters.constants import EMPTY_VALUES

from influencers.models import Clinician, SocialAccount, Specialty, TherapeuticArea
from vetting.models import InfluencerScore, Program
from vetting.scoring.explain import LABELS
from vetting.scoring.weights import COMPONENTS
from vetting.selectors import programs_for_user

# Every score a minimum can be set on, in display order (composite last).
SCORES: tuple[str, ...] = (*COMPONENTS, "composite")
SCORE_LABELS: dict[str, str] = {
    **LABELS,
    "compliance": "Compliance",
    "composite": "Composite fit",
}
SEARCH_WORDS_MAX = 5
SEARCH_IDS_MAX = 5_000


class TriStateSelect(forms.NullBooleanSelect):
    """A yes / no / any select whose "any" is an empty value (so a plain GET form
    does not put ``=unknown`` in the address)."""

    def __init__(self, labels: tuple[str, str], attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", labels[0]), ("false", labels[1])]

    def format_value(self, value):
        formatted = super().format_value(value)
        return "" if formatted == "unknown" else formatted


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class SpecialtyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Specialty) -> str:
        return f"{obj.display_name or obj.label} ({obj.code})"


class SpecialtyFilter(django_filters.ModelChoiceFilter):
    field_class = SpecialtyChoiceField


class ScoreOrderingFilter(django_filters.OrderingFilter):
    """Sort by whitelisted columns only (an unknown one is a form error and the
    default order stays); an unknown score (NULL) sorts last either way; the primary
    key breaks ties so that pages do not overlap."""

    def get_ordering_value(self, param: str):
        descending = param.startswith("-")
        name = self.param_map[param.removeprefix("-")]
        column = F(name)
        return (
            column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
        )

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(
            *(self.get_ordering_value(p) for p in value if p not in EMPTY_VALUES), "pk"
        )


def _sort_choices() -> list[tuple[str, str]]:
    choices = [("-composite", "Composite fit, highest first")]
    choices += [("rank", "Rank in program, best first")]
    choices += [("-followers", "Followers, most first")]
    choices += [("followers", "Followers, fewest first")]
    for name in COMPONENTS:
        choices += [(f"-{name}", f"{SCORE_LABELS[name]}, highest first")]
    choices += [("composite", "Composite fit, lowest first")]
    choices += [("-rank", "Rank in program, worst first")]
    for name in COMPONENTS:
        choices += [(name, f"{SCORE_LABELS[name]}, lowest first")]
    return choices


def _programs(request) -> object:
    if request is None:
        return Program.objects.none()
    return programs_for_user(request.user)


def _areas(request) -> object:
    if request is None:
        return TherapeuticArea.objects.none()
    return TherapeuticArea.objects.filter(
        pk__in=_programs(request).values("therapeutic_area_id")
    ).order_by("name")


def _ids_or_subquery(ids: QuerySet) -> list[int] | QuerySet:
    """The ids as a list when there are at most ``SEARCH_IDS_MAX`` (one query),
    else the queryset itself, used as a sub-query."""
    found = list(ids[: SEARCH_IDS_MAX + 1])
    return ids if len(found) > SEARCH_IDS_MAX else found


def _score_minimum(name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name=name,
        lookup_expr="gte",
        label=f"Min. {SCORE_LABELS[name].lower()}",
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(
            attrs={"step": "0.05", "min": "0", "max": "1", "inputmode": "decimal"}
        ),
    )


class InfluencerScoreFilterSet(django_filters.FilterSet):
    """Scores by therapeutic area, program, specialty, platform, follower range, a
    minimum of every score, gates, authenticity flag, identity link and a name or
    handle search, sorted by any score or followers. A minimum excludes unknown
    (NULL) scores."""

    q = django_filters.CharFilter(
        label="Name or handle",
        method="filter_search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, @handle or NPI"}
        ),
    )
    therapeutic_area = django_filters.ModelChoiceFilter(
        label="Therapeutic area",
        field_name="program__therapeutic_area",
        queryset=_areas,
        to_field_name="slug",
        empty_label="Any area",
    )
    program = django_filters.ModelChoiceFilter(
        queryset=_programs, to_field_name="slug", empty_label="Any program"
    )
    specialty = SpecialtyFilter(
        label="Specialty",
        field_name="specialty_code",
        queryset=Specialty.objects.none(),  # the scored ones, set in __init__
        to_field_name="code",
        method="filter_specialty",
        empty_label="Any specialty",
    )
    platform = django_filters.ChoiceFilter(
        label="Platform",
        field_name="account__platform",
        choices=SocialAccount.Platform.choices,
        empty_label="Any platform",
    )
    followers_min = IntegerFilter(
        field_name="followers",
        lookup_expr="gte",
        label="Followers from",
        min_value=0,
        widget=forms.NumberInput(attrs={"min": "0", "step": "100"}),
    )
    followers_max = IntegerFilter(
        field_name="followers",
        lookup_expr="lte",
        label="Followers to",
        min_value=0,
        widget=forms.NumberInput(attrs={"min": "0", "step": "100"}),
    )
    gates_passed = django_filters.BooleanFilter(
        label="Gates",
        widget=TriStateSelect(("Pass every gate", "Fail a gate")),
    )
    authenticity_flagged = django_filters.BooleanFilter(
        label="Authenticity",
        widget=TriStateSelect(("Flagged", "Not flagged")),
    )
    identity_linked = django_filters.BooleanFilter(
        label="Identity",
        field_name="clinician",
        method="filter_linked",
        widget=TriStateSelect(("Linked to a clinician", "Not linked")),
    )
    alignment_min = _score_minimum("alignment")
    trust_density_min = _score_minimum("trust_density")
    peer_influence_min = _score_minimum("peer_influence")
    engagement_quality_min = _score_minimum("engagement_quality")
    authenticity_min = _score_minimum("authenticity")
    longevity_min = _score_minimum("longevity")
    spread_min = _score_minimum("spread")
    community_min = _score_minimum("community")
    compliance_min = _score_minimum("compliance")
    composite_min = _score_minimum("composite")
    sort = ScoreOrderingFilter(
        label="Sort by",
        fields=[*SCORES, "followers", "rank"],
        choices=_sort_choices(),
        empty_label=None,
    )

    class Meta:
        model = InfluencerScore
        fields: list[str] = []

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        prefix=None,
        specialty_codes: list[str] | None = None,
    ):
        super().__init__(data, queryset, request=request, prefix=prefix)
        # only the specialties that were scored: ``specialty_codes`` when the caller
        # knows them (the page caches them per run), else a lazy sub-query over the
        # queryset; either way evaluated only when the form renders or validates
        scored = (
            specialty_codes
            if specialty_codes is not None
            else self.queryset.order_by().values("specialty_code")
        )
        self.filters["specialty"].queryset = (
            Specialty.objects.filter(code__in=scored)
            .only("code", "display_name", "classification", "specialization")
            .order_by("display_name", "code")
        )

    def filter_search(self, queryset, name, value):
        """Every word (up to five) must be in the handle, the display name or the
        clinician's first or last name, or be the NPI."""
        # Each word is matched once against accounts and clinicians (one scan of
        # each) and the scores are then filtered by those ids. OR-ing over joined
        # columns made PostgreSQL join every score to its account and clinician
        # first, and a sub-query is scanned again by the count, by the page and by
        # every parallel worker. A word that matches very many falls back to the
        # sub-query (a long IN list would cost more than it saves).
        for word in value.split()[:SEARCH_WORDS_MAX]:
            word = word.removeprefix("@")
            if not word:
                continue
            accounts = SocialAccount.objects.filter(
                Q(handle__icontains=word) | Q(display_name__icontains=word)
            ).values_list("pk", flat=True)
            clinicians = Clinician.objects.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(npi=word)
            ).values_list("pk", flat=True)
            queryset = queryset.filter(
                Q(account_id__in=_ids_or_subquery(accounts))
                | Q(clinician_id__in=_ids_or_subquery(clinicians))
            )
        return queryset

    def filter_specialty(self, queryset, name, value):
        return queryset.filter(specialty_code=value.code)

    def filter_linked(self, queryset, name, value):
        return queryset.filter(clinician__isnull=not value)
