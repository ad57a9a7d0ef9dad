"""The clinician profile (DESIGN 8): one scored account in one program with the
evidence a medical-affairs reviewer needs: identity card, score breakdown, ego-network
map (data from ``ProfileNetworkView``), post timeline with findings highlighted (more
pages from ``ProfilePostsView``), Open Payments, growth and longevity charts.

Every page needs a login and program membership, and the account must have been
scored in the program's latest run: anything else is a 404. The reads are in
``vetting.profile``; these views only put them together.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, JsonResponse
from django.views import View
from django.views.generic import TemplateView

from vetting import profile
from vetting.scoring.explain import explain
from vetting.scoring.weights import COMPONENTS

NPPES_PROVIDER_URL = "https://npiregistry.cms.hhs.gov/provider-view/{npi}"
MAX_POSTS_OFFSET = 100_000


def _offset(request: HttpRequest) -> int:
    try:
        value = int(request.GET.get("offset", "0"))
    except ValueError:
        return 0
    return min(max(value, 0), MAX_POSTS_OFFSET)


class ProfileView(LoginRequiredMixin, TemplateView):
    """Everything about one scored account in one program, on one page."""

    template_name = "vetting/profile.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        score = profile.profile_score_get(
            self.request.user, kwargs["slug"], kwargs["account_id"]
        )
        program, run, account = score.program, score.run, score.account
        window = profile.profile_window(program, run)
        confidence_min = profile.link_confidence_min(program, run)
        clinician = account.clinician

        values = {c: getattr(score, c) for c in COMPONENTS}
        details = score.details  # the run's sub-score names: run is loaded
        components = explain(
            values=values,
            contributions=score.contributions,
            weights=run.parameters.get("weights", program.weights),
            details=details,
        )
        network = profile.profile_engagers(
            account.pk, window, confidence_min=confidence_min
        )
        posts, more_posts = profile.profile_posts(account.pk, window)
        followers = profile.profile_followers(account.pk)
        longevity = profile.profile_longevity(account.pk, window)
        context.update(
            program=program,
            run=run,
            score=score,
            account=account,
            clinician=clinician,
            clinician_name=profile.clinician_name(clinician),
            scored_clinician_name=profile.clinician_name(score.clinician),
            scored_clinician_changed=score.clinician_id != account.clinician_id,
            is_hcp=profile.account_is_hcp(account, confidence_min),
            confidence_min=confidence_min,
            nppes_url=(
                NPPES_PROVIDER_URL.format(npi=clinician.npi) if clinician else ""
            ),
            link_evidence=profile.evidence_rows(account.link_evidence),
            identity_evidence=(
                profile.evidence_rows(clinician.identity_evidence) if clinician else []
            ),
            window=window,
            components=components,
            flags=score.flags or [],
            network=network,
            posts=posts,
            more_posts=more_posts,
            next_offset=len(posts),
            post_counts=profile.profile_post_counts(account.pk, window),
            payments=profile.profile_payments(clinician.npi if clinician else ""),
            growth_summary=profile.growth_summary(followers),
            growth_data={
                "points": [[t.isoformat(), n] for t, n in followers],
                "current": account.followers_count,
            },
            longevity=longevity,
            longevity_summary=profile.longevity_summary(longevity, details),
            longevity_data={
                "buckets": longevity,
                "halfLifeHours": details.get("half_life_hours"),
                "platformHalfLifeHours": details.get("platform_half_life_hours"),
                "lateShare": details.get("late_share"),
            },
        )
        return context


class ProfilePostsView(LoginRequiredMixin, TemplateView):
    """The next page of the timeline: list items only for htmx ("Show more"), a
    page of its own otherwise (a browser without JavaScript follows a link)."""

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["vetting/_profile_posts.html"]
        return ["vetting/profile_posts.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        score = profile.profile_score_get(
            self.request.user, kwargs["slug"], kwargs["account_id"]
        )
        window = profile.profile_window(score.program, score.run)
        offset = _offset(self.request)
        posts, more = profile.profile_posts(score.account_id, window, offset=offset)
        context.update(
            program=score.program,
            account=score.account,
            clinician_name=profile.clinician_name(score.account.clinician),
            window=window,
            offset=offset,
            posts=posts,
            more_posts=more,
            next_offset=offset + len(posts),
        )
        return context


class ProfileNetworkView(LoginRequiredMixin, View):
    """GET: the ego-network map's nodes and links as JSON (see
    ``vetting.profile.network_graph``)."""

    def get(self, request: HttpRequest, slug: str, account_id: int) -> JsonResponse:
        score = profile.profile_score_get(request.user, slug, account_id)
        window = profile.profile_window(score.program, score.run)
        network = profile.profile_engagers(
            score.account_id,
            window,
            confidence_min=profile.link_confidence_min(score.program, score.run),
        )
        return JsonResponse(profile.network_graph(score, window, network))
