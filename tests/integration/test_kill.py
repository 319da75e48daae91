"""SPEC §3 KILL through proxyd: the permission table, id forms, what a kill does on the
backend (SLEEP stops, row locks free within 1 s), server-session kills and KILL QUERY.

Every test gets a proxyd of its own (fixture `node`), so backend connection ids are not
held by sessions of other tests (that would make a connection_id ambiguous).
"""

import time

import pymysql
import pytest

from conftest import dconnect, pconnect, query
from thread_ids import collide
from sandbox import wait_until
from background import Background

HINT_REPLICA = "/*+ proxyd: backend=replica1 */ "
FORMS = ["KILL PROXYSESSION {}", "KILL {}", "KILL CONNECTION {}", "COM_PROCESS_KILL"]
INTERRUPTED = "Query execution was interrupted"
DEAD_ERRORS = (pymysql.err.OperationalError, pymysql.err.InterfaceError)
PROMPT_S = 1.0  # the SPEC's bound for a kill to take effect on the backend


def expect_error(fn, code, sqlstate=None, message=None):
    """Calls fn, which must fail with MySQL error `code`; returns the exception."""
    with pytest.raises(pymysql.err.MySQLError) as info:
        fn()
    e = info.value
    assert e.args[0] == code, e.args
    if sqlstate is not None:
        assert getattr(e, "sqlstate", None) == sqlstate, (e.args, getattr(e, "sqlstate", None))
    if message is not None:
        assert e.args[1] == message, e.args
    return e


def kill(conn, form, target):
    """Kills `target` in one of the four ways a client can."""
    if form == "COM_PROCESS_KILL":
        conn.kill(target)
    else:
        query(conn, form.format(target))


def conn_id(conn, hint=""):
    return query(conn, hint + "SELECT CONNECTION_ID()")[0][0]


def assert_alive(conn):
    assert query(conn, "SELECT 1") == ((1,),)


def assert_dead(conn):
    """The proxy closed this client connection: the next use fails at the socket."""
    with pytest.raises(DEAD_ERRORS) as info:
        query(conn, "SELECT 1")
    if isinstance(info.value, pymysql.err.OperationalError):
        assert info.value.args[0] in (2006, 2013), info.value.args


def listed(admin):
    with admin.cursor() as cur:
        cur.execute("SHOW PROXYSESSION")
        return {int(r[1]) for r in cur.fetchall()}


def ss_of(viewer, cs_id, info="curr used ss"):
    with viewer.cursor() as cur:
        cur.execute(f"SHOW PROXYSESSION ATTRIBUTE {cs_id} LIKE 'ss_id'")
        rows = [int(r[1]) for r in cur.fetchall() if r[2] == info]
    assert len(rows) == 1, rows
    return rows[0]


def backend_threads(db):
    return {r["ID"]: r for r in db.processlist()}


def wait_running(db, cid, text, timeout=5.0):
    """Waits until backend thread cid is executing a statement containing text."""
    def running():
        r = backend_threads(db).get(cid)
        return r is not None and text in (r["INFO"] or "")
    assert wait_until(running, timeout), (cid, backend_threads(db))


@pytest.fixture
def opener(node, closing):
    def open_(user="app", **kw):
        kw.setdefault("read_timeout", 90)
        c = pconnect(node, user, **kw)
        closing.append(c)
        return c
    return open_


# ---- who may kill whom (every row of the table, every form) ------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_kill_self_is_interrupted_and_closes(form, opener, primary):
    admin = opener("admin")
    me = opener("app")
    cid = conn_id(me)
    expect_error(lambda: kill(me, form, me.thread_id()), 1317, "70100", INTERRUPTED)
    assert_dead(me)
    assert wait_until(lambda: me.thread_id() not in listed(admin), PROMPT_S)
    assert wait_until(lambda: cid not in backend_threads(primary), 2.0)


@pytest.mark.parametrize("form", FORMS)
def test_kill_self_by_connection_id(form, opener):
    admin = opener("admin")
    me = opener("app")
    cid = conn_id(me)
    expect_error(lambda: kill(me, form, cid), 1317, "70100", INTERRUPTED)
    assert_dead(me)
    assert wait_until(lambda: me.thread_id() not in listed(admin), PROMPT_S)


# ---- an expression for the id (MariaDB takes one; the session's backend works it out) ---

