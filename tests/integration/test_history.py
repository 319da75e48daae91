"""SPEC §9 session history on one node: every way a client session ends leaves exactly one
entry, with the reason (and, for kills, the actor, the front door and the reason given),
readable over gRPC (ListEndedSessions) and with SHOW PROXYSESSION HISTORY under the
visibility rule of SHOW PROXYSESSION; the ring keeps exactly history_size entries; a kill
with a selector (only_if) leaves a session alone that no longer matches."""

import os
import signal
import socket
import threading
import subprocess
import sys
import time

import grpc
import pymysql
import pytest

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fleet_wire  # noqa: E402
import sandbox  # noqa: E402

SERVICE = "/obproxy.fleet.v1.SessionService/"
LOST = (pymysql.err.OperationalError, pymysql.err.InterfaceError)


def call(node, method, request: bytes, timeout=10) -> bytes:
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as ch:
        return ch.unary_unary(SERVICE + method)(request, timeout=timeout)


def ended(node, **filters) -> dict:
    return fleet_wire.list_ended_sessions_response(
        call(node, "ListEndedSessions", fleet_wire.list_ended_sessions_request(**filters)))


def entry_of(node, cs_id: int, timeout: float = 10) -> dict:
    """The one history entry of cs_id, once the session has ended and written it."""
    found = {}

    def written():
        got = ended(node, cs_id=cs_id)["sessions"]
        assert len(got) <= 1, f"cs_id {cs_id} has {len(got)} history entries: {got}"
        if got:
            found["entry"] = got[0]
        return bool(got)
    assert sandbox.wait_until(written, timeout), f"no history entry for cs_id {cs_id}"
    return found["entry"]


def new_entries(node, before: int, timeout: float = 10) -> list:
    """Entries written after the node had `before` in all (its ring is large enough)."""
    out = {}

    def more():
        out["all"] = ended(node)["sessions"]
        return len(out["all"]) > before
    assert sandbox.wait_until(more, timeout), "no new history entry"
    return out["all"][before:]


def show_history(conn, like=None) -> list:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW PROXYSESSION HISTORY" + (f" LIKE '{like}'" if like else ""))
        return cur.fetchall()


@pytest.fixture(scope="module")
def node(proxy_factory):
    return proxy_factory.start(extra={"audit_log": "-"})


def test_client_quit_keeps_what_the_session_did(node):
    conn = pconnect(node, database="testdb")
    cs_id = conn.thread_id()
    query(conn, "BEGIN")
    query(conn, "SELECT 1")
    query(conn, "COMMIT")
    query(conn, "SELECT 'last one'")
    conn.close()  # COM_QUIT
    e = entry_of(node, cs_id)
    assert e["reason"] == "client_quit", e
    assert (e["user"], e["tenant"], e["db"]) == ("app", "sys", "testdb")
    assert e["last_statement"] == "SELECT 'last one'"
    assert e["statements"] >= 4 and e["trans_count"] >= 1, e
    assert e["bytes_from_client"] > 0 and e["bytes_to_client"] > 0
    assert e["client_host"].startswith("127.0.0.1:")
    assert e["node_id"] == node.node_id and e["ended_at"] >= e["created_at"] > 0
    assert not e.get("actor") and not e.get("via")


def test_socket_closed_without_quit_is_client_gone(node):
    conn = pconnect(node)
    cs_id = conn.thread_id()
    conn._sock.shutdown(socket.SHUT_RDWR)  # no COM_QUIT: what a crashed application leaves
    conn._sock.close()
    e = entry_of(node, cs_id)
    assert e["reason"] == "client_gone", e


def _hang_up_in_get_lock(node, primary, name, settle):
    """A client waiting in GET_LOCK vanishes `settle` seconds after the wait began (None:
    right after sending the statement). Its wait must end on the backend at once (as
    MariaDB ends it for its own clients), not hold a backend thread for the hour it asked
    to wait. Returns the session's history entry."""
    holder = pconnect(node)
    assert query(holder, f"SELECT GET_LOCK('{name}', 0)") == ((1,),)
    waiter = pconnect(node)
    cs_id = waiter.thread_id()
    waiter.query("SELECT 1")  # a server session exists; the wait below runs on it
    sql = f"SELECT GET_LOCK('{name}', 3600)".encode()
    waiter._sock.sendall(len(sql + b"x").to_bytes(3, "little") + b"\x00\x03" + sql)

    def waiting():
        return [p for p in primary.processlist()
                if p["STATE"] == "User lock" and name in (p["INFO"] or "")]
    if settle is not None:
        assert sandbox.wait_until(waiting, 10), "the GET_LOCK wait never started"
        time.sleep(settle)
    waiter._sock.shutdown(socket.SHUT_RDWR)
    waiter._sock.close()
    if settle is None:
        assert sandbox.wait_until(waiting, 10), "the GET_LOCK wait never started"
    assert sandbox.wait_until(lambda: not waiting(), 3), waiting()
    e = entry_of(node, cs_id)
    assert e["reason"] == "client_gone", e
    assert "hung up while its statement ran" in e["detail"], e
    assert f"GET_LOCK('{name}', 3600)" in e["last_statement"], e
    # The holder is unaffected and its lock is what it was.
    assert query(holder, f"SELECT RELEASE_LOCK('{name}')") == ((1,),)
    holder.close()


