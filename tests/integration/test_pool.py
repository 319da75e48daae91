"""The backend connection pool (issue 5): a client session's clean server sessions are
reset and reused by the next login of the same user and tenant; a kill, an open
transaction or a busy statement never lets one back in; limits and idle timeout hold.
Everything is observed as a user would: CONNECTION_ID(), session variables, the
backend's processlist, SHOW PROXYSESSION ATTRIBUTE."""

import struct
import time

import pymysql
import pytest

from background import Background
from conftest import pconnect, query
from sandbox import wait_until
from thread_ids import conn_id

SETTLE_S = 5.0


def backend_threads(db, user="app"):
    return {r["ID"] for r in db.processlist() if r["USER"] == user}


def attributes(conn):
    with conn.cursor() as cur:
        cur.execute("SHOW PROXYSESSION ATTRIBUTE")
        return [(r[0], r[1], r[2]) for r in cur.fetchall()]


def pool_idle(conn, backend="primary"):
    rows = [v for n, v, i in attributes(conn) if n == "pool_idle" and i == f"pool [{backend}]"]
    assert len(rows) == 1, attributes(conn)
    return int(rows[0])


def returned_without_reset(conn, backend="primary"):
    rows = [v for n, v, i in attributes(conn)
            if n == "pool_returned_without_reset" and i == f"pool [{backend}]"]
    assert len(rows) == 1, attributes(conn)
    return int(rows[0])


def backend_id(conn):
    """The backend connection id of the session's server session, read from SHOW
    PROXYSESSION ATTRIBUTE: proxyd answers it, so nothing reaches the backend."""
    rows = [v for n, v, i in attributes(conn) if n == "server_sessid" and i == "curr used ss"]
    assert len(rows) == 1, attributes(conn)
    return int(rows[0])


def from_pool(conn):
    """from_pool of the session's server session in use."""
    rows = [v for n, v, i in attributes(conn) if n == "from_pool" and i == "curr used ss"]
    assert len(rows) == 1, attributes(conn)
    return rows[0] == "1"


@pytest.fixture
def pool_node(proxy_factory):
    """One io thread, so every session shares one pool and the limits are exact."""
    p = proxy_factory.start(extra={"threads": 1, "pool_max_idle_per_backend": 2})
    yield p
    p.stop()
    p.assert_sanitizer_clean()


@pytest.fixture
def watcher(pool_node):
    c = pconnect(pool_node, "admin")
    yield c
    c.close()


def quit_and_pool(conn, watcher, expect_idle):
    conn.close()
    assert wait_until(lambda: pool_idle(watcher) == expect_idle), attributes(watcher)


def test_pool_off_quit_ends_backend_thread(proxy_factory, primary):
    node = proxy_factory.start(extra={"pool_max_idle_per_backend": 0})
    conn = pconnect(node)
    cid = conn_id(conn)
    conn.close()
    assert wait_until(lambda: cid not in backend_threads(primary)), \
        f"backend thread {cid} still there {SETTLE_S} s after the client quit"


def test_next_login_reuses_reset_connection(pool_node, watcher, primary):
    first = pconnect(pool_node, database="testdb")
    cid = conn_id(first)
    assert not from_pool(first)
    query(first, "SET @x = 5, SESSION sql_mode = 'ANSI', NAMES latin1")
    query(first, "CREATE TEMPORARY TABLE tmp_pool (a INT)")
    query(first, "PREPARE st FROM 'SELECT 1'")
    quit_and_pool(first, watcher, 1)
    assert cid in backend_threads(primary)  # kept open, idle, in the pool

    second = pconnect(pool_node, database="testdb")
    try:
        assert conn_id(second) == cid
        assert from_pool(second)
        assert pool_idle(watcher) == 0
        # Nothing of the first session leaks into the second.
        assert query(second, "SELECT @x, @@sql_mode = @@GLOBAL.sql_mode, DATABASE()") == \
            ((None, 1, "testdb"),)
        assert query(second, "SELECT @@character_set_client")[0][0] == "utf8mb4"
        with pytest.raises(pymysql.err.ProgrammingError):
            query(second, "SELECT * FROM tmp_pool")
        with pytest.raises(pymysql.err.OperationalError) as e:
            query(second, "EXECUTE st")
        assert e.value.args[0] == 1243  # unknown prepared statement
    finally:
        second.close()