def test_kill_connection_id_expression_is_a_self_kill(opener, primary):
    """`KILL CONNECTION_ID()`: the backend's value is this session's backend connection
    id, which proxyd resolves to the session itself (found by MariaDB's aborted_clients
    case through proxyd: 1064 before)."""
    admin = opener("admin")
    me = opener("app")
    cid = conn_id(me)
    expect_error(lambda: query(me, "KILL CONNECTION_ID()"), 1317, "70100", INTERRUPTED)
    assert_dead(me)
    assert wait_until(lambda: me.thread_id() not in listed(admin), PROMPT_S)
    assert wait_until(lambda: cid not in backend_threads(primary), 2.0)


def test_kill_query_with_an_expression_keeps_the_session(opener):
    me = opener("app")
    expect_error(lambda: query(me, "KILL QUERY CONNECTION_ID()"), 1317, "70100")
    assert_alive(me)


def test_kill_expression_values(opener):
    """The value decides as a literal would; the backend's own errors come back as sent."""
    admin = opener("admin")
    victim = opener("alice")
    query(admin, f"SET @victim = {victim.thread_id()}")
    query(admin, "KILL @victim")
    assert_dead(victim)
    # MariaDB's sp-bugs case: the expression is 0, which is nobody.
    expect_error(lambda: query(admin, "KILL (('x' IN ( SELECT 1)) MOD 44)"), 1094,
                 message="Unknown thread id: 0")
    expect_error(lambda: query(admin, "KILL -5"), 1094, message="Unknown thread id: -5")
    expect_error(lambda: query(admin, "KILL NULL"), 1094, message="Unknown thread id: NULL")
    e = expect_error(lambda: query(admin, "KILL no_such_function()"), 1305)
    assert "no_such_function" in e.args[1], e.args
    expect_error(lambda: query(admin, "KILL 5 6"), 1064)
    assert_alive(admin)


@pytest.mark.parametrize("form", FORMS)
def test_admin_kills_anyone(form, opener, primary, replica1):
    admin = opener("admin")
    alice = opener("alice")
    app_t2 = opener("app@t2")
    alice_cid = conn_id(alice)
    t2_cid = conn_id(app_t2)
    kill(admin, form, alice.thread_id())
    kill(admin, form, app_t2.thread_id())
    assert_dead(alice)
    assert_dead(app_t2)
    assert wait_until(lambda: not {alice.thread_id(), app_t2.thread_id()} & listed(admin),
                      PROMPT_S)
    assert wait_until(lambda: alice_cid not in backend_threads(primary), PROMPT_S)
    assert wait_until(lambda: t2_cid not in backend_threads(replica1), PROMPT_S)
    assert_alive(admin)


@pytest.mark.parametrize("form", FORMS)
def test_other_tenant_is_unknown(form, opener):
    app_sys = opener("app")
    app_t2 = opener("app@t2")
    for killer, victim in ((app_t2, app_sys), (app_sys, app_t2)):
        vid = victim.thread_id()
        expect_error(lambda: kill(killer, form, vid), 1094, "HY000", f"Unknown thread id: {vid}")
        assert_alive(victim)
        assert_alive(killer)


@pytest.mark.parametrize("form", FORMS)
def test_same_tenant_other_user_is_not_owner(form, opener):
    alice = opener("alice")
    bob = opener("bob")
    for killer, victim in ((alice, bob), (bob, alice)):
        vid = victim.thread_id()
        expect_error(lambda: kill(killer, form, vid), 1095, "HY000",
                     f"You are not owner of thread {vid}")
        assert_alive(victim)
        assert_alive(killer)


@pytest.mark.parametrize("form", FORMS)
def test_same_user_other_session(form, opener, primary):
    admin = opener("admin")
    killer = opener("app")
    victim = opener("app")
    cid = conn_id(victim)
    kill(killer, form, victim.thread_id())
    assert_dead(victim)
    assert wait_until(lambda: victim.thread_id() not in listed(admin), PROMPT_S)
    assert wait_until(lambda: cid not in backend_threads(primary), PROMPT_S)
    assert_alive(killer)


# ---- id forms -----------------------------------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_kill_by_connection_id(form, opener, primary):
    admin = opener("admin")
    victim = opener("bob")
    bystander = opener("bob")
    assert_alive(bystander)
    cid = conn_id(victim)
    kill(admin, form, cid)
    assert_dead(victim)
    assert_alive(bystander)
    assert wait_until(lambda: victim.thread_id() not in listed(admin), PROMPT_S)
    assert wait_until(lambda: cid not in backend_threads(primary), PROMPT_S)


