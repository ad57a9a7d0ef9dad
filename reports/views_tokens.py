"""The API tokens page (``/account/tokens/``): a signed-in user lists their
tokens, creates one (its key is shown once, on the response to the POST) and
revokes one. A user only ever sees and revokes their own tokens (another user's
token is a 404)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.views.generic import TemplateView

from reports.models import ApiToken
from reports.selectors_tokens import api_token_get_for_user, api_token_list_for_user
from reports.services_tokens import api_token_create, api_token_revoke


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What the token is for, e.g. “Warehouse nightly pull”.",
    )
    read_only = forms.BooleanField(
        label="Read-only (GET requests only: for warehouse and reporting clients)",
        required=False,
        initial=True,
    )


class ApiTokenListView(LoginRequiredMixin, TemplateView):
    """GET: the user's tokens and the form to create one. POST ``action=create``:
    create a token and show its key once (the response is not cached); POST
    ``action=revoke`` with ``token``: revoke one of the user's tokens."""

    template_name = "reports/tokens.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ApiTokenCreateForm())
        context["tokens"] = list(api_token_list_for_user(self.request.user))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        if action == "revoke":
            return self._revoke(request)
        if action != "create":
            return HttpResponse("Unknown action.", status=400)
        form = ApiTokenCreateForm(request.POST)
        if form.is_valid():
            try:
                created = api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    read_only=form.cleaned_data["read_only"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                response = self.render_to_response(
                    self.get_context_data(created=created, form=ApiTokenCreateForm())
                )
                add_never_cache_headers(response)
                return response
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def _revoke(self, request: HttpRequest) -> HttpResponse:
        raw = request.POST.get("token", "")
        token = (
            api_token_get_for_user(request.user, int(raw)) if raw.isdigit() else None
        )
        if token is None:
            raise Http404("No such token.")
        if token.revoked_at is None:
            api_token_revoke(token=token, user=request.user)
            messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("reports:tokens")
