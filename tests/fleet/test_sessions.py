"""obpctl nodes / sessions list / sessions show against three real proxyd nodes: what an
operator sees (SPEC §5): every node's sessions merged with a NODE column, sorted by node then
cs_id, filters, JSON, node rows, one session's attributes found by cs_id or connection id.
"""

import re
import threading

import pytest

from conftest import (Opener, conn_id, node_of, parse_table, query, wait_until)

# (node, user, database) of the idle sessions every test here sees.
LAYOUT = [(1, "app", "testdb"), (1, "alice", None), (2, "bob", "otherdb"), (2, "app", None),
          (3, "alice", "testdb"), (3, "bob", None), (3, "app", "otherdb")]
SLEEP_NODE = 2  # one more session (bob) runs SELECT SLEEP on this node
SLEEP_S = 60


class Population:
    """The sessions of LAYOUT, each with a server session on primary, plus one busy one."""

    def __init__(self, fleet):
        self.opener = Opener(fleet)
        self.sessions = []  # dicts: node, user, db, cs_id, conn_id, port, conn
        for node, user, db in LAYOUT:
            c = self.opener(node, user, db)
            self.sessions.append({"node": node, "user": user, "db": db, "cs_id": c.thread_id(),
                                  "conn_id": conn_id(c), "port": c._sock.getsockname()[1],
                                  "conn": c})
        self.busy = self.opener(SLEEP_NODE, "bob", read_timeout=SLEEP_S + 10)
        self.busy_cs_id = self.busy.thread_id()
        self.busy_result = []
        self.thread = threading.Thread(target=self._sleep, daemon=True)
        self.thread.start()
        self.admin = {n: self.opener(n, "admin") for n in (1, 2, 3)}

    def _sleep(self):
        try:
            self.busy_result.append(query(self.busy, f"SELECT SLEEP({SLEEP_S})"))
        except Exception as e:  # noqa: BLE001 - recorded for the test to look at
            self.busy_result.append(e)

    def expected(self):
        """(node, cs_id, user) of every session, as obpctl should list them."""
        rows = [(s["node"], s["cs_id"], s["user"]) for s in self.sessions]
        rows.append((SLEEP_NODE, self.busy_cs_id, "bob"))
        rows += [(n, c.thread_id(), "admin") for n, c in self.admin.items()]
        return sorted(rows)

    def close(self):
        # Stop the SLEEP on its node (a local KILL QUERY) so the thread ends in bounded time.
        query(self.admin[SLEEP_NODE], f"KILL QUERY {self.busy_cs_id}")
        self.thread.join(15)
        self.opener.close()


@pytest.fixture(scope="module")
def pop(fleet, obpctl):
    p = Population(fleet)
    # The busy session is listed as executing before any test looks.
    assert wait_until(lambda: any(
        s["cs_id"] == p.busy_cs_id and s["state"] == "MCS_ACTIVE_READER"
        for s in obpctl.json("sessions", "list")["sessions"]), 10)
    yield p
    p.close()


def listed(obpctl, *args):
    return [(int(r["NODE"]), int(r["CS_ID"]), r["USER"])
            for r in parse_table(obpctl.ok("sessions", "list", *args))]


def test_list_every_session_of_every_node_sorted(pop, obpctl):
    rows = parse_table(obpctl.ok("sessions", "list"))
    got = [(int(r["NODE"]), int(r["CS_ID"]), r["USER"]) for r in rows]
    assert got == pop.expected()
    assert got == sorted(got)
    for r in rows:
        assert node_of(int(r["CS_ID"])) == int(r["NODE"]), r
        assert r["TENANT"] == "sys"
    by_cs = {int(r["CS_ID"]): r for r in rows}
    for s in pop.sessions:
        r = by_cs[s["cs_id"]]
        assert r["DB"] == (s["db"] or "NULL"), r
        assert r["HOST"] == f"127.0.0.1:{s['port']}", r
        assert r["STATE"] == "MCS_KEEP_ALIVE", r
        assert r["SS"] == "1", r


def test_list_wide_shows_connection_ids(pop, obpctl):
    rows = {int(r["CS_ID"]): r for r in parse_table(obpctl.ok("sessions", "list", "-o", "wide"))}
    for s in pop.sessions:
        assert rows[s["cs_id"]]["CONN_IDS"] == f"primary:{s['conn_id']}", rows[s["cs_id"]]
    assert "SLEEP" in rows[pop.busy_cs_id]["STATEMENT"]


