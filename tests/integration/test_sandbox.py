"""The harness itself, against MariaDB only: if these fail, every other integration test lies."""

import os
import socket

import pymysql
import pytest

from conftest import PASSWORDS, dconnect, query
import sandbox


def test_free_port_is_bindable():
    port = sandbox.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    assert not sandbox.port_open(port)


def test_backends_have_users_and_db(backends):
    for name, db in backends.items():
        for user in PASSWORDS:
            conn = dconnect(db, user, "testdb")
            assert query(conn, "SELECT DATABASE(), @@port") == (("testdb", db.port),)
            conn.close()


def test_wrong_password_is_refused_by_backend(primary):
    with pytest.raises(pymysql.err.OperationalError) as e:
        sandbox.connect(primary.port, "app", "nope")
    assert e.value.args[0] == 1045


def test_processlist_shows_client(primary):
    conn = dconnect(primary)
    tid = query(conn, "SELECT CONNECTION_ID()")[0][0]
    rows = {r["ID"]: r for r in primary.processlist()}
    assert rows[tid]["USER"] == "app"
    conn.close()


def test_cli_runs(primary):
    res = sandbox.mariadb_cli(primary.port, "app", "app_pw", "SELECT 40+2 AS x", "-N", "-B")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "42"


def test_password_hash_matches_server(primary):
    assert primary.sql("SELECT PASSWORD('app_pw')")[0][0] == sandbox.password_hash("app_pw")


def test_proxyd_config_rendering(tmp_path, primary):
    p = sandbox.Proxyd("/bin/true", {"sys": [("primary", primary), {"name": "r", "address": "1.2.3.4:5"}]},
                       [{"tenant": "sys", "name": "app", "password": 'a"b', "admin": True}],
                       node_id=7, extra={"log_level": "debug", "threads": 2})
    try:
        text = open(p.config_path).read()
        assert "node_id = 7" in text and 'log_level = "debug"' in text and "threads = 2" in text
        assert f'{{ name = "primary", address = "{primary.address}" }}' in text
        assert 'password = "a\\"b"' in text and "admin = true" in text
        # Top-level keys must precede the first table header to stay top-level.
        assert text.index("threads") < text.index("[[tenant]]")
    finally:
        p.cleanup()
    assert not os.path.exists(p.dir)


def test_two_servers_start_independently(backends):
    ports = {db.port for db in backends.values()}
    assert len(ports) == 2
