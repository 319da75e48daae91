"""`obpctl sessions history` against three real proxyd nodes (SPEC §9): sessions that ended
in different ways on different nodes are listed with why they ended (reason, and for kills
who and through which front door), merged across the fleet by end time with the newest
last; the filters, --since, the table, a node that does not answer, and the note a node
gives when it has forgotten sessions.
"""

import json
import re
import time

import pymysql
import pytest

from conftest import PASSWORDS, Fleet, Obpctl, conn_id, parse_table, query, wait_until

SHOWN_S = 5.0  # bound for an ended session to appear in its node's history


def history(obpctl, *args):
    return obpctl.json("sessions", "history", *args)["sessions"]


def ended_ids(obpctl, *args):
    return [s["cs_id"] for s in history(obpctl, *args)]


def wait_ended(obpctl, cs_id):
    """The history entry of cs_id, once its node has recorded it."""
    found = wait_until(lambda: history(obpctl, "--cs-id", cs_id), SHOWN_S)
    assert found, f"cs_id {cs_id} not in the history after {SHOWN_S}s"
    (entry,) = found
    return entry


@pytest.fixture(scope="module")
def ended(fleet, obpctl):
    """Sessions ended one after the other, each in its own way: way -> cs_id, in the order
    they ended (each is in the history before the next one ends)."""
    ways = {}

    def session(node, user, statement):
        c = fleet.connect(node, user)
        query(c, statement)
        return c

    c = session(1, "bob", "SELECT 'quits'")
    ways["client_quit"] = c.thread_id()
    c.close()  # COM_QUIT
    wait_ended(obpctl, ways["client_quit"])

    c = session(2, "bob", "SELECT 'goes away'")
    ways["client_gone"] = c.thread_id()
    c._force_close()  # pymysql closes the socket without sending COM_QUIT
    wait_ended(obpctl, ways["client_gone"])

    c = session(3, "alice", "SELECT 'grpc victim'")
    ways["grpc"] = c.thread_id()
    obpctl.ok("kill", "--cs-id", c.thread_id(), "--reason", "history via grpc")
    wait_ended(obpctl, ways["grpc"])

    admin1 = fleet.connect(1, "admin")
    for way, node in (("sql", 1), ("peer", 2)):  # peer: typed on node 1, forwarded to node 2
        c = session(node, "alice", f"SELECT '{way} victim'")
        ways[way] = c.thread_id()
        query(admin1, f"KILL {c.thread_id()}")
        wait_ended(obpctl, ways[way])
    admin1.close()

    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(host="127.0.0.1", port=fleet.nodes[3].port, user="app",
                        password="not" + PASSWORDS["app"], connect_timeout=10)
    assert refused.value.args[0] == 1045, refused.value.args
    return ways


def test_every_way_is_recorded_with_why(ended, obpctl):
    by_id = {s["cs_id"]: s for s in history(obpctl, "--since", "10m")}
    quit_ = by_id[ended["client_quit"]]
    assert (quit_["reason"], quit_["node_id"], quit_["user"], quit_["tenant"]) == \
        ("client_quit", 1, "bob", "sys"), quit_
    assert quit_["actor"] == quit_["via"] == "", quit_
    assert quit_["last_statement"] == "SELECT 'quits'", quit_
    assert by_id[ended["client_gone"]]["reason"] == "client_gone"

    grpc = by_id[ended["grpc"]]
    assert (grpc["reason"], grpc["via"], grpc["detail"], grpc["node_id"]) == \
        ("killed", "grpc", "history via grpc", 3), grpc
    assert grpc["actor"].startswith("grpc"), grpc
    sql = by_id[ended["sql"]]
    assert (sql["reason"], sql["via"], sql["node_id"]) == ("killed", "sql", 1), sql
    assert sql["actor"].startswith("admin@sys from 127.0.0.1:"), sql
    peer = by_id[ended["peer"]]
    assert (peer["reason"], peer["via"], peer["node_id"]) == ("killed", "peer", 2), peer
    assert "admin@sys" in peer["actor"] and "node 1" in peer["actor"], peer
    for s in (grpc, sql, peer):
        assert s["user"] == "alice" and s["client_host"].startswith("127.0.0.1:"), s
        assert int(s["statements"]) >= 1 and int(s["bytes_from_client"]) > 0, s
        assert s["created_at"] <= s["ended_at"], s

    failed = wait_until(lambda: [s for s in history(obpctl, "--reason", "login_failed",
                                                    "--node", 3)
                                 if s["user"] == "app"], SHOWN_S)
    assert failed, "the refused login is not in node 3's history"
    assert failed[-1]["tenant"] in ("", "sys"), failed


def test_merged_by_end_time_newest_last(ended, obpctl):
    sessions = history(obpctl)
    ends = [s["ended_at"] for s in sessions]
    assert ends == sorted(ends)  # RFC 3339 in UTC sorts as text
    ours = [ended[w] for w in ("client_quit", "client_gone", "grpc", "sql", "peer")]
    order = [s["cs_id"] for s in sessions if s["cs_id"] in ours]
    assert order == ours
    assert {s["node_id"] for s in sessions} == {1, 2, 3}


