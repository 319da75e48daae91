"""SPEC §2 protocol fidelity: what a client sees through proxyd equals what it sees directly."""

import decimal
import json
import socket
import subprocess

import pymysql
import pytest
from pymysql.constants import CLIENT

from conftest import PASSWORDS, dconnect, pconnect, query
import sandbox
from change_user import change_user, execute, prepare

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


# ---- COM_CHANGE_USER (SPEC §2 "TLS, sockets, change user") ---------------------------------
# Through libmariadb (tests/tools/change_user_probe) where a real driver's view matters, and
# through pymysql with tests/lib/change_user.py where one connection must outlive the change.
# Where MariaDB itself is the reference, the same steps run against the primary directly.


def change_user_probe(port, *steps, user="app", options=()):
    """Runs change_user_probe logged in as `user`; returns its output lines, one per step."""
    res = subprocess.run([sandbox.tool_path("change_user_probe"), "127.0.0.1", str(port), user,
                          PASSWORDS[user], *options, *steps],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.splitlines()


def port_of(where, proxy, primary):
    return primary.port if where == "direct" else proxy.port


def my_row(conn):
    """The caller's own SHOW PROXYSESSION row as {column: value}."""
    names = ["proxy_sessid", "Id", "Cluster", "Tenant", "User"]
    [row] = [r for r in query(conn, "SHOW PROXYSESSION") if r[1] == conn.thread_id()]
    return dict(zip(names, row))


def listed_ids(conn):
    return {r[1] for r in query(conn, "SHOW PROXYSESSION")}


def assert_closed(conn):
    with pytest.raises(pymysql.err.OperationalError) as e:
        query(conn, "SELECT 1")
    assert e.value.args[0] in (2006, 2013), e.value.args


def test_change_user(proxy, primary, data):
    """A real driver's mysql_change_user: the new user, the packet's database, and nothing of
    the old session (user variable, temporary table, prepared statement), as directly."""
    steps = ["q:SELECT CURRENT_USER()", "q:SET @x = 5",
             "q:CREATE TEMPORARY TABLE testdb.cu_tmp (a INT)", "prep:SELECT 1",
             "cu:bob:bob_pw:testdb", "q:SELECT CURRENT_USER(), DATABASE(), @x",
             "q:SELECT COUNT(*) FROM testdb.cu_tmp", "exec"]
    direct = change_user_probe(primary.port, *steps)
    assert direct == ["q app@%", "q ok", "q ok", "prep ok", "cu ok", "q bob@%,testdb,NULL",
                      "q error 1146 Table 'testdb.cu_tmp' doesn't exist",
                      # libmariadb detaches its statements on a change of user
                      "exec error 2013 Lost connection to server during query"], direct
    assert change_user_probe(proxy.port, *steps) == direct


def test_change_user_takes_the_packets_character_set(proxy, primary):
    """SET NAMES is dropped with the old session; the packet's charset (the one the client
    connected with, since SET NAMES by query does not change libmariadb's) is the new one."""
    steps = ["q:SET NAMES utf8mb4", "cu:bob:bob_pw:",
             "q:SELECT @@character_set_client, @@collation_connection, DATABASE()"]
    options = ["--charset=latin1", "--db=testdb"]
    direct = change_user_probe(primary.port, *steps, options=options)
    assert direct == ["q ok", "cu ok", "q latin1,latin1_swedish_ci,NULL"], direct
    assert change_user_probe(proxy.port, *steps, options=options) == direct


@pytest.mark.parametrize("where", ["direct", "proxyd"])
def test_change_user_forgets_the_old_session(where, proxy, primary, data):
    port = port_of(where, proxy, primary)
    conn = sandbox.connect(port, "app", "app_pw", autocommit=True)
    query(conn, "SET @x = 5")
    query(conn, "CREATE TEMPORARY TABLE testdb.cu_tmp (a INT)")
    stmt_id = prepare(conn, "SELECT 1")
    change_user(conn, "bob", "bob_pw", "testdb")
    assert query(conn, "SELECT CURRENT_USER(), DATABASE(), @x") == (("bob@%", "testdb", None),)
    with pytest.raises(pymysql.err.ProgrammingError) as e:
        query(conn, "SELECT * FROM cu_tmp")
    assert e.value.args == (1146, "Table 'testdb.cu_tmp' doesn't exist")
    with pytest.raises(pymysql.err.OperationalError) as e:
        execute(conn, stmt_id)
    assert e.value.args == (
        1243, f"Unknown prepared statement handler ({stmt_id}) given to mysqld_stmt_execute")
    conn.close()


@pytest.mark.parametrize("where", ["direct", "proxyd"])
def test_change_user_rolls_back_the_transaction(where, proxy, primary, data):
    key = 1 if where == "direct" else 2
    primary.sql("CREATE TABLE IF NOT EXISTS testdb.cu_trx (id INT PRIMARY KEY)")
    conn = sandbox.connect(port_of(where, proxy, primary), "app", "app_pw", autocommit=True)
    query(conn, "BEGIN")
    query(conn, f"INSERT INTO testdb.cu_trx VALUES ({key})")
    change_user(conn, "bob", "bob_pw")
    assert query(conn, "SELECT @@in_transaction, @@autocommit") == ((0, 1),)
    other = dconnect(primary, "alice")
    # Had the transaction lived on, this would wait for its row lock and fail.
    query(other, "SET SESSION innodb_lock_wait_timeout = 5")
    query(other, f"INSERT INTO testdb.cu_trx VALUES ({key})")
    assert query(conn, f"SELECT COUNT(*) FROM testdb.cu_trx WHERE id = {key}") == ((1,),)
    other.close()
    conn.close()


def test_change_user_auth_switch(proxy, primary):
    """A client that names another plugin is asked, as by MariaDB, to switch to
    mysql_native_password on the greeting's scramble (OK then comes with seq 3)."""
    for port in (primary.port, proxy.port):
        conn = sandbox.connect(port, "app", "app_pw", autocommit=True)
        got = change_user(conn, "bob", "bob_pw", plugin="caching_sha2_password",
                          token=b"\x01" * 32)
        assert got == {"switched": "mysql_native_password", "seq": [1, 3]}, (port, got)
        assert query(conn, "SELECT CURRENT_USER()") == (("bob@%",),)
        conn.close()
    # A mysql_native_password token is checked at once (MariaDB asks for it again through
    # an auth switch; README "Choices").
    conn = pconnect(proxy)
    assert change_user(conn, "bob", "bob_pw") == {"switched": None, "seq": [1]}
    conn.close()


@pytest.mark.parametrize("name,password,denied", [
    ("bob", "wrong", "bob"),
    ("nobody", "x", "nobody"),
    ("app@t2#elsewhere", "app_pw", "app"),   # another cluster (SPEC §1)
])
def test_change_user_denied_closes_the_connection(proxy, primary, name, password, denied):
    message = f"Access denied for user '{denied}'@'127.0.0.1' (using password: YES)"
    lines = change_user_probe(proxy.port, f"cu:{name}:{password}:", "q:SELECT CURRENT_USER()")
    assert lines[0] == f"cu error 1045 {message}", lines
    assert lines[1].startswith(("q error 2013 ", "q error 2006 ")), lines
    if "#" not in name:
        # MariaDB keeps the connection, as the old user, after a pause of one second; the
        # SPEC asks proxyd to close it (README "Choices").
        assert change_user_probe(primary.port, f"cu:{name}:{password}:",
                                 "q:SELECT CURRENT_USER()") == [lines[0], "q app@%"]

    admin = pconnect(proxy, "admin")
    conn = pconnect(proxy)
    with pytest.raises(pymysql.err.OperationalError) as e:
        change_user(conn, name, password)
    assert e.value.args == (1045, message)
    assert_closed(conn)
    assert sandbox.wait_until(lambda: conn.thread_id() not in listed_ids(admin), timeout=5)
    admin.close()


@pytest.mark.parametrize("where", ["direct", "proxyd"])
def test_change_user_bad_packet_or_database(where, proxy, primary):
    """A malformed packet gets MariaDB's 1047, a database the backend refuses its 1049; both
    fail the change of user, and proxyd then closes the connection (MariaDB keeps it)."""
    port = port_of(where, proxy, primary)
    for kwargs, error in (({"payload": b"bob"}, (1047, "Unknown command")),
                          ({"database": "no_such_db"}, (1049, "Unknown database 'no_such_db'"))):
        conn = sandbox.connect(port, "app", "app_pw", autocommit=True)
        with pytest.raises(pymysql.err.MySQLError) as e:
            change_user(conn, "bob", "bob_pw", **kwargs)
        assert e.value.args == error
        if where == "direct":
            assert query(conn, "SELECT CURRENT_USER()") == (("app@%",),)
        else:
            assert_closed(conn)
        conn.close()


def test_change_user_to_another_tenant_routes_to_its_backends(proxy, primary, replica1):
    conn = pconnect(proxy)
    assert query(conn, "SELECT @@port") == ((primary.port,),)
    change_user(conn, "app@t2", "app_pw")
    assert query(conn, "SELECT @@port") == ((replica1.port,),)
    assert my_row(conn)["Tenant"] == "t2" and my_row(conn)["User"] == "app"
    with pytest.raises(pymysql.err.MySQLError) as e:
        query(conn, "/*+ proxyd: backend=primary */ SELECT 1")
    assert e.value.args == (1105, "Unknown backend 'primary' in tenant 't2'; "
                                  "its backends are: replica1")
    change_user(conn, "bob@sys", "bob_pw")
    assert query(conn, "SELECT @@port, CURRENT_USER()") == ((primary.port, "bob@%"),)
    assert my_row(conn)["Tenant"] == "sys" and my_row(conn)["User"] == "bob"
    conn.close()


def obpctl_sessions(proxy, *args):
    res = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node", f"127.0.0.1:{proxy.grpc_port}",
                          "sessions", "list", "-o", "json", *args],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, (res.stdout, res.stderr)
    return {int(s["cs_id"]): s for s in json.loads(res.stdout)["sessions"]}