def test_reuse_follows_the_new_login(pool_node, watcher, primary):
    first = pconnect(pool_node, database="testdb")
    cid = conn_id(first)
    quit_and_pool(first, watcher, 1)
    # No database at login: a pooled connection in testdb is not handed out (a
    # backend can't leave a database), so this one is fresh.
    plain = pconnect(pool_node)
    try:
        assert query(plain, "SELECT DATABASE()") == ((None,),)
        assert conn_id(plain) != cid
    finally:
        quit_and_pool(plain, watcher, 2)
    # Another database: a pooled one is reused, then switched.
    other = pconnect(pool_node, database="mysql")
    try:
        assert query(other, "SELECT DATABASE()") == (("mysql",),)
        assert from_pool(other)
        assert pool_idle(watcher) == 1
    finally:
        other.close()


def test_other_user_never_gets_it(pool_node, watcher, primary):
    first = pconnect(pool_node, "app")
    cid = conn_id(first)
    quit_and_pool(first, watcher, 1)
    alice = pconnect(pool_node, "alice")
    try:
        assert conn_id(alice) != cid
        assert not from_pool(alice)
        assert query(alice, "SELECT CURRENT_USER()")[0][0].startswith("alice@")
    finally:
        alice.close()
    assert pool_idle(watcher) >= 1


def test_idle_limit_per_backend(pool_node, watcher, primary):
    conns = [pconnect(pool_node) for _ in range(4)]
    cids = [conn_id(c) for c in conns]
    for c in conns:
        c.close()
    assert wait_until(lambda: len(backend_threads(primary) & set(cids)) == 2), \
        (cids, backend_threads(primary))
    assert pool_idle(watcher) == 2


def test_idle_timeout_closes_pooled(proxy_factory, primary):
    node = proxy_factory.start(extra={"threads": 1, "pool_idle_timeout_s": 1})
    first = pconnect(node)
    cid = conn_id(first)
    first.close()
    time.sleep(1.5)
    second = pconnect(node)
    try:
        assert conn_id(second) != cid
        assert wait_until(lambda: cid not in backend_threads(primary))
    finally:
        second.close()


def test_kill_of_busy_session_is_not_pooled(pool_node, watcher, primary):
    victim = pconnect(pool_node, read_timeout=30)
    cid = conn_id(victim)
    job = Background(victim, "SELECT SLEEP(30)")
    assert wait_until(lambda: any(r["ID"] == cid and r["INFO"] == "SELECT SLEEP(30)"
                                  for r in primary.processlist()))
    query(watcher, f"KILL {victim.thread_id()}")
    job.join(5)
    assert not job.is_alive()
    assert wait_until(lambda: cid not in backend_threads(primary), 1.0)
    assert pool_idle(watcher) == 0
    fresh = pconnect(pool_node)
    try:
        assert conn_id(fresh) != cid
        assert not from_pool(fresh)
    finally:
        fresh.close()


