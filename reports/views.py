from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from reports import selectors


class HomeView(LoginRequiredMixin, TemplateView):
    """What is loaded: counts of reference data and the last run of each loader."""

    template_name = "reports/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.reference_counts()
        context["loads"] = selectors.reference_load_latest_list()
        return context