def test_change_user_moves_the_session_to_the_new_user(proxy, closing):
    """SPEC §3 visibility and kill rights follow the session to its new user, in SHOW
    PROXYSESSION and in the gRPC service (obpctl) alike."""
    moved, app, bob = (pconnect(proxy, u) for u in ("app", "app", "bob"))
    closing += [moved, app, bob]
    cs_id = moved.thread_id()
    query(moved, "SELECT 1")  # a server session as app, which must not survive the change
    assert cs_id in listed_ids(app) and cs_id not in listed_ids(bob)
    change_user(moved, "bob", "bob_pw")
    assert my_row(moved)["User"] == "bob" and my_row(moved)["Tenant"] == "sys"
    assert cs_id in listed_ids(bob) and cs_id not in listed_ids(app)
    assert obpctl_sessions(proxy, "--user", "bob")[cs_id]["user"] == "bob"
    assert cs_id not in obpctl_sessions(proxy, "--user", "app")
    with pytest.raises(pymysql.err.MySQLError) as e:
        query(app, f"KILL {cs_id}")
    assert e.value.args == (1095, f"You are not owner of thread {cs_id}")
    query(bob, f"KILL {cs_id}")
    assert_closed(moved)


def test_compression_is_never_offered_so_a_compressing_client_runs_uncompressed(proxy):
    """SPEC §2 "Capabilities": compression is supported end to end or never offered;
    proxyd does not offer it. `mariadb --compress` then runs uncompressed, as against a
    server without compression, and says so in its session status."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        head = s.recv(4)
        greeting = b""
        while len(greeting) < int.from_bytes(head[:3], "little"):
            greeting += s.recv(4096)
    ver_end = greeting.index(b"\0", 1)
    caps_low = int.from_bytes(greeting[ver_end + 14:ver_end + 16], "little")
    assert caps_low & 0x20 == 0, hex(caps_low)  # CLIENT_COMPRESS
    assert caps_low & 0x200  # CLIENT_PROTOCOL_41: the offset is right
    r = sandbox.mariadb_cli(proxy.port, "app", PASSWORDS["app"],
                            "SHOW SESSION STATUS LIKE 'Compression'; SELECT 6 * 7", "--compress",
                            "-N")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["Compression", "OFF", "42"], r.stdout
