"""Vetting cases: the list, the case page (evidence, sign-off panel, signatures and
audit trail) and the actions on a case. Every case is scoped to the programs the
user is a member of (others get 404); what a role may do is checked by the
workflow services, which raise ``PermissionDenied`` (403) for a member whose role
may not act."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.generic import DetailView, ListView

from audit.selectors import events_for_objects
from common.roles import user_has_role
from influencers.models import SocialAccount
from vetting import selectors, workflow
from vetting.forms import ReasonForm, SignOffForm
from vetting.models import Alert, InfluencerScore, SignOff, VettingCase
from vetting.scoring.explain import LABELS
from vetting.scoring.weights import COMPONENTS

STATE_ORDER = [
    VettingCase.State.CANDIDATE,
    VettingCase.State.MEDICAL,
    VettingCase.State.LEGAL,
    VettingCase.State.REGULATORY,
    VettingCase.State.APPROVED,
]


def _first_url(names: tuple[str, ...], *args: Any) -> str:
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def cases_for_user(user: Any):
    return VettingCase.objects.filter(
        program__in=selectors.programs_for_user(user)
    ).select_related(
        "program", "clinician", "clinician__primary_specialty", "account", "assignee"
    )


def case_get_for_user(user: Any, pk: int) -> VettingCase:
    case = cases_for_user(user).filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    return case


class CaseListView(LoginRequiredMixin, ListView):
    """Cases of the user's programs, filterable by state and program."""

    template_name = "vetting/case_list.html"
    context_object_name = "cases"
    paginate_by = 50

    def get_queryset(self):
        cases = cases_for_user(self.request.user)
        state = self.request.GET.get("state", "")
        if state in VettingCase.State.values:
            cases = cases.filter(state=state)
        program = self.request.GET.get("program", "")
        if program:
            cases = cases.filter(program__slug=program)
        if self.request.GET.get("mine"):
            cases = cases.filter(assignee=self.request.user)
        return cases.order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            states=VettingCase.State.choices,
            programs=selectors.programs_for_user(self.request.user),
            selected_state=self.request.GET.get("state", ""),
            selected_program=self.request.GET.get("program", ""),
            querystring=query.urlencode(),
        )
        return context