@pytest.mark.parametrize("how", ["kill", "quit"])
def test_session_in_transaction_is_not_pooled(how, pool_node, watcher, primary):
    primary.sql("CREATE TABLE IF NOT EXISTS testdb.pool_lock (id INT PRIMARY KEY, v INT)")
    primary.sql("REPLACE INTO testdb.pool_lock VALUES (1, 10)")
    victim = pconnect(pool_node)
    cid = conn_id(victim)
    query(victim, "BEGIN")
    query(victim, "UPDATE testdb.pool_lock SET v = 11 WHERE id = 1")
    if how == "kill":
        query(watcher, f"KILL {victim.thread_id()}")
    else:
        victim.close()  # COM_QUIT with the transaction open
    assert wait_until(lambda: cid not in backend_threads(primary)), "thread kept after " + how
    assert pool_idle(watcher) == 0
    # The transaction was rolled back and its lock is free.
    assert primary.sql("SELECT v FROM testdb.pool_lock WHERE id = 1") == [(10,)]
    other = pconnect(pool_node, "bob")
    try:
        query(other, "SET SESSION innodb_lock_wait_timeout = 2")
        query(other, "UPDATE testdb.pool_lock SET v = 12 WHERE id = 1")
    finally:
        other.close()


def test_kill_of_idle_session_is_not_pooled(pool_node, watcher, primary):
    victim = pconnect(pool_node)
    cid = conn_id(victim)
    query(watcher, f"KILL {victim.thread_id()}")
    assert wait_until(lambda: cid not in backend_threads(primary))
    assert pool_idle(watcher) == 0


def test_plain_reads_return_without_reset(pool_node, watcher, primary):
    """A session that only ran plain SELECT/SHOW gives its connection back as it is:
    no COM_RESET_CONNECTION round trip, and the next login still gets a clean one."""
    before = returned_without_reset(watcher)
    first = pconnect(pool_node, database="testdb")
    assert query(first, "SELECT 1") == ((1,),)
    query(first, "SHOW TABLES")
    cid = backend_id(first)
    quit_and_pool(first, watcher, 1)
    assert returned_without_reset(watcher) == before + 1
    second = pconnect(pool_node, database="testdb")
    try:
        got = query(second, "SELECT DATABASE(), @@character_set_client")
        assert backend_id(second) == cid
        assert from_pool(second)
        assert got == (("testdb", "utf8mb4"),)
    finally:
        second.close()


# Statements that look like reads but leave something in the server session; each
# must still send the connection through COM_RESET_CONNECTION. (setup, probe, clean value)
STATE_CARRYING = {
    "user_var_assign": ("SELECT @pool_a := 7", "SELECT @pool_a", ((None,),)),
    "select_into_var": ("SELECT 8 INTO @pool_b", "SELECT @pool_b", ((None,),)),
    "named_lock": ("SELECT GET_LOCK('pool_lock_x', 0)", "SELECT IS_USED_LOCK('pool_lock_x')",
                   ((None,),)),
    "warning": ("SELECT 'abc' + 1", "SHOW WARNINGS", ()),
    "error": ("SELECT * FROM testdb.no_such_table_pool", "SHOW ERRORS", ()),
    "session_var": ("SET SESSION sql_mode = 'ANSI'", "SELECT @@sql_mode = @@GLOBAL.sql_mode",
                    ((1,),)),
}


@pytest.mark.parametrize("case", sorted(STATE_CARRYING))
def test_state_carrying_statements_still_reset(case, pool_node, watcher, primary):
    setup, probe, clean = STATE_CARRYING[case]
    before = returned_without_reset(watcher)
    first = pconnect(pool_node, database="testdb")
    try:
        query(first, setup)
    except pymysql.err.MySQLError:
        assert case == "error"
    cid = backend_id(first)
    quit_and_pool(first, watcher, 1)
    assert returned_without_reset(watcher) == before
    second = pconnect(pool_node, database="testdb")
    try:
        got = query(second, probe)  # first statement: takes the pooled connection
        assert backend_id(second) == cid  # the same connection, reused
        assert got == clean
    finally:
        second.close()


def test_pool_reset_always_resets_plain_reads(proxy_factory, primary):
    node = proxy_factory.start(extra={"threads": 1, "pool_reset": "always"})
    watcher = pconnect(node, "admin")
    try:
        first = pconnect(node, database="testdb")
        query(first, "SELECT 1")
        quit_and_pool(first, watcher, 1)
        assert returned_without_reset(watcher) == 0
    finally:
        watcher.close()
        node.stop()


