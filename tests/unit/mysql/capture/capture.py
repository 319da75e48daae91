#!/usr/bin/python3
"""Records wire bytes from a real MariaDB server into tests/unit/mysql/testdata/*.hex.

Speaks the protocol over a raw socket so every byte is what the server sent. A
response is read until the socket stays silent for IDLE seconds, which does not
depend on the codec under test. Each file holds '#' comment lines (what was sent,
the client capabilities) and then the hex of the bytes, packet headers included.

Usage:
  /usr/bin/python3 capture.py --start-server            # private server in a temp dir
  /usr/bin/python3 capture.py --port P --user U --password PW   # existing server
"""

import argparse
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

IDLE = 0.35
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")

# Capability bits (see proxyd/mysql/constants.h).
LONG_PASSWORD = 1
LONG_FLAG = 1 << 2
CONNECT_WITH_DB = 1 << 3
LOCAL_FILES = 1 << 7
PROTOCOL_41 = 1 << 9
TRANSACTIONS = 1 << 13
SECURE_CONNECTION = 1 << 15
MULTI_STATEMENTS = 1 << 16
MULTI_RESULTS = 1 << 17
PS_MULTI_RESULTS = 1 << 18
PLUGIN_AUTH = 1 << 19
CONNECT_ATTRS = 1 << 20
PLUGIN_AUTH_LENENC = 1 << 21
SESSION_TRACK = 1 << 23
DEPRECATE_EOF = 1 << 24

BASE_CAPS = (LONG_PASSWORD | LONG_FLAG | CONNECT_WITH_DB | LOCAL_FILES | PROTOCOL_41
             | TRANSACTIONS | SECURE_CONNECTION | MULTI_STATEMENTS | MULTI_RESULTS
             | PS_MULTI_RESULTS | PLUGIN_AUTH | PLUGIN_AUTH_LENENC | CONNECT_ATTRS)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sha1(b):
    return hashlib.sha1(b).digest()


def native_token(password, scramble):
    if not password:
        return b""
    s1 = sha1(password.encode())
    mask = sha1(scramble + sha1(s1))
    return bytes(a ^ b for a, b in zip(s1, mask))


def frame(payload, seq):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def lenenc(n):
    if n < 0xFB:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfc" + struct.pack("<H", n)
    return b"\xfd" + struct.pack("<I", n)[:3]


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def read_idle(self):
        """All bytes until the server stays silent for IDLE seconds."""
        data = b""
        self.sock.settimeout(IDLE)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        self.sock.settimeout(5)
        if not data:
            raise RuntimeError("server sent nothing")
        return data

    def send(self, payload, seq=0):
        self.sock.sendall(frame(payload, seq))

    def command(self, payload):
        self.send(payload, 0)
        return self.read_idle()

    def close(self):
        self.sock.close()


def first_payload(raw):
    n = raw[0] | raw[1] << 8 | raw[2] << 16
    return raw[4:4 + n]


def login_packet(caps, user, password, scramble, db):
    payload = struct.pack("<IIB", caps, 16 * 1024 * 1024, 45) + b"\0" * 23
    payload += user.encode() + b"\0"
    token = native_token(password, scramble)
    payload += lenenc(len(token)) + token
    if caps & CONNECT_WITH_DB:
        payload += db.encode() + b"\0"
    payload += b"mysql_native_password\0"
    if caps & CONNECT_ATTRS:
        attrs = b"".join(lenenc(len(x)) + x for x in (b"_client_name", b"obp_capture"))
        payload += lenenc(len(attrs)) + attrs
    return payload


def scramble_of(greeting_payload):
    p = greeting_payload
    end = p.index(b"\0", 1)
    pos = end + 1 + 4
    part1 = p[pos:pos + 8]
    pos += 8 + 1 + 2 + 1 + 2 + 2
    auth_len = p[pos]
    pos += 1 + 10
    part2 = p[pos:pos + max(13, auth_len - 8)]
    return part1 + part2.rstrip(b"\0")


