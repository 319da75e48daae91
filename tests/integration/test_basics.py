"""SPEC §2 protocol fidelity: what a client sees through proxyd equals what it sees directly."""

import decimal
import subprocess

import pymysql
import pytest
from pymysql.constants import CLIENT

from conftest import dconnect, pconnect, query
import sandbox

SETUP = [
    "CREATE TABLE testdb.kinds (id INT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, d DECIMAL(20,6),"
    " f FLOAT, g DOUBLE, dt DATE, ts DATETIME(6), tm TIME, y YEAR, s VARCHAR(200), b BLOB,"
    " e ENUM('a','b'), j JSON, bit1 BIT(8)) CHARSET utf8mb4",
    "INSERT INTO testdb.kinds VALUES"
    " (1, -9223372036854775808, 18446744073709551615, -12345678901234.123456, 1.5, 2.25e-300,"
    "  '2024-02-29', '2024-02-29 23:59:59.123456', '-838:59:59', 2155, 'héllo wörld ✓ 😀',"
    "  x'00ff10', 'a', '{\"k\": [1, 2]}', b'10101010'),"
    " (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
    " (3, 0, 0, 0, -0.0, 0, '0000-00-00', '1970-01-01 00:00:00', '00:00:00', 1901, '', '', 'b',"
    "  '[]', b'0')",
    "CREATE TABLE testdb.seq (n INT PRIMARY KEY, t VARCHAR(40))",
    "INSERT INTO testdb.seq SELECT seq, CONCAT('row-', seq) FROM seq_1_to_1000",
    "CREATE TABLE testdb.ai (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))",
    "CREATE PROCEDURE testdb.two_sets() BEGIN SELECT 1 AS a; SELECT 'x' AS b, 2.5 AS c; END",
]

QUERIES = [
    "SELECT * FROM kinds ORDER BY id",
    "SELECT 1, -1, 1.0, 1e10, 'x', NULL, X'DEADBEEF', _utf8mb4'ß' COLLATE utf8mb4_bin",
    "SELECT NOW() = NOW(), CURDATE() IS NOT NULL, CAST('2024-01-02' AS DATE)",
    "SELECT * FROM seq ORDER BY n",
    "SELECT * FROM seq WHERE n < 0",
    "SELECT n, COUNT(*) FROM seq GROUP BY n % 7 ORDER BY 1",
    "SELECT 1/0",
    "SHOW COLUMNS FROM kinds",
    "SELECT @@version_comment IS NOT NULL, DATABASE()",
    "DO 1",
    "SELECT REPEAT('é', 5000)",
]


@pytest.fixture(scope="module")
def data(primary):
    for stmt in SETUP:
        primary.sql(stmt, "testdb")


def snapshot(conn, sql):
    """Everything a client can observe about one statement: all result sets with metadata."""
    out = []
    with conn.cursor() as cur:
        cur.execute(sql)
        while True:
            r = cur._result
            fields = [(f.name, f.org_name, f.table_name, f.org_table, f.db, f.charsetnr, f.length,
                       f.type_code, f.flags, f.scale) for f in (getattr(r, "fields", None) or [])]
            out.append({"fields": fields, "rows": cur.fetchall(), "affected": r.affected_rows,
                        "insert_id": r.insert_id, "warnings": r.warning_count,
                        "message": r.message, "status": conn.server_status})
            if not cur.nextset():
                break
    return out


@pytest.mark.parametrize("sql", QUERIES)
def test_results_identical_pymysql(proxy, primary, data, sql):
    direct = dconnect(primary, database="testdb")
    via = pconnect(proxy, database="testdb")
    assert snapshot(via, sql) == snapshot(direct, sql)
    direct.close()
    via.close()


def test_results_identical_cli(proxy, primary, data):
    sql = "; ".join(QUERIES[:4] + ["SHOW WARNINGS", "SELECT 1/0", "SHOW WARNINGS"])
    args = ("--column-type-info", "--show-warnings", "-D", "testdb")
    direct = sandbox.mariadb_cli(primary.port, "app", "app_pw", sql, *args)
    via = sandbox.mariadb_cli(proxy.port, "app", "app_pw", sql, *args)
    assert direct.returncode == 0, direct.stderr
    assert (via.returncode, via.stdout, via.stderr) == (0, direct.stdout, direct.stderr)


def test_error_passes_through(proxy, primary, data):
    direct = sandbox.mariadb_cli(primary.port, "app", "app_pw", "SELECT * FROM testdb.nope")
    via = sandbox.mariadb_cli(proxy.port, "app", "app_pw", "SELECT * FROM testdb.nope")
    assert "ERROR 1146 (42S02)" in direct.stderr
    assert (via.returncode, via.stderr) == (direct.returncode, direct.stderr)
    conn = pconnect(proxy)
    with pytest.raises(pymysql.err.ProgrammingError) as e:
        query(conn, "SELECT * FROM testdb.nope")
    assert e.value.args == (1146, "Table 'testdb.nope' doesn't exist")
    with pytest.raises(pymysql.err.ProgrammingError) as e:
        query(conn, "SELEC 1")
    assert e.value.args[0] == 1064
    assert query(conn, "SELECT 2") == ((2,),)  # the session survives errors
    conn.close()


def test_warnings_count(proxy, data):
    conn = pconnect(proxy)
    with conn.cursor() as cur:
        cur.execute("SELECT 1/0, CAST('12abc' AS INT)")
        assert cur._result.warning_count == 2
        cur.execute("SHOW WARNINGS")
        codes = sorted(r[1] for r in cur.fetchall())
    assert codes == [1292, 1365]
    conn.close()


