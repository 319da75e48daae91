"""SPEC §3 SHOW PROXYSESSION [ATTRIBUTE|VARIABLES], seen through pymysql as a user sees them.

Tests that resolve ids start their own proxyd node (fixture `node`) so that no session of
another test holds the same backend connection id (which would make the id ambiguous).
"""

import time

import pymysql
import pytest

from conftest import pconnect, query

LIST_COLUMNS = ["proxy_sessid", "Id", "Cluster", "Tenant", "User", "Host", "db", "trans_count",
                "svr_session_count", "state", "tid", "pid", "using_ssl"]
CS_COMMON = ["proxy_sessid", "cs_id", "node_id", "cluster", "tenant", "user", "host_ip",
             "host_port", "db", "total_trans_cnt", "svr_session_cnt", "active", "read_state",
             "tid", "pid", "using_ssl"]
CS_STAT = ["created_time", "last_active_time", "current_command", "current_statement",
           "statement_time_ms", "bytes_from_client", "bytes_to_client"]
SS_ATTRS = ["ss_id", "backend", "server_ip", "server_port", "server_sessid", "state",
            "transact_count", "in_transaction", "from_pool", "using_ssl"]
# After the server sessions, per backend of the tenant: the node's idle pooled
# connections, and how many came back to the pool without a reset.
POOL_ROWS = [("pool_idle", "pool [primary]"), ("pool_returned_without_reset", "pool [primary]"),
             ("pool_idle", "pool [replica1]"), ("pool_returned_without_reset", "pool [replica1]")]
HINT_REPLICA = "/*+ proxyd: backend=replica1 */ "


def expect_error(conn, sql, code, sqlstate=None, message=None):
    """Runs sql, which must fail with `code`; returns the exception."""
    with pytest.raises(pymysql.err.MySQLError) as info:
        query(conn, sql)
    e = info.value
    assert e.args[0] == code, (sql, e.args)
    if sqlstate is not None:
        assert getattr(e, "sqlstate", None) == sqlstate, (sql, e.args, getattr(e, "sqlstate", None))
    if message is not None:
        assert e.args[1] == message, (sql, e.args)
    return e


def show(conn, sql="SHOW PROXYSESSION"):
    """Runs a SHOW; returns (column names, rows as dicts)."""
    with conn.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        return names, [dict(zip(names, r)) for r in cur.fetchall()]


def sessions(conn):
    return show(conn)[1]


def by_id(conn):
    return {int(r["Id"]): r for r in sessions(conn)}


def attrs(conn, target=None, like=None):
    sql = "SHOW PROXYSESSION ATTRIBUTE" + (f" {target}" if target is not None else "")
    if like is not None:
        sql += f" LIKE '{like}'"
    return show(conn, sql)[1]


def client_addr(conn):
    ip, port = conn._sock.getsockname()[:2]
    return f"{ip}:{port}"


def conn_id(conn, hint=""):
    return query(conn, hint + "SELECT CONNECTION_ID()")[0][0]


def open_(closing, proxy, user="app", **kw):
    c = pconnect(proxy, user, **kw)
    closing.append(c)
    return c


# ---- SHOW PROXYSESSION -------------------------------------------------------------------

def test_list_columns_in_order(proxy, closing):
    me = open_(closing, proxy)
    names, rows = show(me)
    assert names == LIST_COLUMNS
    assert rows


def test_list_rows_sorted_by_id(node, closing):
    admin = open_(closing, node, "admin")
    for user in ("app", "alice", "bob", "app", "alice"):
        open_(closing, node, user)
    ids = [int(r["Id"]) for r in sessions(admin)]
    assert len(ids) == 6
    assert ids == sorted(ids)


def test_list_own_row_and_idle_row(node, closing, primary):
    me = open_(closing, node)
    other = open_(closing, node, database="testdb")
    query(other, "SELECT 1")
    rows = by_id(me)
    mine, theirs = rows[me.thread_id()], rows[other.thread_id()]
    assert mine["state"] == "MCS_ACTIVE_READER"
    assert theirs["state"] == "MCS_KEEP_ALIVE"
    assert mine["Host"] == client_addr(me)
    assert theirs["Host"] == client_addr(other)
    assert mine["db"] is None
    assert theirs["db"] == "testdb"
    assert (mine["Cluster"], mine["Tenant"], mine["User"]) == ("test", "sys", "app")
    assert int(mine["pid"]) == node.pid
    assert int(mine["using_ssl"]) == 0
    assert int(mine["proxy_sessid"]) != int(theirs["proxy_sessid"])
    # USE changes db; the list follows it.
    query(me, "USE testdb")
    assert by_id(me)[me.thread_id()]["db"] == "testdb"


