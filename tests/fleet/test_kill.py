"""obpctl kill against three real proxyd nodes (SPEC §5): by connection id across the fleet,
dry runs, one server session, an ambiguous connection id, and kills by selector. Each test
opens its own sessions (fixture `opener`) and checks what an operator and the killed client
see.
"""

import threading
import time

import pymysql
import pytest

from conftest import (HINT_REPLICA, assert_dead, collide, conn_id, listed_ids, query,
                      wait_until)

GONE_S = 2.0  # bound for a killed session to leave SHOW PROXYSESSION


def holders(obpctl, cid):
    """(node, cs_id, backend) of every session holding a server session with connection id cid."""
    out = []
    for s in obpctl.json("sessions", "list")["sessions"]:
        for ss in s["server_sessions"]:
            if int(ss["connection_id"]) == cid:
                out.append((s["node_id"], s["cs_id"], ss["backend"]))
    return out


def assert_alive(conn):
    assert query(conn, "SELECT 1") == ((1,),)


def test_kill_by_conn_id_ends_session_on_node_3(opener, obpctl):
    bystanders = [opener(1, "app"), opener(2, "app"), opener(3, "bob")]
    for b in bystanders:
        conn_id(b)
    victim = opener(3, "app")
    cid = conn_id(victim)
    cs = victim.thread_id()
    admin3 = opener(3, "admin")
    assert holders(obpctl, cid) == [(3, cs, "primary")]
    out = obpctl.ok("kill", "--conn-id", cid, "--reason", "fleet test")
    assert out.startswith(f"node 3 ({obpctl.fleet.grpc[3]}): killed cs_id {cs}"), out
    assert f":{cid}" in out, out
    assert_dead(victim)
    assert wait_until(lambda: cs not in listed_ids(admin3), GONE_S), listed_ids(admin3)
    for b in bystanders:
        assert_alive(b)
    assert holders(obpctl, cid) == []


def test_kill_report_names_backend_and_connection(opener, obpctl):
    # KillSessionResponse.server_sessions: ss_id, backend, connection_id, backend_kill;
    # obpctl prints them as "[backend:connection_id]".
    victim = opener(2, "bob")
    cid = conn_id(victim)
    out = obpctl.ok("kill", "--cs-id", victim.thread_id())
    assert out.strip() == (f"node 2 ({obpctl.fleet.grpc[2]}): killed cs_id {victim.thread_id()}"
                           f" [primary:{cid}]"), out
    assert_dead(victim)


def test_kill_dry_run_kills_nothing(opener, obpctl):
    victim = opener(3, "alice")
    cid = conn_id(victim)
    cs = victim.thread_id()
    admin3 = opener(3, "admin")
    assert holders(obpctl, cid) == [(3, cs, "primary")]
    for how in (("--conn-id", cid), ("--cs-id", cs)):
        out = obpctl.ok("kill", *how, "--dry-run")
        assert f"would kill cs_id {cs}" in out, out
        assert "node 3" in out, out
    assert_alive(victim)
    assert conn_id(victim) == cid  # not even its server session was touched
    assert cs in listed_ids(admin3)


def test_kill_one_server_session_keeps_client_session(opener, obpctl):
    victim = opener(3, "app")
    cid = conn_id(victim)
    cs = victim.thread_id()
    shown = obpctl.json("sessions", "show", "--cs-id", cs)
    (ss,) = shown["session"]["server_sessions"]
    assert int(ss["connection_id"]) == cid
    out = obpctl.ok("kill", "--cs-id", cs, "--ss-id", ss["ss_id"])
    assert f"killed cs_id {cs} server session {ss['ss_id']}" in out, out
    # The client session survives and gets a new server session (a new backend thread).
    new_cid = conn_id(victim)
    assert new_cid != cid
    assert victim.thread_id() == cs
    after = obpctl.json("sessions", "show", "--cs-id", cs)["session"]
    assert [int(x["connection_id"]) for x in after["server_sessions"]] == [new_cid]
    assert after["server_sessions"][0]["ss_id"] != ss["ss_id"]


def test_kill_unknown_server_session_is_not_found(opener, obpctl):
    victim = opener(3, "app")
    conn_id(victim)
    r = obpctl.run("kill", "--cs-id", victim.thread_id(), "--ss-id", 99999)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert_alive(victim)


