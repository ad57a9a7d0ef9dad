"""Real Celery workers for tests: separate ``celery worker`` processes (solo pool, no
eager mode) on pytest's test database and the real Redis at ``REDIS_URL``.

``celery_worker_factory`` (a fixture in ``tests/conftest.py``) starts them with a
generated settings module, so a test can override settings for the worker only (a
per-page sleep, a smaller batch, post-ingest hooks) and choose its queues. A worker can
be stopped or SIGKILLed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]
ALL_QUEUES = "default,ingest,scan,score"


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    user, password = db["USER"] or "", db["PASSWORD"] or ""
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{db['NAME']}?host={host}"
    return f"postgresql://{user}:{password}@{host}:{db['PORT'] or '5432'}/{db['NAME']}"


@dataclass
class WorkerProcess:
    """One ``celery worker`` subprocess."""

    name: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acks, no cleanup (a crashed machine)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _settings_module(folder: Path, overrides: dict[str, Any]) -> str:
    module = f"pp_worker_settings_{uuid.uuid4().hex[:8]}"
    lines = ["from config.settings.test import *  # noqa"]
    lines += [f"{key} = {value!r}" for key, value in overrides.items()]
    (folder / f"{module}.py").write_text("\n".join(lines) + "\n")
    return module


def celery_worker_factory_impl(
    django_db_setup: Any,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real workers on the test database; every one is stopped at the end."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    folder = tmp_path_factory.mktemp("worker-settings")
    started: list[WorkerProcess] = []
    app.control.purge()  # messages left by an earlier, interrupted session

    def start(*, queues: str = "ingest", **overrides: Any) -> WorkerProcess:
        name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE=_settings_module(folder, overrides),
            PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]),
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queues,
                "--pool",
                "solo",
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        worker = WorkerProcess(name=name, process=process)
        started.append(worker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "the Celery worker exited during start-up"
            if app.control.ping(destination=[name], timeout=0.5):
                return worker
        worker.stop()
        pytest.fail("the Celery worker did not answer a ping within 60 s")

    yield start
    for worker in started:
        worker.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Poll ``predicate`` every 0.1 s until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return None
