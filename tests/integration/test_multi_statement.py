"""SPEC §3: a proxy statement inside a multi-statement query runs in its place, and its
reply is one of the query's results, as on MariaDB (`KILL 5; SELECT 1`).

What a client sees is compared with MariaDB itself where the statement means the same
there (a KILL of an id, an error ending the query); pymysql and the mariadb CLI
(libmariadb, which checks every packet's sequence id) read the joined replies.
"""

import os
import tempfile

import pymysql
import pytest
from pymysql.constants import CLIENT

import sandbox
from conftest import dconnect, pconnect, query
from sandbox import wait_until

MULTI = CLIENT.MULTI_STATEMENTS


def results(conn, sql):
    """Every result of a multi-statement query: rows (a tuple) or affected rows (an int),
    then the error that ended it, if any, as ("error", errno)."""
    out = []
    with conn.cursor() as cur:
        try:
            cur.execute(sql)
            while True:
                out.append(cur.fetchall() if cur.description else cur.rowcount)
                if not cur.nextset():
                    break
        except pymysql.err.MySQLError as e:
            out.append(("error", e.args[0]))
    return out


@pytest.fixture
def opened():
    conns = []
    yield conns
    for c in conns:
        try:
            c.close()
        except Exception:
            pass


def via(proxy, opened, user="app", **kw):
    kw.setdefault("client_flag", MULTI)
    c = pconnect(proxy, user, database="testdb", **kw)
    opened.append(c)
    return c


def direct(primary, opened, **kw):
    kw.setdefault("client_flag", MULTI)
    c = dconnect(primary, database="testdb", **kw)
    opened.append(c)
    return c


def is_closed(conn):
    try:
        query(conn, "SELECT 1")
    except (pymysql.err.OperationalError, pymysql.err.InterfaceError):
        return True
    return False


def test_kill_then_select_as_on_mariadb(proxy, primary, opened):
    """The issue's case: `KILL <id>; SELECT SLEEP(0.05)` kills, then selects."""
    victim, killer = via(proxy, opened), via(proxy, opened)
    got = results(killer, f"KILL {victim.thread_id()}; SELECT SLEEP(0.05)")
    d_victim, d_killer = direct(primary, opened), direct(primary, opened)
    expected = results(d_killer, f"KILL {d_victim.thread_id()}; SELECT SLEEP(0.05)")
    assert expected == [0, ((0,),)], expected
    assert got == expected
    assert wait_until(lambda: is_closed(victim), 2.0)
    assert query(killer, "SELECT 7") == ((7,),)  # nothing left over in the stream


def test_proxy_statement_between_forwarded_ones(proxy, opened):
    conn = via(proxy, opened)
    cs_id = conn.thread_id()
    got = results(conn, "SELECT 1; SELECT 2 UNION SELECT 3; SHOW PROXYSESSION; SELECT 'end'")
    assert got[0] == ((1,),) and got[1] == ((2,), (3,)) and got[3] == (("end",),), got
    assert cs_id in {int(r[1]) for r in got[2]}, got[2]
    assert len(got) == 4
    assert query(conn, "SELECT 8") == ((8,),)


def test_proxy_statements_back_to_back(proxy, opened):
    conn = via(proxy, opened)
    idle = via(proxy, opened)
    got = results(conn, f"KILL QUERY {idle.thread_id()}; SHOW PROXYSESSION ATTRIBUTE "
                        f"LIKE 'cs_id'; KILL QUERY {idle.thread_id()}")
    assert got[0] == 0 and got[2] == 0, got
    assert [r[1] for r in got[1]] == [str(conn.thread_id())], got
    assert query(idle, "SELECT 9") == ((9,),)


def test_an_error_ends_the_query_as_on_mariadb(proxy, primary, opened):
    conn = via(proxy, opened)
    d = direct(primary, opened)
    unknown = 3999999
    for sql in (f"SELECT 1; KILL {unknown}; SELECT 2", f"KILL {unknown}; SELECT 2"):
        assert results(conn, sql) == results(d, sql), sql
        assert results(conn, sql)[-1] == ("error", 1094)
        assert query(conn, "SELECT 3") == ((3,),)


def test_a_backend_error_before_a_kill_stops_the_kill(proxy, opened):
    conn, victim = via(proxy, opened), via(proxy, opened)
    got = results(conn, f"SELECT * FROM no_such_table; KILL {victim.thread_id()}")
    assert got == [("error", 1146)], got
    assert query(victim, "SELECT 4") == ((4,),)  # the kill never ran
    assert query(conn, "SELECT 5") == ((5,),)