def test_list_server_session_count(node, closing):
    watcher = open_(closing, node)
    s = open_(closing, node)
    assert int(by_id(watcher)[s.thread_id()]["svr_session_count"]) == 0  # opened lazily
    query(s, "SELECT 1")
    assert int(by_id(watcher)[s.thread_id()]["svr_session_count"]) == 1
    query(s, HINT_REPLICA + "SELECT 1")
    assert int(by_id(watcher)[s.thread_id()]["svr_session_count"]) == 2
    query(s, "SELECT 1")
    assert int(by_id(watcher)[s.thread_id()]["svr_session_count"]) == 2


def test_list_trans_count(node, closing):
    watcher = open_(closing, node)
    s = open_(closing, node, database="testdb")
    before = int(by_id(watcher)[s.thread_id()]["trans_count"])
    # Once the client has its COMMIT's OK, every other connection sees the count:
    # the session publishes before the reply's last bytes leave (repeated, because
    # a publish after the reply would only show as an occasional stale read).
    for i in range(1, 41):
        query(s, "BEGIN")
        query(s, "SELECT 1")
        query(s, "COMMIT")
        assert int(by_id(watcher)[s.thread_id()]["trans_count"]) == before + i


def test_list_db_follows_use_at_once(node, closing):
    watcher = open_(closing, node)
    s = open_(closing, node)
    for i in range(40):
        db = "testdb" if i % 2 == 0 else "mysql"
        query(s, f"USE {db}")
        assert by_id(watcher)[s.thread_id()]["db"] == db


def test_list_visibility(node, closing):
    admin = open_(closing, node, "admin")
    app1 = open_(closing, node, "app")
    app2 = open_(closing, node, "app")
    alice = open_(closing, node, "alice")
    bob = open_(closing, node, "bob")
    app_t2 = open_(closing, node, "app@t2")
    every = {c.thread_id() for c in (admin, app1, app2, alice, bob, app_t2)}
    assert set(by_id(admin)) == every
    assert set(by_id(app1)) == {app1.thread_id(), app2.thread_id()}
    assert set(by_id(app2)) == {app1.thread_id(), app2.thread_id()}
    assert set(by_id(alice)) == {alice.thread_id()}
    assert set(by_id(bob)) == {bob.thread_id()}
    assert set(by_id(app_t2)) == {app_t2.thread_id()}
    assert by_id(admin)[app_t2.thread_id()]["Tenant"] == "t2"


def test_closed_session_leaves_list(node, closing):
    admin = open_(closing, node, "admin")
    gone = pconnect(node)
    gone_id = gone.thread_id()
    assert gone_id in by_id(admin)
    gone.close()
    for _ in range(50):  # the server notices the close asynchronously; bounded wait
        if gone_id not in by_id(admin):
            break
        time.sleep(0.05)
    assert gone_id not in by_id(admin)


@pytest.mark.parametrize("sql", [
    "show proxysession",
    "Show ProxySession",
    "  SHOW    PROXYSESSION  ",
    "SHOW PROXYSESSION;",
    "SHOW PROXYSESSION ;",
    "SHOW\n\tPROXYSESSION",
    "/* who is there */ SHOW PROXYSESSION",
    "SHOW /* mid */ PROXYSESSION",
    "SHOW PROXYSESSION /* tail */",
    "SHOW PROXYSESSION -- tail\n",
    "SHOW PROXYSESSION # tail\n",
])
def test_spelling_variants(proxy, closing, sql):
    me = open_(closing, proxy)
    names, rows = show(me, sql)
    assert names == LIST_COLUMNS
    assert me.thread_id() in {int(r["Id"]) for r in rows}


@pytest.mark.parametrize("sql", [
    "show proxysession attribute like 'cs_id'",
    "SHOW  PROXYSESSION\nATTRIBUTE   LIKE 'cs_id' ;",
    "/* c */ SHOW PROXYSESSION /* c */ ATTRIBUTE LIKE 'cs_id'",
])
def test_attribute_spelling_variants(proxy, closing, sql):
    me = open_(closing, proxy)
    names, rows = show(me, sql)
    assert names == ["attribute_name", "value", "info"]
    assert [(r["attribute_name"], int(r["value"])) for r in rows] == [("cs_id", me.thread_id())]


@pytest.mark.parametrize("sql", [
    "SHOW PROXYSESSION FOO",
    "KILL PROXYSESSION",
    "KILL PROXYSESSION abc",
])
def test_malformed_is_syntax_error_and_session_survives(proxy, closing, sql):
    me = open_(closing, proxy)
    cid = conn_id(me)
    expect_error(me, sql, 1064, "42000")
    assert query(me, "SELECT 1") == ((1,),)
    assert conn_id(me) == cid


