"""SPEC §2 prepared statements: the binary protocol through proxyd behaves as against MariaDB.

tests/tools/ps_probe prints what libmariadb sees (params of several types, long data,
metadata, a cursor with prefetch, reset, close, CALL with two result sets, errors)."""

import subprocess

from conftest import PASSWORDS
import sandbox


def probe(*args):
    res = subprocess.run([sandbox.tool_path("ps_probe"), *map(str, args)], capture_output=True,
                         text=True, errors="surrogateescape", timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_binary_protocol_identical(proxy, primary):
    direct = probe("127.0.0.1", primary.port, "app", PASSWORDS["app"], "testdb")
    # Sanity: the probe really exercised the paths it is meant to.
    for needle in ("select row |1 |-42 |123.456", "cursor_again rows=13", "call_set1 row |8 |y",
                   "dup_insert error 1062 (23000)", "prepare error 1146 (42S02)",
                   "call_cursor_set0 row |1 |4", "call_cursor_set1 rows=4", "after_call_cursor 0",
                   "end 0"):
        assert needle in direct, direct
    via = probe("127.0.0.1", proxy.port, "app", PASSWORDS["app"], "testdb")
    assert via.splitlines() == direct.splitlines()


def test_reprepare_after_server_session_lost(proxy, primary):
    """A statement whose server session died is prepared again transparently (SPEC §2)."""
    out = probe("--reprepare", "127.0.0.1", proxy.port, "app", PASSWORDS["app"], "testdb",
                primary.port)
    lines = dict(l.split(" ", 1) for l in out.strip().splitlines() if " " in l)
    assert lines["kill"] == "0", out
    first_value, first_id = lines["first"].split()
    second = lines["second"].split()
    assert first_value == "42", out
    assert second[0] == "42", f"execute after the backend connection died failed:\n{out}"
    assert second[1] != first_id, out
    assert lines["end"] == "0", out


def test_text_call_while_procedure_cursor_open(proxy, primary):
    """A procedure that SELECTs while its own cursor is open: MariaDB flags those result
    sets CURSOR_EXISTS and still sends their rows. Through proxyd the CALL returns
    every row and the connection stays usable (it used to hang here)."""
    import pymysql
    setup = pymysql.connect(host="127.0.0.1", port=primary.port, user="app",
                            password=PASSWORDS["app"], database="testdb", autocommit=True)
    with setup.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS cur_t (id INT PRIMARY KEY)")
        c.execute("INSERT IGNORE INTO cur_t SELECT seq FROM seq_1_to_5")
        c.execute("DROP PROCEDURE IF EXISTS text_cur")
        c.execute("CREATE PROCEDURE text_cur() BEGIN DECLARE v INT; "
                  "DECLARE c CURSOR FOR SELECT id FROM cur_t ORDER BY id; OPEN c; "
                  "FETCH c INTO v; SELECT v AS first; SELECT id FROM cur_t ORDER BY id; "
                  "CLOSE c; END")
    setup.close()

    def run(port):
        conn = pymysql.connect(host="127.0.0.1", port=port, user="app",
                               password=PASSWORDS["app"], database="testdb", read_timeout=10)
        with conn.cursor() as c:
            c.execute("CALL text_cur()")
            sets = [c.fetchall()]
            while c.nextset():
                sets.append(c.fetchall())
            c.execute("SELECT 7")
            after = c.fetchall()
        conn.close()
        return sets, after

    direct = run(primary.port)
    assert direct[0][:2] == [((1,),), ((1,), (2,), (3,), (4,), (5,))], direct
    assert run(proxy.port) == direct
