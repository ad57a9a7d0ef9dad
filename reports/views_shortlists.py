"""Shortlist pages (DESIGN 8): the shortlists of the user's programs, one shortlist
with its members' frozen scores next to today's, and "Add to shortlist" from the
discovery page.

Every page needs a login; a shortlist of a program the user is not a member of is
a 404. Analysts and admins change shortlists (others get 403 on a POST and see no
forms). Moves, notes and removals answer an htmx request with the members table
only; without JavaScript every form is a plain POST followed by a redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import ListView

from reports import selectors, services
from reports.filters import ShortlistFilterSet
from reports.forms import (
    NEW_SHORTLIST,
    MemberMoveForm,
    MemberNoteForm,
    ShortlistAddForm,
    ShortlistForm,
    ShortlistRenameForm,
)
from reports.models import Export, Shortlist
from vetting.discovery import discovery_scores_by_ids
from vetting.models import InfluencerScore
from vetting.selectors import programs_for_user
from vetting.views.discovery import account_url_builder

SHORTLISTS_PAGE_SIZE = 50
MEMBERS_TARGET = "shortlist-members"
PICKER_ID = "shortlist-picker"


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class ShortlistListView(LoginRequiredMixin, ListView):
    """The shortlists of every program the user is a member of; analysts and admins
    also get a form to start one (POST)."""

    template_name = "reports/shortlist_list.html"
    context_object_name = "shortlists"
    paginate_by = SHORTLISTS_PAGE_SIZE

    def get_queryset(self):
        self.filterset = ShortlistFilterSet(
            self.request.GET,
            queryset=selectors.shortlists_for_user(self.request.user),
            request=self.request,
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filterset.form,
            filtered=any(v for k, v in self.request.GET.items() if k != "page"),
            querystring=query.urlencode(),
        )
        can_edit = services.shortlist_can_edit(self.request.user)
        form = kwargs.get("form")
        if can_edit and form is None:
            form = ShortlistForm(programs=programs_for_user(self.request.user))
        context.update(can_edit=can_edit, form=form if can_edit else None)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not services.shortlist_can_edit(request.user):
            raise PermissionDenied("Only analysts and admins create shortlists.")
        form = ShortlistForm(request.POST, programs=programs_for_user(request.user))
        if form.is_valid():
            try:
                shortlist = services.shortlist_create(
                    program=form.cleaned_data["program"],
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, f"Shortlist “{shortlist.name}” created.")
                return redirect("reports:shortlist-detail", pk=shortlist.pk)
        self.object_list = self.get_queryset()
        context = self.get_context_data(form=form)
        return self.render_to_response(context, status=400)


def _detail_context(request: HttpRequest, shortlist: Shortlist) -> dict[str, Any]:
    rows, run = selectors.shortlist_member_rows(shortlist)
    profile_url = account_url_builder("vetting:profile")
    detail_url = account_url_builder("vetting:score-detail")
    for row in rows:
        member = row.member
        slug = shortlist.program.slug
        row.name = _candidate_name(member)
        row.profile_url = profile_url(slug, member.account_id) if profile_url else ""
        row.detail_url = (
            detail_url(slug, member.account_id)
            if detail_url and row.today is not None
            else ""
        )
    return {
        "shortlist": shortlist,
        "rows": rows,
        "run": run,
        "can_edit": services.shortlist_can_edit(request.user),
        "members_target": MEMBERS_TARGET,
    }


def _candidate_name(holder: Any) -> str:
    """The clinician's name with credential (as discovery shows it), else the
    account's display name or handle. ``holder`` has ``account`` and
    ``clinician`` (a score or a shortlist member)."""
    clinician = holder.clinician
    if clinician is not None:
        if clinician.entity_type == clinician.EntityType.ORGANIZATION:
            return clinician.organization_name
        name = " ".join(
            p.title() for p in (clinician.first_name, clinician.last_name) if p
        )
        if name:
            return f"{name}, {clinician.credential}" if clinician.credential else name
    return holder.account.display_name or f"@{holder.account.handle}"


class ShortlistDetailView(LoginRequiredMixin, View):
    """One shortlist: members in rank order, each with its frozen score, today's
    (the program's latest run) and the change; notes, moves, removal; exports."""

    template_name = "reports/shortlist_detail.html"
    members_template_name = "reports/_shortlist_members.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        context = _detail_context(request, shortlist)
        context.update(
            rename_form=ShortlistRenameForm(
                initial={"name": shortlist.name, "description": shortlist.description}
            ),
            exports=list(
                Export.objects.filter(shortlist=shortlist)
                .select_related("requested_by")
                .order_by("-created_at", "-pk")[:5]
            ),
            formats=Export.Format.choices,
        )
        htmx = getattr(request, "htmx", None)
        template = (
            self.members_template_name
            if _is_htmx(request) and htmx.target == MEMBERS_TARGET
            else self.template_name
        )
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


def _members_response(
    request: HttpRequest, shortlist: Shortlist, *, error: str = ""
) -> HttpResponse:
    """The members table (htmx) or a redirect to the shortlist page."""
    if _is_htmx(request):
        context = _detail_context(request, shortlist)
        context["error"] = error
        return render(request, "reports/_shortlist_members.html", context)
    if error:
        messages.error(request, error)
    return redirect("reports:shortlist-detail", pk=shortlist.pk)


class ShortlistEditView(LoginRequiredMixin, View):
    """Rename a shortlist (and change its description)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        form = ShortlistRenameForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, "Give the shortlist a name (160 characters at most)."
            )
            return redirect("reports:shortlist-detail", pk=shortlist.pk)
        try:
            services.shortlist_rename(
                shortlist=shortlist,
                user=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "Shortlist renamed.")
        return redirect("reports:shortlist-detail", pk=shortlist.pk)


class ShortlistDeleteView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        try:
            services.shortlist_delete(shortlist=shortlist, user=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("reports:shortlist-detail", pk=shortlist.pk)
        messages.success(request, f"Shortlist “{shortlist.name}” deleted.")
        return redirect("reports:shortlist-list")


class MemberMoveView(LoginRequiredMixin, View):
    """Move a member up, down or to a rank."""

    def post(self, request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        member = selectors.shortlist_member_get(shortlist, member_pk)
        form = MemberMoveForm(request.POST)
        if not form.is_valid():
            return _members_response(
                request, shortlist, error="Move the member up or down, or give a rank."
            )
        try:
            services.shortlist_member_move(
                member=member,
                user=request.user,
                direction=form.cleaned_data["direction"],
                rank=form.cleaned_data["rank"],
            )
        except ValidationError as exc:
            return _members_response(request, shortlist, error=_errors(exc))
        return _members_response(request, shortlist)


class MemberNoteView(LoginRequiredMixin, View):
    """Save a member's note."""

    def post(self, request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        member = selectors.shortlist_member_get(shortlist, member_pk)
        form = MemberNoteForm(request.POST)
        if not form.is_valid():
            return _members_response(
                request, shortlist, error="A note has at most 4,000 characters."
            )
        services.shortlist_member_annotate(
            member=member, user=request.user, note=form.cleaned_data["note"]
        )
        return _members_response(request, shortlist)


class MemberRemoveView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        member = selectors.shortlist_member_get(shortlist, member_pk)
        services.shortlist_member_remove(member=member, user=request.user)
        return _members_response(request, shortlist)


def _writable_shortlists(user: Any) -> list[Shortlist]:
    return list(selectors.shortlists_for_user(user).order_by("program__name", "name"))


class ShortlistPickerView(LoginRequiredMixin, View):
    """The "Add to shortlist" controls of the discovery page, loaded by htmx so that
    the discovery page itself does not query shortlists. Empty for a user who may
    not change shortlists."""

    template_name = "reports/_shortlist_picker.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not services.shortlist_can_edit(request.user):
            return HttpResponse("")
        context = {
            "shortlists": _writable_shortlists(request.user),
            "selected": request.GET.get("selected", ""),
            "picker_id": PICKER_ID,
            "with_status": True,
        }
        return render(request, self.template_name, context)


class ShortlistAddView(LoginRequiredMixin, View):
    """Add the candidates ticked on the discovery page to a shortlist, or to a new
    one (its program is the candidates' program).

    GET (the discovery page without JavaScript) shows the selection and asks where
    to add it; POST adds. An htmx POST answers with a status line for the
    discovery page (and the picker again, with the shortlist selected); a plain POST
    redirects to the shortlist."""

    template_name = "reports/shortlist_add.html"

    def _scores(self, request: HttpRequest, data) -> list[InfluencerScore]:
        ids = services.score_ids_parse(data.getlist("ids"))
        scores = discovery_scores_by_ids(ids)
        allowed = set(programs_for_user(request.user).values_list("pk", flat=True))
        return [s for s in scores if s.program_id in allowed]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not services.shortlist_can_edit(request.user):
            raise PermissionDenied("Only analysts and admins change shortlists.")
        shortlists = _writable_shortlists(request.user)
        try:
            scores = self._scores(request, request.GET)
        except ValidationError as exc:
            scores, error = [], _errors(exc)
        else:
            error = (
                "" if scores else "Tick at least one candidate on the discovery page."
            )
        form = ShortlistAddForm(
            initial={
                "shortlist": request.GET.get("shortlist") or NEW_SHORTLIST,
                "shortlist_name": request.GET.get("shortlist_name", ""),
            },
            shortlists=shortlists,
        )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "scores": [(s, _candidate_name(s)) for s in scores],
                "error": error,
                "back": request.GET.get("back", ""),
            },
            status=400 if error else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        if not services.shortlist_can_edit(request.user):
            raise PermissionDenied("Only analysts and admins change shortlists.")
        shortlists = _writable_shortlists(request.user)
        form = ShortlistAddForm(request.POST, shortlists=shortlists)
        try:
            scores = self._scores(request, request.POST)
        except ValidationError as exc:
            return self._failed(request, form, [], _errors(exc))
        if not scores:
            return self._failed(
                request, form, [], "Tick at least one candidate to add."
            )
        if not form.is_valid():
            return self._failed(
                request,
                form,
                scores,
                " ".join(e for errors in form.errors.values() for e in errors),
            )
        ids = [s.pk for s in scores]
        choice = form.cleaned_data["shortlist"]
        try:
            if choice == NEW_SHORTLIST:
                programs = {s.program_id: s.program for s in scores}
                if len(programs) > 1:
                    raise ValidationError(
                        "The selected candidates are in "
                        f"{len(programs)} programs; a shortlist holds one program's "
                        "candidates. Filter discovery by program first."
                    )
                shortlist, result = services.shortlist_create_with_members(
                    program=next(iter(programs.values())),
                    name=form.cleaned_data["shortlist_name"],
                    score_ids=ids,
                    user=request.user,
                )
            else:
                shortlist = next((s for s in shortlists if str(s.pk) == choice), None)
                if shortlist is None:
                    return self._failed(request, form, scores, "No such shortlist.")
                result = services.shortlist_members_add(
                    shortlist=shortlist, score_ids=ids, user=request.user
                )
        except ValidationError as exc:
            return self._failed(request, form, scores, _errors(exc))
        message = _added_message(shortlist, len(result.added), len(result.already))
        if _is_htmx(request):
            return render(
                request,
                "reports/_shortlist_add_status.html",
                {
                    "message": message,
                    "shortlist": shortlist,
                    "shortlists": _writable_shortlists(request.user),
                    "selected": str(shortlist.pk),
                    "picker_id": PICKER_ID,
                    "oob": True,
                },
            )
        messages.success(request, message)
        return redirect("reports:shortlist-detail", pk=shortlist.pk)

    def _failed(self, request, form, scores, error: str) -> HttpResponse:
        if _is_htmx(request):
            # htmx does not swap a 4xx answer: say it in the status line
            return render(
                request, "reports/_shortlist_add_status.html", {"error": error}
            )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "scores": [(s, _candidate_name(s)) for s in scores],
                "error": error,
                "back": request.POST.get("back", ""),
            },
            status=400,
        )


def _added_message(shortlist: Shortlist, added: int, already: int) -> str:
    parts = [
        f"{added} candidate{'s' if added != 1 else ''} added to “{shortlist.name}”"
    ]
    if already:
        parts.append(f"{already} {'was' if already == 1 else 'were'} already on it")
    return "; ".join(parts) + "."
