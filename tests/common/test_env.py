import pytest
from django.core.exceptions import ImproperlyConfigured

from common.env import env_bool, env_int, parse_database_url


def test_it_parses_a_tcp_database_url():
    db = parse_database_url("postgresql://app:s%40cret@db.example:6543/peer")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "app",
        "s@cret",
        "db.example",
        "6543",
        "peer",
    )


def test_it_parses_the_embedded_socket_url():
    db = parse_database_url("postgresql://postgres:@/peerproof?host=/tmp/pg")
    assert db["HOST"] == "/tmp/pg" and db["NAME"] == "peerproof"


def test_it_rejects_a_non_postgres_url():
    with pytest.raises(ImproperlyConfigured, match="not supported"):
        parse_database_url("sqlite:///db.sqlite3")


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("X_FLAG")


def test_env_int_reads_and_rejects(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env_int("X_NUM", 3) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_NUM", 3)
