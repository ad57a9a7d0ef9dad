"""Project-wide checks that CI must enforce: lint, format, migrations, system checks,
and the one-way dependency chain between apps."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAIN = ["audit", "influencers", "listening", "compliance", "vetting", "reports"]


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
    )


def test_ruff_lint_is_clean():
    result = _run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_migrations_match_the_models():
    result = _run(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_system_checks_pass():
    result = _run(sys.executable, "manage.py", "check", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & (set(CHAIN) | {"common"})


def test_apps_import_only_from_apps_to_their_left():
    problems = []
    for index, app in enumerate(CHAIN):
        allowed = set(CHAIN[: index + 1]) | {"common"}
        for path in (ROOT / app).rglob("*.py"):
            bad = _imported_apps(path) - allowed
            if bad:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    for path in (ROOT / "common").rglob("*.py"):
        if path.name == "devstack.py":
            continue  # the launcher prints the demo logins from vetting.constants
        bad = _imported_apps(path) - {"common"}
        if bad:
            problems.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)