def test_a_malformed_proxy_statement_is_a_syntax_error(proxy, opened):
    conn = via(proxy, opened)
    assert results(conn, "SELECT 1; KILL QUERY ID 5; SELECT 2") == [((1,),), ("error", 1064)]
    assert query(conn, "SELECT 6") == ((6,),)


def test_killing_oneself_midway(proxy, opened):
    conn = via(proxy, opened)
    got = results(conn, f"SELECT 1; KILL {conn.thread_id()}; SELECT 2")
    assert got == [((1,),), ("error", 1317)], got
    assert is_closed(conn)


def test_without_multi_statements_it_is_one_statement(proxy, primary, opened):
    conn = via(proxy, opened, client_flag=0)
    d = direct(primary, opened, client_flag=0)
    for sql in ("KILL 5; SELECT 1", "SELECT 1; KILL 5"):
        assert results(conn, sql) == [("error", 1064)], sql
        assert results(d, sql) == [("error", 1064)], sql


def test_transaction_state_follows_through_the_parts(proxy, primary, opened):
    conn = via(proxy, opened)
    query(conn, "CREATE TABLE IF NOT EXISTS ms_tx (x INT) ENGINE=InnoDB")
    try:
        got = results(conn, "BEGIN; INSERT INTO ms_tx VALUES (1); SHOW PROXYSESSION; "
                            "ROLLBACK; SELECT COUNT(*) FROM ms_tx")
        assert got[0] == 0 and got[1] == 1 and got[3] == 0 and got[4] == ((0,),), got
        row = [r for r in got[2] if int(r[1]) == conn.thread_id()][0]
        assert row[9] == "MCS_ACTIVE_READER", row  # it is running the query
    finally:
        query(conn, "DROP TABLE ms_tx")


@pytest.mark.parametrize("before", ["", "SHOW PROXYSESSION ATTRIBUTE LIKE 'cs_id'; "])
def test_load_data_local(before, proxy, opened):
    """LOAD DATA LOCAL on its own, and after a proxy statement: the file's packets are
    numbered after the joined reply on the client side and after the backend's own
    request on the backend side."""
    conn = via(proxy, opened, local_infile=True)
    table = f"ms_load_{len(before)}"
    query(conn, f"CREATE TABLE IF NOT EXISTS {table} (x INT)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"{i}\n" for i in range(1000)))
    try:
        got = results(conn, f"{before}LOAD DATA LOCAL INFILE '{f.name}' INTO TABLE {table}; "
                            f"SELECT SUM(x) FROM {table}")
        assert got[-2:] == [1000, ((499500,),)], got
        assert len(got) == (3 if before else 2), got
    finally:
        os.unlink(f.name)
        query(conn, f"DROP TABLE {table}")


def test_mariadb_cli_reads_the_joined_reply(proxy):
    """libmariadb checks the sequence id of every packet and the more-results flag."""
    other = pconnect(proxy, "app")
    try:
        res = sandbox.mariadb_cli(
            proxy.port, "app", "app_pw",
            # With another delimiter the CLI sends the `;`-separated text as one query.
            f"DELIMITER //\nSELECT 'a' AS x; KILL QUERY {other.thread_id()}; SELECT 'b' AS y; "
            "SHOW PROXYSESSION ATTRIBUTE LIKE 'user'; SELECT 'c' AS z //", "--batch")
        assert res.returncode == 0, res.stderr
        lines = res.stdout.splitlines()
        assert lines[:4] == ["x", "a", "y", "b"], lines
        assert lines[-2:] == ["z", "c"], lines
        assert "user\tapp\tcs common" in lines, lines
    finally:
        other.close()


def test_a_large_result_in_a_joined_reply(proxy, primary, opened):
    """A forwarded part whose reply spans many of proxyd's 64 KiB write batches (and a row
    larger than one), before and after a proxy statement, reads as from MariaDB."""
    conn = via(proxy, opened)
    d = direct(primary, opened)
    big = ("SELECT seq, REPEAT('x', 1000) FROM seq_1_to_500; "
           "SELECT REPEAT('y', 300000)")
    expected = results(d, big)
    got = results(conn, f"{big}; SHOW PROXYSESSION ATTRIBUTE LIKE 'cs_id'; {big}")
    assert got[:2] == expected and got[3:] == expected, [len(r) for r in got]
    assert [r[1] for r in got[2]] == [str(conn.thread_id())]
    assert query(conn, "SELECT 10") == ((10,),)