# ---- SHOW PROXYSESSION ATTRIBUTE -----------------------------------------------------------

def test_attribute_columns_and_order(node, closing):
    me = open_(closing, node, database="testdb")
    primary_cid = conn_id(me)
    replica_cid = conn_id(me, HINT_REPLICA)
    names, rows = show(me, "SHOW PROXYSESSION ATTRIBUTE")
    assert names == ["attribute_name", "value", "info"]
    got = [(r["attribute_name"], r["info"]) for r in rows]
    head = [(n, "cs common") for n in CS_COMMON] + [(n, "cs stat") for n in CS_STAT]
    assert got[:len(head)] == head
    assert got[-len(POOL_ROWS):] == POOL_ROWS
    tail = got[len(head):-len(POOL_ROWS)]
    assert len(tail) == 2 * len(SS_ATTRS), tail
    groups = [tail[:len(SS_ATTRS)], tail[len(SS_ATTRS):]]
    infos = set()
    for g in groups:
        assert [n for n, _ in g] == SS_ATTRS, g
        assert len({i for _, i in g}) == 1, g
        infos.add(g[0][1])
    assert infos == {"curr used ss", "ss [0]"}

    v = {(r["info"], r["attribute_name"]): r["value"] for r in rows}
    assert int(v[("cs common", "cs_id")]) == me.thread_id()
    assert int(v[("cs common", "node_id")]) == 1
    assert v[("cs common", "cluster")] == "test"
    assert v[("cs common", "tenant")] == "sys"
    assert v[("cs common", "user")] == "app"
    assert f'{v[("cs common", "host_ip")]}:{v[("cs common", "host_port")]}' == client_addr(me)
    assert v[("cs common", "db")] == "testdb"
    assert int(v[("cs common", "svr_session_cnt")]) == 2
    assert int(v[("cs common", "pid")]) == node.pid
    assert v[("cs common", "read_state")] == "MCS_ACTIVE_READER"
    assert "SHOW PROXYSESSION ATTRIBUTE" in v[("cs stat", "current_statement")]
    # The last statement went to replica1, so that server session is the one in use.
    assert v[("curr used ss", "backend")] == "replica1"
    assert int(v[("curr used ss", "server_sessid")]) == replica_cid
    assert v[("ss [0]", "backend")] == "primary"
    assert int(v[("ss [0]", "server_sessid")]) == primary_cid
    assert v[("ss [0]", "server_ip")] == "127.0.0.1"
    ss_ids = {int(v[(i, "ss_id")]) for i in ("curr used ss", "ss [0]")}
    assert len(ss_ids) == 2


def test_attribute_server_sessid_is_connection_id(node, closing, primary):
    me = open_(closing, node)
    cid = conn_id(me)
    v = {r["attribute_name"]: r["value"] for r in attrs(me) if r["info"] == "curr used ss"}
    assert int(v["server_sessid"]) == cid
    assert v["backend"] == "primary"
    assert int(v["server_port"]) == primary.port
    assert v["state"] in ("MSS_INIT", "MSS_ACTIVE", "MSS_KA_CLIENT_SLAVE")


def test_attribute_in_transaction(node, closing):
    me = open_(closing, node, database="testdb")
    watcher = open_(closing, node)
    query(me, "BEGIN")
    query(me, "SELECT 1")
    v = {r["attribute_name"]: r["value"] for r in attrs(watcher, me.thread_id())
         if r["info"] == "curr used ss"}
    assert v["in_transaction"] == "1"
    query(me, "COMMIT")
    v = {r["attribute_name"]: r["value"] for r in attrs(watcher, me.thread_id())
         if r["info"] == "curr used ss"}
    assert v["in_transaction"] == "0"


def test_attribute_like(node, closing):
    me = open_(closing, node)
    conn_id(me)
    conn_id(me, HINT_REPLICA)
    every = [r["attribute_name"] for r in attrs(me)]
    assert [r["attribute_name"] for r in attrs(me, like="ss%")] == ["ss_id", "ss_id"]
    # `_` is one character, so '%_id' is every name of 3+ characters ending in "id".
    want = [n for n in every if len(n) >= 3 and n.endswith("id")]
    assert "proxy_sessid" in want and "tid" in want and "cs_id" in want
    assert [r["attribute_name"] for r in attrs(me, like="%_id")] == want
    assert attrs(me, like="no_such%") == []


