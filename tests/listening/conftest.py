"""Fixtures of the listening tests: a records connector and a real Celery worker
(started by the shared ``celery_worker_factory`` of ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from listening.connectors.base import Envelope
from listening.records import ParsedPage
from tests.listening.factories import RecordsConnector
from tests.workers import WorkerProcess

ROOT = Path(__file__).resolve().parents[2]


class _Dispatcher:
    """Parses ``test.records`` envelopes itself and everything else with the real
    connector of the platform."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def parse(self, envelope: Envelope) -> ParsedPage:
        if envelope.endpoint == "test.records":
            return RecordsConnector().parse(envelope)
        from listening.connectors import get_connector

        return get_connector(self.platform).parse(envelope)


@pytest.fixture
def records_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the pipeline understand ``test.records`` envelopes (in this process)."""
    monkeypatch.setattr("listening.ingest.pipeline.default_connector_for", _Dispatcher)


@pytest.fixture
def celery_worker(celery_worker_factory: Callable[..., WorkerProcess]) -> WorkerProcess:
    """One real worker with the default settings."""
    return celery_worker_factory()