def test_a_dropped_own_database_is_left_and_its_pooled_connection_moved_back(
        pool_node, watcher, primary):
    """MariaDB leaves a session whose own database is dropped with no database. Found by
    MariaDB's regression suite (sp-for-loop through proxyd after its database was dropped
    and re-created): the pooled connection was handed out as still in it, and the next
    login's first statement got 1046 No database selected."""
    first = pconnect(pool_node)
    try:
        query(first, "CREATE DATABASE IF NOT EXISTS pool_dropped")
        query(first, "USE pool_dropped")
        cid = conn_id(first)
        query(first, "DROP DATABASE pool_dropped")
        assert query(first, "SELECT DATABASE()") == ((None,),)  # as directly
        row = [r for r in query(watcher, "SHOW PROXYSESSION") if r[1] == first.thread_id()]
        assert row and row[0][6] is None, row  # proxyd's own account agrees
        query(first, "CREATE DATABASE pool_dropped")
        quit_and_pool(first, watcher, 1)

        second = pconnect(pool_node, database="pool_dropped")
        try:
            query(second, "CREATE TABLE t_after_drop (a INT)")  # 1046 before the fix
            assert query(second, "SELECT DATABASE()") == (("pool_dropped",),)
            assert from_pool(second), (conn_id(second), cid, attributes(second))
            assert conn_id(second) == cid
        finally:
            second.close()
    finally:
        primary.sql("DROP DATABASE IF EXISTS pool_dropped")


def prepared(conn, sql):
    """Runs `sql` as a server-side prepared statement (COM_STMT_PREPARE, EXECUTE, CLOSE),
    as libmariadb and mariadb-test --ps-protocol send it; PyMySQL itself never does."""
    conn._execute_command(0x16, sql)  # COM_STMT_PREPARE
    ok = conn._read_packet()
    assert ok.get_all_data()[0] == 0, ok.get_all_data()
    stmt_id, columns, params = struct.unpack_from("<IHH", ok.get_all_data(), 1)
    assert columns == 0 and params == 0, (columns, params)
    conn._execute_command(0x17, struct.pack("<IBI", stmt_id, 0, 1))  # COM_STMT_EXECUTE
    reply = conn._read_packet().get_all_data()
    assert reply[0] == 0, reply  # OK
    conn._execute_command(0x19, struct.pack("<I", stmt_id))  # COM_STMT_CLOSE: no reply


def test_a_prepared_use_and_drop_database_are_tracked(pool_node, watcher, primary):
    """MariaDB prepares USE and DROP DATABASE too. Found by mariadb-test --ps-protocol
    through proxyd (signal_demo3 then signal_sqlmode): a prepared USE went unnoticed, so
    after the DROP the pooled connection was handed out as still in the login's database
    and the next login got 1046 No database selected."""
    try:
        first = pconnect(pool_node, database="testdb")
        query(first, "CREATE DATABASE IF NOT EXISTS pool_ps_dropped")
        prepared(first, "USE pool_ps_dropped")
        assert query(first, "SELECT DATABASE()") == (("pool_ps_dropped",),)
        row = [r for r in query(watcher, "SHOW PROXYSESSION") if r[1] == first.thread_id()]
        assert row and row[0][6] == "pool_ps_dropped", row
        prepared(first, "DROP DATABASE pool_ps_dropped")
        assert query(first, "SELECT DATABASE()") == ((None,),)
        cid = conn_id(first)
        quit_and_pool(first, watcher, 1)

        second = pconnect(pool_node, database="testdb")
        try:
            assert conn_id(second) == cid and from_pool(second)
            query(second, "CREATE TEMPORARY TABLE t_ps_after_drop (a INT)")  # 1046 before
            assert query(second, "SELECT DATABASE()") == (("testdb",),)
        finally:
            second.close()
    finally:
        primary.sql("DROP DATABASE IF EXISTS pool_ps_dropped")