@pytest.mark.parametrize("form", FORMS)
def test_kill_unknown_id(form, opener):
    admin = opener("admin")
    for unknown in (3999999, (1 << 18) | 0x3FFFE):
        expect_error(lambda: kill(admin, form, unknown), 1094, "HY000",
                     f"Unknown thread id: {unknown}")
    assert_alive(admin)


@pytest.mark.parametrize("form", FORMS)
def test_ambiguous_connection_id(form, opener, primary, replica1):
    admin = opener("admin")
    a, b, cid = collide(lambda: opener("app"), lambda: opener("app"), primary, replica1)
    e = expect_error(lambda: kill(admin, form, cid), 1105, "HY000")
    msg = e.args[1]
    assert msg.startswith(f"Ambiguous connection id {cid}: matches cs_id "), msg
    assert f"cs_id {a.thread_id()} on backend primary" in msg, msg
    assert f"cs_id {b.thread_id()} on backend replica1" in msg, msg
    # Nothing was done.
    assert_alive(a)
    assert_alive(b)
    assert conn_id(a) == cid and conn_id(b, HINT_REPLICA) == cid


def test_ambiguous_connection_id_in_show_and_kill_query(opener, primary, replica1):
    admin = opener("admin")
    a, b, cid = collide(lambda: opener("app"), lambda: opener("app"), primary, replica1)
    for sql in (f"SHOW PROXYSESSION ATTRIBUTE {cid}", f"KILL QUERY {cid}",
                f"KILL PROXYSESSION {cid} 1"):
        e = expect_error(lambda: query(admin, sql), 1105, "HY000")
        assert e.args[1].startswith(f"Ambiguous connection id {cid}:"), (sql, e.args)
    assert_alive(a)
    assert_alive(b)


# ---- what a kill does on the backend ------------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_kill_stops_running_statement(form, opener, primary):
    admin = opener("admin")
    victim = opener("app")
    cid = conn_id(victim)
    job = Background(victim, "SELECT SLEEP(60)")
    wait_running(primary, cid, "SLEEP(60)")
    kill(admin, form, victim.thread_id())
    killed_at = time.monotonic()
    gone = wait_until(lambda: cid not in backend_threads(primary), PROMPT_S)
    assert gone, f"backend thread {cid} still there 1 s after the kill: {backend_threads(primary)}"
    assert job.join(PROMPT_S), "the victim's client got nothing within 1 s of the kill"
    assert isinstance(job.error, DEAD_ERRORS), (job.rows, job.error)
    assert job.done_at - killed_at < PROMPT_S
    assert wait_until(lambda: victim.thread_id() not in listed(admin), PROMPT_S)


@pytest.fixture
def locked_row(primary):
    primary.sql("CREATE TABLE IF NOT EXISTS testdb.locked (id INT PRIMARY KEY, v INT) "
                "ENGINE=InnoDB")
    primary.sql("REPLACE INTO testdb.locked VALUES (1, 10)")
    return "SELECT v FROM testdb.locked WHERE id = 1 FOR UPDATE"


@pytest.mark.parametrize("waiter_via", ["backend", "proxyd"])
def test_kill_frees_row_lock(waiter_via, opener, primary, locked_row):
    admin = opener("admin")
    victim = opener("app")
    cid = conn_id(victim)
    query(victim, "BEGIN")
    assert query(victim, locked_row) == ((10,),)
    if waiter_via == "backend":
        waiter = dconnect(primary, "bob", read_timeout=30)
    else:
        waiter = opener("bob", read_timeout=30)
    try:
        query(waiter, "SET SESSION innodb_lock_wait_timeout = 5")
        wcid = conn_id(waiter)
        query(waiter, "BEGIN")
        job = Background(waiter, locked_row)
        wait_running(primary, wcid, "FOR UPDATE")
        assert not job.join(0.3), ("the waiter was not blocked", job.rows, job.error)
        kill(admin, "KILL {}", victim.thread_id())
        killed_at = time.monotonic()
        assert job.join(PROMPT_S), "row lock still held 1 s after the kill"
        assert job.error is None, job.error
        assert job.rows == ((10,),)
        assert job.done_at - killed_at < PROMPT_S
        assert wait_until(lambda: cid not in backend_threads(primary), PROMPT_S)
        query(waiter, "ROLLBACK")
    finally:
        waiter.close()
    assert_dead(victim)