def test_a_client_that_hangs_up_mid_statement_ends_the_statement_on_the_backend(node, primary):
    """MariaDB's dirty_close case through proxyd. The hang-up comes a second into the
    statement, well after proxyd started watching the client (a statement is watched
    once it has run for a tick of 0.1 s)."""
    _hang_up_in_get_lock(node, primary, "hangup_lock", settle=1.0)


def test_a_hang_up_before_the_watch_starts_is_seen_when_it_starts(node, primary):
    """The client sends its statement and closes at once, before proxyd watches it: the
    watch, started a tick later, must see a hang-up that is already there."""
    _hang_up_in_get_lock(node, primary, "early_hangup_lock", settle=None)


def test_sql_kill_by_an_admin_names_the_admin(node):
    victim = pconnect(node, user="bob")
    admin = pconnect(node, user="admin")
    query(admin, f"KILL {victim.thread_id()}")
    e = entry_of(node, victim.thread_id())
    assert e["reason"] == "killed" and e["via"] == "sql", e
    assert e["actor"].startswith("admin@sys from 127.0.0.1:"), e
    assert e["detail"] == "SQL KILL"
    admin.close()


def test_grpc_kill_keeps_its_reason(node):
    victim = pconnect(node, user="bob")
    call(node, "KillSession",
         fleet_wire.kill_session_request(victim.thread_id(), 1, "runaway batch job"))
    e = entry_of(node, victim.thread_id())
    assert (e["reason"], e["via"], e["detail"]) == ("killed", "grpc", "runaway batch job"), e
    assert e["actor"], e


def test_wrong_password_is_login_failed_with_the_name_tried(node):
    before = len(ended(node)["sessions"])
    with pytest.raises(pymysql.err.OperationalError) as err:
        pconnect(node, user="alice", password="not-her-password")
    assert err.value.args[0] == 1045
    entries = [e for e in new_entries(node, before) if e["reason"] == "login_failed"]
    assert len(entries) == 1, entries
    assert entries[0]["user"] == "alice"
    assert "Access denied for user 'alice'" in entries[0]["detail"]


def test_a_port_probe_is_client_gone_before_login(node):
    before = len(ended(node)["sessions"])
    with socket.create_connection(("127.0.0.1", node.port)) as s:
        s.recv(1024)  # the greeting
    e = new_entries(node, before)[0]
    assert e["reason"] == "client_gone" and "before logging in" in e["detail"], e


def test_backend_that_loses_a_transaction_is_backend_lost(node, primary):
    conn = pconnect(node, database="testdb")
    cs_id = conn.thread_id()
    query(conn, "BEGIN")
    (backend_id,), = query(conn, "SELECT CONNECTION_ID()")
    primary.sql(f"KILL {backend_id}")  # what a backend restart does to the session
    with pytest.raises(LOST) as err:
        query(conn, "SELECT 1")
    assert err.value.args[0] in (2013, 1430), err.value.args
    conn.close()
    e = entry_of(node, cs_id)
    assert e["reason"] == "backend_lost", e
    assert "Lost connection to backend 'primary'" in e["detail"], e
    assert "transaction" in e["detail"], e


def test_idle_and_login_timeouts(proxy_factory):
    n = proxy_factory.start(extra={"wait_timeout_s": 1, "login_timeout_s": 1})
    idle = pconnect(n)
    cs_id = idle.thread_id()
    e = entry_of(n, cs_id)
    assert e["reason"] == "idle_timeout" and "wait_timeout_s" in e["detail"], e
    with socket.create_connection(("127.0.0.1", n.port)) as s:
        s.recv(1024)
        s.sendall(b"\x01")  # a first byte of a login that never completes
        assert sandbox.wait_until(lambda: any(x["reason"] == "login_timeout"
                                              for x in ended(n)["sessions"]), 10)


def test_drain_closes_idle_and_kills_open_transactions(proxy_factory):
    n = proxy_factory.start()
    idle = pconnect(n)
    busy = pconnect(n)
    query(busy, "BEGIN")
    query(busy, "SELECT 1")
    r = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node", f"127.0.0.1:{n.grpc_port}",
                        "nodes", "drain", str(n.node_id), "--timeout", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    e_idle = entry_of(n, idle.thread_id())
    assert e_idle["reason"] == "drain" and e_idle["detail"] == "closed while idle", e_idle
    e_busy = entry_of(n, busy.thread_id())
    assert e_busy["reason"] == "drain", e_busy
    assert e_busy["actor"] == f"drain (node {n.node_id})" and e_busy["detail"] == "drain", e_busy