def test_list_json_has_every_session_with_node_id(pop, obpctl):
    doc = obpctl.json("sessions", "list")
    assert doc["errors"] == []
    got = [(s["node_id"], s["cs_id"], s["user"]) for s in doc["sessions"]]
    assert got == pop.expected()
    by_cs = {s["cs_id"]: s for s in doc["sessions"]}
    for s in pop.sessions:
        j = by_cs[s["cs_id"]]
        assert j["node_id"] == s["node"]
        assert j.get("db") == s["db"]  # absent when NULL
        assert j["client_host"] == f"127.0.0.1:{s['port']}"
        assert [ss["backend"] for ss in j["server_sessions"]] == ["primary"]
        assert int(j["server_sessions"][0]["connection_id"]) == s["conn_id"]


@pytest.mark.parametrize("user", ["app", "alice", "bob", "carol"])
def test_filter_user(pop, obpctl, user):
    assert listed(obpctl, "--user", user) == [e for e in pop.expected() if e[2] == user]


@pytest.mark.parametrize("node", [1, 2, 3])
def test_filter_node(pop, obpctl, node):
    assert listed(obpctl, "--node", node) == [e for e in pop.expected() if e[0] == node]


def test_filter_unknown_node_is_not_found(pop, obpctl):
    r = obpctl.run("sessions", "list", "--node", 9)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "node 9" in r.stderr


@pytest.mark.parametrize("db", ["testdb", "otherdb", "nodb"])
def test_filter_db(pop, obpctl, db):
    want = sorted((s["node"], s["cs_id"], s["user"]) for s in pop.sessions if s["db"] == db)
    assert listed(obpctl, "--db", db) == want


def test_filter_state(pop, obpctl):
    assert listed(obpctl, "--state", "MCS_ACTIVE_READER") == [(SLEEP_NODE, pop.busy_cs_id, "bob")]
    idle = listed(obpctl, "--state", "MCS_KEEP_ALIVE")
    assert idle == [e for e in pop.expected() if e[1] != pop.busy_cs_id]
    r = obpctl.run("sessions", "list", "--state", "SLEEPY")
    assert r.returncode == 1 and "SLEEPY" in r.stderr, (r.returncode, r.stderr)


def test_filter_host(pop, obpctl):
    s = pop.sessions[4]
    assert listed(obpctl, "--host", f"127.0.0.1:{s['port']}") == [(s["node"], s["cs_id"], s["user"])]
    assert listed(obpctl, "--host", "127.0.0.1") == pop.expected()
    assert listed(obpctl, "--host", "10.9.8.7") == []


def test_filter_host_prefix(pop, obpctl):
    # SessionFilter.client_host: "a prefix ending in '*' matched against the ip:port text".
    s = pop.sessions[4]
    assert listed(obpctl, "--host", "127.0.*") == pop.expected()
    assert listed(obpctl, "--host", f"127.0.0.1:{s['port']}*") == [
        (s["node"], s["cs_id"], s["user"])]
    assert listed(obpctl, "--host", "10.*") == []


def test_filters_combine(pop, obpctl):
    assert listed(obpctl, "--user", "alice", "--node", 3) == [
        (3, pop.sessions[4]["cs_id"], "alice")]
    assert listed(obpctl, "--user", "app", "--db", "otherdb") == [
        (3, pop.sessions[6]["cs_id"], "app")]


def test_nodes(pop, fleet, obpctl):
    rows = parse_table(obpctl.ok("nodes"))
    assert [int(r["NODE"]) for r in rows] == [1, 2, 3]
    counts = {}
    for n, _, _ in pop.expected():
        counts[n] = counts.get(n, 0) + 1
    for r in rows:
        n = int(r["NODE"])
        assert r["ADDRESS"] == fleet.grpc[n]
        assert r["STATE"] == "ok", r
        assert int(r["SESSIONS"]) == counts[n], (r, counts)
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", r["VERSION"]), r
        assert re.fullmatch(r"(\d+[dhms]|\d+ms)+", r["UPTIME"]), r


def test_nodes_json(pop, fleet, obpctl):
    doc = obpctl.json("nodes")
    assert [n["node_id"] for n in doc["nodes"]] == [1, 2, 3]
    for n in doc["nodes"]:
        assert n["ok"] is True and n["error"] == ""
        info = n["info"]
        assert info["node_id"] == n["node_id"]
        assert int(info["pid"]) == fleet.nodes[n["node_id"]].pid
        assert info["sql_address"] == f"127.0.0.1:{fleet.nodes[n['node_id']].port}"
        assert info["version"] and info["started_at"]
        assert [b["name"] for b in info["backends"]] == ["primary", "replica1"]