# ---- KILL PROXYSESSION id ss_id -------------------------------------------------------------

def test_kill_idle_server_session(opener, primary):
    admin = opener("admin")
    victim = opener("app")
    old_cid = conn_id(victim)
    ss = ss_of(admin, victim.thread_id())
    query(admin, f"KILL PROXYSESSION {victim.thread_id()} {ss}")
    assert wait_until(lambda: old_cid not in backend_threads(primary), PROMPT_S)
    new_cid = conn_id(victim)  # the client session lives on with a new server session
    assert new_cid != old_cid
    assert ss_of(admin, victim.thread_id()) != ss
    assert victim.thread_id() in listed(admin)


def test_kill_server_session_by_connection_id(opener, primary):
    killer = opener("app")  # same user may kill
    victim = opener("app")
    old_cid = conn_id(victim)
    ss = ss_of(killer, victim.thread_id())
    query(killer, f"KILL PROXYSESSION {old_cid} {ss}")
    assert conn_id(victim) != old_cid


@pytest.fixture
def sstx(primary):
    primary.sql("CREATE TABLE IF NOT EXISTS testdb.sstx (id INT PRIMARY KEY) ENGINE=InnoDB")
    primary.sql("DELETE FROM testdb.sstx")
    return "testdb.sstx"


def test_kill_server_session_in_transaction(opener, primary, sstx):
    admin = opener("admin")
    victim = opener("app")
    query(victim, "BEGIN")
    query(victim, f"INSERT INTO {sstx} VALUES (1)")
    old_cid = conn_id(victim)
    ss = ss_of(admin, victim.thread_id())
    query(admin, f"KILL PROXYSESSION {victim.thread_id()} {ss}")
    assert wait_until(lambda: old_cid not in backend_threads(primary), PROMPT_S)
    e = expect_error(lambda: query(victim, "SELECT 1"), 1317, "70100")
    assert (f"{INTERRUPTED}: server session {ss} was killed and its transaction rolled back"
            in e.args[1]), e.args
    # Once only: the session carries on, in autocommit as the client set it.
    assert_alive(victim)
    assert conn_id(victim) != old_cid
    assert query(victim, f"SELECT COUNT(*) FROM {sstx} WHERE id = 1") == ((0,),)
    assert primary.sql(f"SELECT COUNT(*) FROM {sstx} WHERE id = 1") == [(0,)]
    query(victim, f"INSERT INTO {sstx} VALUES (2)")
    assert primary.sql(f"SELECT COUNT(*) FROM {sstx} WHERE id = 2") == [(1,)]


def test_kill_server_session_keeps_autocommit_off(opener, primary, sstx):
    admin = opener("admin")
    victim = opener("app", autocommit=False)
    query(victim, f"INSERT INTO {sstx} VALUES (1)")  # opens a transaction implicitly
    ss = ss_of(admin, victim.thread_id())
    query(admin, f"KILL PROXYSESSION {victim.thread_id()} {ss}")
    e = expect_error(lambda: query(victim, "SELECT 1"), 1317, "70100")
    assert f"server session {ss} was killed and its transaction rolled back" in e.args[1]
    # Still autocommit=0, as the client set it: a new insert waits for COMMIT.
    assert query(victim, "SELECT @@autocommit") == ((0,),)
    query(victim, f"INSERT INTO {sstx} VALUES (3)")
    assert primary.sql(f"SELECT id FROM {sstx} ORDER BY id") == []
    query(victim, "COMMIT")
    assert primary.sql(f"SELECT id FROM {sstx} ORDER BY id") == [(3,)]


def test_kill_server_session_in_flight(opener, primary):
    admin = opener("admin")
    victim = opener("app")
    old_cid = conn_id(victim)
    ss = ss_of(admin, victim.thread_id())
    job = Background(victim, "SELECT SLEEP(30)")
    wait_running(primary, old_cid, "SLEEP(30)")
    query(admin, f"KILL PROXYSESSION {victim.thread_id()} {ss}")
    killed_at = time.monotonic()
    assert job.join(PROMPT_S + 1), "the statement in flight was not ended"
    assert isinstance(job.error, pymysql.err.MySQLError), (job.rows, job.error)
    assert job.error.args[0] == 1317, job.error.args
    assert getattr(job.error, "sqlstate", None) == "70100", job.error.args
    assert job.done_at - killed_at < PROMPT_S + 1
    assert wait_until(lambda: old_cid not in backend_threads(primary), PROMPT_S)
    assert_alive(victim)
    assert conn_id(victim) != old_cid


