"""SPEC §8 drain: SIGTERM (and the Drain rpc through `obpctl nodes drain`) closes the SQL
port and turns gRPC health NOT_SERVING at once, closes each session as soon as it is idle
outside a transaction, lets a running statement finish and an open transaction commit,
refuses a login in progress with 1053, and at drain_timeout_s kills what is left (rolled
back on the backend, audited with reason "drain"). SIGTERM then exits 0; the rpc leaves
the node up, not serving."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc
import pymysql
import pytest

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402

SERVING, NOT_SERVING = b"\x08\x01", b"\x08\x02"  # grpc.health.v1 HealthCheckResponse
LOST = (pymysql.err.OperationalError, pymysql.err.InterfaceError)


def health(node) -> bytes:
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        return channel.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=5)


def obpctl(node, *args, timeout=60):
    return subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node",
                           f"127.0.0.1:{node.grpc_port}", *args],
                          capture_output=True, text=True, timeout=timeout)


def live_cs_ids(node) -> set:
    r = obpctl(node, "sessions", "list", "-o", "json")
    assert r.returncode == 0, r.stderr
    return {int(s["cs_id"]) for s in json.loads(r.stdout)["sessions"]}


def is_closed(conn) -> bool:
    try:
        query(conn, "SELECT 1")
        return False
    except LOST:
        return True


def in_thread(fn):
    """Runs fn() in a thread; returns a getter for its result (or raises its error)."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as e:  # noqa: BLE001  (handed to the test's thread)
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()

    def result(timeout=30):
        t.join(timeout)
        assert not t.is_alive(), "the statement did not answer"
        if "error" in box:
            raise box["error"]
        return box["value"]
    return result


@pytest.fixture
def drain_table(primary):
    primary.sql("CREATE TABLE IF NOT EXISTS testdb.drained (id INT PRIMARY KEY)")
    primary.sql("DELETE FROM testdb.drained")
    return "testdb.drained"


def test_sigterm_waits_for_the_statement_and_the_commit_then_exits_0(proxy_factory, primary,
                                                                      drain_table):
    node = proxy_factory.start(extra={"drain_timeout_s": 30})
    idle = pconnect(node, "app")
    busy = pconnect(node, "app")
    trx = pconnect(node, "app")
    ids = {"idle": idle.thread_id(), "busy": busy.thread_id(), "trx": trx.thread_id()}
    query(trx, "BEGIN")
    query(trx, f"INSERT INTO {drain_table} VALUES (1)")
    assert health(node) == SERVING
    sleeping = in_thread(lambda: query(busy, "SELECT SLEEP(2) AS drain_sleep"))
    assert sandbox.wait_until(lambda: any(
        "drain_sleep" in (r[1] or "") for r in primary.sql(
            "SELECT ID, INFO FROM information_schema.PROCESSLIST")), timeout=10)

    node.proc.send_signal(signal.SIGTERM)
    # At once: the SQL port closes, health says NOT_SERVING, the idle session goes.
    assert sandbox.wait_until(lambda: not sandbox.port_open(node.port), timeout=2)
    assert health(node) == NOT_SERVING
    assert sandbox.wait_until(lambda: ids["idle"] not in live_cs_ids(node), timeout=2)
    assert is_closed(idle)
    left = live_cs_ids(node)
    assert ids["busy"] in left and ids["trx"] in left, left

    # The statement finishes with its result; then its session closes.
    assert sleeping() == ((0,),)
    assert sandbox.wait_until(lambda: ids["busy"] not in live_cs_ids(node), timeout=5)
    assert is_closed(busy)

    # The transaction goes on and commits; its session closes after the COMMIT.
    assert health(node) == NOT_SERVING
    query(trx, f"INSERT INTO {drain_table} VALUES (2)")
    query(trx, "COMMIT")
    assert primary.sql(f"SELECT COUNT(*) FROM {drain_table}") == [(2,)]
    assert node.proc.wait(timeout=10) == 0
    assert is_closed(trx)
    log = node.log()
    assert "drain: done" in log and "0 killed" in log, log[-3000:]