def test_nodes_json_backend_state(pop, obpctl):
    # Every session of LAYOUT holds one server session on primary; nobody used replica1.
    doc = obpctl.json("nodes")
    for n in doc["nodes"]:
        primary, replica1 = n["info"]["backends"]
        want = sum(1 for s in pop.sessions if s["node"] == n["node_id"]) + (
            1 if n["node_id"] == SLEEP_NODE else 0)
        assert primary["state"] == "BACKEND_UP", primary
        assert primary["active"] == want, (n["node_id"], primary)
        assert replica1["state"] == "BACKEND_UNKNOWN" and replica1["active"] == 0, replica1


def _show_fields(text):
    """The FIELD/VALUE table and the SERVER SESSIONS table of `sessions show`."""
    head, rest = text.split("\nSERVER SESSIONS\n", 1)
    servers = rest.split("\nVARIABLES\n", 1)[0]
    fields = {r["FIELD"]: r["VALUE"] for r in parse_table(head)}
    return fields, parse_table(servers)


def test_show_by_cs_id_on_node_3(pop, obpctl):
    s = pop.sessions[4]  # alice on node 3, db testdb
    fields, servers = _show_fields(obpctl.ok("sessions", "show", "--cs-id", s["cs_id"]))
    assert fields["node_id"] == "3"
    assert fields["cs_id"] == str(s["cs_id"])
    assert fields["user"] == "alice" and fields["tenant"] == "sys" and fields["db"] == "testdb"
    assert fields["host"] == f"127.0.0.1:{s['port']}"
    assert fields["state"] == "MCS_KEEP_ALIVE"
    assert [(r["BACKEND"], int(r["CONN_ID"]), r["IN_USE"]) for r in servers] == [
        ("primary", s["conn_id"], "yes")]


def test_show_by_conn_id_finds_the_session(pop, obpctl):
    s = pop.sessions[5]  # bob on node 3
    fields, servers = _show_fields(obpctl.ok("sessions", "show", "--conn-id", s["conn_id"]))
    assert fields["node_id"] == "3" and fields["cs_id"] == str(s["cs_id"])
    assert fields["user"] == "bob"
    assert [int(r["CONN_ID"]) for r in servers] == [s["conn_id"]]
    doc = obpctl.json("sessions", "show", "--conn-id", s["conn_id"])
    assert doc["node_id"] == 3 and doc["session"]["cs_id"] == s["cs_id"]
    assert [int(x["connection_id"]) for x in doc["session"]["server_sessions"]] == [s["conn_id"]]


def test_show_busy_session_shows_statement(pop, obpctl):
    doc = obpctl.json("sessions", "show", "--cs-id", pop.busy_cs_id)
    assert doc["session"]["state"] == "MCS_ACTIVE_READER"
    assert f"SLEEP({SLEEP_S})" in doc["session"]["current_statement"]


def test_show_unknown_ids_are_not_found(pop, obpctl):
    gone = (3 << 18) | 0x3FFFF  # a cs_id of node 3 nobody holds
    r = obpctl.run("sessions", "show", "--cs-id", gone)
    assert r.returncode == 1, (r.stdout, r.stderr)
    r = obpctl.run("sessions", "show", "--conn-id", 987654)
    assert r.returncode == 1, (r.stdout, r.stderr)
    r = obpctl.run("sessions", "show", "--cs-id", (9 << 18) | 1)  # node 9 is not in the fleet
    assert r.returncode == 1 and "node 9" in r.stderr, (r.stdout, r.stderr)


def pooled(obpctl, node):
    table = {int(r["NODE"]): r for r in parse_table(obpctl.ok("nodes"))}
    doc = {n["node_id"]: n for n in obpctl.json("nodes")["nodes"]}
    primary = doc[node]["info"]["backends"][0]
    assert primary["name"] == "primary"
    per_backend = sum(b.get("pooled_idle", 0) for b in doc[node]["info"]["backends"])
    assert int(table[node]["POOLED"]) == per_backend
    return primary.get("pooled_idle", 0)


def test_nodes_show_pooled_server_sessions(pop, fleet, obpctl):
    before = pooled(obpctl, 2)
    c = fleet.connect(2)
    query(c, "SELECT 1")
    c.close()  # its server session is reset and kept in node 2's pool
    assert wait_until(lambda: pooled(obpctl, 2) == before + 1, 5), pooled(obpctl, 2)
    # Each io thread keeps its own pool and the kernel spreads logins over threads:
    # log in until one lands on the thread holding it (bounded), keeping the others
    # open so they don't refill a pool meanwhile.
    opened = []
    try:
        for _ in range(24):
            again = fleet.connect(2)
            opened.append(again)
            query(again, "SELECT 1")
            rows = query(again, "SHOW PROXYSESSION ATTRIBUTE LIKE 'from_pool'")
            if rows and rows[0][1] == "1":
                break
        else:
            pytest.fail("no login on node 2 reused the pooled server session")
        assert pooled(obpctl, 2) == before
    finally:
        for o in opened:
            o.close()