def test_kill_server_session_in_flight_in_transaction(opener, primary, sstx):
    admin = opener("admin")
    victim = opener("app")
    query(victim, "BEGIN")
    query(victim, f"INSERT INTO {sstx} VALUES (1)")
    old_cid = conn_id(victim)
    ss = ss_of(admin, victim.thread_id())
    job = Background(victim, "SELECT SLEEP(30)")
    wait_running(primary, old_cid, "SLEEP(30)")
    query(admin, f"KILL PROXYSESSION {victim.thread_id()} {ss}")
    assert job.join(PROMPT_S + 1), "the statement in flight was not ended"
    assert isinstance(job.error, pymysql.err.MySQLError), (job.rows, job.error)
    assert job.error.args[0] == 1317, job.error.args
    # The client is told, once, that its transaction is gone: on the interrupted
    # statement or on the next one.
    told = f"server session {ss} was killed and its transaction rolled back"
    messages = [job.error.args[1]]
    try:
        query(victim, "SELECT 1")
    except pymysql.err.MySQLError as e:
        assert e.args[0] == 1317, e.args
        messages.append(e.args[1])
    assert sum(told in m for m in messages) == 1, messages
    assert_alive(victim)
    assert primary.sql(f"SELECT COUNT(*) FROM {sstx}") == [(0,)]


def test_kill_server_session_unknown_ss(opener):
    admin = opener("admin")
    victim = opener("app")
    cid = conn_id(victim)
    ss = ss_of(admin, victim.thread_id())
    bad = ss + 1000
    expect_error(lambda: query(admin, f"KILL PROXYSESSION {victim.thread_id()} {bad}"),
                 1094, "HY000", f"Unknown thread id: {bad}")
    assert conn_id(victim) == cid


def test_kill_server_session_permissions(opener):
    alice = opener("alice")
    bob = opener("bob")
    app_t2 = opener("app@t2")
    conn_id(bob)
    conn_id(app_t2)
    ss = ss_of(opener("admin"), bob.thread_id())
    expect_error(lambda: query(alice, f"KILL PROXYSESSION {bob.thread_id()} {ss}"),
                 1095, "HY000", f"You are not owner of thread {bob.thread_id()}")
    expect_error(lambda: query(alice, f"KILL PROXYSESSION {app_t2.thread_id()} {ss}"),
                 1094, "HY000", f"Unknown thread id: {app_t2.thread_id()}")
    assert_alive(bob)


# ---- KILL QUERY ---------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["cs_id", "connection_id"])
def test_kill_query_interrupts_and_session_stays(by, opener, primary):
    killer = opener("app")
    victim = opener("app")
    cid = conn_id(victim)
    job = Background(victim, "SELECT SLEEP(30)")
    wait_running(primary, cid, "SLEEP(30)")
    query(killer, f"KILL QUERY {victim.thread_id() if by == 'cs_id' else cid}")
    killed_at = time.monotonic()
    assert job.join(PROMPT_S + 0.5), "KILL QUERY did not stop the statement"
    assert isinstance(job.error, pymysql.err.MySQLError), (job.rows, job.error)
    assert job.error.args == (1317, INTERRUPTED), job.error.args
    assert getattr(job.error, "sqlstate", None) == "70100"
    assert job.done_at - killed_at < PROMPT_S + 0.5
    assert_alive(victim)
    assert conn_id(victim) == cid


def test_kill_query_idle_does_nothing(opener):
    killer = opener("app")
    victim = opener("app")
    cid = conn_id(victim)
    query(killer, f"KILL QUERY {victim.thread_id()}")
    assert conn_id(victim) == cid
    assert_alive(victim)


def test_kill_query_permissions(opener):
    alice = opener("alice")
    bob = opener("bob")
    app_t2 = opener("app@t2")
    expect_error(lambda: query(alice, f"KILL QUERY {bob.thread_id()}"), 1095, "HY000",
                 f"You are not owner of thread {bob.thread_id()}")
    expect_error(lambda: query(alice, f"KILL QUERY {app_t2.thread_id()}"), 1094, "HY000",
                 f"Unknown thread id: {app_t2.thread_id()}")
    expect_error(lambda: query(alice, "KILL QUERY 3999999"), 1094, "HY000",
                 "Unknown thread id: 3999999")
    assert_alive(bob)