def test_a_transaction_left_open_is_rolled_back_and_audited_at_the_timeout(
        proxy_factory, primary, drain_table, tmp_path):
    audit = tmp_path / "audit.jsonl"
    node = proxy_factory.start(extra={"drain_timeout_s": 1, "audit_log": str(audit)})
    trx = pconnect(node, "app")
    victim = trx.thread_id()
    query(trx, "BEGIN")
    query(trx, f"INSERT INTO {drain_table} VALUES (7)")
    backend_id = query(trx, "SELECT CONNECTION_ID()")[0][0]
    started = time.monotonic()
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(timeout=15) == 0
    assert time.monotonic() - started >= 1.0  # it waited for drain_timeout_s
    assert is_closed(trx)
    # Rolled back on the backend, and that backend connection is gone.
    assert primary.sql(f"SELECT COUNT(*) FROM {drain_table}") == [(0,)]
    assert sandbox.wait_until(lambda: primary.sql(
        f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {backend_id}")
        == [(0,)], timeout=5)
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(lines) == 1, lines
    assert lines[0]["cs_id"] == victim and lines[0]["reason"] == "drain"
    assert lines[0]["result"] == "ok" and lines[0]["actor"].startswith("drain")
    assert "1 killed" in node.log()


def test_a_login_in_progress_is_refused_with_1053(proxy_factory):
    node = proxy_factory.start(extra={"drain_timeout_s": 30})
    holder = pconnect(node, "app")
    query(holder, "BEGIN")  # keeps the drain going
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    assert sandbox.wait_until(lambda: len(live_cs_ids(node)) == 2, timeout=5)
    node.proc.send_signal(signal.SIGTERM)
    assert sandbox.wait_until(lambda: health(node) == NOT_SERVING, timeout=2)
    late = pymysql.connect(host="127.0.0.1", port=node.port, user="app", password="app_pw",
                           defer_connect=True, connect_timeout=10)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        late.connect(sock=sock)
    assert refused.value.args[0] == 1053, refused.value.args
    assert "shutdown in progress" in refused.value.args[1]
    query(holder, "COMMIT")
    assert node.proc.wait(timeout=10) == 0


def test_obpctl_nodes_drain_leaves_the_node_up_and_not_serving(proxy_factory):
    node = proxy_factory.start(extra={"drain_timeout_s": 30})
    idle = pconnect(node, "app")
    r = obpctl(node, "nodes", "drain", "1", "--timeout", "5", "-o", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["node_id"] == 1 and out["sessions_at_start"] == 1 and out["ended"] == 1
    assert out["killed"] == 0 and out["joined"] is False
    assert is_closed(idle)
    assert node.proc.poll() is None  # still up: gRPC answers, SQL does not
    assert not sandbox.port_open(node.port)
    assert health(node) == NOT_SERVING
    nodes = obpctl(node, "nodes")
    assert nodes.returncode == 0 and "draining" in nodes.stdout, nodes.stdout + nodes.stderr
    again = obpctl(node, "nodes", "drain", "1")  # a second drain joins the finished one
    assert again.returncode == 0 and "joined" in again.stdout, again.stdout + again.stderr
    assert node.stop() == 0


def test_obpctl_nodes_drain_kills_at_its_timeout(proxy_factory):
    node = proxy_factory.start(extra={"drain_timeout_s": 30})
    trx = pconnect(node, "app")
    query(trx, "BEGIN")
    started = time.monotonic()
    r = obpctl(node, "nodes", "drain", "1", "--timeout", "1")
    assert r.returncode == 0, r.stderr
    assert 1.0 <= time.monotonic() - started < 20
    assert "1 killed" in r.stdout, r.stdout
    assert is_closed(trx)


def test_bad_drain_requests_are_refused(proxy_factory):
    node = proxy_factory.start()
    for args, word in ((["nodes", "drain", "x"], "node id"),
                       (["nodes", "drain", "1", "--timeout", "-3"], "--timeout"),
                       (["nodes", "drain", "9"], "not in the fleet")):
        r = obpctl(node, *args)
        assert r.returncode == 1 and word in r.stderr, (args, r.stdout, r.stderr)
    assert health(node) == SERVING and sandbox.port_open(node.port)
