#!/usr/bin/env python3
"""PeerProof bootstrap: the two commands of the README.

    python3 run.py          # the main job: install, start embedded services, migrate,
                            # load reference data, start a Celery worker and the web server
    python3 run.py test     # the whole test suite (extra arguments go to pytest)

Also: ``python3 run.py manage <args>`` runs a management command against the same
services, and ``python3 run.py services`` only starts PostgreSQL and Redis.

This file uses the standard library only. It creates a virtual environment (``.venv``,
or ``PEERPROOF_VENV``), installs the pinned ``requirements.txt`` into it when that file
changed, and hands over to ``common.devstack`` inside the environment.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REQUIREMENTS = ROOT / "requirements.txt"


def say(message: str) -> None:
    print(f"[peerproof] {message}", flush=True)


def venv_dir() -> Path:
    return Path(os.environ.get("PEERPROOF_VENV", ROOT / ".venv")).resolve()


def venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> Path:
    """Create the venv and install the pinned requirements unless already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - explain, do not crash, on old Pythons
        sys.exit(
            "PeerProof needs Python 3.11 or newer; this is " + sys.version.split()[0]
        )
    target = venv_dir()
    python = venv_python(target)
    if not python.exists():
        say(f"Creating the virtual environment in {target}")
        venv.EnvBuilder(with_pip=True, clear=False).create(target)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    stamp = target / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text().strip() != digest:
        say("Installing pinned dependencies (first run: about a minute) ...")
        started = time.monotonic()
        cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
        quiet = [] if os.environ.get("PEERPROOF_VERBOSE_INSTALL") else ["-q"]
        result = subprocess.run([*cmd, *quiet, "-r", str(REQUIREMENTS)])
        if result.returncode != 0:
            sys.exit("pip install failed; see the messages above.")
        stamp.write_text(digest)
        say(f"Dependencies installed in {time.monotonic() - started:.0f} s")
    else:
        say("Dependencies are up to date")
    return python


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    if command in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    python = ensure_environment()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    args = [str(python), "-m", "common.devstack", command, *argv[1:]]
    # Replace this process so that Ctrl-C and exit codes go straight to devstack.
    if os.name == "nt":
        return subprocess.call(args, cwd=ROOT, env=env)
    os.chdir(ROOT)
    os.execve(str(python), args, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
