"""Settings load strictly from env; production passes Django's deployment checks.

Each case runs ``manage.py`` in a fresh interpreter with a clean environment, so the
settings module is imported from scratch and nothing from the test process leaks in.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK_ID = re.compile(r"\(\w+\.[WE]\d{3}\)")
# env_str("NAME" ...), os.environ.get("NAME" ...), self.env.get("NAME" ...), possibly
# with the name on the next line.
ENV_READ = re.compile(
    r"(?:env_\w+|environ\.get|environ\.setdefault|env\.get)\(\s*\"([A-Z][A-Z0-9_]+)\""
)


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not CHECK_ID.findall(output), output
    assert "no issues" in result.stdout


def test_base_settings_require_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings.base")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_require_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_settings_turn_demo_logins_off_even_with_debug_on():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.DEMO_USERS_ALLOWED)"
    )
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_DEBUG": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["False", "False"], result.stderr


def test_env_example_lists_every_variable_the_code_reads():
    sources = [
        *sorted((ROOT / "config").rglob("*.py")),
        ROOT / "common" / "devstack.py",
        ROOT / "run.py",
        ROOT / "manage.py",
    ]
    read = {name for path in sources for name in ENV_READ.findall(path.read_text())}
    read -= {"PYTHONPATH"}  # passed through to child processes, not configuration
    documented = set(
        re.findall(
            r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M
        )
    )

    assert read, "the pattern found no environment reads at all"
    assert not read - documented, (
        f"missing from .env.example: {sorted(read - documented)}"
    )