def test_filters(ended, obpctl):
    bob = history(obpctl, "--user", "bob")
    assert {s["user"] for s in bob} == {"bob"}
    assert {ended["client_quit"], ended["client_gone"]} <= {s["cs_id"] for s in bob}
    killed = history(obpctl, "--reason", "killed")
    assert {s["reason"] for s in killed} == {"killed"}
    assert {ended["grpc"], ended["sql"], ended["peer"]} <= {s["cs_id"] for s in killed}
    assert ended_ids(obpctl, "--cs-id", ended["peer"]) == [ended["peer"]]
    assert {s["node_id"] for s in history(obpctl, "--node", 2)} == {2}
    assert ended_ids(obpctl, "--user", "alice", "--reason", "killed", "--node", 1,
                     "--tenant", "sys") == [ended["sql"]]
    assert ended["grpc"] in ended_ids(obpctl, "--host", "127.0.0.1")
    assert ended_ids(obpctl, "--host", "10.9.9.9") == []


def test_since(ended, obpctl, fleet):
    time.sleep(3.2)  # everything the fixture ended is now over 3 s old
    c = fleet.connect(2, "alice")
    c.close()
    assert wait_until(lambda: ended_ids(obpctl, "--since", "3") == [c.thread_id()], SHOWN_S), \
        ended_ids(obpctl, "--since", "3")
    assert set(ended.values()) <= set(ended_ids(obpctl, "--since", "10m"))


def test_table_and_wide(ended, obpctl):
    grpc = history(obpctl, "--cs-id", ended["grpc"])[0]
    out = obpctl.ok("sessions", "history", "--user", "alice", "--reason", "killed")
    assert out.splitlines()[0].split() == ["ENDED", "NODE", "CS_ID", "USER", "TENANT", "HOST",
                                           "REASON", "DETAIL"], out
    rows = {int(r["CS_ID"]): r for r in parse_table(out)}
    row = rows[ended["grpc"]]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", row["ENDED"]), row
    assert (row["NODE"], row["USER"], row["REASON"]) == ("3", "alice", "killed"), row
    assert row["DETAIL"] == f"by {grpc['actor']} via grpc: history via grpc", row
    wide = {int(r["CS_ID"]): r for r in parse_table(
        obpctl.ok("sessions", "history", "--cs-id", ended["grpc"], "-o", "wide"))}
    w = wide[ended["grpc"]]
    assert w["LAST_STATEMENT"] == "SELECT 'grpc victim'", w
    assert w["DB"] == "NULL" and int(w["STMTS"]) >= 1 and int(w["IN"]) > 0, w


def test_unreachable_node_is_partial(ended, obpctl, fleet):
    fleet.sigstop(3)
    try:
        r = obpctl.run("--timeout", "0.5", "sessions", "history")
    finally:
        fleet.sigcont(3)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert f"obpctl: node 3 ({fleet.grpc[3]}): deadline exceeded" in r.stderr, r.stderr
    nodes = {r["NODE"] for r in parse_table(r.stdout)}
    assert nodes == {"1", "2"}, r.stdout


def test_reason_must_be_one_of_the_nine(obpctl):
    r = obpctl.run("sessions", "history", "--reason", "timeout")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert 'unknown reason "timeout"' in r.stderr, r.stderr
    for word in ("client_quit", "idle_timeout", "login_failed", "drain", "error"):
        assert word in r.stderr, r.stderr
    assert obpctl.run("sessions", "history", "--since", "-5m").returncode == 1


def test_a_node_that_forgot_says_since_when(backends):
    small = Fleet(backends, node_ids=(1,), extra={"history_size": 3})
    try:
        small.start()
        ctl = Obpctl(small)
        ids = []
        for _ in range(6):
            c = small.connect(1, "bob")
            conn_id(c)
            ids.append(c.thread_id())
            c.close()
            # One at a time: two sessions closed back to back end on two threads, and
            # the ring keeps them in the order they ended, not the order of the closes.
            assert wait_until(lambda: ids[-1] in ended_ids(ctl), SHOWN_S), ids
        assert wait_until(lambda: ended_ids(ctl) == ids[3:], SHOWN_S), ended_ids(ctl)
        r = ctl.run("sessions", "history", "--since", "1h", "-o", "json")
        assert r.returncode == 0, (r.stdout, r.stderr)
        note = re.fullmatch(r"obpctl: node 1 remembers sessions only since (\S+) "
                            r"\(history_size 3; (\d+) older ones forgotten\)\n", r.stderr)
        assert note and int(note.group(2)) >= 3, r.stderr
        (node,) = json.loads(r.stdout)["nodes"]
        assert node["history_size"] == 3 and int(node["forgotten"]) >= 3, node
        # Asked only for what it still has: no note.
        time.sleep(1.2)
        c = small.connect(1, "bob")
        c.close()
        assert wait_until(lambda: ctl.run("sessions", "history", "--since", "1").stdout.count(
            "client_quit") == 1, SHOWN_S)
        assert ctl.run("sessions", "history", "--since", "1").stderr == ""
    finally:
        small.close()