def test_show_history_visibility_and_like(node):
    mine = pconnect(node, user="alice")
    query(mine, "SELECT 'alice was here'")
    mine_id = mine.thread_id()
    mine.close()
    other = pconnect(node, user="bob")
    other_id = other.thread_id()
    other.close()
    entry_of(node, mine_id)
    entry_of(node, other_id)
    alice = pconnect(node, user="alice")
    rows = show_history(alice)
    assert rows and {r["User"] for r in rows} == {"alice"}, rows
    row = next(r for r in rows if r["Id"] == mine_id)
    assert row["reason"] == "client_quit" and row["last_statement"] == "SELECT 'alice was here'"
    admin = pconnect(node, user="admin")
    everyone = {r["Id"] for r in show_history(admin)}
    assert {mine_id, other_id} <= everyone
    only_bob = show_history(admin, like="b%")
    assert only_bob and {r["User"] for r in only_bob} == {"bob"}
    alice.close()
    admin.close()


def test_ring_keeps_exactly_history_size(proxy_factory):
    n = proxy_factory.start(extra={"history_size": 3})
    # The readiness probe's connection ends on its own time (slowly under TSan): count it
    # once it is there.
    assert sandbox.wait_until(lambda: ended(n)["sessions"], 10)
    start = ended(n)
    ended_before = len(start["sessions"]) + start["forgotten"]
    ids = []
    for _ in range(5):
        c = pconnect(n)
        ids.append(c.thread_id())
        c.close()
        entry_of(n, ids[-1])
    got = ended(n)
    assert [e["cs_id"] for e in got["sessions"]] == ids[-3:]
    assert got["forgotten"] == ended_before + 5 - 3 and got["history_size"] == 3
    assert got["kept_since"] is not None
    # Paging: one entry a page, in end order.
    seen, token = [], ""
    for _ in range(5):
        page = fleet_wire.list_ended_sessions_response(call(
            n, "ListEndedSessions",
            fleet_wire.list_ended_sessions_request(page_size=1, page_token=token)))
        seen += [e["cs_id"] for e in page["sessions"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ids[-3:]
    # SPEC §8 reload: a smaller history_size keeps the newest entries.
    with open(n.config_path) as f:
        text = f.read()
    with open(n.config_path, "w") as f:
        f.write(text.replace("history_size = 3", "history_size = 1"))
    os.kill(n.pid, signal.SIGHUP)
    assert sandbox.wait_until(lambda: ended(n)["history_size"] == 1, 10)
    assert [e["cs_id"] for e in ended(n)["sessions"]] == ids[-1:]


def test_unknown_reason_is_invalid_argument(node):
    with pytest.raises(grpc.RpcError) as e:
        ended(node, reason="vanished")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "client_quit" in e.value.details()


def test_kill_with_a_selector_leaves_a_session_that_no_longer_matches(node):
    conn = pconnect(node, user="bob")
    query(conn, "SELECT 1")  # finished: idle now
    only_sleepers = fleet_wire.session_filter(statement="SELECT SLEEP%")
    out = fleet_wire.decode(call(node, "KillSession", fleet_wire.kill_session_request_only_if(
        conn.thread_id(), only_sleepers, reason="selector")))
    assert out[6] == [5], out  # KILL_OUTCOME_NO_LONGER_MATCHES
    assert query(conn, "SELECT 2") == ((2,),)  # untouched
    conn.close()


def test_kill_query_with_a_selector_ends_the_matching_statement_only(node):
    conn = pconnect(node, user="bob")
    killer_done = {}

    def kill_when_running():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            out = fleet_wire.decode(call(node, "KillSession", fleet_wire.kill_session_request_only_if(
                conn.thread_id(), fleet_wire.session_filter(statement="select sleep%",
                                                            running_over=0.2),
                mode=2, reason="long sleeper")))
            if out[6] != [5]:
                killer_done["outcome"] = out[6]
                return
            time.sleep(0.05)
    t = threading.Thread(target=kill_when_running, daemon=True)
    t.start()
    started = time.monotonic()
    with pytest.raises(pymysql.err.OperationalError) as err:
        query(conn, "SELECT SLEEP(20)")
    assert err.value.args[0] == 1317
    assert time.monotonic() - started < 10
    t.join(10)
    assert killer_done.get("outcome") == [1], killer_done  # KILL_OUTCOME_KILLED
    assert query(conn, "SELECT 3") == ((3,),)  # the session lives on
    conn.close()


def test_a_connection_refused_over_max_connections_is_login_failed(proxy_factory):
    n = proxy_factory.start(extra={"max_connections": 1, "admin_reserved_connections": 0})
    # The one slot is free once the readiness probe's connection has ended.
    assert sandbox.wait_until(lambda: ended(n)["sessions"], 10)
    held = pconnect(n)
    before = len(ended(n)["sessions"])
    with pytest.raises(pymysql.err.OperationalError) as err:
        pconnect(n)
    assert err.value.args[0] == 1040
    e = new_entries(n, before)[0]
    assert e["reason"] == "login_failed" and e["detail"] == "Too many connections", e
    held.close()
