"""URLconf of ``bench/api.py``: the app's URLs and two baselines measured in the
same run, through the same middleware.

* ``__bench__/plain.json``: a small ``JsonResponse``, no database;
* ``__bench__/db.json``: the same after one indexed query (the first program's id
  and name), so readers see what one round trip to PostgreSQL costs.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import handler500  # noqa: F401  (JSON 500s under /api/)
from config.urls import urlpatterns as app_urlpatterns
from vetting.models import Program


def plain(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "results": [{"id": 1, "name": "plain"}]})


def db_one(request: HttpRequest) -> JsonResponse:
    rows = list(Program.objects.order_by("id").values("id", "name")[:1])
    return JsonResponse({"ok": True, "results": rows})


urlpatterns = [
    path("__bench__/plain.json", plain, name="bench-plain"),
    path("__bench__/db.json", db_one, name="bench-db"),
    *app_urlpatterns,
]