def connect(args, caps, password=None):
    """Returns (conn, greeting bytes, login payload, login response bytes)."""
    c = Conn(args.port)
    greeting = c.read_idle()
    scramble = scramble_of(first_payload(greeting))
    login = login_packet(caps, args.user, args.password if password is None else password,
                         scramble, args.db)
    c.send(login, 1)
    return c, greeting, login, c.read_idle()


def write(name, data, comment, caps=None):
    lines = ["# " + line for line in comment.strip().splitlines()]
    lines.append("# Captured from MariaDB by tests/unit/mysql/capture/capture.py")
    if caps is not None:
        lines.append("# caps: 0x%08x" % caps)
    hexs = data.hex()
    lines += [hexs[i:i + 64] for i in range(0, len(hexs), 64)]
    with open(os.path.join(OUT_DIR, name + ".hex"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%-32s %6d bytes" % (name, len(data)))


def query(text):
    return b"\x03" + text.encode()


def setup(args):
    c, _, _, resp = connect(args, BASE_CAPS)
    assert first_payload(resp)[0] == 0, resp
    for sql in [
        "DROP TABLE IF EXISTS t", "DROP PROCEDURE IF EXISTS two_results",
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20))",
        "INSERT INTO t (name) VALUES ('alpha'), ('beta'), (NULL), ('delta'), ('epsilon')",
        "CREATE PROCEDURE two_results() BEGIN SELECT 1 AS a; SELECT 'two' AS b, 2.5 AS c; END",
    ]:
        r = c.command(query(sql))
        assert first_payload(r)[0] == 0, (sql, r)
    c.close()


