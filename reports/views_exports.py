"""Export pages: export the discovery results (with the page's filters) or a
shortlist as CSV or XLSX, follow a large export's progress, download the file.

A small export (at most ``EXPORT_INLINE_MAX_ROWS`` rows) is written during the
request and downloaded at once; a larger one runs as a task and the user is sent to
its page, which polls its progress with htmx and offers the download when done.
Downloads go through ``ExportDownloadView`` (the requester, or a member of the
export's program; anyone else gets a 404), and each one is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import ListView

from reports import exports, selectors, services
from reports.filters import ExportFilterSet
from reports.forms import ExportFormatForm
from reports.models import Export

EXPORTS_PAGE_SIZE = 50
ACTIVE = (Export.Status.PENDING, Export.Status.RUNNING)


def export_filename(export: Export) -> str:
    """The name a downloaded file gets, e.g.
    ``peerproof-shortlist-12-20250701.xlsx``."""
    subject = export.kind
    if export.kind == Export.Kind.SHORTLIST and export.shortlist_id:
        subject = f"shortlist-{export.shortlist_id}"
    elif export.program_id:
        subject = f"discovery-{export.program.slug}"
    day = timezone.localdate(export.created_at).strftime("%Y%m%d")
    return f"peerproof-{subject}-{export.pk}-{day}.{export.format}"


def download_response(export: Export, user: Any) -> HttpResponse:
    """The file as an attachment; records the download."""
    path = services.export_path(export)
    if export.status != Export.Status.SUCCEEDED or not path.is_file():
        return HttpResponse(
            "This export has no file to download (yet).",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    services.export_download_record(export=export, user=user)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=export_filename(export),
        content_type=exports.CONTENT_TYPES[export.format],
    )
    response["X-Content-SHA256"] = export.sha256
    response["Cache-Control"] = "private, no-store"
    return response


def _created_response(request: HttpRequest, export: Export) -> HttpResponse:
    """Download a finished small export at once; otherwise go to its page."""
    if export.status == Export.Status.SUCCEEDED:
        return download_response(export, request.user)
    if export.status == Export.Status.FAILED:
        messages.error(request, f"The export failed: {export.error}")
    else:
        messages.info(
            request,
            f"Exporting {export.rows_total:,} rows runs in the background; this page "
            "shows its progress and the download link when it is done.",
        )
    return redirect("reports:export-detail", pk=export.pk)


class ExportDiscoveryView(LoginRequiredMixin, View):
    """POST: export the discovery results with the filters and sort of the page
    (``query``, the page's query string) as ``format``."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ExportFormatForm(request.POST)
        if not form.is_valid():
            return HttpResponse("Choose CSV or XLSX.", status=400)
        query = QueryDict(request.POST.get("query", ""))
        try:
            export = services.export_create(
                user=request.user,
                kind=Export.Kind.DISCOVERY,
                file_format=form.cleaned_data["format"],
                query=query,
            )
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400)
        return _created_response(request, export)


class ShortlistExportView(LoginRequiredMixin, View):
    """POST: export a shortlist as ``format``."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shortlist = selectors.shortlist_get_for_user(request.user, pk)
        form = ExportFormatForm(request.POST)
        if not form.is_valid():
            return HttpResponse("Choose CSV or XLSX.", status=400)
        export = services.export_create(
            user=request.user,
            kind=Export.Kind.SHORTLIST,
            file_format=form.cleaned_data["format"],
            shortlist=shortlist,
        )
        return _created_response(request, export)


def _progress(export: Export) -> dict[str, Any]:
    total = export.rows_total
    done = export.rows_done
    return {
        "active": export.status in ACTIVE,
        "percent": round(100 * done / total) if total else 0,
        "done": done,
        "total": total,
        "done_text": f"{done:,}",
        "total_text": f"{total:,}",
    }


class ExportListView(LoginRequiredMixin, ListView):
    """The user's exports, newest first: status, progress, size and download. While
    one is pending or running the table refreshes every 2 seconds (htmx)."""

    template_name = "reports/export_list.html"
    rows_template_name = "reports/_export_rows.html"
    context_object_name = "exports"
    paginate_by = EXPORTS_PAGE_SIZE

    def get_queryset(self):
        self.filterset = ExportFilterSet(
            self.request.GET,
            queryset=selectors.exports_for_user(self.request.user),
            request=self.request,
        )
        return self.filterset.qs

    def get_template_names(self) -> list[str]:
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.history_restore_request and htmx.target == "export-rows":
            return [self.rows_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = [(export, _progress(export)) for export in context["exports"]]
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            rows=rows,
            polling=any(p["active"] for _, p in rows),
            filter_form=self.filterset.form,
            filtered=any(v for k, v in self.request.GET.items() if k != "page"),
            querystring=query.urlencode(),
        )
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


class ExportDetailView(LoginRequiredMixin, View):
    """One export: what it holds, its progress (polled while it runs) and the
    download link when done."""

    template_name = "reports/export_detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        export = selectors.export_get_for_user(request.user, pk)
        context = {"export": export, "progress": _progress(export)}
        return render(request, self.template_name, context)


class ExportProgressView(LoginRequiredMixin, View):
    """The progress partial an export page polls (stops polling once done)."""

    template_name = "reports/_export_progress.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        export = selectors.export_get_for_user(request.user, pk)
        context = {"export": export, "progress": _progress(export)}
        return render(request, self.template_name, context)


class ExportDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        export = selectors.export_get_for_user(request.user, pk)
        return download_response(export, request.user)
