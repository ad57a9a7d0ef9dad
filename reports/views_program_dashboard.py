"""One program's dashboard (issue 8, item 5): the distribution of the latest run's
scores, candidates by specialty and platform, gates by reason, findings by rule and
week, adverse-event and vetting cases, the drift from the run before, and the
program's unacknowledged alerts.

Members only: anyone else gets a 404 (``program_get_for_user``). Every chart reads
its figures from a ``json_script`` element and has a table with the same figures
under it. A fixed number of queries whatever the number of candidates.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.views.generic import TemplateView

from reports import selectors, selectors_program
from reports.views import (
    AE_INBOX_URLS,
    ALERT_ACK_URLS,
    CASE_LIST_URLS,
    FINDING_LIST_URLS,
    reverse_first,
)
from vetting.scoring.explain import LABELS
from vetting.scoring.weights import COMPONENTS
from vetting.selectors import program_get_for_user

ALERT_LIMIT = 10


class ProgramDashboardView(LoginRequiredMixin, TemplateView):
    template_name = "reports/program_dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        program = program_get_for_user(user, kwargs["slug"])
        now = timezone.now()
        # the helpers of the home dashboard, limited to this one program
        scope = selectors.ProgramScope(user=user, programs=(program,))
        run, previous = selectors_program.program_last_runs(program)

        figures = drift = weekly = ae = None
        charts: dict[str, Any] = {}
        if run is not None:
            figures = selectors_program.run_figures(run)
            drift = selectors_program.score_drift(
                run, previous, program.drift_threshold
            )
            start, end = selectors_program.program_window(program, run)
            weekly = selectors_program.findings_by_week(run, start, end)
            ae = selectors_program.ae_case_counts(run, now=now)
            charts = {
                "histograms": {
                    key: figures.histograms[key].chart()
                    for key in selectors_program.HISTOGRAM_KEYS
                },
                "specialties": _bars(figures.specialties),
                "platforms": _bars(figures.platforms),
                "gates": _bars(figures.gate_reasons),
                "weekly": weekly.chart(),
                "ae": ae.chart(),
                "drift": drift.chart() if drift else None,
            }
        case_counts = selectors.vetting_case_counts(scope)
        charts["cases"] = case_counts.chart()

        alerts = selectors.alert_open_list(scope, limit=ALERT_LIMIT)
        ack = bool(reverse_first(ALERT_ACK_URLS, pk=1))
        for alert in alerts.alerts:
            alert.ack_url = reverse_first(ALERT_ACK_URLS, pk=alert.pk) if ack else ""

        context.update(
            program=program,
            run=run,
            previous=previous,
            figures=figures,
            drift=drift,
            weekly=weekly,
            ae=ae,
            case_counts=case_counts,
            alerts=alerts,
            charts=charts,
            components=[(key, LABELS[key]) for key in COMPONENTS],
            top_specialties=selectors_program.TOP_SPECIALTIES,
            findings_url=reverse_first(FINDING_LIST_URLS),
            ae_inbox_url=reverse_first(AE_INBOX_URLS),
            case_list_url=reverse_first(CASE_LIST_URLS),
            now=now,
        )
        return context


def _bars(bars: tuple[selectors_program.Bar, ...]) -> dict[str, list]:
    return {
        "keys": [bar.key for bar in bars],
        "labels": [bar.label for bar in bars],
        "counts": [bar.count for bar in bars],
    }