def test_attribute_of_other_session_and_visibility(node, closing):
    admin = open_(closing, node, "admin")
    alice = open_(closing, node, "alice")
    alice2 = open_(closing, node, "alice")
    bob = open_(closing, node, "bob")
    app_t2 = open_(closing, node, "app@t2")
    app = open_(closing, node, "app")

    def cs_of(viewer, target):
        rows = attrs(viewer, target, like="cs_id")
        return int(rows[0]["value"])

    assert cs_of(admin, bob.thread_id()) == bob.thread_id()
    assert cs_of(alice2, alice.thread_id()) == alice.thread_id()
    for viewer, target in ((alice, bob), (bob, alice), (app_t2, app), (app, app_t2)):
        tid = target.thread_id()
        expect_error(viewer, f"SHOW PROXYSESSION ATTRIBUTE {tid}", 1094, "HY000",
                     f"Unknown thread id: {tid}")
        expect_error(viewer, f"SHOW PROXYSESSION VARIABLES {tid}", 1094, "HY000",
                     f"Unknown thread id: {tid}")
        assert query(viewer, "SELECT 1") == ((1,),)


def test_attribute_by_connection_id(node, closing):
    admin = open_(closing, node, "admin")
    target = open_(closing, node, "bob")
    cid = conn_id(target)
    rows = attrs(admin, cid)
    v = {(r["info"], r["attribute_name"]): r["value"] for r in rows}
    assert int(v[("cs common", "cs_id")]) == target.thread_id()
    assert int(v[("curr used ss", "server_sessid")]) == cid


def test_attribute_unknown_id(node, closing):
    admin = open_(closing, node, "admin")
    expect_error(admin, "SHOW PROXYSESSION ATTRIBUTE 3999999", 1094, "HY000",
                 "Unknown thread id: 3999999")


# ---- SHOW PROXYSESSION VARIABLES ----------------------------------------------------------

def variables(conn, sql):
    names, rows = show(conn, sql)
    assert names == ["variable_name", "value", "info", "modified_type", "sys_variable_flag"]
    return rows


def test_variables_show_changes(node, closing):
    me = open_(closing, node)
    base = variables(me, "SHOW PROXYSESSION VARIABLES")
    assert not any("sql_mode" in r["variable_name"] for r in base), base
    query(me, "SET SESSION sql_mode = 'ANSI_QUOTES,NO_ZERO_DATE'")
    query(me, "SET @x = 1")
    query(me, "SET NAMES latin1")
    query(me, "SELECT @y := 2")
    rows = variables(me, "SHOW PROXYSESSION VARIABLES")
    text = {r["variable_name"]: r for r in rows}
    # A value a statement other than SET assigned is not one proxyd saw: it says so.
    assert text["@y"]["value"] == "(assigned by a statement)", rows
    assert text["@y"]["sys_variable_flag"] == "user_variable", rows
    sql_mode = [r for n, r in text.items() if "sql_mode" in n.lower()]
    assert len(sql_mode) == 1, rows
    assert "ANSI_QUOTES" in sql_mode[0]["value"].upper()
    assert "NO_ZERO_DATE" in sql_mode[0]["value"].upper()
    user_x = [r for n, r in text.items() if n.lstrip("@") == "x"]
    assert len(user_x) == 1, rows
    assert user_x[0]["value"] == "1"
    assert any("latin1" in (r["value"] or "").lower() for r in rows), rows
    for r in sql_mode + user_x:
        assert r["modified_type"] == "changed", r
    # ALL adds what is still at its default, and keeps the changed ones.
    all_rows = variables(me, "SHOW PROXYSESSION VARIABLES ALL")
    assert len(all_rows) > len(rows)
    assert {r["variable_name"] for r in rows} <= {r["variable_name"] for r in all_rows}
    assert any(r["modified_type"] != "changed" for r in all_rows)
    autocommit = [r for r in all_rows if r["variable_name"] == "autocommit"]
    assert len(autocommit) == 1 and autocommit[0]["value"] in ("1", "ON"), all_rows
    # The session itself really has them.
    assert query(me, "SELECT @x")[0][0] == 1
    assert query(me, "SELECT @@character_set_client")[0][0] == "latin1"


def test_variables_of_other_session_and_like(node, closing):
    me = open_(closing, node)
    other = open_(closing, node)
    query(other, "SET SESSION sql_mode = 'ANSI_QUOTES'")
    query(other, "SET @x = 1")
    rows = variables(me, f"SHOW PROXYSESSION VARIABLES {other.thread_id()}")
    assert any("sql_mode" in r["variable_name"] for r in rows), rows
    mine = variables(me, "SHOW PROXYSESSION VARIABLES")
    assert not any("sql_mode" in r["variable_name"] for r in mine), mine
    liked = variables(me, f"SHOW PROXYSESSION VARIABLES ALL {other.thread_id()} LIKE 'sql%'")
    assert liked and all(r["variable_name"].startswith("sql") for r in liked), liked
    assert variables(me, f"SHOW PROXYSESSION VARIABLES {other.thread_id()} LIKE 'zz%'") == []
