#!/usr/bin/python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/seed-* from real traffic and the
unit tests' exact bytes:

  - MariaDB 10.11 traffic captured by tests/unit/mysql/capture/capture.py
    (tests/unit/mysql/testdata/*.hex), and the client commands capture.py sent to
    get it, rebuilt with its own helpers;
  - bytes, statements and files the unit tests use (tests/unit/*), and the example
    files in deploy/local/.

Each seed is laid out as its target's header comment says. Deterministic; it only
rewrites seed-* files, so reproducers added by hand (other names) stay. Run it after
adding a capture, and commit what changes:

  /usr/bin/python3 tests/fuzz/make_corpus.py
"""

import glob
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TESTDATA = os.path.join(ROOT, "tests", "unit", "mysql", "testdata")
sys.path.insert(0, os.path.join(ROOT, "tests", "unit", "mysql", "capture"))
import capture  # noqa: E402  (frame, lenenc, query, stmt_execute, login_packet, ...)

DEPRECATE_EOF = capture.DEPRECATE_EOF
SESSION_TRACK = capture.SESSION_TRACK

# ResponseKind values (proxyd/mysql/response_scanner.h).
GENERIC, PREPARE, FETCH, FIELD_LIST, STATISTICS = range(5)

# Which command each capture answers (tests/unit/mysql/scanner_test.cc).
KINDS = {
    "login_ok": GENERIC, "err_access_denied": GENERIC, "login_ok_session_track": GENERIC,
    "set_autocommit_session_track": GENERIC, "use_db_session_track": GENERIC,
    "err_unknown_table": GENERIC, "text_resultset": GENERIC, "multi_statements": GENERIC,
    "call_two_results": GENERIC, "insert_ok": GENERIC, "cleanup_ok": GENERIC,
    "begin_ok": GENERIC, "commit_ok": GENERIC, "ping_ok": GENERIC, "init_db_err": GENERIC,
    "field_list": FIELD_LIST, "statistics": STATISTICS, "prepare_ok": PREPARE,
    "stmt_execute_rows": GENERIC, "stmt_execute_cursor": GENERIC,
    "query_while_cursor": GENERIC, "stmt_fetch_2": FETCH, "stmt_fetch_rest": FETCH,
    "stmt_reset_ok": GENERIC, "prepare_no_params": PREPARE, "prepare_no_columns": PREPARE,
    "prepare_err": PREPARE, "local_infile_request": GENERIC, "local_infile_ok": GENERIC,
}


# Single-packet answers (or covered by local_infile_then_ok): their DEPRECATE_EOF
# captures are the same bytes, so one seed each is enough.
ONE_PACKET = {"begin_ok", "commit_ok", "cleanup_ok", "ping_ok", "stmt_reset_ok", "insert_ok",
              "init_db_err", "err_unknown_table", "prepare_err", "statistics",
              "local_infile_ok", "local_infile_request"}


def load(name):
    """(bytes, caps) of testdata/<name>.hex, read as tests/unit/mysql/testdata.cc does."""
    caps, hexs = 0, ""
    with open(os.path.join(TESTDATA, name + ".hex")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# caps: 0x"):
                caps = int(line[len("# caps: 0x"):], 16)
            elif not line.startswith("#"):
                hexs += line
    return bytes.fromhex(hexs), caps


def lenenc(n):
    if n < 0xFB:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfc" + struct.pack("<H", n)
    if n <= 0xFFFFFF:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def packets(data):
    out, pos = [], 0
    while pos + 4 <= len(data):
        n = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16
        out.append((data[pos + 3], data[pos + 4:pos + 4 + n]))
        pos += 4 + n
    return out


def captures():
    for path in sorted(glob.glob(os.path.join(TESTDATA, "*.hex"))):
        name = os.path.basename(path)[:-4]
        data, caps = load(name)
        yield name, data, caps


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear_seeds():
    for path in glob.glob(os.path.join(HERE, "corpus", "*", "seed-*")):
        os.remove(path)


def caps_bits(caps):
    return (1 if caps & DEPRECATE_EOF else 0) | (2 if caps & SESSION_TRACK else 0)


def scanner_seeds():
    # options: kind | 0x08 DEPRECATE_EOF | 0x10 SESSION_TRACK | 0x20 big; k; k cuts; bytes.
    for name, data, caps in captures():
        base = name[:-5] if name.endswith("_deof") else name
        if base not in KINDS or (name.endswith("_deof") and base in ONE_PACKET):
            continue
        opts = KINDS[base] | (0x08 if caps & DEPRECATE_EOF else 0) | (0x10 if caps & SESSION_TRACK else 0)
        write("scanner_fuzz", name, bytes([opts, 0]) + data)
    # Two cuts inside the multi-result stream, and the LOCAL INFILE request followed
    # by the server's answer to the file (one stream, as the harness resumes it).
    data, caps = load("multi_statements")
    write("scanner_fuzz", "multi_statements_cut", bytes([GENERIC, 2]) + struct.pack("<II", 5, 40) + data)
    req, caps = load("local_infile_request")
    ok, _ = load("local_infile_ok")
    write("scanner_fuzz", "local_infile_then_ok", bytes([GENERIC, 0]) + req + ok)

    # Payloads of 16 MiB and more (mode "big"): after a header of >= 64 KiB, one byte r
    # and r real bytes; the rest of that payload is zeros the harness never copies.
    def big(hdr_len, seq, real):
        return struct.pack("<I", hdr_len)[:3] + bytes([seq, len(real)]) + real

    def small(payload, seq):
        return capture.frame(payload, seq)

    text, caps = load("text_resultset")
    pk = packets(text)
    column_count, column_def, eof = pk[0][1], pk[1][1], pk[-1][1]
    head = small(b"\x01", 1) + small(column_def, 2) + small(eof, 3)
    # One text row of 0x1000001 bytes: 9-byte length prefix + value, over two packets.
    row_len = 9 + 0x1000001
    stream = (head + big(0xFFFFFF, 4, b"\xfe" + struct.pack("<Q", 0x1000001)) +
              small(b"x" * (row_len - 0xFFFFFF), 5) + small(eof, 6))
    write("scanner_fuzz", "big_row_16mib_plus_one", bytes([GENERIC | 0x20, 0]) + stream)
    # A row of exactly 0xFFFFFF bytes: an empty packet ends it.
    stream = head + big(0xFFFFFF, 4, b"\xfd\xfc\xff\xff") + small(b"", 5) + small(eof, 6)
    write("scanner_fuzz", "big_row_exact_max", bytes([GENERIC | 0x20, 0]) + stream)
    # Continuation packets that look like EOF and ERR are payload, not packets to classify.
    stream = (head + big(0xFFFFFF, 4, b"\xfe\x00\x00\x00\x01\x00\x00\x00\x00") +
              small(b"\xfe\x00\x00\x02\x00", 5) + small(eof, 6))
    write("scanner_fuzz", "big_continuation_like_eof", bytes([GENERIC | 0x20, 0]) + stream)
    stream = (head + big(0xFFFFFF, 4, b"\xfe\x00\x00\x00\x01\x00\x00\x00\x00") +
              small(b"\xff\x10\x04#HY000x", 5) + small(eof, 6))
    write("scanner_fuzz", "big_continuation_like_err", bytes([GENERIC | 0x20, 0]) + stream)
    # Built mode (0x40): recipes for well-formed responses of each kind.
    for kind in (GENERIC, PREPARE, FETCH, FIELD_LIST, STATISTICS):
        recipe = b"".join(hashlib.sha256(b"%d-%d" % (kind, i)).digest() for i in range(6))
        opts = 0x40 | kind | (0x08 if kind % 2 else 0)
        write("scanner_fuzz", "built_kind_%d" % kind, bytes([opts, 0]) + recipe)
    # COM_STATISTICS answered with exactly 0xFFFFFF bytes, then the empty packet.
    write("scanner_fuzz", "big_statistics", bytes([STATISTICS | 0x20, 0]) +
          big(0xFFFFFF, 1, b"Uptime: 1") + small(b"", 2))


def wire_seeds():
    # options (bit 0 DEPRECATE_EOF, bit 1 SESSION_TRACK), n, n Reader ops, payload.
    ops = bytes(range(14)) + bytes([0x1a, 0x3b, 0x2a, 0x0d])
    picks = [
        ("login_ok", 0), ("insert_ok", 0), ("login_ok_session_track", 0),
        ("set_autocommit_session_track", 0), ("err_access_denied", 0),
        ("err_unknown_table", 0), ("init_db_err", 0), ("text_resultset", 1),
        ("text_resultset", -1), ("field_list", 0), ("statistics", 0), ("prepare_ok", 0),
        ("stmt_execute_rows", 3), ("text_resultset_deof", -1),
    ]
    for name, index in picks:
        data, caps = load(name)
        payload = packets(data)[index][1]
        tag = "%s_%d" % (name, index if index >= 0 else len(packets(data)) - 1)
        write("wire_fuzz", tag, bytes([caps_bits(caps), len(ops)]) + ops + payload)
    # wire_test.cc's length-encoded boundaries.
    for v in (0xFA, 0xFB, 0xFFFF, 0x10000, 0xFFFFFF, 0x1000000):
        write("wire_fuzz", "lenenc_%x" % v, bytes([0, 2, 6, 7]) + lenenc(v) + b"\x00" * 8)


def handshake_seeds():
    # options (bit 0: the token is the first 20 bytes), payload.
    greeting, _ = load("greeting")
    write("handshake_fuzz", "greeting", b"\x00" + packets(greeting)[0][1])
    for name in ("login_request", "login_request_mariadb"):
        data, _ = load(name)
        write("handshake_fuzz", name, b"\x01" + packets(data)[0][1])
    # The SSLRequest a client sends first: caps with CLIENT_SSL, max packet, charset, 23 zeros.
    ssl = struct.pack("<IIB", capture.BASE_CAPS | (1 << 11), 16 * 1024 * 1024, 45) + b"\0" * 23
    write("handshake_fuzz", "ssl_request", b"\x00" + ssl)
    # AuthSwitchRequest for mysql_native_password with a 20-byte scramble + NUL.
    scramble = capture.scramble_of(packets(greeting)[0][1])
    write("handshake_fuzz", "auth_switch", b"\x00" + b"\xfemysql_native_password\0" + scramble + b"\0")
    # A token for 'secret' on that scramble, the scramble, and stage2 (RecoverStage1).
    stage2 = capture.sha1(capture.sha1(b"secret"))
    write("handshake_fuzz", "native_token", b"\x01" + capture.native_token("secret", scramble) +
          scramble + stage2)
    write("handshake_fuzz", "password_hash", b"\x00*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19")
    # COM_CHANGE_USER without its command byte, SECURE_CONNECTION, PLUGIN_AUTH and
    # CONNECT_ATTRS negotiated (options bits 1..3).
    data, _ = load("change_user_request")
    write("handshake_fuzz", "change_user", b"\x0e" + packets(data)[0][1][1:])


def command_seeds():
    # num_params (u16), what, then the payload and 5 bytes for the rewrites.
    prep, _ = load("prepare_ok")
    stmt_id = struct.unpack("<I", packets(prep)[0][1][1:5])[0]
    tail = b"\x07\x00\x00\x00\x03"
    cmds = {
        "stmt_execute_rows": (2, capture.stmt_execute(stmt_id, 0, [1, 5])),
        "stmt_execute_cursor": (2, capture.stmt_execute(stmt_id, 1, [0, 100])),
        "stmt_execute_unbound": (2, b"\x17" + struct.pack("<IBI", stmt_id, 0, 1) + b"\0\0" +
                                 struct.pack("<ii", 1, 5)),
        "stmt_execute_no_params": (0, b"\x17" + struct.pack("<IBI", stmt_id, 0, 1)),
        "stmt_fetch_2": (2, b"\x1c" + struct.pack("<II", stmt_id, 2)),
        "stmt_reset": (2, b"\x1a" + struct.pack("<I", stmt_id)),
        "stmt_close": (2, b"\x19" + struct.pack("<I", stmt_id)),
        "stmt_send_long_data": (2, b"\x18" + struct.pack("<IH", stmt_id, 1) + b"long value"),
        "stmt_prepare": (0, b"\x16SELECT id, name FROM t WHERE id > ? AND id < ?"),
        "process_kill": (0, b"\x0c\x87\xd6\x12\x00"),
        "query": (0, capture.query("SELECT id, name FROM t ORDER BY id")),
        "ping": (0, b"\x0e"),
    }
    for name, (n, payload) in cmds.items():
        write("command_fuzz", name, struct.pack("<HB", n, 0) + payload + tail)
    # stmt_execute_test.cc: 9 INT params with a 2-byte null bitmap.
    p9 = b"\x17" + struct.pack("<IBI", 7, 0, 1) + b"\0\0\x01" + b"\x03\x00" * 9 + b"".join(
        struct.pack("<I", 100 + i) for i in range(9))
    write("command_fuzz", "stmt_execute_9_params", struct.pack("<HB", 9, 0) + p9 + tail)
    # Recipes: every parameter type in order (0xFF), some picked, and long data + fetch.
    write("command_fuzz", "built_every_type", struct.pack("<HB", 0, 0xF0) + b"\xff" +
          bytes(range(1, 200)))
    write("command_fuzz", "built_some_types", struct.pack("<HB", 0, 0xF1) + b"\x05" +
          bytes(range(200, 256)) + bytes(range(0, 100)))
    write("command_fuzz", "built_long_data_fetch", struct.pack("<HB", 0, 0xF8) + bytes(range(64)))


SQL = [
    # tests/unit/sql: set_test, admin_test, classify_test, preamble_test, lexer_test.
    "SET a=1, @@session.b = 'x,y', SESSION c = f(1,2), NAMES utf8mb4 COLLATE utf8mb4_bin",
    "set AutoCommit = 0 ;",
    "SET @@SESSION.sql_mode='ANSI'",
    "SET @@global.cache1.key_buffer_size=1",
    "SET GLOBAL max_connections=10, x := 2",
    "SET @@session.`sql_mode`=''",
    "SET @'quoted var' = 5, @x.y = @@version",
    "SET CHARACTER SET 'latin1'",
    "SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY",
    "SET PASSWORD FOR 'u'@'%' = PASSWORD('x')",
    "SET STATEMENT max_statement_time=1 FOR SELECT 1",
    "SET DEFAULT ROLE r FOR u",
    "/*!40101 SET NAMES utf8 */",
    "/*M!100101 SET NAMES utf8 */;",
    "SHOW PROXYSESSION",
    "SHOW PROXYSESSION ATTRIBUTE 12 LIKE 'cs%'",
    "SHOW PROXYSESSION ATTRIBUTE LIKE 'it''s'",
    "show proxysession variables all 3 like \"x\\_%\" ;",
    "KILL PROXYSESSION 262145 2",
    "KILL HARD CONNECTION 18446744073709551615",
    "kill query 5 -- bye\n",
    "KILL QUERY ID 5",
    "/*!50000 KILL QUERY 5 */",
    "/*+ proxyd: backend=replica1 */ SELECT 1",
    "/* c */ /*+ proxyd: backend='r-1.x' */ -- x\n# y\nBEGIN WORK",
    "/*+ BKA(t) */ /*+ proxyd: backend=`b`, backend=b */ COMMIT AND NO CHAIN",
    "ROLLBACK WORK TO SAVEPOINT s",
    "START TRANSACTION READ ONLY",
    "BEGIN NOT ATOMIC SELECT 1; END",
    "USE `my``db`",
    "use db1 ;",
    "SELECT id, name FROM t WHERE name LIKE 'a\\_b%' AND x = 0x1F + .5e-3",
    "SELECT @a := 1, (SELECT 2) INTO @b",
    "SHOW VARIABLES LIKE 'wait%'",
    "INSERT INTO t (name) VALUES ('x'); SELECT 1 AS one; DELETE FROM t WHERE name = 'x'",
    "a\\%b_c%д_",
]