class CaseDetailView(LoginRequiredMixin, DetailView):
    """One case: the evidence as it stands now (what a signer signs), the sign-off
    panel for whoever may sign the current stage, the signatures and the audit
    trail of the case."""

    template_name = "vetting/case_detail.html"
    context_object_name = "case"

    def get_object(self, queryset=None):
        return case_get_for_user(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        user = self.request.user
        evidence = workflow.case_evidence(case)
        digest = workflow.evidence_sha256(evidence)
        rule = workflow.STAGES.get(case.state)
        blocker = workflow.signoff_blocker(case, user) if rule else ""
        meanings = []
        if rule:
            name = user.get_full_name() or user.get_username()
            meanings = [
                (
                    value,
                    label,
                    workflow.signature_meaning(
                        stage=rule.stage, decision=value, name=name
                    ),
                )
                for value, label in SignOff.Decision.choices
            ]
        score = evidence.get("score") or {}
        components = [
            (
                LABELS[c],
                (score.get("components") or {}).get(c),
                (score.get("contributions") or {}).get(c),
            )
            for c in COMPONENTS
        ]
        findings = [
            dict(
                f,
                url=_first_url(
                    ("review:finding-detail", "compliance:finding-detail"), f["id"]
                ),
            )
            for f in evidence["findings"]
        ]
        reached = (
            STATE_ORDER.index(case.state)
            if case.state in STATE_ORDER
            else STATE_ORDER.index(case.held_from)
            if case.held_from in STATE_ORDER
            else -1
        )
        context.update(
            evidence=evidence,
            evidence_sha256=digest,
            evidence_changed=bool(case.evidence_sha256)
            and digest != case.evidence_sha256,
            components=components,
            findings=findings,
            stage=rule,
            sign_blocker=blocker,
            can_sign=bool(rule) and not blocker,
            meanings=meanings,
            sign_form=kwargs.get("sign_form")
            or SignOffForm(initial={"evidence_sha256": digest}),
            signoffs=case.signoffs.select_related("signer").order_by("signed_at"),
            # the case's own events, and those on its evidence: decisions on the
            # findings and AE cases of the clinician's posts, link decisions
            events=events_for_objects(
                [("vetting.vettingcase", case.pk)]
                + [("compliance.finding", f["id"]) for f in evidence["findings"]]
                + [
                    ("compliance.adverseeventcase", ae["id"])
                    for ae in evidence["adverse_events"]
                ]
                + [
                    ("influencers.socialaccount", pk)
                    for pk in SocialAccount.objects.filter(
                        clinician_id=case.clinician_id
                    ).values_list("pk", flat=True)
                ]
            ),
            alerts=case.alerts.select_related("acknowledged_by").order_by(
                "-created_at"
            ),
            steps=[
                (value, label, i < reached, i == reached)
                for i, (value, label) in enumerate(
                    (s, VettingCase.State(s).label) for s in STATE_ORDER
                )
            ],
            can_submit=case.state == VettingCase.State.CANDIDATE
            and user_has_role(user, workflow.OPENER_ROLES),
            can_hold=user_has_role(user, workflow.HOLD_ROLES),
            profile_url=_first_url(
                ("vetting:profile",), case.program.slug, case.account_id
            ),
            score_url=_first_url(
                ("vetting:score-detail",), case.program.slug, case.account_id
            ),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The electronic signature of the current stage."""
        self.object = self.get_object()
        rule = workflow.STAGES.get(self.object.state)
        if rule is None or not request.user.groups.filter(name=rule.role).exists():
            raise PermissionDenied("Your role may not sign this case now.")
        form = SignOffForm(request.POST)
        if form.is_valid():
            try:
                signoff = workflow.case_sign(
                    case=self.object,
                    user=request.user,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    password=form.cleaned_data["password"],
                    evidence_seen=form.cleaned_data["evidence_sha256"],
                )
            except workflow.SignatureError as exc:
                for field, errors in _errors(exc).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    f"Signed: {signoff.get_stage_display()} {signoff.get_decision_display().lower()} "
                    f"by {signoff.signer_name} at {signoff.signed_at:%Y-%m-%d %H:%M:%S} UTC.",
                )
                return redirect("vetting:case-detail", pk=self.object.pk)
        context = self.get_context_data(sign_form=form)
        return self.render_to_response(context, status=400)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            k: [str(m) for e in v for m in e.messages]
            for k, v in exc.error_dict.items()
        }
    return {"__all__": exc.messages}


class CaseOpenView(LoginRequiredMixin, View):
    """POST: open (or go to) the case of a scored account's clinician."""

    def post(self, request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
        program = selectors.program_get_for_user(request.user, slug)
        if not InfluencerScore.objects.filter(
            program=program, account_id=account_id
        ).exists():
            raise Http404("This account was not scored in the program.")
        account = get_object_or_404(SocialAccount, pk=account_id)
        try:
            case, created = workflow.case_open(
                program=program, account=account, user=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("vetting:score-detail", slug=slug, account_id=account_id)
        if created:
            messages.success(request, f"Case {case.pk} opened.")
        return redirect("vetting:case-detail", pk=case.pk)


class CaseActionView(LoginRequiredMixin, View):
    """POST: submit, hold, resume or assign-to-me on a case."""

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        case = case_get_for_user(request.user, pk)
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            if action == "submit":
                workflow.case_submit(case=case, user=request.user, note=reason)
                messages.success(request, "Sent to medical review.")
            elif action == "hold":
                workflow.case_hold(case=case, user=request.user, reason=reason)
                messages.success(request, "The case is on hold.")
            elif action == "resume":
                workflow.case_resume(case=case, user=request.user, reason=reason)
                messages.success(request, "The case is resumed.")
            elif action == "assign-me":
                workflow.case_assign(
                    case=case, user=request.user, assignee=request.user
                )
                messages.success(request, "The case is assigned to you.")
            else:
                raise Http404("No such action.")
        except PermissionDenied:
            raise
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("vetting:case-detail", pk=case.pk)


class AlertAcknowledgeView(LoginRequiredMixin, View):
    """POST: acknowledge an alert of one of the user's programs."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = (
            Alert.objects.filter(program__in=selectors.programs_for_user(request.user))
            .filter(pk=pk)
            .first()
        )
        if alert is None:
            raise Http404("No such alert.")
        workflow.alert_acknowledge(alert=alert, user=request.user)
        messages.success(request, "Alert acknowledged.")
        target = request.POST.get("next", "")
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("reports:home")