def stmt_execute(stmt_id, flags, params):
    """COM_STMT_EXECUTE with INT parameters (new-params-bound = 1)."""
    p = b"\x17" + struct.pack("<IBI", stmt_id, flags, 1)
    if params:
        p += b"\0" * ((len(params) + 7) // 8) + b"\x01"
        p += b"\x03\x00" * len(params)
        p += b"".join(struct.pack("<i", v) for v in params)
    return p


def capture_all(args):
    os.makedirs(OUT_DIR, exist_ok=True)
    setup(args)

    # Connection phase, plain MySQL-style client (bit 0 set).
    c, greeting, login, ok = connect(args, BASE_CAPS)
    write("greeting", greeting, "Server greeting (Initial Handshake v10), first packet on connect.")
    write("login_request", frame(login, 1), "Client HandshakeResponse41 sent by capture.py "
          "(user %s, db %s, attrs)." % (args.user, args.db), BASE_CAPS)
    write("login_ok", ok, "OK after a successful mysql_native_password login.", BASE_CAPS)
    c.close()

    # MariaDB-style client: bit 0 clear, extended capabilities in the filler.
    caps = BASE_CAPS & ~LONG_PASSWORD
    c, _, login, ok = connect(args, caps)
    write("login_request_mariadb", frame(login, 1),
          "HandshakeResponse41 with the CLIENT_MYSQL bit clear (MariaDB extended caps 0).", caps)
    c.close()

    c, _, _, err = connect(args, BASE_CAPS, password="wrong")
    write("err_access_denied", err, "ERR after login with a wrong password.", BASE_CAPS)
    c.close()

    for suffix, caps in (("", BASE_CAPS), ("_deof", BASE_CAPS | DEPRECATE_EOF)):
        c, _, _, ok = connect(args, caps)
        assert first_payload(ok)[0] == 0
        cap = lambda name, payload, comment: write(name + suffix, c.command(payload),
                                                   comment, caps)
        cap("err_unknown_table", query("SELECT * FROM no_such_table"),
            "ERR for SELECT * FROM no_such_table.")
        cap("text_resultset", query("SELECT id, name FROM t ORDER BY id"),
            "Text result set: SELECT id, name FROM t ORDER BY id (5 rows, one NULL).")
        cap("multi_statements", query("INSERT INTO t (name) VALUES ('x'); SELECT 1 AS one; "
                                      "DELETE FROM t WHERE name = 'x'"),
            "Multi-statements: INSERT (OK, more results), SELECT, DELETE (OK).")
        cap("call_two_results", query("CALL two_results()"),
            "CALL of a procedure with two SELECTs: two result sets then an OK.")
        cap("insert_ok", query("INSERT INTO t (name) VALUES ('zeta'), ('eta')"),
            "OK with affected rows 2, last insert id and an info string.")
        cap("cleanup_ok", query("DELETE FROM t WHERE id > 5"), "OK of a DELETE.")
        cap("begin_ok", query("BEGIN"), "OK of BEGIN (status in transaction).")
        cap("commit_ok", query("COMMIT"), "OK of COMMIT.")
        cap("ping_ok", b"\x0e", "OK of COM_PING.")
        cap("init_db_err", b"\x02no_such_db", "ERR of COM_INIT_DB no_such_db.")
        cap("field_list", b"\x04t\0", "COM_FIELD_LIST t: column definitions then EOF.")
        cap("statistics", b"\x09", "COM_STATISTICS: one string packet.")

        prep = c.command(b"\x16SELECT id, name FROM t WHERE id > ? AND id < ?")
        write("prepare_ok" + suffix, prep, "COM_STMT_PREPARE 'SELECT id, name FROM t WHERE id > ? "
              "AND id < ?': PREPARE_OK, 2 params, 2 columns.", caps)
        stmt_id = struct.unpack("<I", first_payload(prep)[1:5])[0]
        cap("stmt_execute_rows", stmt_execute(stmt_id, 0, [1, 5]),
            "COM_STMT_EXECUTE (no cursor) with params 1, 5: binary result set, 3 rows.")
        cap("stmt_execute_cursor", stmt_execute(stmt_id, 1, [0, 100]),
            "COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY, params 0, 100: column defs only.")
        cap("query_while_cursor", query("SELECT 7 AS seven"),
            "COM_QUERY text result while a cursor is open on another statement.")
        cap("stmt_fetch_2", b"\x1c" + struct.pack("<II", stmt_id, 2),
            "COM_STMT_FETCH 2 rows from the open cursor.")
        cap("stmt_fetch_rest", b"\x1c" + struct.pack("<II", stmt_id, 100),
            "COM_STMT_FETCH 100 rows: the remaining 3 then EOF with LAST_ROW_SENT.")
        cap("stmt_reset_ok", b"\x1a" + struct.pack("<I", stmt_id), "OK of COM_STMT_RESET.")
        prep0 = c.command(b"\x16SELECT 1")
        write("prepare_no_params" + suffix, prep0,
              "COM_STMT_PREPARE 'SELECT 1': 0 params, 1 column.", caps)
        prep_none = c.command(b"\x16DO 1")
        write("prepare_no_columns" + suffix, prep_none,
              "COM_STMT_PREPARE 'DO 1': 0 params, 0 columns.", caps)
        cap("prepare_err", b"\x16SELECT * FROM no_such_table WHERE id = ?",
            "COM_STMT_PREPARE of a statement on a missing table: ERR.")

        # LOCAL INFILE: the server asks for the file, we send it, the server answers.
        c.send(query("LOAD DATA LOCAL INFILE 'rows.txt' INTO TABLE t (name)"))
        req = c.read_idle()
        write("local_infile_request" + suffix, req, "0xFB request for LOAD DATA LOCAL INFILE "
              "'rows.txt' INTO TABLE t (name).", caps)
        seq = req[3] + 1
        c.send(b"one\ntwo\n", seq)
        c.send(b"", seq + 1)
        write("local_infile_ok" + suffix, c.read_idle(),
              "OK after the client sent the file (2 rows) and an empty packet.", caps)
        c.command(query("DELETE FROM t WHERE id > 5"))
        c.close()

    # Session tracking: OK packets carrying session-state information.
    caps = BASE_CAPS | SESSION_TRACK | DEPRECATE_EOF
    c, _, _, ok = connect(args, caps)
    write("login_ok_session_track", ok, "OK after login with CLIENT_SESSION_TRACK.", caps)
    write("set_autocommit_session_track", c.command(query("SET autocommit = 0")),
          "OK of SET autocommit = 0 with CLIENT_SESSION_TRACK (session state changed).", caps)
    write("use_db_session_track", c.command(query("USE mysql")),
          "OK of USE mysql with CLIENT_SESSION_TRACK (schema change tracked).", caps)
    c.close()


def change_user_packet(caps, user, password, scramble, db):
    """COM_CHANGE_USER as libmariadb builds it (mysql_change_user)."""
    token = native_token(password, scramble)
    payload = b"\x11" + user.encode() + b"\0" + bytes([len(token)]) + token
    payload += db.encode() + b"\0" + struct.pack("<H", 45) + b"mysql_native_password\0"
    if caps & CONNECT_ATTRS:
        attrs = b"".join(lenenc(len(x)) + x for x in (b"_client_name", b"obp_capture"))
        payload += lenenc(len(attrs)) + attrs
    return payload


def capture_change_user(args):
    """COM_CHANGE_USER and MariaDB's answer: it asks a plugin-aware client to switch to
    mysql_native_password with the greeting's own scramble, then sends OK (seq 3)."""
    c, greeting, _, ok = connect(args, BASE_CAPS)
    assert first_payload(ok)[0] == 0
    scramble = scramble_of(first_payload(greeting))
    write("change_user_greeting", greeting, "Greeting of the connection that then changes user.")
    request = change_user_packet(BASE_CAPS, args.user, args.password, scramble, args.db)
    write("change_user_request", frame(request, 0), "COM_CHANGE_USER sent by capture.py as "
          "libmariadb builds it (user %s, db %s, attrs)." % (args.user, args.db), BASE_CAPS)
    switch = c.command(request)
    write("change_user_switch", switch, "MariaDB's reply to COM_CHANGE_USER: an auth switch "
          "request carrying the greeting's scramble.", BASE_CAPS)
    c.send(native_token(args.password, scramble), switch[3] + 1)
    write("change_user_ok", c.read_idle(), "OK after the auth switch answer.", BASE_CAPS)
    c.close()


def start_server(tmp):
    port = free_port()
    data = os.path.join(tmp, "data")
    sock = os.path.join(tmp, "sock")
    subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + data,
                    "--auth-root-authentication-method=socket"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmd = ["mariadbd", "--no-defaults", "--datadir=" + data, "--socket=" + sock,
           "--port=%d" % port, "--bind-address=127.0.0.1", "--log-error=" + tmp + "/err.log"]
    if os.geteuid() == 0:
        cmd.append("--user=root")
    proc = subprocess.Popen(cmd)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    sql = ("DELETE FROM mysql.global_priv WHERE User=''; "
           "CREATE USER 'cap'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('capw'); "
           "GRANT ALL ON *.* TO 'cap'@'%'; FLUSH PRIVILEGES; CREATE DATABASE capdb;")
    subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-u", "root", "-e", sql], check=True)
    return proc, port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--start-server", action="store_true")
    ap.add_argument("--port", type=int)
    ap.add_argument("--user", default="cap")
    ap.add_argument("--password", default="capw")
    ap.add_argument("--db", default="capdb")
    ap.add_argument("--out", help="output directory (default: ../testdata)")
    ap.add_argument("--only-change-user", action="store_true",
                    help="capture only the change_user_* files")
    args = ap.parse_args()
    if args.out:
        global OUT_DIR
        OUT_DIR = args.out
    proc = tmp = None
    try:
        if args.start_server:
            tmp = tempfile.mkdtemp(prefix="obp-capture-")
            proc, args.port = start_server(tmp)
        if not args.port:
            sys.exit("need --port or --start-server")
        if args.only_change_user:
            capture_change_user(args)
        else:
            capture_all(args)
            capture_change_user(args)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
