"""SPEC §1 ids: the handshake id is a cs_id carrying the node_id; CONNECTION_ID() is the backend's."""

import re

import pytest

from conftest import pconnect, query
import sandbox


def node_of(cs_id: int) -> int:
    return (cs_id >> 18) & 0x1FFF


def check_cs_id(cs_id: int, node_id: int):
    assert cs_id >> 31 == 0, hex(cs_id)
    assert node_of(cs_id) == node_id, hex(cs_id)
    assert cs_id & 0x3FFFF != 0, hex(cs_id)


@pytest.fixture(scope="module")
def node5(proxy_factory):
    return proxy_factory.start(node_id=5)


@pytest.fixture(scope="module")
def node8191(proxy_factory):
    return proxy_factory.start(node_id=8191)


def test_handshake_id_is_cs_id(proxy, node5, node8191):
    for p, node_id in ((proxy, 1), (node5, 5), (node8191, 8191)):
        conns = [pconnect(p) for _ in range(3)]
        ids = [c.thread_id() for c in conns]
        for cs_id in ids:
            check_cs_id(cs_id, node_id)
        assert len(set(ids)) == 3
        for c in conns:
            c.close()


def test_cli_shows_cs_id(node5):
    res = sandbox.mariadb_cli(node5.port, "app", "app_pw", "status")
    assert res.returncode == 0, res.stderr
    m = re.search(r"Connection id:\s+(\d+)", res.stdout)
    assert m, res.stdout
    check_cs_id(int(m.group(1)), 5)


def test_connection_id_is_backend_thread(proxy, primary):
    conn = pconnect(proxy)
    cs_id = conn.thread_id()
    backend_id = query(conn, "SELECT CONNECTION_ID()")[0][0]
    assert backend_id != cs_id
    rows = {r["ID"]: r for r in primary.processlist()}
    assert backend_id in rows, rows
    assert rows[backend_id]["USER"] == "app"
    # The same server session serves the next statement.
    assert query(conn, "SELECT CONNECTION_ID()")[0][0] == backend_id
    conn.close()


def test_concurrent_sessions_distinct_ids(proxy):
    conns = [pconnect(proxy) for _ in range(20)]
    cs_ids = {c.thread_id() for c in conns}
    backend_ids = {query(c, "SELECT CONNECTION_ID()")[0][0] for c in conns}
    assert len(cs_ids) == 20 and len(backend_ids) == 20
    for c in conns:
        c.close()
