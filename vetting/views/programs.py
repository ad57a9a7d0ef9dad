"""Reviewer and analyst pages of the vetting app: programs, their ranked candidates
with each component's contribution, and one account's score explanation.

Every page needs a login and program membership (others get 404, never 403 with
data). Starting a scoring run needs the analyst or admin role.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView, TemplateView

from common.roles import user_has_role
from vetting import selectors, services
from vetting.constants import ROLE_ADMIN, ROLE_ANALYST
from vetting.forms import ProgramSettingsForm
from vetting.models import InfluencerScore
from vetting.scoring.explain import LABELS, explain
from vetting.scoring.weights import COMPONENTS

PAGE_SIZE = 50
RUN_STARTER_ROLES = (ROLE_ANALYST, ROLE_ADMIN)


def user_can_start_scoring(user: Any) -> bool:
    """Whether ``user`` may queue a scoring run (one query)."""
    return user_has_role(user, RUN_STARTER_ROLES)


class ProgramListView(LoginRequiredMixin, ListView):
    template_name = "vetting/program_list.html"
    context_object_name = "programs"

    def get_queryset(self):
        return selectors.programs_for_user(self.request.user).prefetch_related(
            "products", "target_specialties"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for program in context["programs"]:
            run = selectors.program_latest_run(program)
            rows.append((program, run, selectors.program_counts(program, run)))
        context["rows"] = rows
        return context


class ProgramDetailView(LoginRequiredMixin, ListView):
    """The program's candidates ranked by composite fit, with the contributions."""

    template_name = "vetting/program_detail.html"
    context_object_name = "scores"
    paginate_by = PAGE_SIZE

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.program = selectors.program_get_for_user(request.user, kwargs["slug"])
            self.run = selectors.program_latest_run(self.program)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        if self.run is None:
            return InfluencerScore.objects.none()
        return selectors.program_scores(
            self.program,
            self.run,
            specialty=self.request.GET.get("specialty", ""),
            gates=self.request.GET.get("gates", ""),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for score in context["scores"]:
            # widths formatted here: |floatformat over ~1,000 cells a page was a
            # quarter of the page's Python time (bench/pages.py)
            bars = [
                (c, LABELS[c], f"{width:.2f}", f"{width:.1f}")
                for c in COMPONENTS
                if (width := 100 * float(score.contributions.get(c) or 0.0)) > 0
            ]
            rows.append((score, bars))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            program=self.program,
            run=self.run,
            rows=rows,
            components=[(c, LABELS[c]) for c in COMPONENTS],
            specialties=selectors.program_specialties(self.run) if self.run else [],
            runs=selectors.program_runs(self.program),
            counts=selectors.program_counts(self.program, self.run),
            selected_specialty=self.request.GET.get("specialty", ""),
            selected_gates=self.request.GET.get("gates", ""),
            querystring=query.urlencode(),
            can_score=user_can_start_scoring(self.request.user),
            can_configure=user_has_role(self.request.user, (ROLE_ADMIN,)),
        )
        return context


class ScoreDetailView(LoginRequiredMixin, TemplateView):
    """Why one account ranks where it does: every component with its contribution."""

    template_name = "vetting/score_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = selectors.program_get_for_user(self.request.user, kwargs["slug"])
        run = selectors.program_latest_run(program)
        if run is None:
            raise Http404("The program has not been scored yet.")
        score = selectors.score_get(program, run, kwargs["account_id"])
        score.run = run  # already loaded: ``details`` reads its sub-score names
        values = {c: getattr(score, c) for c in COMPONENTS}
        context.update(
            program=program,
            run=run,
            score=score,
            components=explain(
                values=values,
                contributions=score.contributions,
                weights=run.parameters.get("weights", program.weights),
                details=score.details,
            ),
            flags=score.flags or [],
        )
        return context


class ProgramScoreView(LoginRequiredMixin, View):
    """POST: queue a scoring run of the program (skipped if inputs are unchanged)."""

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        program = selectors.program_get_for_user(request.user, slug)
        if not user_can_start_scoring(request.user):
            raise PermissionDenied("Only analysts and admins start scoring runs.")
        run, created = services.scoring_run_create(
            program=program, requested_by=request.user
        )
        if created:
            from vetting.tasks import scoring_run_execute

            scoring_run_execute.delay(run_id=run.pk)
            messages.success(request, f"Scoring run {run.pk} queued.")
        else:
            messages.info(request, f"Scoring run {run.pk} is already {run.status}.")
        return redirect("vetting:program-detail", slug=program.slug)


class ProgramSettingsView(LoginRequiredMixin, TemplateView):
    """An admin changes a program's weights, gates, window, drift threshold and
    members; every change is an audit event (shown under the form)."""

    template_name = "vetting/program_settings.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.program = selectors.program_get_for_user(request.user, kwargs["slug"])
            if not user_has_role(request.user, (ROLE_ADMIN,)):
                raise PermissionDenied("Only admins change program settings.")
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        from django.contrib.auth import get_user_model

        program = self.program
        initial = {name: getattr(program, name) for name in services.PROGRAM_SETTINGS}
        initial["members"] = list(program.members.all())
        return ProgramSettingsForm(
            data,
            initial=initial,
            weights={c: float(program.weights.get(c, 0.0)) for c in COMPONENTS},
            users=get_user_model().objects.filter(is_active=True).order_by("username"),
        )

    def get_context_data(self, **kwargs):
        from audit.selectors import events_for_objects

        context = super().get_context_data(**kwargs)
        context.update(
            program=self.program,
            form=kwargs.get("form") or self._form(),
            events=events_for_objects([("vetting.program", self.program.pk)]),
        )
        return context

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        changed = services.program_settings_update(
            program=self.program, user=request.user, changes=form.changes()
        )
        if changed:
            messages.success(request, f"Saved: {', '.join(changed)}.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("vetting:program-settings", slug=slug)