def test_ambiguous_conn_id_is_refused_with_candidates(opener, obpctl, backends):
    # One session on node 1 uses primary, one on node 3 uses replica1, same backend thread id.
    a, b, cid = collide(lambda: opener(1, "app"), lambda: opener(3, "app"),
                        backends["primary"], backends["replica1"])
    r = obpctl.run("kill", "--conn-id", cid)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert f"Ambiguous connection id {cid}" in r.stderr, r.stderr
    assert f"cs_id {a.thread_id()} on backend primary" in r.stderr, r.stderr
    assert f"cs_id {b.thread_id()} on backend replica1" in r.stderr, r.stderr
    assert "node 1" in r.stderr and "node 3" in r.stderr, r.stderr
    assert "killed" not in r.stdout
    # Nothing was killed: both sessions keep their server sessions.
    assert conn_id(a) == cid
    assert conn_id(b, HINT_REPLICA) == cid
    # sessions show refuses the same way; --backend picks one.
    r = obpctl.run("sessions", "show", "--conn-id", cid)
    assert r.returncode == 2 and "Ambiguous" in r.stderr, (r.returncode, r.stderr)
    out = obpctl.ok("kill", "--conn-id", cid, "--backend", "replica1", "--dry-run")
    assert f"would kill cs_id {b.thread_id()}" in out, out


def test_kill_by_user_needs_yes_or_dry_run(opener, obpctl):
    victims = [opener(n, "alice") for n in (1, 2, 3)]
    r = obpctl.run("kill", "--user", "alice")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "--yes" in r.stderr and "--dry-run" in r.stderr, r.stderr
    for v in victims:
        assert_alive(v)


def test_kill_by_user_dry_run_lists_and_kills_nothing(opener, obpctl):
    victims = [opener(n, "alice") for n in (1, 2, 3)]
    out = obpctl.ok("kill", "--user", "alice", "--dry-run")
    assert "3 session(s) would be killed" in out, out
    for v in victims:
        assert str(v.thread_id()) in out
        assert_alive(v)


def test_kill_by_user_yes_ends_that_users_sessions_on_every_node(opener, obpctl):
    alice = [opener(n, "alice") for n in (1, 2, 3)] + [opener(3, "alice")]
    others = [opener(1, "bob"), opener(2, "app"), opener(3, "bob"), opener(3, "admin")]
    for c in alice + others:
        conn_id(c)  # each holds a server session, so the kill has backend work to do
    out = obpctl.ok("kill", "--user", "alice", "--yes")
    for n in (1, 2, 3):
        assert f"node {n} ({obpctl.fleet.grpc[n]}): killed" in out, out
    for c in alice:
        assert str(c.thread_id()) in out
        assert_dead(c)
    for c in others:
        assert_alive(c)
    assert wait_until(lambda: obpctl.json("sessions", "list", "--user", "alice")["sessions"] == [],
                      GONE_S)
    out = obpctl.ok("kill", "--user", "alice", "--yes")
    assert "no matching sessions" in out, out


@pytest.mark.parametrize("args", [("--cs-id", 1, "--conn-id", 2), ()])
def test_kill_usage_errors(obpctl, args):
    r = obpctl.run("kill", *args)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)


def test_kill_query_on_idle_session_has_nothing_to_stop(opener, obpctl):
    # KILL_OUTCOME_NOTHING_RUNNING: an idle session's query kill sends nothing anywhere.
    victim = opener(3, "app")
    cid = conn_id(victim)
    out = obpctl.ok("kill", "--cs-id", victim.thread_id(), "--query")
    assert out.strip() == (f"node 3 ({obpctl.fleet.grpc[3]}): nothing running on the query of "
                           f"cs_id {victim.thread_id()}"), out
    assert conn_id(victim) == cid


def test_kill_query_stops_statement_keeps_session(opener, obpctl, backends):
    victim = opener(3, "app", read_timeout=40)
    cid = conn_id(victim)
    box = []
    t = threading.Thread(target=lambda: box.append(_run(victim, "SELECT SLEEP(30)")), daemon=True)
    t.start()
    primary = backends["primary"]
    assert wait_until(lambda: any(r["ID"] == cid and "SLEEP(30)" in (r["INFO"] or "")
                                  for r in primary.processlist()), 5)
    sent = time.monotonic()
    out = obpctl.ok("kill", "--cs-id", victim.thread_id(), "--query")
    assert f"killed the query of cs_id {victim.thread_id()}" in out, out
    t.join(3)
    assert not t.is_alive(), "SELECT SLEEP(30) still running 3 s after obpctl kill --query"
    assert time.monotonic() - sent < 3
    assert box[0] in (((1,),), 1317), box  # MariaDB: the row (1,) or error 1317
    assert conn_id(victim) == cid  # same session, same backend connection


def _run(conn, sql):
    try:
        return query(conn, sql)
    except pymysql.err.MySQLError as e:
        return e.args[0]
