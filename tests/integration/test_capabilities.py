"""SPEC §2 "Capabilities": MariaDB's capabilities that proxyd carries end to end, checked
the way applications meet them: libmariadb (tests/tools/caps_probe) and the `mariadb`
CLI, each run directly against MariaDB and through proxyd, with the same result."""

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading

import pytest

from conftest import PASSWORDS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402

CLIENT_MYSQL = 1
CLIENT_SESSION_TRACK = 1 << 23
MARIADB_BULK = 1 << 2
MARIADB_EXTENDED_METADATA = 1 << 3


def greeting_caps(port):
    """(capabilities, MariaDB extended capabilities) from the server's greeting."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        data = b""
        while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:3], "little"):
            chunk = s.recv(4096)
            assert chunk, "connection closed before the greeting"
            data += chunk
    p = data[4:]
    at = p.index(b"\0", 1) + 1 + 4 + 8 + 1  # version, connection id, scramble 1, filler
    low = struct.unpack_from("<H", p, at)[0]
    high = struct.unpack_from("<H", p, at + 5)[0]  # after the charset and status
    caps = low | high << 16
    ext = struct.unpack_from("<I", p, at + 7 + 1 + 6)[0]  # after the plugin data length, filler
    return caps, ext


@pytest.fixture
def tables(primary):
    primary.sql("CREATE OR REPLACE TABLE testdb.caps_json (doc JSON)")
    primary.sql("INSERT INTO testdb.caps_json VALUES ('{\"a\": 1}')")
    primary.sql("CREATE OR REPLACE TABLE testdb.caps_bulk (id INT)")
    yield
    primary.sql("DROP TABLE IF EXISTS testdb.caps_json, testdb.caps_bulk")


def caps_probe(port, *mode):
    res = subprocess.run([sandbox.tool_path("caps_probe"), "127.0.0.1", str(port), "app",
                          PASSWORDS["app"], *mode], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.splitlines()


def test_greeting_offers_what_the_backend_has(proxy, primary):
    direct_caps, direct_ext = greeting_caps(primary.port)
    caps, ext = greeting_caps(proxy.port)
    assert not caps & CLIENT_MYSQL, hex(caps)  # MariaDB's extended capabilities follow
    assert caps & CLIENT_SESSION_TRACK, hex(caps)
    assert ext == MARIADB_BULK | MARIADB_EXTENDED_METADATA, hex(ext)
    assert direct_ext & ext == ext, (hex(direct_ext), hex(ext))
    assert direct_caps & CLIENT_SESSION_TRACK


def test_libmariadb_sees_json_bulk_execute_direct_and_tracking(proxy, primary, tables):
    direct = caps_probe(primary.port)
    assert direct[:3] == ["json json", "bulk 3", "direct 3"], direct
    assert "track variable character_set_client" in direct, direct
    assert "track schema testdb" in direct, direct
    primary.sql("TRUNCATE testdb.caps_bulk")
    assert caps_probe(proxy.port) == direct
    assert primary.sql("SELECT COUNT(*) FROM testdb.caps_bulk") == [(3,)]


def test_bulk_on_a_statement_prepared_again_gets_its_types(proxy, primary, tables):
    """libmariadb sends a bulk call's parameter types once per handle. When the server
    session that saw them is gone, proxyd prepares the statement again on a new one and must
    send the types itself, or MariaDB cannot read the rows."""
    assert caps_probe(proxy.port, "reprepare") == ["bulk 3", "again 3"]
    assert primary.sql("SELECT COUNT(*) FROM testdb.caps_bulk") == [(6,)]


def cli_column_info(port, user, sql):
    r = sandbox.mariadb_cli(port, user, PASSWORDS[user], sql, "--column-type-info", "--table")
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_cli_column_info_is_the_same_through_proxyd(proxy, primary, tables):
    sql = "SELECT doc FROM testdb.caps_json"
    direct = cli_column_info(primary.port, "app", sql)
    assert "(format=json)" in direct, direct
    assert cli_column_info(proxy.port, "app", sql) == direct


def test_proxyd_own_result_sets_with_extended_metadata(proxy):
    """SHOW PROXYSESSION is built by proxyd: with extended metadata negotiated its column
    definitions carry the (empty) extended block the CLI now expects."""
    out = cli_column_info(proxy.port, "admin", "SHOW PROXYSESSION")
    assert "Field   1:  `proxy_sessid`" in out, out
    assert "Field  13:  `using_ssl`" in out, out


class OldMariaDB:
    """A relay in front of a real MariaDB that clears MariaDB's extended capabilities in its
    greeting, as a server from before extended metadata (10.4 and older) sends it; the rest
    of every connection is passed through unchanged."""

    def __init__(self, backend):
        self.backend = backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.threads = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.backend.port), timeout=10)
            server.settimeout(None)
            greeting = self._read_packet(server)
            p = bytearray(greeting[4:])
            at = p.index(0, 1) + 1 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 6
            p[at:at + 4] = b"\0\0\0\0"
            client.sendall(greeting[:4] + bytes(p))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _read_packet(s):
        data = b""
        while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:3], "little"):
            chunk = s.recv(4096)
            assert chunk, "backend closed before its greeting"
            data += chunk
        return data

    @staticmethod
    def _pipe(src, dst):
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.listener.close()


@pytest.fixture
def old_backend_proxy(proxy_factory, backends):
    old = OldMariaDB(backends["replica1"])
    try:
        p = proxy_factory.start(tenants={"sys": [("primary", backends["primary"]),
                                                 ("old", old.address)]},
                                users=[{"tenant": "sys", "name": "app", "password": PASSWORDS["app"]}])
        yield p
    finally:
        old.close()


def test_a_backend_without_extended_metadata_fails_only_clients_that_negotiated_it(
        old_backend_proxy):
    """proxyd offers extended metadata (its probe saw it on the first backend); a server
    session on a backend without it would send column definitions such a client misreads,
    so opening one fails with an error that says why, and the session goes on. A client
    that did not negotiate it (PyMySQL) uses that backend normally."""
    _, ext = greeting_caps(old_backend_proxy.port)
    assert ext & MARIADB_EXTENDED_METADATA, hex(ext)
    # The CLI reading a script with --force goes on after an error, on the same session.
    r = subprocess.run([sandbox.MARIADB_CLI, "--no-defaults", "--protocol=tcp", "-h127.0.0.1",
                        f"-P{old_backend_proxy.port}", "-uapp", f"-p{PASSWORDS['app']}",
                        "--force", "--comments", "--skip-column-names"],
                       input="/*+ proxyd: backend=old */ SELECT 1;\nSELECT 'still here';\n",
                       capture_output=True, text=True, timeout=60)
    assert "ERROR 1429 (HY000) at line 1: Backend 'old'" in r.stderr, r.stderr
    assert "backend lacks MariaDB's extended metadata, which the client negotiated" in r.stderr, \
        r.stderr
    assert r.stdout == "still here\n", r.stdout
    conn = sandbox.connect(old_backend_proxy.port, "app", PASSWORDS["app"])
    try:
        with conn.cursor() as cur:
            cur.execute("/*+ proxyd: backend=old */ SELECT 'old', @@port")
            assert cur.fetchone()[0] == "old"
    finally:
        conn.close()
