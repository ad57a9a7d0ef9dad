"""One small demo world per test session (it takes a couple of seconds)."""

from __future__ import annotations

import pytest

from demoworld.generate import WorldSummary, generate_world
from tests.demoworld.helpers import SEED


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(
        out_dir=tmp_path_factory.mktemp("world"), size="small", seed=SEED
    )
