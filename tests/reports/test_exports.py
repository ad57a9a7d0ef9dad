"""Exports: CSV and XLSX of discovery results (with the page's filters and sort)
and of shortlists carry every column (identity, every score, trust density,
composite, rank, gates, flags, findings by severity and rule, as_of, scoring
version, run); text that would be a formula is neutralised; a large export runs on
a real Celery worker with progress; files are stored with their SHA-256 and
downloaded only by the requester or a program member; every export and download is
audited; the number of queries does not grow with the rows."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from audit.models import AuditEvent
from reports import exports, services
from reports.models import Export, Shortlist
from tests.reports import shortlists_world as sw
from tests.workers import wait_for
from vetting.filters import SCORE_LABELS
from vetting.scoring.weights import COMPONENTS

pytestmark = pytest.mark.django_db

DISCOVERY_HEADERS = [c.header for c in exports.DISCOVERY_COLUMNS]
REQUIRED = [
    "Clinician name",
    "NPI",
    "Identity status",
    "Link confidence",
    "Platform",
    "Handle",
    "Specialty",
    "Followers",
    *(SCORE_LABELS[c] for c in COMPONENTS),
    "Composite",
    "Rank",
    "Gates passed",
    "Gate failures",
    "Authenticity flagged",
    "Open critical findings",
    "Open major findings",
    "Open minor findings",
    "Confirmed or escalated findings",
    "Finding rules",
    "As of",
    "Scoring version",
    "Run",
]


@pytest.fixture
def world(db, settings, tmp_path) -> sw.World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return sw.build()


@pytest.fixture
def shortlist(world) -> Shortlist:
    shortlist = services.shortlist_create(
        program=world.heart, name="Cardio picks", user=world.analyst
    )
    services.shortlist_members_add(
        shortlist=shortlist,
        score_ids=[world.scores[2].pk, world.scores[0].pk, world.scores[1].pk],
        user=world.analyst,
    )
    return shortlist


def _media() -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT)


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _xlsx_rows(content: bytes, sheet: str) -> tuple[list, list[dict]]:
    book = load_workbook(io.BytesIO(content))
    rows = list(book[sheet].iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def _download(client, response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def _export_discovery(client, query: str, fmt: str):
    return client.post(
        reverse("reports:export-discovery"), {"query": query, "format": fmt}
    )


# --- columns and values ----------------------------------------------------------------


def test_the_csv_has_every_column_and_the_flags(client, world):
    client.force_login(world.analyst)
    response = _export_discovery(client, "program=heart", "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert ".csv" in response["Content-Disposition"]
    rows = _csv_rows(_download(client, response))
    assert list(rows[0]) == DISCOVERY_HEADERS
    assert set(REQUIRED) <= set(rows[0])
    assert [r["Rank"] for r in rows] == ["1", "2", "3", "4", "5"]  # composite order
    star, risky, flagged, unknown = rows[0], rows[2], rows[3], rows[4]
    clinician = world.accounts[0].clinician
    assert star["Clinician name"] == f"Ada {clinician.last_name.title()}"
    assert star["NPI"] == clinician.npi
    assert star["Identity status"] == clinician.identity_status
    assert star["Link confidence"] == "0.95"
    assert star["Platform"] == "bluesky" and star["Handle"] == "star.bsky.social"
    assert star["Specialty code"] == sw.CARDIO and star["Specialty"] == "Cardiology"
    assert float(star["Trust density"]) == pytest.approx(0.93)
    assert float(star[SCORE_LABELS["alignment"]]) == pytest.approx(0.9)
    assert float(star["Composite"]) == pytest.approx(0.81)
    assert star["Gates passed"] == "yes" and star["Gate failures"] == ""
    assert star["Open minor findings"] == "1" and star["Finding rules"] == "OVERSTATED"
    assert star["As of"] == "2025-07-01T00:00:00Z"
    assert star["Scoring version"] == "1.0"
    assert star["Run"] == str(world.run.pk)
    assert star["Score id"] == str(world.scores[0].pk)
    assert star["Program"] == "Heart"
    # compliance flags: open by severity, confirmed apart, dismissed and superseded out
    assert (risky["Open critical findings"], risky["Open major findings"]) == ("1", "1")
    assert risky["Open minor findings"] == "0"
    assert risky["Confirmed or escalated findings"] == "1"
    assert risky["Finding rules"] == "FAIR_BALANCE; OFF_LABEL; UNDISCLOSED_SPONSORSHIP"
    assert risky["Gates passed"] == "no"
    assert risky["Gate failures"] == "open critical finding"
    assert flagged["Authenticity flagged"] == "yes"
    assert flagged["Clinician name"] == "" and flagged["NPI"] == ""
    assert (
        unknown["Composite"] == "" and unknown[SCORE_LABELS["spread"]] == ""
    )  # unknown, not 0


def test_the_xlsx_has_every_column_typed_and_an_about_sheet(client, world):
    client.force_login(world.analyst)
    response = _export_discovery(client, "program=heart&sort=-trust_density", "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    content = _download(client, response)
    header, rows = _xlsx_rows(content, "Discovery")
    assert header == DISCOVERY_HEADERS
    assert rows[0]["Handle"] == "star.bsky.social"  # the page's sort
    star = rows[0]
    assert star["Trust density"] == pytest.approx(0.93)  # a number, not text
    assert star["Composite"] == pytest.approx(0.81)
    assert star["Rank"] == 1 and star["Followers"] == world.accounts[0].followers_count
    assert star["As of"] == "2025-07-01T00:00:00Z"
    assert star["Scoring version"] == "1.0" and star["Run"] == world.run.pk
    risky = next(r for r in rows if r["Handle"] == "mid.bsky.social")
    assert risky["Open critical findings"] == 1
    assert risky["Finding rules"] == "FAIR_BALANCE; OFF_LABEL; UNDISCLOSED_SPONSORSHIP"
    book = load_workbook(io.BytesIO(content))
    about = [r for r in book["About"].iter_rows(values_only=True) if any(r)]
    assert ("Filters", "program=heart; sort=-trust_density") in about
    assert ("Trust density", "Trust density score, 0 to 1.") in about


def test_the_filters_are_the_discovery_pages(client, world):
    client.force_login(world.analyst)
    query = "program=heart&gates_passed=true&sort=followers"
    page = client.get(reverse("vetting:discover") + "?" + query)
    expected = [row["account_id"] for row in page.context["rows"]]
    rows = _csv_rows(_download(client, _export_discovery(client, query, "csv")))
    handles = {str(a.pk): a.handle for a in world.accounts}
    assert [r["Handle"] for r in rows] == [
        exports.cell_text(handles[pk]) for pk in expected
    ]
    assert "mid.bsky.social" not in {r["Handle"] for r in rows}  # fails a gate
    export = Export.objects.get()
    assert export.program == world.heart
    assert export.filters == {
        "query": {
            "program": ["heart"],
            "gates_passed": ["true"],
            "sort": ["followers"],
        },
        "run_ids": [world.run.pk],
    }


def test_a_program_filter_cannot_reach_another_program(client, world):
    client.force_login(world.outsider)
    rows = _csv_rows(
        _download(client, _export_discovery(client, "program=heart", "csv"))
    )
    # the bad filter is ignored as the page ignores it: only the outsider's program
    assert [r["Handle"] for r in rows] == ["secret.bsky.social"]
    assert Export.objects.get().program is None


def test_cells_that_would_be_formulas_are_neutralised(client, world):
    client.force_login(world.analyst)
    rows = _csv_rows(
        _download(client, _export_discovery(client, "program=heart", "csv"))
    )
    by_rank = {r["Rank"]: r for r in rows}
    assert by_rank["2"]["Handle"] == '\'=HYPERLINK("http://evil")'
    assert by_rank["2"]["Display name"] == "'+cmd|calc"
    assert by_rank["4"]["Handle"] == "'@sum.bsky.social"
    assert by_rank["4"]["Display name"] == "'-2+3"
    response = _export_discovery(client, "program=heart", "xlsx")
    book = load_workbook(io.BytesIO(_download(client, response)))
    sheet = book["Discovery"]
    handle_column = DISCOVERY_HEADERS.index("Handle") + 1
    cells = [sheet.cell(row=r, column=handle_column) for r in range(2, 7)]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    assert cells[1].value == '\'=HYPERLINK("http://evil")'
    # numbers are not touched (a negative change stays a number)
    assert exports.cell_value(-0.25) == -0.25
    assert exports.cell_text("-2+3") == "'-2+3"
    assert exports.cell_text("\t=1") == "'\t=1"
    assert exports.cell_text("a\x00b\x1fc") == "abc"
    assert exports.cell_text("plain") == "plain"


def test_a_shortlist_export_has_rank_note_frozen_composite_and_its_date(
    client, world, shortlist
):
    newer = sw.scoring_run(world.heart, day=3)
    sw.score(newer, world.accounts[0], rank=1, composite=0.6)  # the others dropped out
    star = shortlist.members.get(account=world.accounts[0])
    services.shortlist_member_annotate(
        member=star, user=world.analyst, note="=cmd() speaks at ACC"
    )
    client.force_login(world.medical)  # any member may export
    response = client.post(
        reverse("reports:shortlist-export", args=[shortlist.pk]), {"format": "xlsx"}
    )
    assert response.status_code == 200
    header, rows = _xlsx_rows(_download(client, response), "Shortlist")
    assert header == [c.header for c in exports.SHORTLIST_COLUMNS]
    assert set(REQUIRED) <= set(header)
    assert [r["Shortlist rank"] for r in rows] == [1, 2, 3]
    assert [r["Handle"] for r in rows][1] == "star.bsky.social"
    first, second = rows[0], rows[1]
    assert second["Note"] == "'=cmd() speaks at ACC"
    assert second["Frozen composite"] == pytest.approx(0.81)
    assert second["Frozen as of"] == "2025-07-01T00:00:00Z"
    assert second["Frozen run"] == world.run.pk
    assert second["Composite"] == pytest.approx(0.6)  # today's
    assert second["Run"] == newer.pk
    assert second["Composite change"] == pytest.approx(-0.21)
    assert second["Added by"] == "ana"
    # not in today's run: today's scores are empty, the frozen ones remain
    assert first["Handle"] == "mid.bsky.social"
    assert first["Composite"] is None and first["Run"] is None
    assert first["Frozen composite"] == pytest.approx(0.6)
    assert first["Open critical findings"] == 1
    assert first["NPI"] == world.accounts[2].clinician.npi
    csv_response = client.post(
        reverse("reports:shortlist-export", args=[shortlist.pk]), {"format": "csv"}
    )
    csv_rows = _csv_rows(_download(client, csv_response))
    assert [r["Shortlist rank"] for r in csv_rows] == ["1", "2", "3"]
    assert csv_rows[1]["Frozen as of"] == "2025-07-01T00:00:00Z"


# --- files, audit, download --------------------------------------------------------------


def test_the_file_is_stored_with_its_sha256_and_size_and_audited(client, world):
    client.force_login(world.analyst)
    response = _export_discovery(client, "program=heart", "csv")
    content = _download(client, response)
    export = Export.objects.get()
    assert export.status == Export.Status.SUCCEEDED
    assert (export.rows_total, export.rows_done) == (5, 5)
    path = Path(services.export_path(export))
    assert path.parent == _media() / "exports"
    assert path.read_bytes() == content
    assert export.sha256 == hashlib.sha256(content).hexdigest()
    assert export.size_bytes == len(content)
    assert response["X-Content-SHA256"] == export.sha256
    assert not list(path.parent.glob("*.part"))
    events = list(
        AuditEvent.objects.filter(object_type="reports.export").order_by("pk")
    )
    assert [e.action for e in events] == [
        "export.created",
        "export.completed",
        "export.downloaded",
    ]
    assert events[0].after["filters"]["query"] == {"program": ["heart"]}
    assert events[0].after["rows_total"] == 5
    assert events[1].after["sha256"] == export.sha256
    assert {e.program_id for e in events} == {world.heart.pk}
    assert {e.actor_id for e in events} == {world.analyst.pk}
    # a second download is a second event
    client.get(reverse("reports:export-download", args=[export.pk]))
    assert AuditEvent.objects.filter(action="export.downloaded").count() == 2


def test_downloads_are_for_the_requester_and_program_members_only(
    client, world, shortlist
):
    mine = services.export_create(
        user=world.analyst, kind="discovery", file_format="csv", query={}
    )
    bound = services.export_create(
        user=world.analyst, kind="shortlist", file_format="csv", shortlist=shortlist
    )
    assert mine.program is None and bound.program == world.heart

    def status(user, export) -> int:
        client.force_login(user)
        return client.get(
            reverse("reports:export-download", args=[export.pk])
        ).status_code

    assert status(world.analyst, mine) == 200
    assert status(world.analyst, bound) == 200
    assert status(world.medical, bound) == 200  # a member of the program
    assert status(world.medical, mine) == 404  # not bound to a program: only theirs
    assert status(world.outsider, bound) == 404
    assert status(world.outsider, mine) == 404
    client.force_login(world.outsider)
    for name in ("export-detail", "export-progress"):
        assert (
            client.get(reverse(f"reports:{name}", args=[bound.pk])).status_code == 404
        )
    assert client.get(reverse("reports:export-list")).context["exports"].count() == 0
    client.logout()
    response = client.get(reverse("reports:export-download", args=[bound.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    downloads = AuditEvent.objects.filter(action="export.downloaded")
    assert downloads.count() == 3


def test_a_file_not_ready_is_a_409(client, world):
    export = Export.objects.create(
        kind="discovery", format="csv", requested_by=world.analyst, rows_total=9
    )
    client.force_login(world.analyst)
    response = client.get(reverse("reports:export-download", args=[export.pk]))
    assert response.status_code == 409
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_a_failing_export_is_marked_failed_and_leaves_no_file(
    client, world, monkeypatch
):
    def broken(path, source, *, progress, every):
        Path(path).write_text("half")
        raise ValueError("disk said no")

    monkeypatch.setitem(exports.WRITERS, Export.Format.CSV, broken)
    client.force_login(world.analyst)
    response = _export_discovery(client, "", "csv")
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export-detail", args=[export.pk])
    assert export.status == Export.Status.FAILED
    assert "disk said no" in export.error
    assert not list((_media() / "exports").glob("*"))
    page = client.get(response["Location"])
    assert "The export failed: ValueError: disk said no" in page.text
    assert "Download" not in page.text


# --- large exports: a real worker, progress ---------------------------------------------


def test_progress_is_written_after_every_chunk(world):
    export = Export.objects.create(
        kind="discovery",
        format="csv",
        requested_by=world.analyst,
        filters={"query": {}, "run_ids": [world.run.pk]},
    )
    with CaptureQueriesContext(connection) as queries:
        done = services.export_run(export_id=export.pk, chunk_rows=2)
    progress = [
        q["sql"]
        for q in queries.captured_queries
        if 'SET "rows_done" = LEAST' in q["sql"]
    ]
    assert len(progress) == 2  # after rows 2 and 4 (of 5)
    assert done.status == Export.Status.SUCCEEDED
    assert (done.rows_done, done.rows_total) == (5, 5)
    # the rows were read in chunks of 2: one flags query per chunk
    flags = [q for q in queries.captured_queries if "compliance_finding" in q["sql"]]
    assert len(flags) == 3


def test_the_progress_partial_polls_while_running_then_offers_the_file(client, world):
    export = Export.objects.create(
        kind="discovery",
        format="xlsx",
        requested_by=world.analyst,
        status=Export.Status.RUNNING,
        rows_total=10_000,
        rows_done=2_500,
    )
    client.force_login(world.analyst)
    url = reverse("reports:export-progress", args=[export.pk])
    running = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in running.text
    assert "2,500 of 10,000 rows (25%)" in running.text
    listing = client.get(reverse("reports:export-list"))
    assert (
        'data-polling="on"' in listing.text and 'hx-trigger="every 2s"' in listing.text
    )
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.SUCCEEDED, rows_done=10_000, size_bytes=2048, sha256="ab"
    )
    done = client.get(url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text
    assert reverse("reports:export-download", args=[export.pk]) in done.text
    assert 'data-polling="off"' in client.get(reverse("reports:export-list")).text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_large_export_runs_on_a_worker_with_a_download_link(
    client, celery_worker_factory, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_INLINE_MAX_ROWS = 2
    world = sw.build()
    celery_worker_factory(
        queues="default", MEDIA_ROOT=str(settings.MEDIA_ROOT), EXPORT_INLINE_MAX_ROWS=2
    )
    client.force_login(world.analyst)
    response = _export_discovery(client, "program=heart", "xlsx")
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export-detail", args=[export.pk])
    assert export.rows_total == 5
    page = client.get(response["Location"])
    assert "runs in the background" in page.text
    done = wait_for(
        lambda: Export.objects.filter(
            pk=export.pk, status__in=[Export.Status.SUCCEEDED, Export.Status.FAILED]
        ).first(),
        timeout=90,
    )
    assert done is not None, "the worker did not finish the export"
    assert done.status == Export.Status.SUCCEEDED, done.error
    assert (done.rows_done, done.rows_total) == (5, 5)
    download = client.get(reverse("reports:export-download", args=[export.pk]))
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == done.sha256
    _, rows = _xlsx_rows(content, "Discovery")
    assert [r["Rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert "export.completed" in set(
        AuditEvent.objects.filter(object_id=str(export.pk)).values_list(
            "action", flat=True
        )
    )


def test_a_large_export_is_queued_after_commit(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    queued = []
    monkeypatch.setattr(
        services.export_run_task, "delay", lambda **kw: queued.append(kw)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        export = services.export_create(
            user=world.analyst, kind="discovery", file_format="csv", query={}
        )
        assert queued == []  # nothing before the commit
    assert len(callbacks) == 1
    assert export.status == Export.Status.PENDING and export.rows_total == 5
    assert queued == [{"export_id": export.pk}]


# --- query counts ------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_rows(client, world):
    client.force_login(world.analyst)
    with CaptureQueriesContext(connection) as few:
        _download(client, _export_discovery(client, "program=heart", "csv"))
    for i in range(20):
        acc = sw.account(f"extra{i}.bsky.social")
        sw.score(world.run, acc, rank=10 + i, composite=0.3)
    with CaptureQueriesContext(connection) as many:
        response = _export_discovery(client, "program=heart", "csv")
        assert len(_csv_rows(_download(client, response))) == 25
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as page_few:
        client.get(reverse("reports:export-list"))
    for _ in range(5):
        services.export_create(
            user=world.analyst, kind="discovery", file_format="csv", query={}
        )
    with CaptureQueriesContext(connection) as page_many:
        assert len(client.get(reverse("reports:export-list")).context["rows"]) == 7
    assert len(page_many.captured_queries) == len(page_few.captured_queries) <= 8


# --- API ---------------------------------------------------------------------------------


def test_the_api_creates_reports_and_downloads_an_export(world, shortlist):
    api = APIClient()
    api.force_authenticate(world.analyst)
    created = api.post(
        "/api/v1/exports/",
        {"kind": "discovery", "format": "csv", "filters": {"program": "heart"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "succeeded" and body["rows_total"] == 5
    assert body["progress"] == 1.0 and body["program"] == "heart"
    assert body["download_url"].endswith(f"/api/v1/exports/{body['id']}/download/")
    file = api.get(body["download_url"])
    assert file.status_code == 200
    rows = _csv_rows(b"".join(file.streaming_content))
    assert len(rows) == 5 and "Trust density" in rows[0]
    status = api.get(f"/api/v1/exports/{body['id']}/").json()
    assert status["sha256"] == body["sha256"]
    shortlist_export = api.post(
        "/api/v1/exports/",
        {"kind": "shortlist", "format": "xlsx", "shortlist": shortlist.pk},
        format="json",
    )
    assert shortlist_export.status_code == 201
    listing = api.get("/api/v1/exports/", {"file_format": "xlsx"}).json()["results"]
    assert [e["id"] for e in listing] == [shortlist_export.json()["id"]]
    assert (
        api.post(
            "/api/v1/exports/", {"kind": "shortlist", "format": "csv"}, format="json"
        ).status_code
        == 400
    )
    outsider = APIClient()
    outsider.force_authenticate(world.outsider)
    assert outsider.get(f"/api/v1/exports/{body['id']}/").status_code == 404
    assert outsider.get(body["download_url"]).status_code == 404
    assert (
        outsider.post(
            "/api/v1/exports/",
            {"kind": "shortlist", "format": "csv", "shortlist": shortlist.pk},
            format="json",
        ).status_code
        == 404
    )


def test_the_api_queues_a_large_export(world, settings, monkeypatch):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    monkeypatch.setattr(services.export_run_task, "delay", lambda **kw: None)
    api = APIClient()
    api.force_authenticate(world.analyst)
    response = api.post(
        "/api/v1/exports/", {"kind": "discovery", "format": "xlsx"}, format="json"
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["download_url"] is None
    assert api.get(f"/api/v1/exports/{body['id']}/download/").status_code == 409


def test_the_export_filterset_covers_kind_format_and_status(client, world, shortlist):
    from reports.filters import ExportFilterSet

    assert {"kind", "file_format", "status"} <= set(ExportFilterSet.base_filters)
    csv_export = services.export_create(
        user=world.analyst, kind="discovery", file_format="csv", query={}
    )
    xlsx_export = services.export_create(
        user=world.analyst, kind="shortlist", file_format="xlsx", shortlist=shortlist
    )
    client.force_login(world.analyst)
    url = reverse("reports:export-list")
    assert [
        e.pk for e in client.get(url, {"kind": "shortlist"}).context["exports"]
    ] == [xlsx_export.pk]
    assert [
        e.pk for e in client.get(url, {"file_format": "csv"}).context["exports"]
    ] == [csv_export.pk]
    assert client.get(url, {"status": "failed"}).context["exports"].count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "discovery", "format": "pdf"},
        {"kind": "elsewhere", "format": "csv"},
        {"kind": "shortlist", "format": "csv", "shortlist": 2**70},
        {"kind": "discovery", "format": "csv", "filters": {"program": {"a": 1}}},
        {"kind": "discovery", "format": "csv", "filters": {"q": [[1]]}},
    ],
)
def test_the_api_refuses_bad_export_input_with_a_400(world, body):
    api = APIClient()
    api.force_authenticate(world.analyst)
    assert api.post("/api/v1/exports/", body, format="json").status_code == 400
    assert not Export.objects.exists()


def test_bad_filter_values_are_ignored_as_the_page_ignores_them(world):
    api = APIClient()
    api.force_authenticate(world.analyst)
    response = api.post(
        "/api/v1/exports/",
        {
            "kind": "discovery",
            "format": "csv",
            "filters": {
                "sort": "drop table",
                "composite_min": "abc",
                "followers_min": 2**70,
                "q": "\x00=cmd",
                "unknown": "x",
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    export = Export.objects.get()
    assert "unknown" not in export.filters["query"]
    assert export.rows_total >= 0 and export.status == Export.Status.SUCCEEDED