def sql_seeds():
    for i, text in enumerate(SQL):
        write("sql_fuzz", "%02d" % i, text)


def toml_seeds():
    with open(os.path.join(ROOT, "deploy", "local", "example.toml"), "rb") as f:
        write("config_fuzz", "example", f.read())
    tenant = '[[tenant]]\nname = "sys"\nbackends = [{name="b", address="h:1"}]\n'
    configs = {
        "spec": 'node_id = 1\ncluster = "demo"\ndefault_tenant = "sys"\nlisten = "127.0.0.1:2883"\n'
                'grpc_listen = "127.0.0.1:2884"\nfleet_file = "fleet.toml"\n\n[[tenant]]\n'
                'name = "sys"\nbackends = [ { name = "primary", address = "127.0.0.1:3306" },\n'
                '             { name = "replica1", address = "127.0.0.1:3307" } ]\n\n[[user]]\n'
                'tenant = "sys"\nname = "root"\npassword = "secret"\nadmin = true\n',
        "minimal": tenant,
        "every_key_and_tls": 'node_id = 8191\ncluster = "c1"\ndefault_tenant = "t2"\n'
                             'listen = "[::1]:3000"\ngrpc_listen = "localhost:3001"\n'
                             'fleet_file = "/abs/fleet.toml"\nthreads = 4\nlog_level = "debug"\n'
                             'log_file = "/tmp/p.log"\naudit_log = "-"\ntokens_file = "tokens.toml"\n'
                             'server_version = "10.11.6-MariaDB"\nmax_connections = 5\n'
                             'connect_timeout_ms = 250\npool_max_idle_per_backend = 0\n'
                             'pool_reset = "always"\n[grpc_tls]\ncert_file = "s.crt"\n'
                             'key_file = "s.key"\nca_file = "ca.crt"\nrequire_client_cert = true\n'
                             '[[tenant]]\nname = "t2"\n[[tenant.backends]]\nname = "b-1.x_y"\n'
                             'address = "db:3306"\n',
        "overrides": '#!node_id=7\n#!listen=0.0.0.0:3000\n#!default_tenant=t2\n'
                     '#!pool_reset=always\n' + tenant + '[[tenant]]\nname = "t2"\n'
                     'backends = [{name="b", address="h:2"}]\n[[user]]\nname = "u"\n'
                     'password_hash = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"\n',
        "bad_override": '#!threads=-1\n' + tenant,
        "typo_and_types": 'lsiten = "h:1"\nnode_id = 1.0\n' + tenant,
        "duplicate_user": tenant + '[[user]]\nname = "u"\npassword = "a"\n[[user]]\nname = "u"\n'
                                   'password = "b"\n',
        "unicode": '# д§\n' + tenant + '[[user]]\nname = "д"\n'
                   'password = """§\\\n  x"""\n',
    }
    for name, text in configs.items():
        write("config_fuzz", name, text)
    # Recipes (0x01) for configs written by the target itself.
    for i in range(3):
        write("config_fuzz", "built_%d" % i,
              b"\x01" + b"".join(hashlib.sha256(b"config-%d-%d" % (i, j)).digest() for j in range(8)))

    fleets = {
        "spec": '[[node]]\nid = 1\ngrpc = "127.0.0.1:2884"\nsql = "127.0.0.1:2883"\n\n[[node]]\n'
                'id = 8191\ngrpc = "[::1]:2994"\n',
        "inline": 'node = [ { id = 2, grpc = "h:1" }, { id = 3, grpc = "h:2" } ]',
        "bad_address": '[[node]]\nid = 1\ngrpc = "h:1"\nsql = "h:0"\n',
        "duplicate_id": '[[node]]\nid = 4\ngrpc = "h:1"\n[[node]]\ngrpc = "h:2"\nid = 4\n',
        "zone": '[[node]]\nid = 5\ngrpc = "[fe80::1%eth0]:2884"\nsql = "db-1.example_x:3306"\n',
    }
    for name, text in fleets.items():
        write("fleet_fuzz", name, text)

    with open(os.path.join(ROOT, "deploy", "local", "tokens.example.toml"), "rb") as f:
        write("tokens_fuzz", "example", f.read())
    sha = hashlib.sha256(b"oper-0123456789abcdef").hexdigest()
    tokens = {
        "two": '[[token]]\nname = "ops-view"\nrole = "viewer"\ntoken = "view-0123456789abcdef"\n\n'
               '[[token]]\nname = "ops-alice"\nrole = "operator"\ntoken = "oper-0123456789abcdef"\n',
        "sha256": '[[token]]\nname = "ci"\nrole = "operator"\ntoken_sha256 = "%s"\n' % sha.upper(),
        "duplicate": '[[token]]\nname = "a"\nrole = "viewer"\ntoken = "x-0123456789abcdefg"\n'
                     '[[token]]\nname = "b"\nrole = "viewer"\ntoken = "x-0123456789abcdefg"\n',
        "bearer": "  Bearer view-0123456789abcdef ",
    }
    for name, text in tokens.items():
        write("tokens_fuzz", name, text)


def main():
    clear_seeds()
    scanner_seeds()
    wire_seeds()
    handshake_seeds()
    command_seeds()
    sql_seeds()
    toml_seeds()
    for d in sorted(glob.glob(os.path.join(HERE, "corpus", "*"))):
        files = os.listdir(d)
        print("%-16s %3d files %7d bytes" % (os.path.basename(d), len(files),
              sum(os.path.getsize(os.path.join(d, f)) for f in files)))


if __name__ == "__main__":
    main()