def test_affected_rows_insert_id_info(proxy, primary, data):
    conn = pconnect(proxy, database="testdb")
    with conn.cursor() as cur:
        assert cur.execute("INSERT INTO ai (v) VALUES ('a'), ('b'), ('c')") == 3
        first = cur.lastrowid
        assert first > 0
        assert cur._result.message.endswith(b"Records: 3  Duplicates: 0  Warnings: 0")
        cur.execute("SELECT LAST_INSERT_ID()")
        assert cur.fetchone()[0] == first
        assert cur.execute("UPDATE ai SET v = 'z' WHERE v IN ('a', 'b')") == 2
        assert cur._result.message.endswith(b"Rows matched: 2  Changed: 2  Warnings: 0")
        assert cur.execute("UPDATE ai SET v = 'z' WHERE v = 'z'") == 0
        assert cur.execute("DELETE FROM ai WHERE id = %s", (first,)) == 1
    conn.close()


def test_multi_statements(proxy, primary, data):
    sql = "SELECT 1 AS one; SELECT n FROM seq WHERE n <= 3 ORDER BY n; UPDATE seq SET t = t WHERE n = 1; SELECT 'end'"
    direct = dconnect(primary, database="testdb", client_flag=CLIENT.MULTI_STATEMENTS)
    via = pconnect(proxy, database="testdb", client_flag=CLIENT.MULTI_STATEMENTS)
    got = snapshot(via, sql)
    assert len(got) == 4
    assert got == snapshot(direct, sql)
    assert query(via, "SELECT 5") == ((5,),)  # nothing left over in the stream
    direct.close()
    via.close()


def test_multi_statement_error_midway(proxy, primary, data):
    sql = "SELECT 1; SELECT * FROM nope; SELECT 3"
    via = pconnect(proxy, database="testdb", client_flag=CLIENT.MULTI_STATEMENTS)
    with via.cursor() as cur:
        cur.execute(sql)
        assert cur.fetchall() == ((1,),)
        with pytest.raises(pymysql.err.ProgrammingError) as e:
            cur.nextset()
        assert e.value.args[0] == 1146
    assert query(via, "SELECT 4") == ((4,),)
    via.close()


def test_procedure_two_result_sets(proxy, primary, data):
    direct = dconnect(primary, database="testdb")
    via = pconnect(proxy, database="testdb")
    got = snapshot(via, "CALL two_sets()")
    assert [s["rows"] for s in got[:2]] == [((1,),), (("x", decimal.Decimal("2.5")),)]
    assert got == snapshot(direct, "CALL two_sets()")
    assert query(via, "SELECT 6") == ((6,),)
    direct.close()
    via.close()


def test_database_at_login_and_use(proxy, data):
    conn = pconnect(proxy, database="testdb")
    assert query(conn, "SELECT DATABASE()") == (("testdb",),)
    assert query(conn, "SELECT COUNT(*) FROM seq") == ((1000,),)
    query(conn, "USE mysql")
    assert query(conn, "SELECT DATABASE()") == (("mysql",),)
    conn.select_db("testdb")  # COM_INIT_DB
    assert query(conn, "SELECT DATABASE()") == (("testdb",),)
    with pytest.raises(pymysql.err.OperationalError) as e:
        conn.select_db("no_such_db")
    assert e.value.args[0] == 1049
    assert query(conn, "SELECT DATABASE()") == (("testdb",),)
    conn.close()


def test_unknown_database_at_login(proxy):
    with pytest.raises(pymysql.err.OperationalError) as e:
        pconnect(proxy, database="no_such_db").cursor().execute("SELECT 1")
    assert e.value.args[0] == 1049


def test_ping(proxy):
    conn = pconnect(proxy)
    for _ in range(3):
        conn.ping(reconnect=False)
    assert query(conn, "SELECT 1") == ((1,),)
    conn.close()


def run_process_info_probe(port):
    res = subprocess.run([sandbox.tool_path("process_info_probe"), "127.0.0.1", str(port), "app",
                          "app_pw"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.splitlines()


def test_list_processes_is_the_backends_as_directly(proxy, primary):
    """mysql_list_processes (COM_PROCESS_INFO) through proxyd gets what it gets from MariaDB:
    the backend's process list, with the caller's own server thread in it."""
    direct = run_process_info_probe(primary.port)
    assert direct == ["fields Id,User,Host,db,Command,Time,State,Info,Progress",
                      "self Processlist|NULL", "after 2"], direct
    assert run_process_info_probe(proxy.port) == direct


def test_change_user(proxy, data):
    """COM_CHANGE_USER either switches user or fails clearly; the connection stays sane."""
    res = subprocess.run(
        [sandbox.tool_path("change_user_probe"), "127.0.0.1", str(proxy.port), "app", "app_pw",
         "bob", "bob_pw"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = dict(l.split(" ", 1) for l in res.stdout.strip().splitlines())
    assert lines["before"].startswith("app@")
    if lines["change"] == "ok":
        assert lines["after"].startswith("bob@")
    else:
        errno, msg = lines["change"].split(" ", 1)
        assert 1000 <= int(errno) < 2000 and msg.strip(), lines  # an ERR sent by the server
        assert lines["after"].startswith(("app@", "error 2006", "error 2013")), lines
