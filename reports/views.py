from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from reports import selectors


class HomeView(LoginRequiredMixin, TemplateView):
    """What is loaded: counts of reference data and the last run of each loader."""

    template_name = "reports/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.reference_counts()
        context["loads"] = sorted(
            selectors.reference_load_latest_list(),
            key=lambda load: load.started_at,
            reverse=True,
        )
        return context
