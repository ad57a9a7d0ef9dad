"""Shared fixtures: paths to the bundled reference data and persona users."""

from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return Path(settings.REFERENCE_DATA_DIR)