@pytest.mark.parametrize("set_global, shown, want, undo", [
    ("SET GLOBAL max_statement_time = 7", "@@session.max_statement_time", 7.0,
     "SET GLOBAL max_statement_time = 0"),
    ("SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE", "@@session.tx_isolation",
     "SERIALIZABLE", "SET GLOBAL TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
])
def test_a_login_after_set_global_gets_the_new_session_defaults(pool_node, watcher, primary,
                                                                set_global, shown, want, undo):
    """A session's defaults are the backend's globals of when its connection logged in or
    was last reset. Found by MariaDB's query_cache_ps_no_prot through proxyd: after SET
    GLOBAL query_cache_type=ON, a connection pooled without a reset still had OFF."""
    first = pconnect(pool_node)
    try:
        before = returned_without_reset(watcher)
        assert query(first, "SELECT 1") == ((1,),)  # a plain read: pooled without a reset
        cid = backend_id(first)
        quit_and_pool(first, watcher, 1)
        assert returned_without_reset(watcher) == before + 1
        query(watcher, set_global)
        second = pconnect(pool_node)
        try:
            assert query(second, "SELECT 2") == ((2,),)
            assert backend_id(second) == cid and from_pool(second)
            assert query(second, f"SELECT {shown}") == ((want,),)
        finally:
            second.close()
    finally:
        primary.sql(undo)


def test_a_connection_opened_under_a_smaller_max_allowed_packet_is_not_reused(
        pool_node, watcher, primary):
    """MariaDB sizes a connection's packet limit at login, and COM_RESET_CONNECTION does
    not change it (the variable reads the new value, a 60 KB statement still gets 1153).
    Found by mysql-test through proxyd: cast sets max_allowed_packet to 2048 and back,
    and comment_column2 failed on a connection cast had opened in between."""
    (orig,), = query(watcher, "SELECT @@global.max_allowed_packet")
    try:
        query(watcher, "SET GLOBAL max_allowed_packet = 2048")
        small = pconnect(pool_node)
        assert query(small, "SELECT 1") == ((1,),)
        cid = backend_id(small)
        quit_and_pool(small, watcher, 1)
        query(watcher, f"SET GLOBAL max_allowed_packet = {orig}")
        later = pconnect(pool_node)
        try:
            big = "SELECT '" + "x" * 60000 + "' AS big"
            assert len(query(later, big)[0][0]) == 60000  # 1153 on the old connection
            assert backend_id(later) != cid and not from_pool(later)
        finally:
            later.close()
    finally:
        primary.sql(f"SET GLOBAL max_allowed_packet = {orig}")


def test_a_connection_that_profiled_is_not_pooled(pool_node, watcher):
    """COM_RESET_CONNECTION keeps MariaDB's profiling history: the next login would see
    the previous client's statements in SHOW PROFILES (mysql-test's show_profile)."""
    first = pconnect(pool_node)
    query(first, "SET profiling = 1")
    query(first, "SELECT 'secret statement'")
    cid = backend_id(first)
    first.close()
    second = pconnect(pool_node)
    try:
        query(second, "SET profiling = 1")
        query(second, "SELECT 1")
        shown = [r[2] for r in query(second, "SHOW PROFILES")]
        assert not any("secret" in q for q in shown), shown
        assert backend_id(second) != cid
    finally:
        second.close()


def test_a_login_with_a_database_reuses_one_pooled_by_a_login_without(pool_node, watcher):
    """Naming a database at login (CLIENT_CONNECT_WITH_DB) is not part of what a pooled
    connection must match: proxyd moves it to the database."""
    first = pconnect(pool_node)
    cid = conn_id(first)
    quit_and_pool(first, watcher, 1)
    second = pconnect(pool_node, database="testdb")
    try:
        assert conn_id(second) == cid and from_pool(second)
        assert query(second, "SELECT DATABASE()") == (("testdb",),)
    finally:
        second.close()
